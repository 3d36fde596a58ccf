"""The JVP rule of one op: ``op_jvp``, the tangent of an op's output from its inputs'
tangents, by the op's ``jvp`` or the rule its ``jvp_rule`` names (diagonal, linear,
multilinear, or the transpose trick). Used by both forward-mode passes: the push through
recorded nodes (``forward.py``) and the eager one (``forward_eager.py``)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import graph
from .backward import run_backward
from .graph import enable_grad
from .ops.base import Op
from .tensor import Tensor


def traced(x: Any) -> bool:
    """Whether ``x`` is a Tensor some backward may differentiate through."""
    return isinstance(x, Tensor) and x.requires_grad


def op_jvp(op: type[Op], tangents: Sequence[Any], out: Any, xs: Sequence[Any],
           params: dict[str, Any], saved: Any = None) -> Any:
    """The tangent of ``op``'s output ``out`` at inputs ``xs``, given one tangent per input
    (None for none): the op's ``jvp``, else its ``jvp_rule``. The result has ``out``'s
    shape and dtype."""
    if op.jvp is not None:
        t = op.jvp(tangents, out, *xs, **params)
    elif op.jvp_rule == "diagonal" and len(xs) == 1 and tangents[0] is not None \
            and not (op._wants_needs or op._wants_saved):
        # relu, exp, tanh...: one VJP call (the loop below costs ~1.5 us more per op).
        t = op.vjp(tangents[0], out, xs[0], **params)[0] if params else op.vjp(tangents[0], out, xs[0])[0]
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
