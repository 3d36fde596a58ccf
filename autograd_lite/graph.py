"""What the recorder writes: :class:`Node`, grad modes, scopes, the in-place clock.

The graph is made of :class:`Node` objects, one per recorded op. A node points to
its parents (other nodes, or the leaf/constant Tensors it consumed) but never to
the Tensor it produced, so graphs have no reference cycles and are freed by
reference counting the moment the last output Tensor goes away.

This module knows nothing of :class:`~autograd_lite.Tensor`: ``tensor.apply`` reads
the state kept here (is grad enabled, the current scope, the clock) on every op and
builds the nodes; ``backward.py`` walks them. Hooks are registered through
:mod:`autograd_lite.hooks`, never by editing the lists here from outside.
"""

from __future__ import annotations

import functools
import itertools
import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from .ops.base import Op

if TYPE_CHECKING:
    from .tensor import Tensor

_grad_enabled = True

#: Private: use :func:`autograd_lite.hooks.register_backward_hook`.
#: Called as ``hook(node, g, dxs)`` for every node backward visits, before the
#: engine sums ``dxs`` down to the parents' shapes. Used by the graph renderer to
#: collect gradient statistics and by anomaly mode; empty (free) otherwise.
backward_hooks: list[Callable[[Node, Any, tuple], None]] = []
#: Private: use :func:`autograd_lite.hooks.register_forward_hook`.
#: Called as ``hook(op, inputs, out, node)`` for every op applied, recorded or not
#: (``node`` is None when nothing was recorded). Used by anomaly mode; empty otherwise.
forward_hooks: list[Callable[[type[Op], tuple, np.ndarray, Node | None], None]] = []
#: An entry of ``forward_hooks`` may instead be a :class:`ForwardTap` (forward mode's eager
#: tangent push), which ``apply`` calls with more: see there.
#: Private: use ``Tensor.register_hook`` / ``Tensor.retain_grad``. The gradient hooks of
#: single tensors, by ``id`` of the intermediate's node or of the leaf (an entry leaves
#: when its key dies). Empty, backward pays one truth test per node and per leaf edge.
tensor_hooks: dict[int, Any] = {}
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
    The Tensor in-place methods (``add_``, ``t += x``) and ``al.modifying`` do this
    themselves. (A leaf's or constant's array that a live graph saved is read-only:
    write it inside ``al.modifying``.)"""
    global _clock
    checked = checked_tensors(tensors, "increment_version")
    _clock += 1
    for t in checked:
        t._version = _clock
        if t._node is not None:  # nodes do not keep the intermediates they read: see Node
            t._node.modified = _clock


def checked_tensors(tensors: Tensor | Iterable[Tensor], fn: str) -> list[Tensor]:
    """``tensors`` (one Tensor or an iterable of them) as a list, or a TypeError naming ``fn``."""
    if hasattr(tensors, "_version"):  # one Tensor (this module does not import the class)
        return [tensors]  # type: ignore[list-item]
    try:
        out = list(tensors)  # type: ignore[arg-type]
    except TypeError:  # None, a number: not an iterable of tensors
        raise TypeError(f"{fn}: expected a Tensor or an iterable of Tensors, got "
                        f"{type(tensors).__name__}") from None
    for t in out:
        if not hasattr(t, "_version"):
            raise TypeError(f"{fn}: expected Tensors, got {type(t).__name__}")
    return out


class ForwardTap:
    """A forward hook that sees the op's params and the output Tensor, and returns the
    Tensor ``apply`` hands back (its own, or a replacement): how eager forward mode
    (``forward_eager.py``) carries tangents alongside the values. Private; it sits in
    ``forward_hooks`` so that the recorder pays nothing for it when none is there."""

    __slots__ = ()

    def tap(self, op: type[Op], inputs: tuple, params: dict[str, Any], out: Tensor) -> Tensor:
        return out

    def nested(self, what: str) -> None:
        """Called as a transform or a backward pass starts (``what`` names it)."""


def nested_transform(what: str) -> None:
    """Tell every :class:`ForwardTap` that a transform or a backward pass starts."""
    for h in forward_hooks:
        if isinstance(h, ForwardTap):
            h.nested(what)


class Node:
    """One recorded op: what backward needs to call its VJP, and the graph's shape.

    Made only by :func:`autograd_lite.tensor.apply`, which sets every field:

    ``op``, ``params``
        the op class and its keyword params;
    ``parents``
        one per input: the input's own node, or the input Tensor if it is a leaf
        or a constant;
    ``needs``
        one bool per input: does it require grad;
    ``arrays``
        the inputs' arrays as the forward used them: what the VJP gets, even if an
        input's ``.data`` is rebound in between. When each of them is its parent's own
        (a node's ``out``, a shared constant's), ``arrays`` is the ``parents`` tuple
        itself: read them with :meth:`input_arrays`. The input Tensors are not kept (a
        leaf's or constant's is its parent): an intermediate Tensor nobody holds is
        freed at once, and create_graph rebuilds one from its node and array;
    ``out``, ``saved``
        the output array, and what ``forward_saving`` kept for the VJP;
    ``seq``
        creation order: a node is always newer than its parents, which backward
        uses as its order;
    ``stamp``
        the in-place clock when the inputs were saved;
    ``modified``
        the in-place clock when a Tensor this node produced was last changed in place
        (0: never): what a consumer's version check reads for an intermediate input;
    ``shape``, ``dtype``
        the output's;
    ``scope``
        the owners (modules) this op ran inside, innermost last;
    ``where``
        set by anomaly mode: where the user created this node;
    ``held``
        the locks on the leaf and constant arrays it saved (see ``locks.py``), or None.

    ``arrays``, ``out``, ``saved`` and ``held`` are the *saved* state, dropped after
    a backward without ``retain_graph``; the rest stays so the graph can still be
    drawn and a second backward can explain what happened.
    """

    __slots__ = ("op", "parents", "needs", "arrays", "seq", "stamp", "modified", "out", "saved",
                 "params", "shape", "dtype", "scope", "where", "held", "__weakref__")
    requires_grad = True  # a node exists only where some input requires grad

    def __repr__(self) -> str:
        return f"<Node {self.op.name} {self.shape} {self.dtype}>"

    def input_arrays(self) -> tuple:
        """The arrays the forward gave this op, while they are saved (see ``arrays``)."""
        arrays = self.arrays
        if arrays is not self.parents:
            return arrays
        out = []
        for p in arrays:
            if type(p) is not Node:
                out.append(p.data)  # a shared constant: its array never changes
            elif p.out is None:
                raise GraphFreedError(
                    f"'{self.op.name}' (output shape {self.shape}) reads the output of "
                    f"'{p.op.name}', whose saved arrays were freed by an earlier backward; "
                    f"call backward(retain_graph=True) the first time to backpropagate twice")
            else:
                out.append(p.out)
        return tuple(out)


class TensorHooks:
    """The gradient hooks of one tensor, in registration order, and the tensor whose
    ``.grad`` keeps the gradient (``retain_grad``), held weakly."""

    __slots__ = ("fns", "retain", "key_ref")

    def __init__(self) -> None:
        self.fns: list[Callable] = []
        self.retain: weakref.ref | None = None
        self.key_ref: weakref.ref | None = None


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
    if type(token) is not tuple:  # anything else would be taken for the scope itself
        raise TypeError(f"exit_scope: expected the token enter_scope returned, got "
                        f"{type(token).__name__}")
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
    if not isinstance(mode, (bool, np.bool_)):  # "no" or None would be taken as a mode
        raise TypeError(f"set_grad_enabled: mode must be a bool, got {mode!r}")
    return _SetGradMode(mode)


def current_scope() -> tuple:
    """The owners (modules) whose scope is entered now, innermost last: what a node
    recorded now would get as ``node.scope``."""
    return _scope


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
        if type(root) is not Node:
            raise TypeError(f"toposort: expected Nodes (a tensor's .node), got "
                            f"{type(root).__name__}")
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
