"""Sequence layers with PyTorch's names, signatures and parameter layouts: ``Embedding``,
the cells ``RNNCell``, ``LSTMCell``, ``GRUCell`` and the multi-layer ``RNN``, ``LSTM``, ``GRU``.

Parameters are named and shaped as in PyTorch (``weight_ih_l0``, ``weight_hh_l1_reverse``,
the gates stacked i, f, g, o for the LSTM and r, z, n for the GRU), so a PyTorch state
dict loads as it is. Each time step of a cell is one fused op (``al.lstm_cell``,
``al.gru_cell``, ``al.rnn_tanh_cell``): a sequence of T steps costs T graph nodes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from . import functional as F
from . import init
from ._checks import check_int
from .functional_attention import _embedding, _padding_index
from .module import Module, Parameter, aligned_array

Tensor = al.Tensor

__all__ = ["Embedding", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else al.Tensor(x)


class Embedding(Module):
    """A lookup table: ``Embedding(num_embeddings, embedding_dim)(indices)`` returns
    ``weight[indices]``, of shape ``indices.shape + (embedding_dim,)``.

    The weight (num_embeddings, embedding_dim) starts from N(0, 1), as in PyTorch.
    ``padding_idx`` names a row that starts at zero and gets no gradient (the token that
    pads short sequences); ``max_norm`` rescales each row used to at most that norm. That
    rescaling changes the weight in place: a lookup recorded before it can no longer be
    backpropagated (an ``InplaceModificationError`` says so), where PyTorch, whose lookup
    keeps no copy of the weight for backward, goes on.

    Examples
    --------
    >>> import numpy as np, nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(np.array([[1, 0], [4, 4]])).shape
    (2, 2, 3)
    >>> emb.weight.data[0]
    array([0., 0., 0.], dtype=float32)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, _weight: Any = None,
                 _freeze: bool = False, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.num_embeddings = check_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = check_int(embedding_dim, "embedding_dim", "Embedding")
        self.padding_idx = _padding_index(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, float(norm_type)
        shape = (self.num_embeddings, self.embedding_dim)
        dt = np.dtype(dtype or al.get_default_dtype())
        if _weight is None:
            self.weight = Parameter(aligned_array(shape, dt), requires_grad=not _freeze)
            init.normal_(self.weight, generator=generator)
            if self.padding_idx is not None:
                with al.no_grad():
                    self.weight.data[self.padding_idx] = 0
        else:
            w = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if w.shape != shape:
                raise ValueError(f"Embedding: _weight must have shape {shape} (num_embeddings, "
                                 f"embedding_dim), got {w.shape}")
            self.weight = Parameter(aligned_array(shape, w.dtype if w.dtype.kind == "f" else dt, w),
                                    requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (num_embeddings, embedding_dim),
        frozen (no gradient) unless ``freeze=False``."""
        w = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if w.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, "
                             f"embedding_dim), got shape {w.shape}")
        return cls(w.shape[0], w.shape[1], padding_idx, max_norm, norm_type, _weight=w,
                   _freeze=freeze)

    def forward(self, input: Any) -> Tensor:
        return _embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                          f"Embedding({self.num_embeddings}, {self.embedding_dim})")

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s


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
