"""One step of a recurrent cell as one op: the vanilla RNN (tanh), the LSTM and the GRU.

Each op takes PyTorch's cell arguments ``(x, state, w_ih, w_hh, b_ih, b_hh)`` with the
gates stacked in PyTorch's order and layout (``w_ih`` is (gates * H, I)), so the same
weights give the same numbers as ``torch.nn.LSTMCell`` and friends. Every gate comes
from the same two products, ``x @ w_ih.T`` and ``h @ w_hh.T``, and the VJP is written
out by hand: a sequence of T steps is T nodes in the graph, not a dozen per step.

Shapes: ``x`` (N, I), ``h`` (N, H); the LSTM's state is ``h`` and ``c`` stacked, (2, N, H),
in and out (one op has one output). Batch-less and sequence handling live in ``nn``.

Each VJP has two paths. Arrays (every training step): the forward saved its gate
activations, and the VJP works on them in place. Tensors (``create_graph=True``): the
gates are recomputed from the inputs with recorded ops (``Op.dispatch``), so the
gradient can itself be differentiated.
"""

from __future__ import annotations

import numpy as np

from .base import Op
from .activations import Sigmoid
from .nnops import Linear


def _check(op: str, gates: int, state: str, x, h, w_ih, w_hh, b_ih, b_hh) -> None:
    """Shapes of a cell's inputs; a ValueError naming them all when one is wrong."""
    n, hid = h.shape[-2:] if h.ndim >= 2 else (None, None)
    ok = (x.ndim == 2 and hid is not None and x.shape[0] == n
          and w_ih.shape == (gates * hid, x.shape[1]) and w_hh.shape == (gates * hid, hid)
          and b_ih.shape == (gates * hid,) and b_hh.shape == (gates * hid,))
    if not ok:
        raise ValueError(
            f"{op}: expected x (N, I), {state}, w_ih ({gates}*H, I), w_hh ({gates}*H, H), "
            f"b_ih ({gates}*H,), b_hh ({gates}*H,); got x {x.shape}, state {h.shape}, "
            f"w_ih {w_ih.shape}, w_hh {w_hh.shape}, b_ih {b_ih.shape}, b_hh {b_hh.shape}")


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-a))`` in place, as ``(1 + tanh(a / 2)) / 2``: never overflows, and
    four passes over ``a`` with no temporary (32x384 float32: 64 us, where the
    ``sigmoid`` op's forward, which allocates, takes 91 us)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _gates(x, h, w_ih, w_hh, b_ih, b_hh) -> np.ndarray:
    """``x @ w_ih.T + b_ih + h @ w_hh.T + b_hh`` into one new array (N, gates * H)."""
    a = x @ w_ih.T
    a += h @ w_hh.T
    a += b_ih
    a += b_hh
    return a


def _cell_sample(gates: int, lstm: bool = False):
    def sample_inputs(cls, draw):
        # Small: the property suite builds a numerical Jacobian of every input.
        n, i, h = draw.integers(0, 3), draw.integers(0, 3), draw.integers(1, 3)
        state = (2, n, h) if lstm else (n, h)
        g = gates * h
        return [(n, i), state, (g, i), (g, h), (g,), (g,)], draw.params()
    return classmethod(sample_inputs)


def _linear_grads(da_x, da_h, x, h, w_ih, w_hh, needs):
    """``(dx, dh, dW_ih, dW_hh, db_ih, db_hh)`` from the cotangents of the two products'
    sums ``x W_ih^T + b_ih`` (``da_x``) and ``h W_hh^T + b_hh`` (``da_h``); None where
    no gradient is needed. Written with operators, so it runs on arrays and Tensors."""
    return (da_x @ w_ih if needs[0] else None,
            da_h @ w_hh if needs[1] else None,
            da_x.T @ x if needs[2] else None,
            da_h.T @ h if needs[3] else None,
            da_x.sum(axis=0) if needs[4] else None,
            da_h.sum(axis=0) if needs[5] else None)


class RnnTanhCell(Op):
    """One step of the vanilla (Elman) RNN, as ``torch.nn.RNNCell``::

        h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)

    ``x`` (N, I), ``h`` (N, H), ``w_ih`` (H, I), ``w_hh`` (H, H), ``b_ih`` and ``b_hh`` (H,).

    Over many steps the gradient reaching an early ``h`` is a product of one
    ``W_hh^T diag(1 - h'^2)`` per step: when the largest singular value of ``W_hh``
    is below 1 it shrinks geometrically (the vanishing gradient).

    Notes
    -----
    VJP::

        da    = g * (1 - out**2)              (a: the pre-activation)
        dx    = da @ W_ih          dh    = da @ W_hh
        dW_ih = da^T @ x           dW_hh = da^T @ h
        db_ih = db_hh = sum(da, axis=0)
    """
    name, arity = "rnn_tanh_cell", 6
    kind = "custom"
    sample_inputs = _cell_sample(1)

    @staticmethod
    def forward(x, h, w_ih, w_hh, b_ih, b_hh):
        _check("rnn_tanh_cell", 1, "h (N, H)", x, h, w_ih, w_hh, b_ih, b_hh)
        return np.tanh(_gates(x, h, w_ih, w_hh, b_ih, b_hh))

    @staticmethod
    def vjp(g, out, x, h, w_ih, w_hh, b_ih, b_hh, needs):
        da = g * (1 - out * out)  # out is recorded when differentiating twice, so this serves both
        return _linear_grads(da, da, x, h, w_ih, w_hh, needs)


def _without_state(needs):
    """``needs`` without the state's gradient (the LSTM builds its own, for h and C)."""
    return needs[:1] + (False,) + needs[2:]


class LstmCell(Op):
    """One step of the LSTM, as ``torch.nn.LSTMCell``, on the state ``hc = stack([h, c])``::

        [a_i, a_f, a_g, a_o] = x W_ih^T + b_ih + h W_hh^T + b_hh     (gate order i, f, g, o)
        i  = sigmoid(a_i)          input gate:  how much of the candidate to write
        f  = sigmoid(a_f)          forget gate: how much of the old cell to keep
        C~ = tanh(a_g)             the candidate cell
        o  = sigmoid(a_o)          output gate: how much of the cell to show
        C' = f * C + i * C~
        h' = o * tanh(C')
        out = stack([h', C'])      (2, N, H)

    ``x`` (N, I), ``hc`` (2, N, H), ``w_ih`` (4H, I), ``w_hh`` (4H, H), biases (4H,).
    Along the cell state the gradient is multiplied only by ``f`` at each step, with no
    weight matrix and no squashing derivative: the highway that lets it reach far back
    when the forget gates stay near 1.

    Notes
    -----
    VJP::

        g = stack([g_h, g_C])
        dC'  = g_C + g_h * o * (1 - tanh(C')**2)
        da_i = dC' * C~ * i (1 - i)        da_f = dC' * C * f (1 - f)
        da_g = dC' * i * (1 - C~**2)       da_o = g_h * tanh(C') * o (1 - o)
        da   = [da_i, da_f, da_g, da_o]
        dx    = da @ W_ih          dhc   = stack([da @ W_hh, dC' * f])
        dW_ih = da^T @ x           dW_hh = da^T @ h
        db_ih = db_hh = sum(da, axis=0)
    """
    name, arity = "lstm_cell", 6
    kind = "custom"
    sample_inputs = _cell_sample(4, lstm=True)

    @staticmethod
    def forward(x, hc, w_ih, w_hh, b_ih, b_hh):
        return LstmCell.forward_saving(x, hc, w_ih, w_hh, b_ih, b_hh)[0]

    @staticmethod
    def forward_saving(x, hc, w_ih, w_hh, b_ih, b_hh):
        """The new state, and the activated gates [i, f, C~, o] and tanh(C') for the VJP."""
        if hc.ndim != 3 or hc.shape[0] != 2:
            raise ValueError(f"lstm_cell: expected the state hc = stack([h, c]) of shape "
                             f"(2, N, H); got shape {hc.shape} (x {x.shape}, w_hh {w_hh.shape})")
        _check("lstm_cell", 4, "hc (2, N, H)", x, hc[0], w_ih, w_hh, b_ih, b_hh)
        h, c = hc[0], hc[1]
        H = h.shape[1]
        act = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
        _sigmoid_(act[:, :2 * H])
        np.tanh(act[:, 2 * H:3 * H], out=act[:, 2 * H:3 * H])
        _sigmoid_(act[:, 3 * H:])
        i, f, cand, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
        out = np.empty((2,) + h.shape, act.dtype)
        np.multiply(f, c, out=out[1])
        out[1] += i * cand
        tc = np.tanh(out[1])
        np.multiply(o, tc, out=out[0])
        return out, (act, tc)

    @staticmethod
    def vjp(g, out, x, hc, w_ih, w_hh, b_ih, b_hh, needs, saved=None):
        gh, gc = g[0], g[1]
        c = hc[1]
        if saved is not None:  # arrays: the forward's activations, worked on in place
            act, tc = saved
            H = tc.shape[1]
            i, f, cand, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            dc = gh * o
            dc *= 1 - tc * tc
            dc += gc
            da = np.empty_like(act)
            np.multiply(dc, cand, out=da[:, :H])
            np.multiply(dc, c, out=da[:, H:2 * H])
            np.multiply(dc, i, out=da[:, 2 * H:3 * H])
            np.multiply(gh, tc, out=da[:, 3 * H:])
            sig = da[:, :2 * H], da[:, 3 * H:]   # times s (1 - s) for the sigmoid gates
            for d, s in zip(sig, (act[:, :2 * H], o)):
                d *= s
                d *= 1 - s
            da[:, 2 * H:3 * H] *= 1 - cand * cand
            dhc = None
            if needs[1]:
                dhc = np.empty_like(out)
                np.matmul(da, w_hh, out=dhc[0])
                np.multiply(dc, f, out=dhc[1])
            grads = _linear_grads(da, da, x, hc[0], w_ih, w_hh, _without_state(needs))
            return grads[:1] + (dhc,) + grads[2:]
        # Tensors (or arrays without what the forward saved): the gates recomputed.
        h = hc[0]
        H = h.shape[1]
        a = Linear.dispatch(x, w_ih, b_ih) + Linear.dispatch(h, w_hh, b_hh)
        i = Sigmoid.dispatch(a[:, :H])
        f = Sigmoid.dispatch(a[:, H:2 * H])
        cand = np.tanh(a[:, 2 * H:3 * H])
        o = Sigmoid.dispatch(a[:, 3 * H:])
        tc = np.tanh(out[1])
        dc = gc + gh * o * (1 - tc * tc)
        da = np.concatenate([dc * cand * i * (1 - i), dc * c * f * (1 - f),
                             dc * i * (1 - cand * cand), gh * tc * o * (1 - o)], axis=1)
        grads = _linear_grads(da, da, x, h, w_ih, w_hh, _without_state(needs))
        dhc = np.stack([da @ w_hh, dc * f]) if needs[1] else None
        return grads[:1] + (dhc,) + grads[2:]


class GruCell(Op):
    """One step of the GRU, as ``torch.nn.GRUCell``::

        [gi_r, gi_z, gi_n] = x W_ih^T + b_ih        (gate order r, z, n)
        [gh_r, gh_z, gh_n] = h W_hh^T + b_hh
        r  = sigmoid(gi_r + gh_r)       reset gate: how much of h the candidate sees
        z  = sigmoid(gi_z + gh_z)       update gate: how much of h is kept
        h~ = tanh(gi_n + r * gh_n)      the candidate state
        h' = (1 - z) * h~ + z * h

    ``x`` (N, I), ``h`` (N, H), ``w_ih`` (3H, I), ``w_hh`` (3H, H), biases (3H,). Where
    ``z`` is near 1 the state is copied forward and so is its gradient (``g * z``).

    Notes
    -----
    VJP::

        dh~  = g * (1 - z)         da_n = dh~ * (1 - h~**2)
        da_z = g * (h - h~) * z (1 - z)
        da_r = da_n * gh_n * r (1 - r)
        da_x = [da_r, da_z, da_n]            (cotangent of x W_ih^T + b_ih)
        da_h = [da_r, da_z, da_n * r]        (cotangent of h W_hh^T + b_hh)
        dx    = da_x @ W_ih        dh    = da_h @ W_hh + g * z
        dW_ih = da_x^T @ x         dW_hh = da_h^T @ h
        db_ih = sum(da_x, axis=0)  db_hh = sum(da_h, axis=0)
    """
    name, arity = "gru_cell", 6
    kind = "custom"
    sample_inputs = _cell_sample(3)

    @staticmethod
    def forward(x, h, w_ih, w_hh, b_ih, b_hh):
        return GruCell.forward_saving(x, h, w_ih, w_hh, b_ih, b_hh)[0]

    @staticmethod
    def forward_saving(x, h, w_ih, w_hh, b_ih, b_hh):
        """The new state, and [r, z], h~ and gh_n for the VJP."""
        _check("gru_cell", 3, "h (N, H)", x, h, w_ih, w_hh, b_ih, b_hh)
        H = h.shape[1]
        gi = x @ w_ih.T
        gi += b_ih
        gh = h @ w_hh.T
        gh += b_hh
        rz = gi[:, :2 * H]
        rz += gh[:, :2 * H]
        _sigmoid_(rz)
        r, z = rz[:, :H], rz[:, H:]
        n = gi[:, 2 * H:]
        n += r * gh[:, 2 * H:]
        np.tanh(n, out=n)
        out = h - n
        out *= z
        out += n
        return out, (rz, n, gh[:, 2 * H:])

    @staticmethod
    def vjp(g, out, x, h, w_ih, w_hh, b_ih, b_hh, needs, saved=None):
        H = h.shape[1]
        if saved is not None:  # arrays: the forward's activations
            rz, n, ghn = saved
            r, z = rz[:, :H], rz[:, H:]
            da_x = np.empty(rz.shape[:1] + (3 * H,), rz.dtype)
            dn = da_x[:, 2 * H:]
            np.multiply(g, 1 - z, out=dn)
            dn *= 1 - n * n
            np.multiply(dn, ghn, out=da_x[:, :H])
            np.multiply(g, h - n, out=da_x[:, H:2 * H])
            drz = da_x[:, :2 * H]
            drz *= rz
            drz *= 1 - rz
            da_h = da_x.copy()
            da_h[:, 2 * H:] *= r
            grads = _linear_grads(da_x, da_h, x, h, w_ih, w_hh, needs)
            if needs[1]:
                grads = grads[:1] + (grads[1] + g * z,) + grads[2:]
            return grads
        # Tensors (or arrays without what the forward saved): the gates recomputed.
        gi = Linear.dispatch(x, w_ih, b_ih)
        gh = Linear.dispatch(h, w_hh, b_hh)
        r = Sigmoid.dispatch(gi[:, :H] + gh[:, :H])
        z = Sigmoid.dispatch(gi[:, H:2 * H] + gh[:, H:2 * H])
        ghn = gh[:, 2 * H:]
        n = np.tanh(gi[:, 2 * H:] + r * ghn)
        dn = g * (1 - z) * (1 - n * n)
        da_r = dn * ghn * r * (1 - r)
        da_z = g * (h - n) * z * (1 - z)
        da_x = np.concatenate([da_r, da_z, dn], axis=1)
        da_h = np.concatenate([da_r, da_z, dn * r], axis=1)
        grads = _linear_grads(da_x, da_h, x, h, w_ih, w_hh, needs)
        if needs[1]:
            grads = grads[:1] + (grads[1] + g * z,) + grads[2:]
        return grads
