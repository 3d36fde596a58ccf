"""Array locks: while a node lives, the arrays of the leaves and constants it saved are
read-only, so plain NumPy code cannot change them under the graph, where no version
counter would see it. Nodes release them when backward frees the graph or when they
are garbage-collected. A sanctioned write (the Tensor in-place methods, or
:class:`modifying`) opens a lock, stamps it with the in-place clock and the user's
line, and closes it; backward then refuses the stale graph, naming that line.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from . import graph
from .frames import capture

if TYPE_CHECKING:
    from .tensor import Tensor

_new = object.__new__


class modifying:
    """Context manager for plain NumPy code that changes tensors' arrays in place
    (optimisers, loading weights): ``with al.modifying(params): p.data -= lr * g``.

    Inside, the arrays that a live graph saved, read-only while it lives, can be
    written; on exit they are read-only again and every tensor's version is
    incremented (:func:`increment_version`), so a graph that saved one of them before
    the change refuses to backpropagate through the new values, naming the op and the
    line of the write. The Tensor in-place methods (``add_``, ``copy_``, ``t[i] = v``)
    do the same on their own.
    """

    __slots__ = ("tensors", "opened")

    def __init__(self, tensors: Tensor | Iterable[Tensor]) -> None:
        # An optimiser's list, every step: checked here, not by checked_tensors. At batch
        # 128 a function the step calls costs more than its instructions, cold after the
        # products: with __exit__'s inline bump this takes 0.7-1.2% off a plain Sequential's
        # step (three A/Bs switched in one process, 60-80 rounds: 1.132-1.162 -> 1.124-1.150).
        if type(tensors) is list:
            for t in tensors:
                if not hasattr(t, "_version"):
                    break
            else:
                self.tensors = tensors.copy()  # the caller may change its list inside
                return
        self.tensors = graph.checked_tensors(tensors, "modifying")

    def __enter__(self) -> None:
        opened = []
        if _locks:  # after a backward nothing is locked: an optimiser step's usual case
            for t in self.tensors:
                if not t.data.flags.writeable:
                    o = _open(t.data)
                    if o is not None:
                        opened.append(o)
        self.opened = opened

    def __exit__(self, *exc: Any) -> None:
        if self.opened:
            for o in reversed(self.opened):
                _close(o)
            self.opened = []
        # increment_version's loop, on tensors checked on entry (see __init__)
        graph._clock += 1
        clock = graph._clock
        for t in self.tensors:
            t._version = clock
            if t._node is not None:
                t._node.modified = clock


class _Lock:
    """One array that live nodes saved, read-only while ``count`` of them hold it.

    A view's lock also holds a lock on the array that owns its memory (``root``), or
    writing through the owner, or another view of it, would change the view. Only
    writable arrays are locked; ``stamp`` and ``where`` record the last sanctioned
    write (:func:`_open`) for the error backward raises. Made by :func:`_new_lock`.
    """

    __slots__ = ("array", "key", "count", "root", "stamp", "where", "waiting")


class _Held(list):
    """The locks one node holds. A node has no ``__del__`` (every op would pay for
    its call); this list, made only for nodes that saved a leaf or constant array,
    releases them when the node is freed or collected."""

    __slots__ = ()

    def __del__(self) -> None:
        for lk in self:
            lk.count -= 1
            if not lk.count:
                if lk.root is None and lk.waiting is None:
                    # _unlock's usual case inline, a call less: with the base check in
                    # _hold, a batch's lock and release take 1.18 us, not 1.33 (6 a step)
                    del _locks[lk.key]
                    lk.array.setflags(True)
                else:
                    _unlock(lk)

    def __reduce__(self) -> tuple[Any, tuple]:
        return type(None), ()  # a copied or unpickled graph holds no locks


_locks: dict[int, _Lock] = {}  # id(array) -> its lock; the lock keeps the array alive
#: tensor.py's shared scalar constants: read-only, never locked. Tensors, not ids: a
#: Tensor hashes by address in C, where id() is a call that also raises an audit event.
_SHARED: set[Tensor] = set()


def _root_array(a: np.ndarray) -> np.ndarray | None:
    """The ndarray that owns the memory view ``a`` looks at; None if ``a`` owns it."""
    base = a.base
    if not isinstance(base, np.ndarray):
        return None
    while isinstance(base.base, np.ndarray):
        base = base.base
    return base


def _new_lock(array: np.ndarray, key: int, root: _Lock | None) -> _Lock:
    lk = _new(_Lock)  # no __init__: a class call costs more than the lock itself
    lk.array, lk.key, lk.count, lk.root = array, key, 1, root
    lk.stamp, lk.where, lk.waiting = 0, None, None
    _locks[key] = lk
    # setflags(write) positionally: NumPy parses a keyword argument slowly (a lock
    # and its release take 1,900 machine instructions so, 4,400 by keyword).
    array.setflags(False)
    return lk


def _hold(d: np.ndarray, held: _Held | None) -> _Held | None:
    """Lock input array ``d`` for a new node (``held``: its locks so far)."""
    key = id(d)
    lk = _locks.get(key)
    if lk is not None:
        lk.count += 1
    elif d.flags.writeable:
        rl = None
        # An array that owns its memory (a batch): no _root_array call.
        root = None if d.base is None else _root_array(d)
        # An owner referenced only by the view (our local and getrefcount's argument
        # are the others) cannot be written but through it, and no lock holds it: as
        # for a layer's parameter on an aligned buffer. Skipping it saves a lock per
        # parameter and step.
        if root is not None and sys.getrefcount(root) > 3:
            rl = _locks.get(id(root))
            if rl is not None:
                rl.count += 1
            elif root.flags.writeable:
                rl = _new_lock(root, id(root), None)
            else:  # a writable view of the user's read-only array: never restorable
                return held
        lk = _new_lock(d, key, rl)
    else:
        # The user's read-only array, or a view made from an array a graph locked:
        # then hold that one, which keeps the memory unchanged.
        root = _root_array(d)
        lk = None if root is None else _locks.get(id(root))
        if lk is None:
            return held
        lk.count += 1
    if held is None:
        held = _Held()
    held.append(lk)
    return held


def _unlock(lk: _Lock) -> None:
    """Restore an array no node holds any more (its lock's count reached 0)."""
    a = lk.array
    del _locks[lk.key]
    root = lk.root
    if root is not None:
        root.count -= 1
        if root.count:  # another node holds the owner: the view waits for it
            if root.waiting is None:
                root.waiting = []
            root.waiting.append(a)
            return
        _unlock(root)
    a.setflags(True)
    if lk.waiting:
        for v in lk.waiting:
            v.setflags(True)


def _open(d: np.ndarray) -> tuple[list[_Lock], np.ndarray | None] | None:
    """Make locked array ``d`` writable for a sanctioned in-place write; None if a
    graph does not lock it (then it is writable, or read-only by its owner's wish)."""
    lk = _locks.get(id(d))
    root = _root_array(d)
    rl = None if root is None else _locks.get(id(root))
    if lk is None and rl is None:
        return None
    locks = [x for x in (rl, lk) if x is not None]
    for x in locks:  # the owner first: NumPy makes a view writable only then
        x.array.setflags(True)
    view = d if lk is None else None  # a view made from a locked array: read-only itself
    if view is not None:
        view.setflags(True)
    return locks, view


def _close(opened: tuple[list[_Lock], np.ndarray | None]) -> None:
    """Lock again what :func:`_open` opened, stamped with the write and its place."""
    locks, view = opened
    if view is not None:
        view.setflags(False)
    graph._clock += 1
    where = capture()
    for lk in reversed(locks):
        lk.array.setflags(False)
        lk.stamp = graph._clock
        lk.where = where
