"""Everything viz reads from the engine that is not public API yet, in this one file.

The engine's backward hook list (``engine.backward_hooks``) and its traversal
(``engine.toposort``) are internals. They will move behind the public hooks module
planned in issue #17; then only this file changes. The :class:`~autograd_lite.Node`
fields the drawing reads (``op``, ``parents``, ``needs``, ``shape``, ``dtype``,
``scope``, ``where``) are documented on Node and are not in this list.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .. import engine
from ..engine import Node
from ..tensor import Tensor

#: ``hook(node, g, dxs)``: the gradient of ``node``'s output and its VJP's results,
#: before the engine sums them down to the parents' shapes.
BackwardHook = Callable[[Node, Any, tuple], None]


def add_backward_hook(hook: BackwardHook) -> None:
    """Call ``hook`` for every node each backward pass visits, until removed."""
    engine.backward_hooks.append(hook)


def remove_backward_hook(hook: BackwardHook) -> None:
    """Stop calling a hook added by :func:`add_backward_hook`."""
    engine.backward_hooks.remove(hook)


def nodes_inputs_first(roots: Sequence[Tensor]) -> list[Node]:
    """The nodes ``roots`` were computed from, each after its parents (iterative)."""
    order = engine.toposort([r.node for r in roots if r.node is not None])
    order.reverse()
    return order
