"""Forward mode: ``al.jvp``, the Jacobian-vector product ``J t``, by pushing tangents
forward through the ops.

Two passes. The eager one (``forward_eager.py``) is what ``al.jvp`` runs when its result
will not be differentiated through its inputs: ``f`` runs once with the tangents carried
alongside the values, no graph recorded. The recorded one, here: ``f`` runs once,
recorded as usual from its marked inputs (as ``al.grad`` marks them); then each tangent
is pushed through the recorded nodes in the order they ran (:class:`Trace`). It serves
``al.jvp`` of an input that requires grad (``al.grad`` of a JVP), ``f`` that nests a
transform or a backward (``hvp``, JVP of a JVP), and ``jacobian(mode="forward")``, which
pushes one traced function as many times as there are input directions without running
it again. Both use the ops' JVP rules (``jvp_rules.py``), one evaluation per op and push,
whatever the number of outputs.

Nothing is recorded for the tangents themselves unless they may be differentiated
afterwards: when grad mode is on and the computation depends on something that
requires grad beyond the marked inputs (an outer transform's variable, a parameter),
the rules run on Tensors and record, so ``al.grad`` of a JVP works. Under
``al.no_grad()`` they run on plain arrays.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from . import forward_eager, graph
from .forward_eager import as_result, split_aux, tangent_for
from .graph import GraphFreedError, InplaceModificationError, Node, enable_grad, set_grad_enabled
from .jvp_rules import op_jvp, traced
from .ops.arith import Positive
from .ops.shape import Reshape
from .pytree import leaves_like, tree_flatten, tree_unflatten
from .tensor import Tensor


def mark(x: Any, copy: bool = True) -> Tensor:
    """A fresh node standing for one input leaf ``x`` (call under grad mode): gradients
    stop and tangents start there, even when ``x`` comes from an outer transform's graph.

    Its value is a copy, so a graph kept after the transform never sees a later in-place
    change of ``x``; ``copy=False`` (a view) is for graphs dropped before returning."""
    if graph.forward_hooks:  # a transform starts: an eager forward-mode pass cannot follow
        graph.nested_transform("a transform")
    if not (isinstance(x, Tensor) and x.requires_grad):
        # A copy of an array: the graph saves it, read-only while it lives (locks.py),
        # and the caller's array stays the caller's to change.
        v = x.data if isinstance(x, Tensor) else x
        x = Tensor(v.copy() if isinstance(v, np.ndarray) else v, requires_grad=True)
    return Positive.apply(x) if copy else Reshape.apply(x, shape=x.shape)


class Trace:
    """The recorded nodes between some marked inputs and the outputs, in the order they
    ran: what :meth:`push` walks, once per set of input tangents."""

    def __init__(self, outputs: Sequence[Any], marks: Sequence[Tensor]) -> None:
        self.outputs = list(outputs)
        self.seeds = [m._node for m in marks]
        seeds = set(self.seeds)
        # A node is always newer than its parents, so nodes recorded before the first
        # mark cannot depend on the marks: they belong to an outer graph.
        first = min((n.seq for n in self.seeds), default=0)
        order: list[Node] = []
        seen: set[Node] = set()
        stack = [o._node for o in self.outputs if isinstance(o, Tensor) and o._node is not None]
        self.outer = False
        while stack:
            node = stack.pop()
            if node in seen or node in seeds:
                continue
            seen.add(node)
            if node.seq < first:
                self.outer = True
                continue
            order.append(node)
            for p in node.parents:
                if type(p) is Node:
                    stack.append(p)
                elif p.requires_grad:  # a parameter, or an outer transform's leaf
                    self.outer = True
        order.sort(key=lambda n: n.seq)
        self.order = order

    def push(self, tangents: Sequence[Any], record: bool) -> list[Any]:
        """The outputs' tangents (None where an output does not depend on the marks)
        given one tangent per mark (None for none). With ``record`` the rules run on
        the nodes' input Tensors and are recorded, so the results can be differentiated."""
        tan: dict[Node, Any] = {n: t for n, t in zip(self.seeds, tangents) if t is not None}
        with set_grad_enabled(record):
            for node in self.order:
                ts = None
                for i, p in enumerate(node.parents):
                    t = tan.get(p) if type(p) is Node else None
                    if t is not None:
                        if ts is None:
                            ts = [None] * len(node.parents)
                        ts[i] = t
                if ts is not None:
                    tan[node] = _node_jvp(node, ts, record)
        return [tan.get(o._node) if isinstance(o, Tensor) and o._node is not None else None
                for o in self.outputs]


