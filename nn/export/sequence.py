"""The ONNX exporters of the sequence layers: ``Embedding`` (``Gather``), the recurrent
cells (one step, composed of ``Gemm``, ``Sigmoid``, ``Tanh``) and ``RNN``, ``LSTM``,
``GRU`` (ONNX's operators of the same names, one per layer).

ONNX stacks the gates of its LSTM as i, o, f, c and of its GRU as z, r, h, where nn
and PyTorch stack i, f, g, o and r, z, n: the weights are reordered here. PyTorch's GRU
applies the reset gate after the hidden state's product, which is ONNX's
``linear_before_reset=1``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..layers import GRU, LSTM, RNN, Embedding, GRUCell, LSTMCell, RNNCell
from .onnx import OnnxContext, register_onnx

__all__: list[str] = []

#: nn's gate blocks in ONNX's order: LSTM i, f, g, o -> i, o, f, c; GRU r, z, n -> z, r, h.
_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def _ints(ctx: OnnxContext, values: list[int], name: str) -> str:
    return ctx.tensor(np.asarray(values, np.int64), name)


def _unsqueeze(ctx: OnnxContext, x: str, axis: int) -> str:
    return ctx.node("Unsqueeze", [x, _ints(ctx, [axis], "axes")])


def _squeeze(ctx: OnnxContext, x: str, axis: int) -> str:
    return ctx.node("Squeeze", [x, _ints(ctx, [axis], "axes")])


def _const(ctx: OnnxContext, value: Any, dtype: Any, name: str) -> str:
    """An initializer holding ``value`` in ``dtype``."""
    return ctx.tensor(np.asarray(value, dtype), name)


def _reduce(ctx: OnnxContext, op: str, x: str, axis: int) -> str:
    """``op`` (ReduceL2, ReduceMax...) over ``axis``, keeping it, in the opset's form
    (the axes an attribute before opset 18, an input from 18; ReduceSum's from 13)."""
    if op != "ReduceSum" and ctx.opset < 18:
        return ctx.node(op, [x], axes=[axis], keepdims=1)
    return ctx.node(op, [x, _ints(ctx, [axis], "axes")], keepdims=1)


# ---- Embedding ---------------------------------------------------------------------------


def _row_norms(ctx: OnnxContext, rows: str, p: float, dt: Any) -> str:
    """The ``p``-norm of each row (over the last axis), as ``np.linalg.norm(ord=p)``."""
    if p == 2:
        return _reduce(ctx, "ReduceL2", rows, -1)
    if p == 1:
        return _reduce(ctx, "ReduceL1", rows, -1)
    if p == math.inf:
        return _reduce(ctx, "ReduceMax", ctx.node("Abs", [rows]), -1)
    powered = ctx.node("Pow", [ctx.node("Abs", [rows]), _const(ctx, p, dt, "norm_type")])
    return ctx.node("Pow", [_reduce(ctx, "ReduceSum", powered, -1),
                            _const(ctx, 1 / p, dt, "inverse_norm_type")])


@register_onnx(Embedding, takes_indices=True)
def _embedding(ctx: OnnxContext, m: Embedding, x: str) -> str:
    if ctx.value(x).dtype not in (np.int32, np.int64):  # the index types Gather takes
        x = ctx.node("Cast", [x], to=ctx.onnx.TensorProto.INT64)
    rows = ctx.node("Gather", [ctx.tensor(m.weight), x], axis=0)
    if m.max_norm is None:
        return rows  # padding_idx only stops gradients, which inference has none of
    p = m.norm_type
    if not (p > 0):
        raise ValueError(f"export_onnx: cannot export {ctx.path or 'the model'} ({m!r}): "
                         f"max_norm with norm_type={p} has no ONNX form here; norm_type must "
                         f"be positive")
    # nn scales each row it reads to norm max_norm in place, then reads it; the graph
    # scales the rows it reads by the same factor (a row scaled once is not scaled again,
    # so the outputs agree call after call). The weight stored is the one after the
    # example's forward pass.
    dt = m.weight.dtype
    norms = _row_norms(ctx, rows, p, dt)
    big = ctx.node("Greater", [norms, _const(ctx, m.max_norm, dt, "max_norm")])
    scale = ctx.node("Div", [_const(ctx, m.max_norm, dt, "max_norm"),
                             ctx.node("Add", [norms, _const(ctx, 1e-7, dt, "eps")])])
    scale = ctx.node("Where", [big, scale, _const(ctx, 1.0, dt, "one")])
    return ctx.node("Mul", [rows, scale])


# ---- the cells: one step ----------------------------------------------------------------


def _gemm(ctx: OnnxContext, x: str, w: Any, b: Any) -> str:
    return ctx.node("Gemm", [x, ctx.tensor(w), *([] if b is None else [ctx.tensor(b)])],
                    transB=1)


def _split(ctx: OnnxContext, x: str, parts: int, size: int) -> list[str]:
    if parts == 1:
        return [x]
    return ctx.node("Split", [x, _ints(ctx, [size] * parts, "split")], n_outputs=parts, axis=-1)


def _cell(ctx: OnnxContext, m: Any, x: str, hx: Any) -> Any:
    """One step of ``m``: x (N, I) or (I,), the state as the cell takes it (None:
    zeros), the new state as it returns it."""
    H, lstm = m.hidden_size, m.mode == "LSTM"
    h, c = (hx if hx is not None else (None, None)) if lstm else (hx, None)
    if (h is None or (lstm and c is None)) and ctx.arguments.get("hx") is not None:
        raise ValueError(f"export_onnx: {ctx.path or 'the model'} ({type(m).__name__}) got its "
                         f"state hx as a constant; pass it as an input of the graph "
                         f"(example_input=(x, hx)) or leave it out (zeros)")
    unbatched = ctx.value(x).ndim == 1
    if unbatched:  # Gemm takes matrices: a batch of one
        x, h, c = (None if v is None else _unsqueeze(ctx, v, 0) for v in (x, h, c))
    b_ih, b_hh = (m.bias_ih, m.bias_hh) if m.bias else (None, None)
    gi = _gemm(ctx, x, m.weight_ih, b_ih)
    # A zero state contributes only its bias.
    gh = _gemm(ctx, h, m.weight_hh, b_hh) if h is not None else (
        None if b_hh is None else ctx.tensor(b_hh))
    if m.mode == "GRU":
        (ri, zi, ni), (rh, zh, nh) = _split(ctx, gi, 3, H), (
            _split(ctx, gh, 3, H) if gh is not None else (None, None, None))
        r = ctx.node("Sigmoid", [ri if rh is None else ctx.node("Add", [ri, rh])])
        z = ctx.node("Sigmoid", [zi if zh is None else ctx.node("Add", [zi, zh])])
        n = ctx.node("Tanh", [ni if nh is None else ctx.node("Add", [ni, ctx.node("Mul",
                                                                                  [r, nh])])])
        # h' = (1 - z) n + z h = n + z (h - n)
        out: Any = ctx.node("Sub", [n, ctx.node("Mul", [z, n])]) if h is None else \
            ctx.node("Add", [n, ctx.node("Mul", [z, ctx.node("Sub", [h, n])])])
    else:
        g = gi if gh is None else ctx.node("Add", [gi, gh])
        if lstm:
            i, f, gg, o = _split(ctx, g, 4, H)
            c_new = ctx.node("Mul", [ctx.node("Sigmoid", [i]), ctx.node("Tanh", [gg])])
            if c is not None:
                c_new = ctx.node("Add", [ctx.node("Mul", [ctx.node("Sigmoid", [f]), c]), c_new])
            h_new = ctx.node("Mul", [ctx.node("Sigmoid", [o]), ctx.node("Tanh", [c_new])])
            out = (h_new, c_new)
        else:
            out = ctx.node("Tanh" if m.mode == "RNN_TANH" else "Relu", [g])
    if unbatched:
        out = tuple(_squeeze(ctx, v, 0) for v in out) if lstm else _squeeze(ctx, out, 0)
    return out


@register_onnx(RNNCell)
@register_onnx(GRUCell)
def _rnn_cell(ctx: OnnxContext, m: RNNCell | GRUCell, x: str, hx: str | None = None) -> str:
    return _cell(ctx, m, x, hx)


@register_onnx(LSTMCell)
def _lstm_cell(ctx: OnnxContext, m: LSTMCell, x: str,
               hx: tuple[str, str] | None = None) -> tuple[str, str]:
    return _cell(ctx, m, x, hx)


# ---- RNN, LSTM, GRU: one ONNX operator per layer -----------------------------------------


def _gates(w: np.ndarray, mode: str) -> np.ndarray:
    """nn's stacked gate blocks (along axis 0) in ONNX's order."""
    blocks = np.split(w, len(_ORDER[mode]))
    return np.concatenate([blocks[i] for i in _ORDER[mode]])


def _layer_weights(ctx: OnnxContext, m: Any, layer: int) -> list[str]:
    """W (D, G*H, I), R (D, G*H, H) and B (D, 2*G*H) of one layer (B left out without
    biases), the directions' gates reordered."""
    D = 2 if m.bidirectional else 1
    ws = [m._weights(layer, d == 1) for d in range(D)]
    W = np.stack([_gates(w[0].data, m.mode) for w in ws])
    R = np.stack([_gates(w[1].data, m.mode) for w in ws])
    out = [ctx.tensor(W, f"W_l{layer}"), ctx.tensor(R, f"R_l{layer}")]
    if m.bias:
        B = np.stack([np.concatenate([_gates(np.asarray(w[2].data), m.mode),
                                      _gates(np.asarray(w[3].data), m.mode)]) for w in ws])
        out.append(ctx.tensor(B, f"B_l{layer}"))
    return out


def _state_slice(ctx: OnnxContext, h: str, layer: int, D: int) -> str:
    """Layer ``layer``'s directions of a state (D * num_layers, N, H)."""
    return ctx.node("Slice", [h, _ints(ctx, [layer * D], "starts"),
                              _ints(ctx, [(layer + 1) * D], "ends"), _ints(ctx, [0], "axes")])


@register_onnx(RNN)
@register_onnx(LSTM)
@register_onnx(GRU)
def _recurrent(ctx: OnnxContext, m: RNN | LSTM | GRU, x: str, hx: Any = None) -> Any:
    lstm, D, H = m.mode == "LSTM", 2 if m.bidirectional else 1, m.hidden_size
    h0, c0 = (hx if hx is not None else (None, None)) if lstm else (hx, None)
    if (h0 is None or (lstm and c0 is None)) and ctx.arguments.get("hx") is not None:
        raise ValueError(f"export_onnx: {ctx.path or 'the model'} ({m._describe()}) got its "
                         f"initial state as a constant; pass it as an input of the graph "
                         f"(example_input=(x, h_0){' with h_0 = (h_0, c_0)' if lstm else ''}) "
                         f"or leave it out (zeros)")
    unbatched = ctx.value(x).ndim == 2
    if unbatched:  # (L, I) as a batch of one; the states (D * layers, H) likewise
        x = _unsqueeze(ctx, x, 0 if m.batch_first else 1)
        h0, c0 = (None if s is None else _unsqueeze(ctx, s, 1) for s in (h0, c0))
    if m.batch_first:  # ONNX's layout=1 is not run by onnxruntime: (N, L, I) -> (L, N, I)
        x = ctx.node("Transpose", [x], perm=[1, 0, 2])
    op = {"LSTM": "LSTM", "GRU": "GRU"}.get(m.mode, "RNN")
    attrs: dict[str, Any] = dict(hidden_size=H, direction="bidirectional" if D == 2
                                 else "forward")
    if m.mode == "RNN_RELU":
        attrs["activations"] = ["Relu"] * D
    if m.mode == "GRU":
        attrs["linear_before_reset"] = 1  # PyTorch's GRU: r * (W_hn h + b_hn)
    finals: list[list[str]] = [[], []]
    for layer in range(m.num_layers):
        inputs = [x, *_layer_weights(ctx, m, layer)]
        inputs += [""] * (4 - len(inputs)) + [""]  # no B; no sequence_lens
        inputs.append("" if h0 is None else _state_slice(ctx, h0, layer, D))
        if lstm:
            inputs.append("" if c0 is None else _state_slice(ctx, c0, layer, D))
        outs = ctx.node(op, inputs, n_outputs=3 if lstm else 2, **attrs)
        finals[0].append(outs[1])
        if lstm:
            finals[1].append(outs[2])
        # Y (L, D, N, H) -> (L, N, D * H): the next layer's input, or the output
        x = ctx.node("Reshape", [ctx.node("Transpose", [outs[0]], perm=[0, 2, 1, 3]),
                                 _ints(ctx, [0, 0, -1], "shape")])
    if m.batch_first:
        x = ctx.node("Transpose", [x], perm=[1, 0, 2])
    states = [f[0] if len(f) == 1 else ctx.node("Concat", f, axis=0) for f in finals if f]
    if unbatched:
        x = _squeeze(ctx, x, 0 if m.batch_first else 1)
        states = [_squeeze(ctx, s, 1) for s in states]
    return (x, (states[0], states[1])) if lstm else (x, states[0])
