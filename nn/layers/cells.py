"""The recurrent cells ``RNNCell``, ``LSTMCell``, ``GRUCell``: one time step each, one
fused op (``al.rnn_tanh_cell``, ``al.lstm_cell``, ``al.gru_cell``) per step, with
PyTorch's parameter names and gate order (i, f, g, o for the LSTM; r, z, n for the GRU),
so a PyTorch state dict loads as it is. The multi-layer ``RNN``, ``LSTM``, ``GRU`` are
in :mod:`nn.layers.recurrent`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from .. import init
from .._checks import check_int
from ..module import Module, Parameter, aligned_array

Tensor = al.Tensor

__all__ = ["RNNCell", "LSTMCell", "GRUCell"]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else al.Tensor(x)


# ---------------------------------------------------------------------------
# one step
# ---------------------------------------------------------------------------
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_OPS = {"RNN_TANH": al.rnn_tanh_cell, "LSTM": al.lstm_cell, "GRU": al.gru_cell}


def _relu_cell(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any) -> Tensor:
    # relu's kink makes a fused op's property tests meaningless at 0, so this one is
    # composed: h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh).
    return al.relu(al.linear(x, w_ih, b_ih) + al.linear(h, w_hh, b_hh))


def _zeros(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only zero bias for layers built with ``bias=False``."""
    z = np.zeros(n, dtype)
    z.flags.writeable = False
    return z


def _init_uniform(module: Module, hidden_size: int, generator: np.random.Generator | None) -> None:
    # PyTorch's reset_parameters: every weight and bias from U(-1/sqrt(H), 1/sqrt(H)).
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound, generator=generator)


def _check_nonlinearity(mode: str, nonlinearity: str, owner: str) -> str:
    if mode in ("LSTM", "GRU"):
        return mode
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{owner}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


class _CellBase(Module):
    """What RNNCell, LSTMCell and GRUCell share: parameters, checks and one step."""

    _mode = ""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_int(input_size, "input_size", name, minimum=0)
        self.hidden_size = check_int(hidden_size, "hidden_size", name)
        self.bias = bool(bias)
        self.mode = _check_nonlinearity(self._mode, nonlinearity, name)
        self.nonlinearity = nonlinearity
        g = _GATES[self.mode] * self.hidden_size
        dt = np.dtype(dtype or al.get_default_dtype())
        self.weight_ih = Parameter(aligned_array((g, self.input_size), dt))
        self.weight_hh = Parameter(aligned_array((g, self.hidden_size), dt))
        self.bias_ih = Parameter(aligned_array(g, dt)) if bias else None
        self.bias_hh = Parameter(aligned_array(g, dt)) if bias else None
        _init_uniform(self, self.hidden_size, generator)

    def _step(self) -> Any:
        return _OPS.get(self.mode, _relu_cell)

    def _biases(self) -> tuple[Any, Any]:
        if self.bias:
            return self.bias_ih, self.bias_hh
        z = _zeros(self.weight_ih.shape[0], self.weight_ih.dtype)
        return z, z

    def _input(self, input: Any) -> tuple[Tensor, bool]:
        """The input as (N, input_size), and whether it had a batch axis."""
        x = _t(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}({self.input_size}, {self.hidden_size}): "
                             f"expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        return (x, True) if x.ndim == 2 else (x.reshape(1, -1), False)

    def _state(self, hx: Any, n: int, batched: bool, what: str) -> Any:
        """An initial state as (N, hidden_size); zeros when None."""
        H = self.hidden_size
        if hx is None:
            return np.zeros((n, H), self.weight_hh.dtype)
        h = _t(hx)
        want = (n, H) if batched else (H,)
        if h.shape != want:
            raise ValueError(f"{type(self).__name__}({self.input_size}, {H}): expected {what} of "
                             f"shape {want} for input with batch size {n if batched else 'none'}"
                             f", got {h.shape}")
        return h if batched else h.reshape(1, H)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        return s


class RNNCell(_CellBase):
    """One step of the vanilla (Elman) RNN, as ``torch.nn.RNNCell``::

        h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)        (or relu)

    Parameters ``weight_ih`` (H, I), ``weight_hh`` (H, H), ``bias_ih`` and ``bias_hh``
    (H,), all from U(-1/sqrt(H), 1/sqrt(H)). ``forward(input, hx=None)`` takes input
    (N, I) or (I,) and the state (N, H) or (H,) (zeros when None) and returns h'.
    """

    _mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, nonlinearity, dtype, generator)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, batched = self._input(input)
        h = self._state(hx, x.shape[0], batched, "hx")
        out = self._step()(x, h, self.weight_ih, self.weight_hh, *self._biases())
        return out if batched else out.reshape(self.hidden_size)


class LSTMCell(_CellBase):
    """One step of the LSTM, as ``torch.nn.LSTMCell``::

        f  = sigmoid(W_if x + b_if + W_hf h + b_hf)       forget gate
        i  = sigmoid(W_ii x + b_ii + W_hi h + b_hi)       input gate
        C~ = tanh(W_ig x + b_ig + W_hg h + b_hg)          candidate cell
        C' = f * C + i * C~                               the new cell state
        o  = sigmoid(W_io x + b_io + W_ho h + b_ho)       output gate
        h' = o * tanh(C')

    Parameters ``weight_ih`` (4H, I), ``weight_hh`` (4H, H), ``bias_ih``, ``bias_hh``
    (4H,), the gates stacked in PyTorch's order i, f, g, o. ``forward(input, hx=None)``
    takes ``hx = (h, c)`` (zeros when None) and returns ``(h', c')``.
    """

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, "tanh", dtype, generator)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, batched = self._input(input)
        n = x.shape[0]
        if hx is None:
            hc: Any = np.zeros((2, n, self.hidden_size), self.weight_hh.dtype)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
            hc = al.stack([self._state(hx[0], n, batched, "h"),
                           self._state(hx[1], n, batched, "c")])
        out = al.lstm_cell(x, hc, self.weight_ih, self.weight_hh, *self._biases())
        if batched:
            return out[0], out[1]
        return out[0, 0], out[1, 0]


class GRUCell(_CellBase):
    """One step of the GRU, as ``torch.nn.GRUCell``::

        r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)       reset gate
        z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)       update gate
        h~ = tanh(W_in x + b_in + r * (W_hn h + b_hn))    candidate state
        h' = (1 - z) * h~ + z * h

    Parameters ``weight_ih`` (3H, I), ``weight_hh`` (3H, H), ``bias_ih``, ``bias_hh``
    (3H,), the gates stacked r, z, n. ``forward(input, hx=None)`` returns h'.
    """

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, "tanh", dtype, generator)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, batched = self._input(input)
        h = self._state(hx, x.shape[0], batched, "hx")
        out = al.gru_cell(x, h, self.weight_ih, self.weight_hh, *self._biases())
        return out if batched else out.reshape(self.hidden_size)