def _node_jvp(node: Node, ts: list[Any], record: bool) -> Any:
    if node.arrays is None:
        raise GraphFreedError(
            f"jvp: the saved arrays of '{node.op.name}' (output shape {node.shape}) were freed "
            f"by a backward inside the function; call backward(retain_graph=True) there")
    if graph._clock > node.stamp:
        for i, (p, a) in enumerate(zip(node.parents, node.input_arrays())):
            if (p.modified if type(p) is Node else p._version) > node.stamp:
                raise InplaceModificationError(
                    f"jvp: input {i} of '{node.op.name}' (shape {a.shape}) was modified in "
                    f"place after it was used; the tangent would be wrong")
    op, params = node.op, node.params
    if record:
        # The rule may use ``out``: recomputed as a recorded op, it keeps its
        # dependence on the inputs (as backward's create_graph does). A node keeps no
        # intermediate Tensors: they are rebuilt from its parents and arrays.
        xs = tuple(Tensor._make(a, p) if type(p) is Node else p
                   for p, a in zip(node.parents, node.input_arrays()))
        out = op.apply(list(xs), **params) if op.arity is None else op.apply(*xs, **params)
        return op_jvp(op, ts, out, xs, params)
    return op_jvp(op, ts, node.out, node.input_arrays(), params, node.saved)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], *,
        has_aux: bool = False) -> tuple[Any, ...]:
    """``f``'s output and its Jacobian-vector product ``J t``, by forward mode (JAX's ``jvp``).

    ``primals`` is the tuple of ``f``'s arguments (pytrees of Tensors, arrays or
    numbers); ``tangents`` a tuple of the same structure and shapes. Returns
    ``(out, tangent_out)``, two pytrees of ``f``'s output structure, and with
    ``has_aux=True`` (``f`` returning ``(out, aux)``) also ``aux``.

    Cost: one run of ``f`` with each op's JVP rule applied right after it, nothing
    recorded (about two forward passes for an MLP, see docs/transforms.md). When ``f``
    starts a transform or a backward pass of its own, ``f`` runs a second time, recorded,
    and the tangents are pushed through that record.

    >>> import autograd_lite as al
    >>> out, t = al.jvp(lambda x: al.sin(x) * x, (al.tensor([0.0, 1.0]),), (al.tensor([1.0, 1.0]),))
    >>> t    # d/dx (x sin x) = sin x + x cos x
    Tensor([0.       , 1.3817732], dtype=float32)
    """
    return _jvp(f, primals, tangents, has_aux, "jvp")


def _jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool,
         caller: str, eager: bool = True) -> tuple[Any, ...]:
    """:func:`jvp`, its refusals naming ``caller`` (hvp is a jvp). ``eager=False`` goes
    straight to the recorded path (for an ``f`` known to nest a transform)."""
    if not callable(f):
        raise TypeError(f"{caller}: f must be callable, got {type(f).__name__}")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{caller}: primals and tangents must be tuples with one entry per argument "
                        f"of f, got {type(primals).__name__} and {type(tangents).__name__}")
    flat = len(primals) == len(tangents)
    for x, t in zip(primals, tangents):   # Tensors in, arrays or Tensors as tangents: no pytree
        if not (isinstance(x, Tensor) and isinstance(t, (Tensor, np.ndarray))):
            flat = False
            break
    args_of: Callable[[list[Any]], Any] | None = None
    if flat:
        leaves, t_leaves = primals, tangents
    elif (paired := forward_eager.pair_leaves(primals, tangents)) is not None:
        leaves, t_leaves, args_of = paired
    else:
        leaves, treedef = tree_flatten(tuple(primals))
        t_leaves = leaves_like(treedef, tuple(tangents), caller, "tangents")
        args_of = functools.partial(tree_unflatten, treedef)
    if graph.forward_hooks:  # an eager pass running now cannot see into this one
        graph.nested_transform(caller)
    grad_on = graph._grad_enabled
    if eager and not (grad_on and (any(map(traced, leaves)) or any(map(traced, t_leaves)))):
        # The result will not be differentiated through the inputs: one eager pass.
        try:
            return forward_eager.jvp(f, leaves, args_of, t_leaves, has_aux, caller)
        except forward_eager.Fallback:
            pass   # f starts a transform or a backward: run it again, recorded
    with enable_grad():
        # Under no_grad nothing outlives the call, so the inputs need not be copied
        # (a 128x784 float32 batch: 0.1-0.2 ms, a tenth of the MNIST MLP's forward pass).
        marks = [mark(x, copy=grad_on) for x in leaves]
        result = f(*marks) if args_of is None else f(*args_of(marks))
    out, aux = split_aux(result, has_aux, caller)
    out_leaves, out_def = tree_flatten(out)
    trace = Trace(out_leaves, marks)
    record = grad_on and (trace.outer or any(map(traced, leaves)) or any(map(traced, t_leaves)))
    seeds = [tangent_for(t, m, i, caller) for i, (t, m) in enumerate(zip(t_leaves, marks))]
    tans = trace.push(seeds, record)
    outs = [o if isinstance(o, Tensor) else Tensor(o) for o in out_leaves]
    if not record:
        outs = [o.detach() for o in outs]
    return _results(outs, tans, out_def, aux, has_aux)


def _results(outs: list[Tensor], tans: list[Any], out_def: Any, aux: Any,
             has_aux: bool) -> tuple[Any, ...]:
    t_out = [as_result(t, o) for t, o in zip(tans, outs)]
    res = (tree_unflatten(out_def, outs), tree_unflatten(out_def, t_out))
    return res + (aux,) if has_aux else res
