"""Activation modules and functions: values against NumPy formulas, gradients."""

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F
from gradcheck_helpers import check_grad, leaf

rng = np.random.default_rng(0)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


_erf = np.vectorize(math.erf)

# (module, NumPy reference); inputs are kept away from 0, where some have kinks.
CASES = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
    (nn.Sigmoid(), _sigmoid),
    (nn.Tanh(), np.tanh),
    (nn.Softplus(), _softplus),
    (nn.Softplus(beta=2.0, threshold=3.0),
     lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    (nn.SiLU(), lambda x: x * _sigmoid(x)),
    (nn.Swish(), lambda x: x * _sigmoid(x)),
    (nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    (nn.Mish(), lambda x: x * np.tanh(_softplus(x))),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
    (nn.PReLU(), lambda x: np.where(x > 0, x, 0.25 * x)),
]


def _away_from_zero(shape):
    x = rng.uniform(0.2, 2.5, shape)
    return x * rng.choice([-1, 1], shape)


@pytest.mark.parametrize("module,ref", CASES, ids=lambda c: repr(c) if isinstance(c, nn.Module) else "")
def test_activation_values_and_gradients(module, ref):
    x = _away_from_zero((4, 3))
    module.double()
    np.testing.assert_allclose(module(x).data, ref(x), rtol=1e-7, atol=1e-12)
    xt = leaf(x)
    check_grad(lambda: module(xt), [xt, *module.parameters()])


def test_activations_keep_float32():
    x = _away_from_zero((3, 3)).astype(np.float32)
    for module, _ in CASES:
        if not list(module.parameters()):
            assert module(x).dtype == np.float32, module


def test_prelu_learns_one_slope_per_channel():
    act = nn.PReLU(num_parameters=3, init=0.1).double()
    x = _away_from_zero((2, 3, 4))
    slopes = np.array([0.1, 0.1, 0.1])
    np.testing.assert_allclose(act(x).data, np.where(x > 0, x, slopes[:, None] * x))
    xt = leaf(x)
    check_grad(lambda: act(xt), [xt, act.weight])
    with pytest.raises(ValueError, match=r"prelu: 3 slopes need input with 3 channels on axis 1, "
                                         r"got input of shape \(2, 4\)"):
        act(np.zeros((2, 4)))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
def test_prelu_with_one_slope_keeps_the_input_shape_as_torch_does(shape):
    torch = pytest.importorskip("torch")
    x = _away_from_zero(shape)
    xt, a = leaf(x), leaf(np.array([0.3]))
    y = F.prelu(xt, a)
    u = rng.standard_normal(shape)
    y.backward(u)
    tx = torch.tensor(x, requires_grad=True)
    ta = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    ty = torch.nn.functional.prelu(tx, ta)
    ty.backward(torch.tensor(u))
    assert y.shape == tuple(ty.shape) == shape
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    np.testing.assert_allclose(xt.grad, tx.grad.numpy())
    np.testing.assert_allclose(a.grad, ta.grad.numpy())


def test_softplus_and_sigmoid_are_finite_at_extremes():
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4], np.float32)
    for f in (F.softplus, F.sigmoid, F.silu, F.mish, F.gelu, F.elu):
        xt = al.Tensor(x, requires_grad=True)
        y = f(xt)
        y.backward(np.ones_like(x))
        assert np.isfinite(y.data).all() and np.isfinite(xt.grad).all(), f.__name__


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")


def test_activation_reprs_show_configuration():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Softmax(dim=0)) == "Softmax(dim=0)"
    assert repr(nn.PReLU(4)) == "PReLU(num_parameters=4)"
