"""The lessons' forms of two formulas: Swish with a (learnable) beta, and the contrastive
loss without the 1/2 (``half=False``). SGD's averaged momentum is in test_optim_more.py."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as al
import nn
import nn.functional as F
from autograd_lite.testing import gradcheck, gradgradcheck
from autograd_lite.testing import strategies as S
from gradcheck_helpers import check_grad, leaf

rng = np.random.default_rng(0)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---- Swish
@pytest.mark.parametrize("beta", [1.0, 1.7, 0.25, -0.5])
def test_swish_values_and_gradients(beta):
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(F.swish(x, beta).data, x * _sigmoid(beta * x), rtol=1e-12)
    act = nn.Swish(beta).double()
    np.testing.assert_allclose(act(x).data, x * _sigmoid(beta * x), rtol=1e-12)
    assert not list(act.parameters())
    xt = leaf(x)
    check_grad(lambda: act(xt), [xt])


@given(S.broadcastable_shapes(2), st.data())
def test_swish_gradients_in_x_and_beta_to_second_order(shapes, data):
    # 0-d, size-0 and broadcasting shapes; beta a Tensor as a learned one is
    x = al.tensor(data.draw(S.arrays(shapes[0])), requires_grad=True)
    beta = al.tensor(data.draw(S.arrays(shapes[1])), requires_grad=True)
    assert gradcheck(F.swish, x, beta)
    assert gradgradcheck(F.swish, x, beta)
    assert gradgradcheck(lambda x: F.swish(x, 1.7), x)


def test_swish_with_beta_one_is_silu():
    x = rng.standard_normal(7)
    np.testing.assert_array_equal(nn.Swish()(x).data, nn.SiLU()(x).data)
    np.testing.assert_array_equal(F.swish(x).data, F.silu(x).data)
    assert nn.functional.swish is not nn.functional.silu


def test_learnable_beta_is_a_parameter_with_a_gradient():
    act = nn.Swish(beta=0.5, learnable_beta=True).double()
    assert [name for name, _ in act.named_parameters()] == ["beta"] and act.beta.shape == ()
    assert act.beta.item() == 0.5 and "beta" in act.state_dict()
    x = rng.standard_normal((3, 5))
    np.testing.assert_allclose(act(x).data, x * _sigmoid(0.5 * x), rtol=1e-12)
    xt = leaf(x)
    check_grad(lambda: act(xt), [xt, act.beta])          # float64, central differences
    # it trains: SGD moves beta
    opt = nn.optim.SGD(act.parameters(), lr=0.1)
    act(x).sum().backward()
    opt.step()
    assert act.beta.item() != 0.5
    assert repr(nn.Swish(2.0, learnable_beta=True)) == "Swish(beta=2, learnable_beta=True)"


def test_swish_matches_torch_with_a_learned_beta():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 6))
    u = rng.standard_normal((4, 6))
    act = nn.Swish(beta=1.3, learnable_beta=True, dtype=np.float64)
    xt = leaf(x)
    act(xt).backward(u)
    tx = torch.tensor(x, requires_grad=True)
    tb = torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    out = tx * torch.sigmoid(tb * tx)
    out.backward(torch.tensor(u))
    np.testing.assert_allclose(act(x).data, out.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(act.beta.grad, tb.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(nn.Swish()(x).data, torch.nn.SiLU()(torch.tensor(x)).numpy(), rtol=1e-13)


def test_swish_keeps_float32_and_builds_by_name():
    x = rng.standard_normal((2, 3)).astype(np.float32)
    assert nn.Swish(1.5)(x).dtype == np.float32
    act = nn.Swish(1.5, learnable_beta=True)
    assert act.beta.dtype == np.float32 and act(x).dtype == np.float32
    assert isinstance(nn.MLP([3, 4, 2], activation="swish")[1], nn.Swish)


def test_swish_errors():
    with pytest.raises(TypeError, match="Swish: beta must be a number, got '1'"):
        nn.Swish("1")
    with pytest.raises(TypeError, match="Swish: learnable_beta must be a bool, got 1"):
        nn.Swish(1.0, learnable_beta=1)
    with pytest.raises(TypeError, match="swish: beta must be a number or a Tensor, got list"):
        F.swish(np.ones(2), [1.0])


# ---- contrastive loss
def _contrastive_ref(a, b, y, margin):
    d = np.sqrt(((a - b + 1e-6) ** 2).sum(-1))
    return y * d ** 2 + (1 - y) * np.maximum(0, margin - d) ** 2


def test_contrastive_loss_without_the_half_is_the_lessons_form():
    a, b = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)) * 0.3
    y = np.array([1, 0, 1, 0, 0, 1], float)
    full = _contrastive_ref(a, b, y, 2.0)
    assert (full[y == 1] > 0).all() and (full[y == 0] > 0).any()   # both terms contribute
    np.testing.assert_allclose(F.contrastive_loss(a, b, y, 2.0, "none", half=False).data, full, rtol=1e-10)
    np.testing.assert_allclose(F.contrastive_loss(a, b, y, 2.0, "none").data, full / 2, rtol=1e-10)
    np.testing.assert_allclose(nn.ContrastiveLoss(2.0, half=False)(a, b, y).data, full.mean(), rtol=1e-10)
    np.testing.assert_allclose(nn.ContrastiveLoss(2.0, reduction="sum", half=False)(a, b, y).data,
                               full.sum(), rtol=1e-10)
    at, bt = leaf(a), leaf(b)
    check_grad(lambda: F.contrastive_loss(at, bt, y, margin=2.0, reduction="none", half=False), [at, bt])
    # the gradient doubles too
    g = []
    for half in (True, False):
        at = leaf(a)
        F.contrastive_loss(at, b, y, 2.0, half=half).backward()
        g.append(at.grad)
    np.testing.assert_allclose(g[1], 2 * g[0], rtol=1e-12)


def test_contrastive_half_must_be_a_bool():
    with pytest.raises(TypeError, match="contrastive_loss: half must be a bool, got 0.5"):
        F.contrastive_loss(np.zeros((2, 3)), np.ones((2, 3)), np.ones(2), half=0.5)
    with pytest.raises(TypeError, match="ContrastiveLoss: half must be a bool, got 'no'"):
        nn.ContrastiveLoss(half="no")
    assert "half=False" in repr(nn.ContrastiveLoss(half=False))
