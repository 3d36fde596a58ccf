"""Public hooks on the recorder: see every op as it is applied, every node as backward
reaches it. Graph rendering, anomaly mode and ``nn.diagnostics`` are built on these.
The hooks of one tensor's gradient (``Tensor.register_hook``, ``Tensor.retain_grad``)
are kept here too, and run by the backward walk.

Each ``register_*`` call returns a :class:`RemovableHandle`; ``handle.remove()`` (or
leaving a ``with handle:`` block) unregisters the hook. Hooks run in the order they were
registered. With no hook registered the recorder pays one truth test per op.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from . import graph
from .graph import Node
from .ops.base import Op

ForwardHook = Callable[[type[Op], tuple, np.ndarray, "Node | None"], None]
BackwardHook = Callable[[Node, Any, tuple], None]


class RemovableHandle:
    """Undoes one registration: ``remove()`` (idempotent), or use it as a context manager."""

    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks: list, fn: Callable) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        # By identity: the same function registered twice is removed once per handle.
        for i, h in enumerate(self._hooks):
            if h is self._fn:
                del self._hooks[i]
                return

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_forward_hook(fn: ForwardHook) -> RemovableHandle:
    """Call ``fn(op, inputs, out, node)`` for every op applied from now on, recorded or not:
    ``op`` is the op class, ``inputs`` the input Tensors, ``out`` the output array, and
    ``node`` the recorded :class:`~autograd_lite.graph.Node` (None when nothing was
    recorded: under ``no_grad``, or when no input requires grad)."""
    _check_callable(fn, "register_forward_hook")
    graph.forward_hooks.append(fn)
    return RemovableHandle(graph.forward_hooks, fn)


def register_backward_hook(fn: BackwardHook) -> RemovableHandle:
    """Call ``fn(node, g, dxs)`` for every node backward visits: ``g`` is the cotangent
    of the node's output, ``dxs`` its VJP's cotangents of the inputs before they are
    summed down to the inputs' shapes (``None`` where an input needs no gradient)."""
    _check_callable(fn, "register_backward_hook")
    graph.backward_hooks.append(fn)
    return RemovableHandle(graph.backward_hooks, fn)


def _check_callable(fn: Any, name: str) -> None:
    # Caught here, not at the next op, which would fail far from the mistake.
    if not callable(fn):
        raise TypeError(f"{name}: expected a callable hook, got {type(fn).__name__}")


def forward_hooks() -> tuple[ForwardHook, ...]:
    """The forward hooks registered now, in calling order."""
    return tuple(h for h in graph.forward_hooks if not isinstance(h, graph.ForwardTap))


def backward_hooks() -> tuple[BackwardHook, ...]:
    """The backward hooks registered now, in calling order."""
    return tuple(graph.backward_hooks)


def has_tensor_hooks(tensor: Any) -> bool:
    """Whether ``tensor``'s gradient has a hooks entry (:func:`tensor_hooks`, made by
    ``register_hook`` or ``retain_grad``), without making one. Backward passes such a
    gradient through the entry's hooks; for a leaf, on the sum of its cotangents, after
    the walk, before adding the result to ``.grad``."""
    try:
        node = tensor._node
    except AttributeError:
        raise TypeError(f"has_tensor_hooks: expected a Tensor, got {type(tensor).__name__}") from None
    return id(node if node is not None else tensor) in graph.tensor_hooks


def tensor_hooks(tensor: Any) -> graph.TensorHooks:
    """The hooks entry of ``tensor``'s gradient (made on first use): keyed by its node
    for an intermediate, so it fires where backward completes that node's cotangent;
    by the tensor itself for a leaf. The entry goes when its key dies."""
    try:
        node = tensor._node
    except AttributeError:  # not a Tensor: say so, not "'int' object has no attribute '_node'"
        raise TypeError(f"tensor_hooks: expected a Tensor, got {type(tensor).__name__}") from None
    key = node if node is not None else tensor
    k = id(key)
    entry = graph.tensor_hooks.get(k)
    if entry is None:
        entry = graph.tensor_hooks[k] = graph.TensorHooks()
        # Removed in the key's deallocation, before its id can be reused.
        table = graph.tensor_hooks  # bound now: at interpreter exit the module may be gone
        entry.key_ref = weakref.ref(key, lambda _r, k=k: table.pop(k, None))
    return entry
