"""Forward mode, op by op: every registered op's JVP (its own ``jvp`` or the rule its
``jvp_rule`` names) agrees with central differences along the tangent and with its
VJP (``<u, J t> = <Jᵀ u, t>``), on hypothesis-drawn calls from the op's metadata;
and recorded (when a JVP is differentiated again) it has the right derivative.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite.broadcasting import unbroadcast
from autograd_lite.forward import op_jvp
from autograd_lite.ops import Op
from autograd_lite.testing.strategies import op_samples

OPS = sorted(Op.registry.values(), key=lambda op: op.name)
EPS = 1e-6


def _close(a, b, what, atol=1e-5, rtol=1e-3):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=what)


def _diff_inputs(op, xs):
    return [i for i, x in enumerate(xs) if x.dtype.kind == "f" and i not in op.nondiff]


def _forward(op, xs, params):
    # Probing: the mean of nothing is NaN, and assume() then skips the call.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(op.forward(*xs, **params))


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_op_jvp_matches_central_differences_and_its_vjp(op):
    check_jvp(op)


def check_jvp(op, **settings_kw):
    """The property, for one op; ``settings_kw`` override the hypothesis settings."""
    @settings(**{"max_examples": 12, "deadline": None, **settings_kw})
    @given(sample=op_samples(op), seed=st.integers(0, 2**32 - 1))
    def run(sample, seed):
        xs, params = sample.inputs, sample.params
        out = _forward(op, xs, params)
        assume(out.dtype.kind == "f" and np.all(np.isfinite(out)))
        diff = _diff_inputs(op, xs)
        rng = np.random.default_rng(seed)
        ts = [rng.standard_normal(x.shape) if i in diff else None for i, x in enumerate(xs)]
        jt = np.asarray(op_jvp(op, ts, out, xs, params))
        assert jt.shape == out.shape and jt.dtype == out.dtype
        # J t by central differences along t.
        plus = [x + EPS * t if t is not None else x for x, t in zip(xs, ts)]
        minus = [x - EPS * t if t is not None else x for x, t in zip(xs, ts)]
        numerical = (_forward(op, plus, params) - _forward(op, minus, params)) / (2 * EPS)
        _close(jt, numerical, f"{op.name}: J t against central differences ({sample.describe()})")
        # <u, J t> = <J^T u, t>: the JVP is the transpose of the VJP.
        u = rng.standard_normal(out.shape)
        extra = {"needs": tuple(t is not None for t in ts)} if op._wants_needs else {}
        if op._wants_saved:
            extra["saved"] = None
        dxs = op.vjp(u, out, *xs, **params, **extra)
        rhs = sum(float(np.sum(unbroadcast(np.asarray(dx), x.shape) * t))
                  for dx, x, t in zip(dxs, xs, ts) if t is not None and dx is not None)
        _close(np.sum(u * jt), rhs, f"{op.name}: <u, J t> against <J^T u, t>", atol=1e-8, rtol=1e-7)

    run()


@pytest.mark.parametrize("op", [op for op in OPS if op.differentiable_twice], ids=lambda op: op.name)
def test_op_jvp_recorded_has_the_right_derivative(op):
    """al.grad of <u, jvp(op)(x; t)> in x, through the recorded rules, against central
    differences of the same function along a random direction."""
    @settings(max_examples=6, deadline=None)
    @given(sample=op_samples(op), seed=st.integers(0, 2**32 - 1))
    def run(sample, seed):
        xs, params = sample.inputs, sample.params
        out = _forward(op, xs, params)
        assume(out.dtype.kind == "f" and np.all(np.isfinite(out)))
        diff = _diff_inputs(op, xs)
        assume(diff)
        rng = np.random.default_rng(seed)
        ts = [rng.standard_normal(xs[i].shape) for i in diff]
        u = rng.standard_normal(out.shape)

        def call(*dx):
            args = list(xs)
            for i, d in zip(diff, dx):
                args[i] = d
            return op.apply(list(args), **params) if op.arity is None else op.apply(*args, **params)

        def pairing(*dx):   # <u, J(x) t>
            return (al.jvp(call, tuple(dx), tuple(ts))[1] * u).sum()

        primal = [al.tensor(xs[i]) for i in diff]
        grads = al.grad(pairing, argnums=tuple(range(len(diff))))(*primal)
        ws = [rng.standard_normal(xs[i].shape) for i in diff]
        analytical = sum(float(np.sum(g.data * w)) for g, w in zip(grads, ws))
        with al.no_grad():
            hi = pairing(*[al.tensor(xs[i] + EPS * w) for i, w in zip(diff, ws)]).item()
            lo = pairing(*[al.tensor(xs[i] - EPS * w) for i, w in zip(diff, ws)]).item()
        _close(analytical, (hi - lo) / (2 * EPS),
               f"{op.name}: d/dx <u, J t> along w ({sample.describe()})")

    run()
