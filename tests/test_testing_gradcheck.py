"""gradcheck and gradgradcheck: what they accept, what they reject, and what the
report of a rejection says."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.ops.elementwise import Sin
from autograd_lite.testing import (GradcheckError, GradcheckWarning, gradcheck, gradgradcheck,
                                   temporary_registry)
from autograd_lite.testing import numerical

rng = np.random.default_rng(1)
X = rng.standard_normal((3, 4))
W = rng.standard_normal((4, 2))


@pytest.fixture
def scratch():
    with temporary_registry():
        yield


def sin_with(vjp, name="sin_under_test", forward=None):
    """A registered copy of Sin whose VJP is ``vjp`` (and forward ``forward``, if
    given); its public function."""
    body = {"name": name, "vjp": staticmethod(vjp)}
    if forward is not None:
        body["forward"] = staticmethod(forward)
    Custom = type("Custom", (Sin,), body)
    return al.function(Custom)


# ---- accepts correct gradients ----------------------------------------------------

@pytest.mark.parametrize("fast", [False, True], ids=["full", "fast"])
def test_accepts_a_composition_with_broadcasting(fast):
    b = rng.standard_normal((2,))
    fn = lambda x, w, b: al.tanh(x @ w + b).sum(axis=0) * al.exp(b)  # noqa: E731
    assert gradcheck(fn, X, W, b, fast=fast)
    assert gradgradcheck(fn, X, W, b, fast=fast)


def test_accepts_several_outputs_constants_and_zero_size_inputs():
    labels = np.array([0, 2, 1])
    fn = lambda x, y, lab, c: (al.cross_entropy(x, lab) * c, al.sum(y, axis=0))  # noqa: E731
    const = al.Tensor(np.float64(2.0))  # a Tensor without requires_grad is a constant
    assert gradcheck(fn, X[:, :3], np.zeros((0, 2)), labels, const)
    assert gradgradcheck(fn, X[:, :3], np.zeros((0, 2)), labels, const)


def test_accepts_outputs_that_do_not_depend_on_an_input():
    # d/dy of x*2 is zero; the second derivative of a linear function is zero.
    assert gradcheck(lambda x, y: x * 2.0, X, X)
    assert gradgradcheck(lambda x, y: x * 2.0, X, X)


def test_only_tensors_requiring_grad_are_checked():
    x = al.Tensor(X, requires_grad=True)
    y = al.Tensor(X)  # passed through as a constant
    assert gradcheck(lambda a, b: a * b, x, y)


def test_float32_inputs_are_checked_in_float64_with_a_warning():
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return al.sin(t)
    with pytest.warns(GradcheckWarning, match="input 0 has dtype float32"):
        assert gradcheck(fn, X.astype(np.float32))
    assert set(seen) == {np.dtype(np.float64)}


def test_refuses_what_it_cannot_check():
    with pytest.raises(ValueError, match="no input to differentiate"):
        gradcheck(lambda lab: al.tensor(lab.sum()), np.array([1, 2]))
    with pytest.raises(ValueError, match="not finite"):
        gradcheck(al.log, np.array([-1.0, 1.0]))
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda x: x.numpy(), X)


# ---- rejects wrong gradients, and says why ---------------------------------------------

def test_report_names_input_worst_element_values_shapes_and_graph(scratch):
    # Wrong (by a factor 1.5) for one element only: position (1, 2) of input 0.
    def vjp(g, out, x):
        dx = g * np.cos(x)
        if dx.shape == (3, 4):
            dx = dx.copy()
            dx[1, 2] *= 1.5
        return (dx,)
    fn = sin_with(vjp)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda x, w: (fn(x) @ w).sum(), X, W)
    report = str(err.value)
    u = np.random.default_rng(0).standard_normal(())  # the cotangent of the 0-d output, seed 0
    right = (u * np.cos(X) * W.sum(axis=1))[1, 2]
    assert "gradcheck failed: 1 problem" in report
    assert "graph (inputs to outputs): sin_under_test -> matmul -> sum" in report
    assert "inputs: 0: (3, 4) float64 [checked], 1: (4, 2) float64 [checked]" in report
    assert "[1] numerical: input 0 (shape (3, 4), float64): the VJP disagrees with central " \
           "differences at 1 of 12 elements" in report
    assert f"worst element (1, 2): analytical {1.5 * right:.6g}, numerical {right:.6g}" in report


def test_fast_mode_reports_the_input_and_the_projections(scratch):
    fn = sin_with(lambda g, out, x: (2 * g * np.cos(x),))
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3, 4\), float64\): along a "
                                             r"random direction v, <J\^T u, v> ="):
        gradcheck(fn, X, fast=True)


def test_zero_cotangent_and_linearity_are_checked(scratch):
    forgets = sin_with(lambda g, out, x: (np.cos(x) + 0 * g,))
    with pytest.raises(GradcheckError, match=r"\] zero cotangent: input 0 .* does it forget "
                                             r"to multiply by g\?"):
        gradcheck(forgets, X)
    squares = sin_with(lambda g, out, x: (g * np.abs(g) * np.cos(x),), "sin_squares_g")
    with pytest.raises(GradcheckError, match=r"\] linearity: input 0 .*VJP\(a u \+ b w\)"):
        gradcheck(squares, X)


def test_repeated_backward_is_checked(scratch):
    def vjp(g, out, x):
        dx = g * out
        out *= 2.0  # corrupts the saved output the next backward reads
        return (dx,)
    Exp = type("Exp", (al.Op.registry["exp"],),
               {"name": "exp_under_test", "vjp": staticmethod(vjp)})
    with pytest.raises(GradcheckError, match=r"\] repeated backward: .*input 0"):
        gradcheck(al.function(Exp), X)


def test_mutated_inputs_are_reported(scratch):
    def vjp(g, out, x):
        dx = g * np.cos(x)
        x += 1.0  # writes into the caller's array
        return (dx,)
    x = X.copy()
    # The engine saved x for the VJP, so x is read-only while the graph lives: the write
    # fails, and the report says why, rather than a wrong gradient.
    with pytest.raises(GradcheckError, match=r"\] backward: raised .*read-only; a VJP must not "
                                             r"write into the arrays it is given"):
        gradcheck(sin_with(vjp), x)
    assert x.flags.writeable and np.array_equal(x, X)

    def forward_writes(x):
        x += 1.0  # a forward that writes into its input, before anything is locked
        return np.sin(x)
    with pytest.raises(GradcheckError, match=r"\] mutation: input 0 \(shape \(3, 4\)\) was "
                                             r"modified in place"):
        gradcheck(sin_with(lambda g, out, x: (g * np.cos(x),), "sin_writing_its_input",
                           forward=forward_writes), X.copy())


def test_a_failing_backward_is_reported(scratch):
    def vjp(g, out, x):
        raise FloatingPointError("boom")
    with pytest.raises(GradcheckError, match=r"\] backward: raised RuntimeError: .*boom"):
        gradcheck(sin_with(vjp), X)


def test_gradient_shape_and_dtype_are_checked(monkeypatch):
    # The engine always sums gradients to the input's shape and casts to its dtype,
    # so only a broken engine fails this check: simulate one.
    real = numerical.gradients
    monkeypatch.setattr(numerical, "gradients",
                        lambda *a, **k: [g.astype(np.float32) for g in real(*a, **k)])
    with pytest.raises(GradcheckError, match=r"\] shape/dtype: the gradient of input 0 "
                                             r"\(shape \(3, 4\), float64\) has shape \(3, 4\) "
                                             r"and dtype float32"):
        gradcheck(al.sin, X)


def test_raise_exception_false_returns_false(scratch):
    fn = sin_with(lambda g, out, x: (2 * g * np.cos(x),))
    assert gradcheck(fn, X, raise_exception=False) is False
    assert gradcheck(al.sin, X, raise_exception=False) is True


def test_tolerances_are_used(scratch):
    # 0.5% off: rejected at the default rtol=1e-3, accepted at rtol=1e-2.
    fn = sin_with(lambda g, out, x: (1.005 * g * np.cos(x),))
    assert not gradcheck(fn, X, raise_exception=False)
    assert gradcheck(fn, X, rtol=1e-2)


def test_seed_picks_the_cotangent(monkeypatch):
    seen = []
    original = numerical._vjp

    def spy(outs, leaves, us):
        seen.append(us[0].copy())
        return original(outs, leaves, us)
    monkeypatch.setattr(numerical, "_vjp", spy)
    gradcheck(al.sin, X, seed=3)
    gradcheck(al.sin, X, seed=3)
    gradcheck(al.sin, X, seed=4)
    first = len(seen) // 3  # the first cotangent of each call
    np.testing.assert_array_equal(seen[0], seen[first])
    assert not np.array_equal(seen[0], seen[2 * first])
    np.testing.assert_array_equal(seen[0], np.random.default_rng(3).standard_normal(X.shape))


def test_gradgradcheck_rejects_a_wrong_second_derivative(scratch):
    # Right first derivative, but built from np.cos on the raw data: a constant to
    # the second backward.
    fn = sin_with(lambda g, out, x: (g * np.cos(np.asarray(x)),))
    assert gradcheck(fn, X)
    with pytest.raises(GradcheckError) as err:
        gradgradcheck(fn, X)
    assert "checking the derivative of the VJP x -> J(x)^T w" in str(err.value)
    assert "[1] numerical: input 0" in str(err.value)
