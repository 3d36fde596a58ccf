"""The ONNX exporters of the attention layers, composed of ``MatMul``, ``Softmax``,
``Transpose``, ``Reshape``, ``Add`` and ``Tanh``. Each returns ``(context, weights)``,
two outputs of the graph (one when ``MultiheadAttention`` is called with
``need_weights=False``).

Masks (``key_padding_mask``, ``attn_mask``) export as constants: passed in
``export_onnx(..., kwargs=...)`` or by a model that holds them. A constant mask holds for
the example's shapes only, so the graph's axes must then all be fixed
(``dynamic_batch=False``). A mask that is an input of the graph is refused.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..layers import AdditiveAttention, DotProductAttention, MultiheadAttention
from ..layers.attention import _padding_keep
from .onnx import OnnxContext, register_onnx
from .sequence import _const, _ints, _squeeze, _unsqueeze

__all__: list[str] = []


def _constants(ctx: OnnxContext, m: Any, **graph_values: str | None) -> None:
    """Refuse masks that are graph values, and constant ones in a graph with free axes."""
    where = f"{ctx.path!r}" if ctx.path else "the model itself"
    for arg, name in graph_values.items():
        if name is not None:
            raise ValueError(f"export_onnx: cannot export {where} ({type(m).__name__}): its "
                             f"{arg} is an input of the graph; it exports only as a constant, "
                             f"passed in export_onnx(..., kwargs={{{arg!r}: ...}}) or held by the "
                             f"model")
    given = [a for a in graph_values if ctx.arguments.get(a) is not None]
    if given and ctx.dynamic:
        raise ValueError(f"export_onnx: {where} ({type(m).__name__}) was called with a constant "
                         f"{' and '.join(given)}, which the graph holds for the example's shapes "
                         f"only; export with dynamic_batch=False (and no dynamic_axes) so that "
                         f"the graph takes those shapes only")


def _softmax(ctx: OnnxContext, s: str, keep: np.ndarray | None, add: np.ndarray | None,
             dt: Any) -> str:
    """nn's masked softmax over the last axis with constant masks: ``softmax(s + add)``
    where ``keep``, weight 0 elsewhere, and a row with nothing kept all 0."""
    if add is not None:
        s = ctx.node("Add", [s, _const(ctx, add, dt, "attn_add")])
    if keep is None:
        return ctx.node("Softmax", [s], axis=-1)
    empty = ~keep.any(axis=-1, keepdims=True)
    # An empty row gets a finite softmax over all its scores, then is zeroed.
    s = ctx.node("Where", [ctx.tensor(keep | empty, "attn_keep"), s,
                           _const(ctx, -np.inf, dt, "minus_inf")])
    w = ctx.node("Softmax", [s], axis=-1)
    if empty.any():
        w = ctx.node("Mul", [w, _const(ctx, ~empty, dt, "nonempty")])
    return w


def _step(ctx: OnnxContext, query: str) -> tuple[str, bool]:
    """A one-step query (N, Dq) as (N, 1, Dq), and whether it was one."""
    step = ctx.value(query).ndim == 2
    return (_unsqueeze(ctx, query, 1) if step else query), step


def _result(ctx: OnnxContext, context: str, weights: str, step: bool) -> tuple[str, str]:
    if step:
        return _squeeze(ctx, context, 1), _squeeze(ctx, weights, 1)
    return context, weights


def _keep(ctx: OnnxContext, m: Any, key: str, owner: str) -> np.ndarray | None:
    n, s = ctx.value(key).shape[:2]
    return _padding_keep(ctx.arguments.get("key_padding_mask"), n, s, owner)


@register_onnx(DotProductAttention)
def _dot_product(ctx: OnnxContext, m: DotProductAttention, query: str, key: str,
                 value: str | None = None, key_padding_mask: str | None = None) -> tuple[str, str]:
    _constants(ctx, m, key_padding_mask=key_padding_mask)
    q, step = _step(ctx, query)
    d = ctx.value(query).shape[-1]
    if m.scaled and d != 1:  # the query scaled, as nn does
        q = ctx.node("Mul", [q, ctx.constant(1.0 / math.sqrt(d), query, "scale")])
    scores = ctx.node("MatMul", [q, ctx.node("Transpose", [key], perm=[0, 2, 1])])
    w = _softmax(ctx, scores, _keep(ctx, m, key, repr(m)), None,
                 ctx.value(query).dtype)
    return _result(ctx, ctx.node("MatMul", [w, key if value is None else value]), w, step)


@register_onnx(AdditiveAttention)
def _additive(ctx: OnnxContext, m: AdditiveAttention, query: str, key: str,
              value: str | None = None, key_padding_mask: str | None = None,
              projected_key: str | None = None) -> tuple[str, str]:
    _constants(ctx, m, key_padding_mask=key_padding_mask)
    if projected_key is None and ctx.arguments.get("projected_key") is not None:
        raise ValueError(f"export_onnx: {ctx.path or 'the model'} (AdditiveAttention) got a "
                         f"constant projected_key; pass it as an input of the graph, or leave "
                         f"it out (the graph then projects the keys)")
    q, step = _step(ctx, query)
    kp = ctx.export(m.key_proj, key) if projected_key is None else projected_key  # (N, S, H)
    qp = ctx.export(m.query_proj, q)                                              # (N, L, H)
    e = ctx.node("Tanh", [ctx.node("Add", [_unsqueeze(ctx, qp, 2), _unsqueeze(ctx, kp, 1)])])
    scores = ctx.node("MatMul", [e, ctx.tensor(m.v)])                             # (N, L, S)
    w = _softmax(ctx, scores, _keep(ctx, m, key, m._owner()), None,
                 ctx.value(query).dtype)
    return _result(ctx, ctx.node("MatMul", [w, key if value is None else value]), w, step)


def _batch_of(ctx: OnnxContext, x: str, ndim: int) -> str:
    """``[N, 1, ..., 1]`` (``ndim`` entries) from x's first axis: a shape to Expand a
    learned (1, ...) tensor to the batch."""
    n = ctx.node("Shape", [x], start=0, end=1)
    return ctx.node("Concat", [n, _ints(ctx, [1] * (ndim - 1), "ones")], axis=0)


@register_onnx(MultiheadAttention)
def _multihead(ctx: OnnxContext, m: MultiheadAttention, query: str, key: str, value: str,
               key_padding_mask: str | None = None, need_weights: Any = None,
               attn_mask: str | None = None, *flags: Any) -> tuple[str, str | None]:
    _constants(ctx, m, key_padding_mask=key_padding_mask, attn_mask=attn_mask)
    a = ctx.arguments
    need_weights, average = (bool(a.get(k, True)) for k in ("need_weights",
                                                            "average_attn_weights"))
    batched = ctx.value(query).ndim == 3
    qs, ks = ctx.value(query).shape, ctx.value(key).shape
    if not batched:
        n, L, S0 = 1, qs[0], ks[0]
    else:
        n, L, S0 = (qs[0], qs[1], ks[1]) if m.batch_first else (qs[1], qs[0], ks[0])
    keep, add = m._masks(a.get("key_padding_mask"), a.get("attn_mask"), n, L, S0, batched)
    E, h, d = m.embed_dim, m.num_heads, m.head_dim
    done: dict[str, str] = {}

    def to_nle(x: str) -> str:  # (L, N, E), (N, L, E) or (L, E) as (N, L, E)
        if x not in done:
            done[x] = _unsqueeze(ctx, x, 0) if not batched else (
                x if m.batch_first else ctx.node("Transpose", [x], perm=[1, 0, 2]))
        return done[x]

    if m._qkv_same_embed_dim:
        W = m.in_proj_weight.data
        ws = W[:E], W[E:2 * E], W[2 * E:]
    else:
        ws = m.q_proj_weight.data, m.k_proj_weight.data, m.v_proj_weight.data
    b = None if m.in_proj_bias is None else m.in_proj_bias.data
    q, k, v = (ctx.node("MatMul", [to_nle(x), ctx.tensor(np.ascontiguousarray(w.T),
                                                         f"{part}_proj_weight.T")])
               for x, w, part in zip((query, key, value), ws, "qkv"))
    if b is not None:
        q, k, v = (ctx.node("Add", [x, ctx.tensor(b[i * E:(i + 1) * E], f"{part}_proj_bias")])
                   for i, (x, part) in enumerate(zip((q, k, v), "qkv")))
    extra = 0  # keys appended, which every query may see
    if m.bias_k is not None:
        k, v = (ctx.node("Concat", [x, ctx.node("Expand", [ctx.tensor(p), _batch_of(ctx, x, 3)])],
                         axis=1) for x, p in ((k, m.bias_k), (v, m.bias_v)))
        extra += 1
    q, k, v = (ctx.node("Transpose", [ctx.node("Reshape", [x, _ints(ctx, [0, 0, h, d], "heads")])],
                        perm=[0, 2, 1, 3]) for x in (q, k, v))                 # (N, h, ., d)
    if m.add_zero_attn:
        zeros = ctx.node("Expand", [ctx.constant(np.zeros((1, h, 1, d)), query, "zero_attn"),
                                    _batch_of(ctx, k, 4)])
        k, v = (ctx.node("Concat", [x, zeros], axis=2) for x in (k, v))
        extra += 1
    if extra:  # as nn: the appended keys are kept, with nothing added
        pad = [(0, 0)] * 3 + [(0, extra)]
        if keep is not None:
            keep = np.pad(np.broadcast_to(keep, (n, h, L, S0)), pad, constant_values=True)
        if add is not None:
            add = np.pad(np.broadcast_to(add, (n, h, L, S0)), pad)
    if d != 1:  # the query scaled, as nn does
        q = ctx.node("Mul", [q, ctx.constant(1.0 / math.sqrt(d), query, "scale")])
    scores = ctx.node("MatMul", [q, ctx.node("Transpose", [k], perm=[0, 1, 3, 2])])
    w = _softmax(ctx, scores, keep, add, ctx.value(query).dtype)                                     # (N, h, L, S)
    out = ctx.node("Reshape", [ctx.node("Transpose", [ctx.node("MatMul", [w, v])],
                                        perm=[0, 2, 1, 3]), _ints(ctx, [0, 0, E], "shape")])
    out = ctx.export(m.out_proj, out)
    if not batched:
        out = _squeeze(ctx, out, 0)
    elif not m.batch_first:
        out = ctx.node("Transpose", [out], perm=[1, 0, 2])
    if not need_weights:
        return out, None
    if average:
        w = ctx.reduce_mean(w, [1], keepdims=False)
    return out, (w if batched else _squeeze(ctx, w, 0))
