"""The backward walk: from the roots' cotangents to every leaf's ``.grad``.

:func:`run_backward` is the walk itself, short enough to read in one go; each helper
below it has one job: seeding the walk, checking that a node's saved arrays are still
usable, calling a VJP (recording it for ``create_graph``), and adding a gradient into a
leaf. Nodes come out of a heap newest first: every consumer of a node was recorded after
it, so by the time a node is popped every cotangent meant for it has arrived, and only
nodes that receive one are visited (no separate topological sort).

Types: ``.grad`` is an ndarray after a plain backward and a Tensor (recorded, so it can
be differentiated again) after ``backward(create_graph=True)``.
"""

from __future__ import annotations

import heapq
import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from . import graph
from .broadcasting import unbroadcast
from .graph import GraphFreedError, InplaceModificationError, Node, TensorHooks, toposort
from .locks import _root_array

if TYPE_CHECKING:
    from .tensor import Tensor

heappush, heappop = heapq.heappush, heapq.heappop
_refs = sys.getrefcount


def _sole_refs() -> tuple[int, int]:
    """The references run_backward's edge loop itself holds to an array only a VJP's
    result holds (the tuple, zip's result, the loop variable, getrefcount's argument),
    and to the base of such a view (the view, the local ``b``, the argument): measured
    on the same loop, so they are right for the interpreter that runs it."""
    for _p, _need, dx in zip((None,), (True,), (np.empty((1, 1)).T,)):
        b = dx.base
        return _refs(dx), _refs(b)
    raise AssertionError


_SOLE, _SOLE_BASE = _sole_refs()


def run_backward(roots: Sequence[Tensor], grads: Sequence[Any], *, retain_graph: bool,
                 create_graph: bool, targets: Sequence[Tensor] | None = None) -> list[Any] | None:
    """Backpropagate ``grads`` from ``roots``.

    Without ``targets``: accumulate into the ``.grad`` of every leaf that requires
    grad. With ``targets`` (tensors): return the total cotangent reaching each target
    instead, touching no ``.grad``. As in ``torch.autograd.grad``, a target upstream
    of another one also gets the paths through it; a node that leads to no target
    is never visited, and no VJP computes a gradient for an input that leads to none.
    """
    if graph.forward_hooks:  # an eager forward-mode pass cannot follow a backward pass
        graph.nested_transform("backward")
    accumulate = targets is None
    node_targets = leaf_targets = useful = None
    if not accumulate:
        node_targets, leaf_targets = _target_keys(targets)
        useful = _toward_targets(roots, node_targets, leaf_targets)
    found: dict[Any, Any] = {}  # cotangents that reached a target
    pending: dict[Node, Any] = {}  # cotangents received so far, by node
    heap: list[tuple[int, Node]] = []  # the nodes in pending, newest first
    handed = _handed_buffers(grads)  # buffers some leaf's .grad (or the caller) owns
    th = graph.tensor_hooks  # tensors' own hooks: usually empty, one truth test per use
    hooked: dict[int, list] = {}  # hooked leaves: [leaf, the sum of their cotangents]
    for r, g in zip(roots, grads):
        if r._node is not None:
            _send(pending, heap, r._node, g)
        elif th and id(r) in th:
            _defer(hooked, r, g)
        elif accumulate:
            _accumulate_leaf(r, g, handed, create_graph)
        elif id(r) in leaf_targets:
            _capture(found, id(r), g)
    # create_graph records the VJPs on Tensors, rebuilt from each node (see _call_vjp).
    record = roots[0]._of_node if create_graph and roots else None
    prev_mode, graph._grad_enabled = graph._grad_enabled, create_graph  # VJPs record only then
    try:
        while heap:
            node = heappop(heap)[1]
            g = pending.pop(node)
            if th and id(node) in th:  # the node's cotangent is complete: its tensor's hooks
                g = run_tensor_hooks(th[id(node)], g)
            needs = node.needs
            if useful is not None:
                if node in node_targets:
                    _capture(found, node, g)
                needs = useful[node]
                if True not in needs:  # no target upstream: the cotangent stops here
                    continue
            dxs = _call_vjp(node, g, record, needs)
            if graph.backward_hooks:
                for hook in graph.backward_hooks:
                    hook(node, g, dxs)
            if not retain_graph:  # the last use: the arrays are the user's again
                node.arrays = node.out = node.saved = node.held = None
            for p, need, dx in zip(node.parents, needs, dxs):
                if not need or dx is None:
                    continue
                # A parent is a node, or a leaf/constant Tensor: compare with its array.
                is_node = type(p) is Node
                ref = p if is_node else p.data
                if dx.shape != ref.shape:
                    dx = unbroadcast(dx, ref.shape, node.op.name)
                # Identity first: an array's dtype is almost always the very same object.
                if dx.dtype is not ref.dtype and dx.dtype != ref.dtype:
                    dx = dx.astype(ref.dtype)
                if is_node:  # _send, inline: this runs for every edge of the graph
                    if p in pending:
                        pending[p] = pending[p] + dx
                    else:
                        pending[p] = dx
                        heappush(heap, (-p.seq, p))
                elif th and id(p) in th:  # a hooked leaf: its hooks see its whole cotangent
                    _defer(hooked, p, dx)
                elif accumulate:
                    # The usual case, every parameter on every step: the leaf's first
                    # gradient, an array only the VJP's result holds (or the only view of
                    # one), which no other leaf nor the caller can see: it is handed over
                    # as it is, with no bookkeeping (a _hand_over call, 0.4 us a leaf).
                    if not create_graph and p.grad is None and (
                            (_refs(dx) == _SOLE and ((b := dx.base) is None or (
                                type(b) is np.ndarray and b.base is None and _refs(b) == _SOLE_BASE))
                             and dx.flags.writeable) or _hand_over(dx, handed)):
                        p.grad = dx
                    else:
                        _accumulate_leaf(p, dx, handed, create_graph)
                elif id(p) in leaf_targets:
                    _capture(found, id(p), dx)
        for leaf, g in hooked.values():
            g = run_tensor_hooks(th[id(leaf)], g)
            if accumulate:
                _accumulate_leaf(leaf, g, handed, create_graph)
            elif id(leaf) in leaf_targets:
                _capture(found, id(leaf), g)
    finally:
        graph._grad_enabled = prev_mode
    if accumulate:
        return None
    return [found.get(id(t) if t._node is None else t._node) for t in targets]


