"""Forward mode: ``al.jvp``, the Jacobian-vector product ``J t``, by pushing tangents
forward through the ops.

``f`` runs once, recorded as usual from its marked inputs (as ``al.grad`` marks them);
then each tangent is pushed through the recorded nodes in the order they ran, a
node's output tangent made from its inputs' tangents by the op's JVP rule
(:attr:`Op.jvp`, or the rule its ``jvp_rule`` names). One push costs about one
evaluation of the ops' rules, whatever the number of outputs, which is why
``jacobian(mode="forward")`` wins for functions with few inputs and many outputs.
Because the graph is recorded, a traced function is pushed as many times as there are
input directions without being run again.

Nothing is recorded for the tangents themselves unless they may be differentiated
afterwards: when grad mode is on and the computation depends on something that
requires grad beyond the marked inputs (an outer transform's variable, a parameter),
the rules run on Tensors and record, so ``al.grad`` of a JVP works. Under
``al.no_grad()`` they run on plain arrays.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import graph
from .backward import run_backward
from .graph import GraphFreedError, InplaceModificationError, Node, enable_grad, set_grad_enabled
from .ops.arith import Positive
from .ops.shape import Reshape
from .ops.base import Op
from .pytree import leaves_like, tree_flatten, tree_unflatten
from .tensor import Tensor


def mark(x: Any, copy: bool = True) -> Tensor:
    """A fresh node standing for one input leaf ``x`` (call under grad mode): gradients
    stop and tangents start there, even when ``x`` comes from an outer transform's graph.

    Its value is a copy, so a graph kept after the transform never sees a later in-place
    change of ``x``; ``copy=False`` (a view) is for graphs dropped before returning."""
    if not (isinstance(x, Tensor) and x.requires_grad):
        # A copy of an array: the graph saves it, read-only while it lives (locks.py),
        # and the caller's array stays the caller's to change.
        v = x.data if isinstance(x, Tensor) else x
        x = Tensor(v.copy() if isinstance(v, np.ndarray) else v, requires_grad=True)
    return Positive.apply(x) if copy else Reshape.apply(x, shape=x.shape)


def traced(x: Any) -> bool:
    """Whether ``x`` is a Tensor some backward may differentiate through."""
    return isinstance(x, Tensor) and x.requires_grad


def split_aux(result: Any, has_aux: bool, caller: str) -> tuple[Any, Any]:
    """``f``'s output and its auxiliary data (JAX's ``has_aux``)."""
    if not has_aux:
        return result, None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(f"{caller}: with has_aux=True the function must return a pair "
                        f"(output, aux), got {type(result).__name__}")
    return result[0], result[1]


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


def op_jvp(op: type[Op], tangents: Sequence[Any], out: Any, xs: Sequence[Any],
           params: dict[str, Any], saved: Any = None) -> Any:
    """The tangent of ``op``'s output ``out`` at inputs ``xs``, given one tangent per input
    (None for none): the op's ``jvp``, else its ``jvp_rule``. The result has ``out``'s
    shape and dtype."""
    if op.jvp is not None:
        t = op.jvp(tangents, out, *xs, **params)
    elif op.jvp_rule == "diagonal":
        t = None
        for i, ti in enumerate(tangents):
            if ti is None:
                continue
            g = ti if ti.shape == out.shape else np.broadcast_to(ti, out.shape)
            if g.dtype != out.dtype:
                g = g.astype(out.dtype)
            dx = op.vjp(g, out, *xs, **_vjp_extras(op, [j == i for j in range(len(xs))], saved),
                        **params)[i]
            t = dx if t is None else t + dx
    elif op.jvp_rule == "linear":
        args = [x if i in op.nondiff else (np.zeros_like(x) if ti is None else ti)
                for i, (x, ti) in enumerate(zip(xs, tangents))]
        t = _call(op, args, params)
    elif op.jvp_rule == "multilinear":
        t = None
        for i, ti in enumerate(tangents):
            if ti is not None:
                term = _call(op, [ti if j == i else x for j, x in enumerate(xs)], params)
                t = term if t is None else t + term
    else:
        t = _transpose_jvp(op, tangents, out, xs, params)
    if t is None:
        t = np.zeros(out.shape, out.dtype)
    if t.shape != out.shape:
        t = np.broadcast_to(t, out.shape)
    if t.dtype != out.dtype:
        t = t.astype(out.dtype)
    return t


def _vjp_extras(op: type[Op], needs: Sequence[bool], saved: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if op._wants_needs:
        kw["needs"] = tuple(needs)
    if op._wants_saved:
        kw["saved"] = saved
    return kw


def _call(op: type[Op], args: Sequence[Any], params: dict[str, Any]) -> Any:
    """``op`` on ``args``: plain NumPy on arrays, recorded if any is a Tensor."""
    if op.arity is None:
        if any(isinstance(a, Tensor) for a in args):
            return op.apply(list(args), **params)
        return op.forward(*args, **params)
    return op.dispatch(*args, **params)


def _transpose_jvp(op: type[Op], tangents: Sequence[Any], out: Any, xs: Sequence[Any],
                   params: dict[str, Any]) -> Any:
    """``J t`` as the gradient in ``u`` of ``<vjp(u), t>``: the VJP is linear in its
    cotangent ``u``, so that gradient is the transpose of the transpose. Costs the VJP,
    recorded, and a backward through it."""
    dtype = out.dtype
    u = Tensor(np.zeros(out.shape, dtype), requires_grad=True)
    record = graph._grad_enabled
    with enable_grad():
        # saved=None: arrays the forward saved would take a VJP's fast path, off the graph.
        dxs = op.vjp(u, out, *xs, **_vjp_extras(op, [t is not None for t in tangents], None),
                     **params)
        s = None
        for i, (dx, t) in enumerate(zip(dxs, tangents)):
            if t is None or dx is None:
                continue
            if not traced(dx):
                raise TypeError(
                    f"jvp: op {op.name!r} has no JVP rule, and its VJP did not run on Tensors "
                    f"(input {i}'s cotangent came back as {type(dx).__name__}), so forward mode "
                    f"cannot derive one; give the op a jvp() or a jvp_rule")
            term = (dx * t).sum()
            s = term if s is None else s + term
    if s is None:
        return None
    seed = np.ones((), s.dtype)
    # Retained when recording: the VJP's graph is then part of what an outer backward
    # differentiates.
    (jt,) = run_backward([s], [Tensor._make(seed, None) if record else seed], retain_graph=record,
                         create_graph=record, targets=[u])
    return jt


def _tangent_for(t: Any, m: Tensor, i: int, caller: str) -> Any:
    if t is None:
        return None
    if traced(t):
        arr = t
    else:
        arr = np.asarray(t.data if isinstance(t, Tensor) else t)
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"{caller}: tangent {i} has dtype {arr.dtype}; expected numbers")
    if arr.shape != m.shape:
        raise ValueError(f"{caller}: tangent {i} has shape {arr.shape}, but its primal has shape "
                         f"{m.shape}; they must be equal")
    return arr.astype(m.dtype) if arr.dtype != m.dtype else arr


def as_result(x: Any, like: Tensor | None = None) -> Tensor:
    """A transform's result as a Tensor (zeros of ``like``'s shape for None)."""
    if x is None:
        assert like is not None
        return Tensor._make(np.zeros(like.shape, like.dtype), None)
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), None)


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], *,
        has_aux: bool = False) -> tuple[Any, ...]:
    """``f``'s output and its Jacobian-vector product ``J t``, by forward mode (JAX's ``jvp``).

    ``primals`` is the tuple of ``f``'s arguments (pytrees of Tensors, arrays or
    numbers); ``tangents`` a tuple of the same structure and shapes. Returns
    ``(out, tangent_out)``, two pytrees of ``f``'s output structure, and with
    ``has_aux=True`` (``f`` returning ``(out, aux)``) also ``aux``.

    Cost: one recorded run of ``f`` plus one pass of the ops' JVP rules, about one more
    forward pass (see docs/transforms.md for the measurement).

    >>> import autograd_lite as al
    >>> out, t = al.jvp(lambda x: al.sin(x) * x, (al.tensor([0.0, 1.0]),), (al.tensor([1.0, 1.0]),))
    >>> t    # d/dx (x sin x) = sin x + x cos x
    Tensor([0.       , 1.3817732], dtype=float32)
    """
    return _jvp(f, primals, tangents, has_aux, "jvp")


def _jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool,
         caller: str) -> tuple[Any, ...]:
    """:func:`jvp`, its refusals naming ``caller`` (hvp is a jvp)."""
    if not callable(f):
        raise TypeError(f"{caller}: f must be callable, got {type(f).__name__}")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{caller}: primals and tangents must be tuples with one entry per argument "
                        f"of f, got {type(primals).__name__} and {type(tangents).__name__}")
    leaves, treedef = tree_flatten(tuple(primals))
    t_leaves = leaves_like(treedef, tuple(tangents), caller, "tangents")
    grad_on = graph._grad_enabled
    with enable_grad():
        # Under no_grad nothing outlives the call, so the inputs need not be copied
        # (a 128x784 float32 batch: 0.1-0.2 ms, a tenth of the MNIST MLP's forward pass).
        marks = [mark(x, copy=grad_on) for x in leaves]
        result = f(*tree_unflatten(treedef, marks))
    out, aux = split_aux(result, has_aux, caller)
    out_leaves, out_def = tree_flatten(out)
    trace = Trace(out_leaves, marks)
    record = grad_on and (trace.outer or any(map(traced, leaves)) or any(map(traced, t_leaves)))
    seeds = [_tangent_for(t, m, i, caller) for i, (t, m) in enumerate(zip(t_leaves, marks))]
    tans = trace.push(seeds, record)
    outs = [o if isinstance(o, Tensor) else Tensor(o) for o in out_leaves]
    t_out = [as_result(t, o) for t, o in zip(tans, outs)]
    if not record:
        outs = [o.detach() for o in outs]
    res = (tree_unflatten(out_def, outs), tree_unflatten(out_def, t_out))
    return res + (aux,) if has_aux else res
