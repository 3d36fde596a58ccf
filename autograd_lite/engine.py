"""Recording ops, topological order and backpropagation.

The graph is made of :class:`Node` objects, one per recorded op. A node points to
its parents (other nodes, or the leaf/constant Tensors it consumed) but never to
the Tensor it produced, so graphs have no reference cycles and are freed by
reference counting the moment the last output Tensor goes away.

While a node lives, the arrays of the leaves and constants it saved are read-only
(see :class:`_Lock`): plain NumPy code cannot change them under the graph, where no
version counter would see it. Nodes release them when backward frees the graph or
when they are garbage-collected.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from .broadcasting import unbroadcast
from .ops.base import Op

if TYPE_CHECKING:
    from .tensor import Tensor

_grad_enabled = True
# Installed by tensor.py (which imports this module), so the hot path needs no import.
_Tensor: Any = None
_as_tensor: Any = None

#: Called as ``hook(node, g, dxs)`` for every node backward visits, before the
#: engine sums ``dxs`` down to the parents' shapes. Used by the graph renderer to
#: collect gradient statistics and by anomaly mode; empty (free) otherwise.
backward_hooks: list[Callable[[Node, Any, tuple], None]] = []
#: Called as ``hook(op, inputs, out, node)`` for every op applied, recorded or not
#: (``node`` is None when nothing was recorded). Used by anomaly mode; empty otherwise.
forward_hooks: list[Callable[[type[Op], tuple, np.ndarray, Node | None], None]] = []
_scope: tuple = ()
# In-place changes stamp a tensor with the next tick of this clock; a node records
# the clock when it saves its inputs, so "modified since saved" is one comparison
# per input instead of a tuple of versions per node.
_clock = 0
_next_seq = itertools.count().__next__


def increment_version(tensors: Tensor | Iterable[Tensor]) -> None:
    """Mark tensors whose ``.data`` arrays were changed in place by plain NumPy code
    (PyTorch's ``torch.autograd.graph.increment_version``): a graph that saved one of
    them before the change then refuses to backpropagate through the stale values.
    The Tensor in-place methods (``add_``, ``t += x``) and :class:`modifying` do this
    themselves. (A leaf's or constant's array that a live graph saved is read-only:
    write it inside ``modifying``.)"""
    global _clock
    _clock += 1
    if isinstance(tensors, _Tensor):
        tensors._version = _clock
        return
    for t in tensors:
        if not isinstance(t, _Tensor):
            raise TypeError(f"increment_version: expected Tensors, got {type(t).__name__}")
        t._version = _clock


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
        self.tensors = [tensors] if isinstance(tensors, _Tensor) else list(tensors)
        for t in self.tensors:
            if not isinstance(t, _Tensor):
                raise TypeError(f"modifying: expected Tensors, got {type(t).__name__}")

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
        for o in reversed(self.opened):
            _close(o)
        self.opened = []
        increment_version(self.tensors)


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
        root = _root_array(d)
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
    global _clock
    from .anomaly import _capture  # only on this rare path: anomaly imports the engine
    locks, view = opened
    if view is not None:
        view.setflags(False)
    _clock += 1
    where = _capture()
    for lk in reversed(locks):
        lk.array.setflags(False)
        lk.stamp = _clock
        lk.where = where


class Node:
    """One recorded op: what backward needs to call its VJP, and the graph's shape.

    Made only by :func:`apply`, which sets every field:

    ``op``, ``params``
        the op class and its keyword params;
    ``parents``
        one per input: the input's own node, or the input Tensor if it is a leaf
        or a constant;
    ``needs``
        one bool per input: does it require grad;
    ``inputs``, ``arrays``
        the input Tensors (for the version check and create_graph's recomputation)
        and their arrays as the forward used them: what the VJP gets, even if an
        input's ``.data`` is rebound in between;
    ``out``, ``saved``
        the output array, and what ``forward_saving`` kept for the VJP;
    ``seq``
        creation order: a node is always newer than its parents, which backward
        uses as its order;
    ``stamp``
        the in-place clock when the inputs were saved;
    ``shape``, ``dtype``
        the output's;
    ``scope``
        the owners (modules) this op ran inside, innermost last;
    ``where``
        set by anomaly mode: where the user created this node;
    ``held``
        the locks on the leaf and constant arrays it saved (a :class:`_Held`), or None.

    ``inputs``, ``arrays``, ``out``, ``saved`` and ``held`` are the *saved* state, dropped after
    a backward without ``retain_graph``; the rest stays so the graph can still be
    drawn and a second backward can explain what happened.
    """

    __slots__ = ("op", "parents", "needs", "inputs", "arrays", "seq", "stamp", "out", "saved",
                 "params", "shape", "dtype", "scope", "where", "held", "__weakref__")
    requires_grad = True  # a node exists only where some input requires grad

    def __repr__(self) -> str:
        return f"<Node {self.op.name} {self.shape} {self.dtype}>"


class scope:
    """Tag every node recorded inside with ``owner`` (innermost last in ``node.scope``).

    ``nn.Module.__call__`` enters its module's scope, which is how the graph renderer
    groups a model's nodes into one cluster per module without the engine knowing
    about modules. A class rather than a generator: every module call enters one.
    """

    __slots__ = ("owner", "prev")

    def __init__(self, owner: Any) -> None:
        self.owner = owner

    def __enter__(self) -> None:
        self.prev = enter_scope(self.owner)

    def __exit__(self, *exc: Any) -> None:
        exit_scope(self.prev)


def enter_scope(owner: Any) -> tuple:
    """``with al.scope(owner)`` as two calls, for code that enters a scope on every call
    (``nn.Module.__call__``): no object to build, no context-manager protocol. Returns
    the token to pass to :func:`exit_scope`, in a ``finally``."""
    global _scope
    prev = _scope
    _scope = prev + (owner,)
    return prev


def exit_scope(token: tuple) -> None:
    """Leave the scope entered by the :func:`enter_scope` call that returned ``token``."""
    global _scope
    _scope = token


def is_grad_enabled() -> bool:
    """Whether ops applied now are recorded for backward."""
    return _grad_enabled


class _GradMode:
    """Context manager and decorator that sets whether ops are recorded."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        global _grad_enabled
        self._prev.append(_grad_enabled)
        _grad_enabled = self.enabled

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._prev.pop()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(self.enabled):
                return fn(*args, **kwargs)
        return wrapper


def no_grad() -> _GradMode:
    """Disable recording: ``with al.no_grad(): ...`` or ``@al.no_grad()``."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Re-enable recording inside a ``no_grad`` block (context manager or decorator)."""
    return _GradMode(True)


class _SetGradMode(_GradMode):
    """Sets the mode when made, as PyTorch's ``set_grad_enabled`` does; leaving it as a
    context manager restores the mode it replaced."""

    def __init__(self, enabled: bool) -> None:
        global _grad_enabled
        super().__init__(bool(enabled))
        self._prev.append(_grad_enabled)
        _grad_enabled = self.enabled

    def __enter__(self) -> None:
        pass  # already set by the call

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._prev.pop()

    def __call__(self, fn: Callable) -> Callable:
        # As a decorator the mode applies inside the function only, so the mode the
        # call set at decoration time is undone (as PyTorch does).
        self.__exit__()
        return super().__call__(fn)


def set_grad_enabled(mode: bool) -> _GradMode:
    """Turn recording on or off now: ``al.set_grad_enabled(False)`` on its own line
    switches it off until switched back. Used as ``with al.set_grad_enabled(m):``,
    the previous mode is restored at the end of the block."""
    return _SetGradMode(mode)


def _op_error(op: type[Op], exc: Exception, tensors: Sequence[Tensor]) -> Exception:
    shapes = ", ".join(str(t.shape) for t in tensors)
    dtypes = ", ".join(str(t.dtype) for t in tensors)
    msg = str(exc)
    if not msg.startswith(op.name + ":"):
        msg = f"{op.name}: {msg}"
    if "shape" not in msg or "dtype" not in msg:
        msg += f" (input shapes: {shapes}; dtypes: {dtypes})"
    kind = type(exc) if isinstance(exc, (ValueError, TypeError, IndexError)) else ValueError
    try:
        return kind(msg)
    except Exception:  # an exception type with a custom constructor
        return ValueError(msg)


def _bind(op: type[Op], args: tuple, params: dict) -> tuple[tuple, dict]:
    """Split a call's arguments into input tensors and keyword params."""
    if op.arity is None:
        if len(args) != 1:
            args, params = (args[0],), {**dict(zip(op._param_names, args[1:])), **params}
        seq = args[0]
        if isinstance(seq, _Tensor) or not isinstance(seq, (list, tuple)):
            raise TypeError(f"{op.name}: expected a sequence of tensors, got {type(seq).__name__}")
        return tuple(seq), params
    if len(args) < op.arity:
        raise TypeError(f"{op.name}: expected {op.arity} inputs, got {len(args)}")
    extra = args[op.arity:]
    if len(extra) > len(op._param_names):
        raise TypeError(f"{op.name}: takes {op.arity} inputs and the params "
                        f"{op._param_names}; got {len(args)} positional arguments")
    return args[:op.arity], {**dict(zip(op._param_names, extra)), **params}


def _convert(args: tuple) -> tuple:
    """Every argument as a Tensor; Python scalars take the first float tensor's dtype."""
    Tensor, out = _Tensor, []
    for a in args:
        if isinstance(a, Tensor):
            out.append(a)
        elif type(a) is np.ndarray:  # e.g. a loss's labels, every step: kept as they are
            out.append(Tensor._make(a, None))
        else:
            out.append(_as_tensor(a, _float_dtype(args)))
    return tuple(out)


def _float_dtype(args: tuple) -> np.dtype | None:
    for a in args:
        if isinstance(a, _Tensor) and a.data.dtype.kind == "f":
            return a.data.dtype
    return None


def apply(op: type[Op], *args: Any, **params: Any) -> Tensor:
    """Run ``op`` on Tensors (or values convertible to them) and record it if needed.

    This is the hot path of every forward pass: the common case (the right number
    of Tensor arguments) goes through one loop with no conversions.
    """
    Tensor = _Tensor
    if len(args) != op.arity:
        args, params = _bind(op, args, params)
    for a in args:
        if type(a) is not Tensor and not isinstance(a, Tensor):
            args = _convert(args)  # a Python scalar or an array among the inputs
            break
    # One plain loop, not three comprehensions: in CPython 3.11 a comprehension
    # builds a function object and a frame, a real share of a small op's cost.
    datas, needs = [], []
    for a in args:
        datas.append(a.data)
        needs.append(a.requires_grad)
    arrays = tuple(datas)  # a call unpacks a tuple as it is; the node keeps it for the VJP
    record = _grad_enabled and True in needs
    saved = None
    try:
        # No ``**params`` when there are none: unpacking even an empty dict costs.
        # _wants_saved (set on each op class) rather than forward_saving, which most
        # ops inherit as None from Op: in CPython 3.11 that lookup costs ~1k instructions.
        if record and op._wants_saved:
            out, saved = op.forward_saving(*arrays, **params) if params else op.forward_saving(*arrays)
        else:
            out = op.forward(*arrays, **params) if params else op.forward(*arrays)
    except (ValueError, TypeError, IndexError, np.exceptions.AxisError) as e:
        raise _op_error(op, e, args) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    # The Node and the Tensor are built field by field here rather than by calling
    # constructors: two Python frames less on every op (about a tenth of its cost).
    node = None
    if record:
        parents = []
        held = None
        for a in args:
            n = a._node
            if n is not None:
                parents.append(n)
                continue
            parents.append(a)
            # A leaf's or constant's array: lock it. A shared scalar constant (the 0.5
            # of y * 0.5) is skipped by one set lookup: about 1,500 fewer of the 41,000
            # machine instructions an op costs in the per-op benchmark.
            if a not in _SHARED:
                held = _hold(a.data, held)
        # One shared tuple per pattern of needs: a graph's every object is scanned by
        # the cyclic GC while the graph is alive, so fewer objects is faster.
        flags = tuple(needs)
        if len(flags) <= 3:  # a sequence op (concatenate) could make endless patterns
            flags = _NEEDS.setdefault(flags, flags)
        node = _new(Node)
        node.op = op
        node.params = params or _NO_PARAMS
        node.parents = tuple(parents)
        node.needs = flags
        node.inputs = args
        node.arrays = arrays
        node.out = out
        node.saved = saved
        node.seq = _next_seq()
        node.stamp = _clock
        node.shape = out.shape
        node.dtype = out.dtype
        node.scope = _scope
        node.where = None
        node.held = held
    if forward_hooks:
        for hook in forward_hooks:
            hook(op, args, out, node)
    t = _new(Tensor)  # what Tensor._make does
    t.data = out
    t.grad = None
    t.requires_grad = record
    t._node = node
    t._version = 0
    return t


_new = object.__new__
heappush, heappop = heapq.heappush, heapq.heappop
_NEEDS: dict[tuple[bool, ...], tuple[bool, ...]] = {}  # at most 14 entries: (True,), (True, False)...
_NO_PARAMS: dict[str, Any] = {}  # shared by every node of an op without params: never written
Op._record = staticmethod(apply)


def toposort(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, each before its parents (iterative DFS).

    Iterative so that a chain of a million ops needs no recursion; keyed by node
    identity, never by Tensor equality. With one visited set shared by all roots,
    the reversed post-order is a topological order of the whole graph.
    """
    order: list[Node] = []
    visited: set[Node] = set()
    stack: list[tuple[Node, bool]] = []
    push, pop = stack.append, stack.pop
    for root in roots:
        push((root, False))
        while stack:
            node, expanded = pop()
            if expanded:
                order.append(node)
                continue
            # Marked when expanded, not when pushed: a node reached again through
            # a later path must be expanded from there, or a consumer could be
            # ordered after it (a diamond would then lose part of its cotangent).
            if node in visited:
                continue
            visited.add(node)
            push((node, True))
            for p in node.parents:
                if type(p) is Node and p not in visited:
                    push((p, False))
    order.reverse()
    return order


class GraphFreedError(RuntimeError):
    """Backward reached a node whose saved arrays were released by an earlier backward."""


class InplaceModificationError(RuntimeError):
    """An array saved for backward was modified in place after it was saved."""


def _created(node: Node) -> str:
    # Under anomaly mode every node knows the user's line that created it.
    return "" if node.where is None else f"\n  the op was created at:\n{node.where.format()}"


def _freed(node: Node) -> GraphFreedError:
    return GraphFreedError(
        f"backward: trying to backpropagate through '{node.op.name}' (output shape "
        f"{node.shape}) a second time, but its saved arrays were freed by the first "
        f"backward. Call backward(retain_graph=True) the first time if you need to "
        f"backpropagate through the same graph twice." + _created(node))


def _modified(node: Node, i: int, where: Any = None) -> InplaceModificationError:
    t = node.inputs[i]
    at = "" if where is None else f"\n  it was modified at:\n{where.format()}"
    return InplaceModificationError(
        f"backward: input {i} of '{node.op.name}' (shape {t.shape}, dtype {t.dtype}) was "
        f"modified in place after it was saved for backward; the gradient would be wrong. "
        f"Use an out-of-place op, or modify a copy." + at + _created(node))


def _check_unmodified(node: Node) -> None:
    """Raise if an input ``node`` saved was changed in place since: through its Tensor
    (its version) or, for a locked array, through any Tensor or ``modifying``."""
    stamp = node.stamp
    if node.held is not None:
        for lk in node.held:
            for changed in (lk, lk.root):
                if changed is not None and changed.stamp > stamp:
                    for i, a in enumerate(node.arrays):
                        if a is changed.array or _root_array(a) is changed.array:
                            raise _modified(node, i, changed.where)
    for i, t in enumerate(node.inputs):
        if t._version > stamp:
            raise _modified(node, i)


def _root_buffer(a: np.ndarray) -> int:
    # The array that owns the memory a view looks at (a view's .base may be a view).
    while isinstance(a.base, np.ndarray):
        a = a.base
    return id(a)


def run_backward(roots: Sequence[Tensor], grads: Sequence[Any], *, retain_graph: bool,
                 create_graph: bool, targets: Sequence[Tensor] | None = None) -> list[Any] | None:
    """Backpropagate ``grads`` from ``roots``.

    Without ``targets``: accumulate into the ``.grad`` of every leaf that requires
    grad. With ``targets`` (tensors): return the total cotangent reaching each target
    instead, touching no ``.grad``. As in ``torch.autograd.grad``, a target upstream
    of another one also gets the paths through it; a node that leads to no target
    is never visited, and no VJP computes a gradient for an input that leads to none.
    """
    found: dict[Any, Any] = {}
    if targets is None:  # the common case: no lookups to build
        node_targets: Any = ()
        leaf_targets: Any = ()
        useful: dict[Node, tuple[bool, ...]] | None = None
    else:
        node_targets = {t._node for t in targets if t._node is not None}
        leaf_targets = {id(t) for t in targets if t._node is None}
        useful = _toward_targets(roots, node_targets, leaf_targets)

    pending: dict[Node, Any] = {}  # cotangents received so far, by node
    heap: list[tuple[int, Node]] = []  # the nodes in pending, newest first
    # Buffers already stored in some leaf's .grad (or owned by the caller).
    handed: set[int] = set()
    for g in grads:
        # A read-only one (backward()'s implicit seed) needs no entry: a leaf copies
        # a read-only gradient anyway, and no view of it can be writable.
        if type(g) is np.ndarray and g.flags.writeable:
            handed.add(_root_buffer(g))
    for r, g in zip(roots, grads):
        if r._node is None:
            if targets is None:
                _accumulate_leaf(r, g, handed, create_graph)
            elif id(r) in leaf_targets:
                _capture(found, id(r), g)
            continue
        node = r._node
        if node in pending:
            pending[node] = pending[node] + g
        else:
            pending[node] = g
            heappush(heap, (-node.seq, node))
    global _grad_enabled
    prev_mode, _grad_enabled = _grad_enabled, create_graph  # VJPs record only for create_graph
    try:
        # Newest node first: every consumer of a node was created after it, so by the
        # time a node is popped all gradient meant for it has arrived. Only nodes that
        # receive a gradient are ever visited, and no separate sort is needed.
        while heap:
            node = heappop(heap)[1]
            g = pending.pop(node)
            needs = node.needs
            if useful is not None:
                if node in node_targets:
                    _capture(found, node, g)
                needs = useful[node]
                if True not in needs:  # no target upstream: the cotangent stops here
                    continue
            saved = node.inputs
            if saved is None:
                raise _freed(node)
            if _clock > node.stamp:  # something was modified in place since: which?
                _check_unmodified(node)
            op = node.op
            kw = node.params
            if create_graph:
                inputs = saved
                # The VJP may use ``out``; recomputing it as a recorded op keeps its
                # dependence on the inputs, which a second derivative needs.
                out = apply(op, list(inputs), **kw) if op.arity is None else apply(op, *inputs, **kw)
                if op._wants_saved:  # arrays saved by the forward are constants here
                    kw = {**kw, "saved": None}
            else:
                inputs = node.arrays
                out = node.out
                if op._wants_saved:
                    kw = {**kw, "saved": node.saved}
            try:
                if op._wants_needs:
                    dxs = op.vjp(g, out, *inputs, needs=needs, **kw)
                else:
                    dxs = op.vjp(g, out, *inputs, **kw)
            except Exception as e:
                hint = ("; a VJP must not write into the arrays it is given (a leaf's or "
                        "constant's is read-only while its graph lives)"
                        if isinstance(e, ValueError) and "read-only" in str(e) else "")
                raise RuntimeError(f"backward: the VJP of '{op.name}' failed for output shape "
                                   f"{node.shape}: {type(e).__name__}: {e}{hint}"
                                   + _created(node)) from e
            if backward_hooks:
                for hook in backward_hooks:
                    hook(node, g, dxs)
            if not retain_graph:  # the last use: the arrays are the user's again
                node.inputs = node.arrays = node.out = node.saved = node.held = None
            for p, need, dx in zip(node.parents, needs, dxs):
                if not need or dx is None:
                    continue
                # A leaf's array, not the Tensor: plain attributes, not properties.
                is_node = type(p) is Node
                ref = p if is_node else p.data
                if dx.shape != ref.shape:
                    dx = unbroadcast(dx, ref.shape, op.name)
                # Identity first: an array's dtype is almost always the very same object.
                if dx.dtype is not ref.dtype and dx.dtype != ref.dtype:
                    dx = dx.astype(ref.dtype)
                if is_node:
                    if p in pending:
                        pending[p] = pending[p] + dx
                    else:
                        pending[p] = dx
                        heappush(heap, (-p.seq, p))
                elif targets is None:
                    if not create_graph and p.grad is None:
                        # _accumulate_leaf's usual case, inline (every parameter on every
                        # step): a leaf's first gradient, in a buffer no other leaf holds
                        # (a column-major weight's gradient is a transposed view).
                        buf = id(dx) if dx.base is None else _root_buffer(dx)
                        if buf not in handed and dx.flags.writeable:
                            handed.add(buf)
                            p.grad = dx
                            continue
                    _accumulate_leaf(p, dx, handed, create_graph)
                elif id(p) in leaf_targets:
                    _capture(found, id(p), dx)
    finally:
        _grad_enabled = prev_mode
    if targets is None:
        return None
    return [found.get(id(t) if t._node is None else t._node) for t in targets]


def _toward_targets(roots: Sequence[Tensor], node_targets: set[Node],
                    leaf_targets: set[int]) -> dict[Node, tuple[bool, ...]]:
    """For every node reachable from ``roots``: which of its inputs lead to a target
    (a target node, a leaf target, or a node with a target upstream)."""
    leads: dict[Node, tuple[bool, ...]] = {}
    # toposort lists consumers before their parents: reversed, every parent comes first.
    for node in reversed(toposort([r._node for r in roots if r._node is not None])):
        flags = []
        for p, need in zip(node.parents, node.needs):
            if type(p) is Node:
                flags.append(need and (p in node_targets or True in leads[p]))
            else:
                flags.append(need and id(p) in leaf_targets)
        leads[node] = tuple(flags)
    return leads


def _capture(found: dict[Any, Any], key: Any, g: Any) -> None:
    found[key] = found[key] + g if key in found else g


def _accumulate_leaf(leaf: Tensor, dx: Any, handed: set[int], create_graph: bool) -> None:
    # Leaves accumulate out of place, and never share a buffer with another leaf's
    # .grad or with the caller's gradient: an in-place edit of one .grad (gradient
    # clipping, an optimiser) must not silently change another.
    if create_graph:
        leaf.grad = dx if leaf.grad is None else leaf.grad + dx
        return
    if type(dx) is not np.ndarray:
        dx = np.asarray(dx.data if hasattr(dx, "_node") else dx)
    buf = id(dx) if dx.base is None else _root_buffer(dx)
    if leaf.grad is None:
        if buf in handed or not dx.flags.writeable:
            dx = dx.copy()
            buf = id(dx)
        handed.add(buf)
        leaf.grad = dx
    else:
        old = leaf.grad
        leaf.grad = (old.data if hasattr(old, "_node") else old) + dx
        handed.add(id(leaf.grad))