def run_tensor_hooks(entry: TensorHooks, g: Any) -> Any:
    """Call ``entry``'s hooks on gradient ``g`` in order, each on what the previous one
    returned (a hook returning None keeps it); then keep the result in the retaining
    tensor's ``.grad``. Returns the gradient backward carries on with."""
    for fn in tuple(entry.fns):  # a hook may remove itself
        r = fn(g)
        if r is not None:
            g = _checked(r, g, fn)
    if entry.retain is not None:
        t = entry.retain()
        if t is not None:
            # A copy in plain mode: the engine passes g on, maybe to a leaf's .grad.
            own = g if hasattr(g, "_node") else np.array(g)
            t.grad = own if t.grad is None else t.grad + own
    return g


def _checked(r: Any, g: Any, fn: Callable) -> Any:
    """A hook's replacement gradient, of the kind ``g`` is (ndarray, or Tensor under
    ``create_graph``), with ``g``'s shape and dtype."""
    name = getattr(fn, "__name__", repr(fn))
    arr = r.data if hasattr(r, "_node") else np.asarray(r)
    if arr.shape != g.shape:
        raise ValueError(f"register_hook: hook {name!r} returned a gradient of shape "
                         f"{arr.shape}; expected the tensor's shape {g.shape}")
    if arr.dtype != g.dtype:
        raise TypeError(f"register_hook: hook {name!r} returned a gradient of dtype "
                        f"{arr.dtype}; expected the tensor's dtype {g.dtype}")
    if hasattr(g, "_node"):  # create_graph: keep the hook's graph, if it made one
        return r if hasattr(r, "_node") else type(g)(arr)
    return arr


def _target_keys(targets: Sequence[Tensor]) -> tuple[set[Node], set[int]]:
    """The nodes and the leaf ids whose cotangents :func:`run_backward` returns."""
    return ({t._node for t in targets if t._node is not None},
            {id(t) for t in targets if t._node is None})


def _send(pending: dict[Node, Any], heap: list[tuple[int, Node]], node: Node, g: Any) -> None:
    """Add cotangent ``g`` to what ``node`` has received, queueing it the first time."""
    if node in pending:
        pending[node] = pending[node] + g
    else:
        pending[node] = g
        heappush(heap, (-node.seq, node))


