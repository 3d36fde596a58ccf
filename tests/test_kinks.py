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
