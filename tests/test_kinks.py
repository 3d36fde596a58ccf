"""Subgradient choices where a derivative jumps, tested directly (the property
suite keeps its inputs away from kinks, so it cannot see them).

The choices, documented in each op's docstring: relu'(0) = 0, abs'(0) = 0,
leaky_relu'(0) = negative_slope, elu'(0) = alpha (the left derivatives);
max/min ties share the gradient evenly; clip passes the gradient at its bounds
(a closed interval); maximum/minimum ties split it 0.5/0.5.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.ops import Op

rng = np.random.default_rng(0)


def vjp(fn, *arrays, g=None):
    """Gradients of ``fn`` at ``arrays`` (float64) under cotangent ``g`` (random by default)."""
    ts = [al.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*ts)
    g = rng.standard_normal(out.shape) if g is None else g
    return g, al.gradients(out, ts, g)


def test_relu_and_abs_pass_no_gradient_at_zero():
    x = np.array([-1.5, 0.0, 2.0])
    g, (dx,) = vjp(al.relu, x)
    np.testing.assert_array_equal(dx, g * np.array([0.0, 0.0, 1.0]))
    g, (dx,) = vjp(al.abs, x)
    np.testing.assert_array_equal(dx, g * np.array([-1.0, 0.0, 1.0]))


@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_leaky_relu_at_zero_takes_the_left_slope(slope):
    g, (dx,) = vjp(lambda t: al.leaky_relu(t, negative_slope=slope), np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_allclose(dx, g * np.array([slope, slope, 1.0]), rtol=1e-15)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu_at_zero_takes_the_left_slope(alpha):
    g, (dx,) = vjp(lambda t: al.elu(t, alpha=alpha), np.array([0.0, 1.0]))
    np.testing.assert_allclose(dx, g * np.array([alpha, 1.0]), rtol=1e-15)


@pytest.mark.parametrize("reduce", [al.max, al.min])
def test_max_and_min_ties_share_the_gradient_evenly(reduce):
    # Row 0: a two-way tie; row 1: a three-way tie; row 2: no tie.
    x = np.array([[3.0, 3.0, 1.0], [2.0, 2.0, 2.0], [0.0, 1.0, -1.0]])
    if reduce is al.min:
        x = -x
    g, (dx,) = vjp(lambda t: reduce(t, axis=1), x)
    share = np.array([[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(dx, g[:, None] * share, rtol=1e-15)
    # Over all elements: each of the maxima gets an equal part of g.
    sign = 1.0 if reduce is al.max else -1.0
    g, (dx,) = vjp(reduce, sign * np.array([1.0, 5.0, 5.0, 5.0]))
    np.testing.assert_allclose(dx, g * np.array([0.0, 1 / 3, 1 / 3, 1 / 3]), rtol=1e-15)


def test_clip_passes_the_gradient_at_its_bounds():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    g, (dx,) = vjp(lambda t: al.clip(t, -0.5, 0.5), x)
    np.testing.assert_array_equal(dx, g * np.array([0.0, 1.0, 1.0, 1.0, 0.0]))
    g, (dx,) = vjp(lambda t: al.clip(t, None, 0.5), x)  # one bound only
    np.testing.assert_array_equal(dx, g * np.array([1.0, 1.0, 1.0, 1.0, 0.0]))


@pytest.mark.parametrize("pair", [al.maximum, al.minimum])
def test_maximum_and_minimum_ties_split_the_gradient(pair):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0])
    g, (dx, dy) = vjp(pair, x, y)
    x_wins = np.array([0.5, 1.0, 0.0]) if pair is al.maximum else np.array([0.5, 0.0, 1.0])
    np.testing.assert_array_equal(dx, g * x_wins)
    np.testing.assert_array_equal(dy, g * (1 - x_wins))
    # Broadcast: a scalar tying with some of y's elements collects half of each tie.
    g, (dx, dy) = vjp(pair, np.array(2.0), np.array([2.0, 2.0, 1.0, 3.0]))
    x_wins = np.array([0.5, 0.5, 1.0, 0.0] if pair is al.maximum else [0.5, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(dx, np.sum(g * x_wins), rtol=1e-14)
    np.testing.assert_array_equal(dy, g * (1 - x_wins))


def _jumps(op):
    """Whether the op itself (not only its derivative) jumps at its kinks: sign, floor,
    ceil, round. Their zero gradient is tested in tests/test_numpy_ops.py."""
    x = np.array(op.kinks, dtype=np.float64)
    params = {k: v[0] for k, v in op.params.items()}
    return bool(np.any(np.abs(op.forward(x + 1e-7, **params) - op.forward(x - 1e-7, **params)) > 1e-3))


KINKED = [op for op in sorted(Op.registry.values(), key=lambda op: op.name)
          if op.kinks and op.kind == "elementwise" and op.arity == 1 and not _jumps(op)]


def test_some_elementwise_ops_have_kinks():
    assert {"relu", "abs", "clip"} <= {op.name for op in KINKED}


@pytest.mark.parametrize("op", KINKED, ids=lambda op: op.name)
def test_the_gradient_at_each_kink_lies_between_the_one_sided_derivatives(op):
    """Whatever the choice, it must be a subgradient-like value: between the left
    and the right derivative (for every declared combination of params)."""
    h = 1e-7
    for values in itertools.product(*op.params.values()):
        params = dict(zip(op.params, values))
        x = np.array(op.kinks, dtype=np.float64)
        f = lambda v: op.forward(v, **params)  # noqa: E731
        left, right = (f(x) - f(x - h)) / h, (f(x + h) - f(x)) / h
        _, (dx,) = vjp(lambda t: op.apply(t, **params), x, g=np.ones_like(x))
        low, high = np.minimum(left, right), np.maximum(left, right)
        assert np.all((low - 1e-6 <= dx) & (dx <= high + 1e-6)), (params, x, left, right, dx)


# ---- power at a zero base ------------------------------------------------------------
# d/dx x**y = y x**(y-1) is 0 for y == 0 even at x == 0, where x**(y-1) is inf: the
# product must not be 0 * inf = NaN (PyTorch: 0). d/dy x**y = out log x is 0 at x == 0
# for y >= 0 (PyTorch's choice) and NaN for x < 0, where x**y is no real function of y.
BASES = np.array([0.0, -2.0, 2.0])
EXPONENTS = [0.0, 1.0, 2.0, 0.5, -1.0, 3.0, 2.5]


def _first_and_second(fn, x):
    """d/dx of sum(fn(x)), through the fast path and through the recorded one, and
    d2/dx2 (the derivative of the recorded first derivative)."""
    t = al.Tensor(x, requires_grad=True)
    (fast,) = al.gradients(fn(t).sum(), [t])
    (d1,) = al.gradients(fn(t).sum(), [t], create_graph=True)
    (d2,) = al.gradients(d1.sum(), [t]) if d1.requires_grad else (np.zeros_like(x),)
    return fast, d1.data, d2


@pytest.mark.parametrize("y", EXPONENTS)
def test_power_with_a_scalar_exponent_at_a_zero_base_matches_pytorch(y):
    torch = pytest.importorskip("torch")
    with np.errstate(all="ignore"):
        fast, d1, d2 = _first_and_second(lambda t: t ** y, BASES)
    xt = torch.tensor(BASES, dtype=torch.float64, requires_grad=True)
    (w1,) = torch.autograd.grad((xt ** y).sum(), xt, create_graph=True)
    w2 = torch.autograd.grad(w1.sum(), xt)[0].numpy() if w1.requires_grad else np.zeros(3)
    close = dict(rtol=1e-14, atol=0)  # inf and NaN must match exactly
    np.testing.assert_allclose(fast, w1.detach().numpy(), **close)
    np.testing.assert_allclose(d1, w1.detach().numpy(), **close)
    np.testing.assert_allclose(d2, w2, **close)


@pytest.mark.parametrize("y", EXPONENTS)
@pytest.mark.parametrize("x", BASES)
def test_power_with_a_tensor_exponent_matches_pytorch_in_both_inputs(x, y):
    torch = pytest.importorskip("torch")
    xs, ys = al.Tensor(np.array(x), requires_grad=True), al.Tensor(np.array(y), requires_grad=True)
    with np.errstate(all="ignore"):
        fast = al.gradients(xs ** ys, [xs, ys])
        recorded = al.gradients(xs ** ys, [xs, ys], create_graph=True)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    want = [w.item() for w in torch.autograd.grad(xt ** yt, [xt, yt])]
    np.testing.assert_allclose([float(g) for g in fast], want, rtol=1e-14, atol=0)
    np.testing.assert_allclose([float(g.data) for g in recorded], want, rtol=1e-14, atol=0)


def test_power_at_a_zero_base_gives_zero_not_nan():
    # Without PyTorch: the cases the issue names.
    x = al.Tensor(np.array([0.0, 1.5]), requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    _, d1, d2 = _first_and_second(lambda t: t ** 1, np.array([0.0]))
    assert d1.tolist() == [1.0] and d2.tolist() == [0.0]
    _, d1, d2 = _first_and_second(lambda t: t ** 2, np.array([0.0]))
    assert d1.tolist() == [0.0] and d2.tolist() == [2.0]
    _, d1, d2 = _first_and_second(lambda t: al.relu(t) ** 0, np.array([0.0, -1.0, 2.0]))
    assert d1.tolist() == [0.0, 0.0, 0.0] and d2.tolist() == [0.0, 0.0, 0.0]
    # The exponent's gradient: 0 at x == 0 (y >= 0), NaN for x < 0, out log x elsewhere.
    b = al.Tensor(np.array([0.0, 0.0, -2.0, 2.0]))
    e = al.Tensor(np.array([0.0, 2.0, 2.0, 2.0]), requires_grad=True)
    with np.errstate(invalid="ignore"):
        (b ** e).sum().backward()
    np.testing.assert_array_equal(e.grad, [0.0, 0.0, np.nan, 4 * np.log(2.0)])