def _call_vjp(node: Node, g: Any, record: Any, needs: tuple[bool, ...]) -> tuple:
    """The cotangents of ``node``'s inputs, from its VJP and what the forward saved.
    ``record`` is None, or for create_graph ``Tensor._of_node``."""
    arrays = node.arrays
    if arrays is None:
        raise _freed(node)
    if arrays is node.parents:  # the parents' own arrays: Node.input_arrays, inline
        arrays = []
        for p in node.parents:
            a = p.out if type(p) is Node else p.data
            if a is None:  # a parent freed by an earlier backward
                node.input_arrays()  # raises, naming it
            arrays.append(a)
    if graph._clock > node.stamp:  # something was modified in place since: which?
        _check_unmodified(node)
    op, kw = node.op, node.params
    if record is not None:
        # The VJP may use ``out``; recomputing it as a recorded op keeps its
        # dependence on the inputs, which a second derivative needs.
        inputs = tuple(record(a, p) if type(p) is Node else p for p, a in zip(node.parents, arrays))
        out = op.apply(list(inputs), **kw) if op.arity is None else op.apply(*inputs, **kw)
        if op._wants_saved:  # arrays saved by the forward are constants here
            kw = {**kw, "saved": None}
    else:
        inputs, out = arrays, node.out
        if op._wants_saved:
            kw = {**kw, "saved": node.saved}
    try:
        if op._wants_needs:
            return op.vjp(g, out, *inputs, needs=needs, **kw)
        # No ``**kw`` when empty, as in apply: unpacking even an empty dict costs.
        return op.vjp(g, out, *inputs, **kw) if kw else op.vjp(g, out, *inputs)
    except Exception as e:
        hint = ("; a VJP must not write into the arrays it is given (a leaf's or "
                "constant's is read-only while its graph lives)"
                if isinstance(e, ValueError) and "read-only" in str(e) else "")
        raise RuntimeError(f"backward: the VJP of '{op.name}' failed for output shape "
                           f"{node.shape}: {type(e).__name__}: {e}{hint}" + _created(node)) from e


def _check_unmodified(node: Node) -> None:
    """Raise if an input ``node`` saved was changed in place since: through its Tensor
    (its version) or, for a locked array, through any Tensor or ``al.modifying``."""
    stamp = node.stamp
    if node.held is not None:
        for lk in node.held:
            for changed in (lk, lk.root):
                if changed is not None and changed.stamp > stamp:
                    for i, a in enumerate(node.input_arrays()):
                        if a is changed.array or _root_array(a) is changed.array:
                            raise _modified(node, i, changed.where)
    for i, p in enumerate(node.parents):
        if (p.modified if type(p) is Node else p._version) > stamp:
            raise _modified(node, i)


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


def _defer(hooked: dict[int, list], leaf: Tensor, g: Any) -> None:
    entry = hooked.get(id(leaf))
    if entry is None:
        hooked[id(leaf)] = [leaf, g]
    else:
        entry[1] = entry[1] + g


def _capture(found: dict[Any, Any], key: Any, g: Any) -> None:
    found[key] = found[key] + g if key in found else g


def _root_buffer(a: np.ndarray) -> int:
    # The array that owns the memory a view looks at (a view's .base may be a view).
    while isinstance(a.base, np.ndarray):
        a = a.base
    return id(a)


def _handed_buffers(grads: Sequence[Any]) -> set[int]:
    """The buffers of the caller's cotangents: no leaf may keep one as its own ``.grad``.
    A read-only one (``backward()``'s implicit seed) needs no entry: a leaf copies a
    read-only gradient anyway, and no view of it can be writable."""
    handed = set()
    for g in grads:  # a loop, not a set comprehension, which builds a function and a frame
        if type(g) is np.ndarray and g.flags.writeable:
            handed.add(_root_buffer(g))
    return handed


def _hand_over(dx: np.ndarray, handed: set[int]) -> bool:
    """Claim ``dx``'s buffer for a leaf's first ``.grad`` if no other leaf holds it."""
    buf = id(dx) if dx.base is None else _root_buffer(dx)
    if buf in handed or not dx.flags.writeable:
        return False
    handed.add(buf)
    return True


def _accumulate_leaf(leaf: Tensor, dx: Any, handed: set[int], create_graph: bool) -> None:
    # Leaves accumulate out of place, and never share a buffer with another leaf's
    # .grad or with the caller's gradient: an in-place edit of one .grad (gradient
    # clipping, an optimiser) must not silently change another.
    if create_graph:
        leaf.grad = dx if leaf.grad is None else leaf.grad + dx
        return
    if type(dx) is not np.ndarray:
        dx = np.asarray(dx.data if hasattr(dx, "_node") else dx)
    if leaf.grad is None:
        if not _hand_over(dx, handed):
            dx = dx.copy()
            handed.add(id(dx))
        leaf.grad = dx
    else:
        old = leaf.grad
        leaf.grad = (old.data if hasattr(old, "_node") else old) + dx
        handed.add(id(leaf.grad))


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
    t = node.input_arrays()[i]
    at = "" if where is None else f"\n  it was modified at:\n{where.format()}"
    return InplaceModificationError(
        f"backward: input {i} of '{node.op.name}' (shape {t.shape}, dtype {t.dtype}) was "
        f"modified in place after it was saved for backward; the gradient would be wrong. "
        f"Use an out-of-place op, or modify a copy." + at + _created(node))
