"""The multi-layer sequence layers ``RNN``, ``LSTM``, ``GRU`` with PyTorch's names,
signatures and parameter layouts (the cells are in :mod:`nn.layers.cells`).

Parameters are named and shaped as in PyTorch (``weight_ih_l0``, ``weight_hh_l1_reverse``,
the gates stacked i, f, g, o for the LSTM and r, z, n for the GRU), so a PyTorch state
dict loads as it is. Each time step of a cell is one fused op (``al.lstm_cell``,
``al.gru_cell``, ``al.rnn_tanh_cell``): a sequence of T steps costs T graph nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from .. import functional as F
from .._checks import check_int
from ..module import Module, Parameter, aligned_array
from .cells import _GATES, _OPS, _check_nonlinearity, _init_uniform, _relu_cell, _zeros

Tensor = al.Tensor

__all__ = ["RNN", "LSTM", "GRU"]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else al.Tensor(x)


# ---------------------------------------------------------------------------
# sequences
# ---------------------------------------------------------------------------
class _RNNBase(Module):
    """What RNN, LSTM and GRU share: PyTorch's parameters, shape checks and the loop."""

    _mode = ""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_int(input_size, "input_size", name, minimum=0)
        self.hidden_size = check_int(hidden_size, "hidden_size", name)
        self.num_layers = check_int(num_layers, "num_layers", name)
        self.mode = _check_nonlinearity(self._mode, nonlinearity, name)
        self.nonlinearity = nonlinearity
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.generator = generator
        D, H = 2 if bidirectional else 1, self.hidden_size
        g = _GATES[self.mode] * H
        dt = np.dtype(dtype or al.get_default_dtype())
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else D * H
            for suffix in ("", "_reverse")[:D]:
                name = f"l{layer}{suffix}"
                setattr(self, f"weight_ih_{name}", Parameter(aligned_array((g, n_in), dt)))
                setattr(self, f"weight_hh_{name}", Parameter(aligned_array((g, H), dt)))
                if bias:
                    setattr(self, f"bias_ih_{name}", Parameter(aligned_array(g, dt)))
                    setattr(self, f"bias_hh_{name}", Parameter(aligned_array(g, dt)))
        _init_uniform(self, H, generator)

    def _weights(self, layer: int, reverse: bool) -> tuple[Any, ...]:
        s = f"l{layer}{'_reverse' if reverse else ''}"
        w_ih, w_hh = getattr(self, f"weight_ih_{s}"), getattr(self, f"weight_hh_{s}")
        if self.bias:
            return w_ih, w_hh, getattr(self, f"bias_ih_{s}"), getattr(self, f"bias_hh_{s}")
        z = _zeros(w_ih.shape[0], w_ih.dtype)
        return w_ih, w_hh, z, z

    def _describe(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}" + (
            f", num_layers={self.num_layers}" if self.num_layers > 1 else "") + (
            ", batch_first=True" if self.batch_first else "") + (
            ", bidirectional=True" if self.bidirectional else "") + ")"

    def _input(self, input: Any) -> tuple[Tensor, bool]:
        x = _t(input)
        I = self.input_size
        layout = "(N, L, H_in)" if self.batch_first else "(L, N, H_in)"
        if x.ndim not in (2, 3) or x.shape[-1] != I:
            raise ValueError(f"{self._describe()}: expected input of shape {layout} with H_in = "
                             f"{I}, or unbatched (L, H_in); got {x.shape}")
        if x.shape[1 if self.batch_first and x.ndim == 3 else 0] == 0:
            raise ValueError(f"{self._describe()}: the sequence length L must be at least 1; "
                             f"got input of shape {x.shape}")
        return x, x.ndim == 3

    def _initial(self, hx: Any, n: int, batched: bool, what: str) -> Tensor | None:
        """An initial state as (D * num_layers, N, H), checked; None for zeros."""
        if hx is None:
            return None
        h = _t(hx)
        DL = (2 if self.bidirectional else 1) * self.num_layers
        want = (DL, n, self.hidden_size) if batched else (DL, self.hidden_size)
        if h.shape != want:
            expected = "(D * num_layers, N, H_out)" if batched else "(D * num_layers, H_out)"
            raise ValueError(f"{self._describe()}: expected {what} of shape {expected} = {want}, "
                             f"got {h.shape}")
        return h if batched else h.reshape(DL, 1, self.hidden_size)

    def _run(self, x: Tensor, states0: list[Any]) -> tuple[Tensor, list[Any]]:
        """The output (L, N, D * H) and each (layer, direction)'s final state, from
        x (L, N, H_in) or (N, L, H_in) and the initial states (None for zeros)."""
        lstm = self.mode == "LSTM"
        D, H = 2 if self.bidirectional else 1, self.hidden_size
        L = x.shape[1] if self.batch_first else x.shape[0]
        n = x.shape[0] if self.batch_first else x.shape[1]
        # A step's input as a slice of the sequence. A constant input is sliced as an
        # array: no Tensor per step, no node.
        src: Any = x if x.requires_grad else x.data
        xs = [src[:, t] for t in range(L)] if self.batch_first else [src[t] for t in range(L)]
        step = _OPS.get(self.mode, _relu_cell)
        zero = np.zeros((2, n, H) if lstm else (n, H), self.weight_hh_l0.dtype)
        finals: list[Any] = []
        out: Tensor | None = None
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                xs = [F.dropout(xt, self.dropout, True, self.generator) for xt in xs]
            last = layer == self.num_layers - 1
            seqs = []
            for d in range(D):
                weights = self._weights(layer, d == 1)
                state = states0[layer * D + d]
                state = zero if state is None else state
                states: list[Any] = [None] * L
                for t in (range(L - 1, -1, -1) if d else range(L)):
                    state = states[t] = step(xs[t], state, *weights)
                finals.append(state)
                if last:  # the whole sequence at once: two nodes, not one per step
                    seq = al.stack(states)
                    seqs.append(seq[:, 0] if lstm else seq)
                else:
                    seqs.append([s[0] for s in states] if lstm else states)
            if last:
                out = seqs[0] if D == 1 else al.concatenate(seqs, axis=-1)
            else:
                xs = seqs[0] if D == 1 else [al.concatenate(p, axis=-1) for p in zip(*seqs)]
        assert out is not None
        return out, finals

    def _forward(self, input: Any, hx: Any) -> tuple[Tensor, Any]:
        x, batched = self._input(input)
        if not batched:  # (L, H_in) as a batch of one
            x = x.reshape((1,) + x.shape if self.batch_first else (x.shape[0], 1, x.shape[1]))
        n = x.shape[0] if self.batch_first else x.shape[1]
        DL = (2 if self.bidirectional else 1) * self.num_layers
        lstm = self.mode == "LSTM"
        if lstm:
            if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError(f"{self._describe()}: hx must be a tuple (h_0, c_0), got "
                                f"{type(hx).__name__}")
            h0, c0 = (None, None) if hx is None else (self._initial(hx[0], n, batched, "h_0"),
                                                      self._initial(hx[1], n, batched, "c_0"))
            states0: list[Any] = [None] * DL
            if h0 is not None or c0 is not None:
                zero = np.zeros((DL, n, self.hidden_size), self.weight_hh_l0.dtype)
                h0, c0 = (zero if h0 is None else h0), (zero if c0 is None else c0)
                states0 = [al.stack([h0[k], c0[k]]) for k in range(DL)]
        else:
            h0 = self._initial(hx, n, batched, "h_0")
            states0 = [None] * DL if h0 is None else [h0[k] for k in range(DL)]
        out, finals = self._run(x, states0)
        if self.batch_first:
            out = out.swapaxes(0, 1)
        last = al.stack(finals)  # (D * num_layers, N, H), or (D * num_layers, 2, N, H)
        if lstm:
            h_n, c_n = last[:, 0], last[:, 1]
        else:
            h_n = last
        if not batched:
            out = out.reshape(out.shape[1] if self.batch_first else out.shape[0], -1)
            h_n = h_n.reshape(DL, self.hidden_size)
            if lstm:
                c_n = c_n.reshape(DL, self.hidden_size)
        return out, ((h_n, c_n) if lstm else h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """A multi-layer Elman RNN, as ``torch.nn.RNN``: for each layer and time step,
    ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    Parameters
    ----------
    input_size, hidden_size
        H_in, the features of each step's input, and H_out, of the state.
    num_layers
        Stacked layers; layer k > 0 reads layer k - 1's outputs.
    nonlinearity
        ``'tanh'`` or ``'relu'``.
    bias
        Whether the layers have ``bias_ih_l{k}`` and ``bias_hh_l{k}``.
    batch_first
        Input and output (N, L, H) instead of (L, N, H); the states stay (D * num_layers,
        N, H).
    dropout
        Dropout on the outputs of every layer but the last, in training mode.
    bidirectional
        A second set of layers (``..._reverse``) reads the sequence backwards; the
        output concatenates both directions (D = 2).
    dtype, generator
        Parameter dtype, and the random source of the initial values and dropout.

    Notes
    -----
    ``forward(input, hx=None)`` returns ``(output, h_n)``: output (L, N, D * H_out) (the
    last layer's state at every step), ``h_n`` (D * num_layers, N, H_out) (every layer's
    last state). Unbatched input (L, H_in) gives (L, D * H_out) and (D * num_layers,
    H_out). Parameter names, shapes and initial values follow PyTorch, so its state
    dicts load unchanged.
    """

    _mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first,
                         dropout, bidirectional, dtype, generator)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        return self._forward(input, hx)


