"""The fused recurrent cells (``rnn_tanh_cell``, ``lstm_cell``, ``gru_cell``).

The property suite (tests/test_ops_grad.py) checks each against central differences
to second order. Here: each fused cell equals the same cell composed from primitive
ops, in value, gradient and second derivative; the two paths of each VJP (arrays with
what the forward saved, Tensors recomputing the gates for create_graph) give the same
numbers, which central differences alone cannot tell (gradgradcheck differentiates
the recorded path, whatever it computes); and wrong shapes are named.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite.ops.recurrent import GruCell, LstmCell, RnnTanhCell
from autograd_lite.testing import strategies as alst


def composed_rnn(x, h, w_ih, w_hh, b_ih, b_hh):
    return al.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def composed_lstm(x, hc, w_ih, w_hh, b_ih, b_hh):
    h, c = hc[0], hc[1]
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    H = h.shape[1]
    i, f = al.sigmoid(a[:, :H]), al.sigmoid(a[:, H:2 * H])
    g, o = al.tanh(a[:, 2 * H:3 * H]), al.sigmoid(a[:, 3 * H:])
    c2 = f * c + i * g
    return al.stack([o * al.tanh(c2), c2])


def composed_gru(x, h, w_ih, w_hh, b_ih, b_hh):
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    H = h.shape[1]
    r = al.sigmoid(gi[:, :H] + gh[:, :H])
    z = al.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = al.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h


CELLS = {
    "rnn_tanh_cell": (al.rnn_tanh_cell, composed_rnn, 1, False),
    "lstm_cell": (al.lstm_cell, composed_lstm, 4, True),
    "gru_cell": (al.gru_cell, composed_gru, 3, False),
}


def _inputs(rng, gates, lstm, n=3, i=4, h=5, scale=1.0):
    state = (2, n, h) if lstm else (n, h)
    shapes = [(n, i), state, (gates * h, i), (gates * h, h), (gates * h,), (gates * h,)]
    return [scale * rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("name", sorted(CELLS))
def test_fused_cell_equals_the_cell_composed_from_primitive_ops(name):
    fused, composed, gates, lstm = CELLS[name]
    rng = np.random.default_rng(1)
    arrays = _inputs(rng, gates, lstm)
    u = rng.standard_normal((2, 3, 5) if lstm else (3, 5))   # cotangent of the output
    vs = [rng.standard_normal(a.shape) for a in arrays]      # direction of the second order
    results = []
    for fn in (fused, composed):
        ts = [al.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*ts)
        grads = al.gradients(out, ts, u, create_graph=True)
        second = al.gradients(sum((g * v).sum() for g, v in zip(grads, vs)), ts)
        results.append((out.data, [g.data for g in grads], [s.data for s in second]))
    (o1, g1, s1), (o2, g2, s2) = results
    assert o1.shape == u.shape
    np.testing.assert_allclose(o1, o2, rtol=1e-12, atol=1e-14)
    for k, (a, b) in enumerate(zip(g1, g2)):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13, err_msg=f"gradient {k}")
    for k, (a, b) in enumerate(zip(s1, s2)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"second order {k}")


@pytest.mark.parametrize("name", sorted(CELLS))
def test_fused_cell_is_one_node(name):
    fused, _, gates, lstm = CELLS[name]
    ts = [al.tensor(a, requires_grad=True) for a in _inputs(np.random.default_rng(0), gates, lstm)]
    out = fused(*ts)
    assert out.op == name and all(p is t for p, t in zip(out.node.parents, ts))


@pytest.mark.parametrize("op", [RnnTanhCell, LstmCell, GruCell], ids=lambda op: op.name)
@settings(max_examples=15)
@given(data=st.data())
def test_both_vjp_paths_agree(op, data):
    """The VJP on arrays (saved activations, in place) and on Tensors (recomputed,
    recorded for create_graph) give the same gradients, for every subset of inputs."""
    sample = data.draw(alst.op_samples(op))
    xs = sample.inputs
    out, saved = (op.forward_saving(*xs) if op._wants_saved else (op.forward(*xs), None))
    g = data.draw(alst.arrays(out.shape))
    needs = tuple(data.draw(st.lists(st.booleans(), min_size=6, max_size=6)))
    fast = op.vjp(g, out, *xs, needs=needs, **({"saved": saved} if op._wants_saved else {}))
    ts = [al.tensor(x) for x in xs]
    recorded = op.vjp(al.tensor(g), op.apply(*ts), *ts, needs=needs,
                      **({"saved": None} if op._wants_saved else {}))
    for k, (a, b) in enumerate(zip(fast, recorded)):
        assert (a is None) == (b is None) == (not needs[k]), k
        if a is not None:
            assert isinstance(b, al.Tensor)
            np.testing.assert_allclose(a, b.data, rtol=1e-12, atol=1e-12, err_msg=f"input {k}")


@pytest.mark.parametrize("name", sorted(CELLS))
def test_float32_stays_float32(name):
    fused, _, gates, lstm = CELLS[name]
    ts = [al.tensor(a.astype(np.float32), requires_grad=True)
          for a in _inputs(np.random.default_rng(0), gates, lstm)]
    out = fused(*ts)
    out.sum().backward()
    assert out.dtype == np.float32 and all(t.grad.dtype == np.float32 for t in ts)


def test_saturated_gates_stay_finite():
    # Pre-activations of +-1000: the sigmoid must not overflow (no inf, no NaN, no warning).
    rng = np.random.default_rng(0)
    for name, (fused, _, gates, lstm) in CELLS.items():
        ts = [al.tensor(a, requires_grad=True) for a in _inputs(rng, gates, lstm, scale=300.0)]
        with np.errstate(all="raise"):
            out = fused(*ts)
            out.backward(np.ones(out.shape))
        assert np.all(np.isfinite(out.data)), name
        assert all(np.all(np.isfinite(t.grad)) for t in ts), name


@pytest.mark.parametrize("name", sorted(CELLS))
def test_wrong_shapes_name_the_op_and_every_shape(name):
    fused, _, gates, lstm = CELLS[name]
    x, s, w_ih, w_hh, b_ih, b_hh = _inputs(np.random.default_rng(0), gates, lstm)
    with pytest.raises(ValueError, match=rf"{name}: expected x \(N, I\).*got x \(3, 4\).*"
                                         rf"w_hh \({gates * 5}, 4\)"):
        fused(x, s, w_ih, w_hh[:, :4], b_ih, b_hh)
    with pytest.raises(ValueError, match=rf"{name}: .*got x \(2, 4\)"):
        fused(x[:2], s, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match=rf"{name}: .*b_ih \({gates * 5 - 1},\)"):
        fused(x, s, w_ih, w_hh, b_ih[1:], b_hh)


def test_lstm_state_must_be_h_and_c_stacked():
    x, hc, *w = _inputs(np.random.default_rng(0), 4, True)
    with pytest.raises(ValueError, match=r"lstm_cell: expected the state hc = stack\(\[h, c\]\) "
                                         r"of shape \(2, N, H\); got shape \(3, 5\)"):
        al.lstm_cell(x, hc[0], *w)