class LSTM(_RNNBase):
    """A multi-layer LSTM, as ``torch.nn.LSTM`` (each step an :class:`LSTMCell`).

    Arguments as :class:`RNN`'s (without ``nonlinearity``). ``forward(input, hx=None)``
    takes ``hx = (h_0, c_0)``, each (D * num_layers, N, H) (zeros when None), and
    returns ``(output, (h_n, c_n))``. Parameters ``weight_ih_l{k}`` (4H, H_in),
    ``weight_hh_l{k}`` (4H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (4H,), gates i, f, g, o.

    The cell state is the LSTM's highway: ``C_t = f_t * C_{t-1} + i_t * C~_t``, so the
    gradient flowing back along it is scaled only by the forget gates.
    """

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = None, generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, "tanh", bias, batch_first,
                         dropout, bidirectional, dtype, generator)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        return self._forward(input, hx)


class GRU(_RNNBase):
    """A multi-layer GRU, as ``torch.nn.GRU`` (each step a :class:`GRUCell`).

    Arguments as :class:`RNN`'s (without ``nonlinearity``); returns ``(output, h_n)``.
    Parameters ``weight_ih_l{k}`` (3H, H_in), ``weight_hh_l{k}`` (3H, H), biases (3H,),
    gates r, z, n.
    """

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = None, generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, "tanh", bias, batch_first,
                         dropout, bidirectional, dtype, generator)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        return self._forward(input, hx)
