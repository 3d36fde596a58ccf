"""Gradient clipping: clip_grad_norm_ and clip_grad_value_."""

import math

import numpy as np
import pytest

import autograd_lite as al
import nn


def _params(*grads, dtype=np.float64):
    ps = []
    for g in grads:
        p = nn.Parameter(np.zeros(np.shape(g), dtype))
        p.grad = np.array(g, dtype)
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_all_gradients_together():
    ps = _params([3.0, 0.0], [[4.0]])                    # joint 2-norm 5
    total = nn.utils.clip_grad_norm_(ps, max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(ps[0].grad, [3 / (5 + 1e-6), 0], rtol=1e-9)
    np.testing.assert_allclose(ps[1].grad, [[4 / (5 + 1e-6)]], rtol=1e-9)
    joint = math.sqrt(sum(float((p.grad ** 2).sum()) for p in ps))
    assert joint == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_supports_other_norms():
    ps = _params([0.3, -0.4])
    assert nn.clip_grad_norm_(ps, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(ps[0].grad, [0.3, -0.4])
    ps = _params([1.0, -6.0], [2.0])
    assert nn.clip_grad_norm_(ps, 3.0, norm_type=float("inf")) == 6.0
    np.testing.assert_allclose(ps[0].grad, np.array([1.0, -6.0]) * 3 / (6 + 1e-6))
    ps = _params([1.0, -2.0], [3.0])
    assert nn.clip_grad_norm_(ps, 100.0, norm_type=1) == pytest.approx(6.0)


def test_clip_grad_norm_keeps_float32_and_skips_missing_grads():
    ps = _params([30.0, 40.0], dtype=np.float32)
    ps.append(nn.Parameter(np.zeros(2, np.float32)))     # no grad
    buf = ps[0].grad
    nn.clip_grad_norm_(ps, 5.0)
    assert ps[0].grad is buf and buf.dtype == np.float32  # in place
    np.testing.assert_allclose(buf, [3.0, 4.0], rtol=1e-5)
    assert ps[1].grad is None
    assert nn.clip_grad_norm_([nn.Parameter(np.zeros(1))], 1.0) == 0.0


def test_clip_grad_norm_nonfinite_and_errors():
    ps = _params([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        nn.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        nn.clip_grad_norm_(ps, -1.0)
    with pytest.raises(TypeError, match="clip_grad_norm_: expected Tensors, got a ndarray"):
        nn.clip_grad_norm_([np.zeros(2)], 1.0)


def test_clip_grad_value_clamps_elements():
    ps = _params([-3.0, 0.5, 2.0])
    nn.utils.clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad, [-1.0, 0.5, 1.0])
    p = ps[0]
    nn.clip_grad_value_(p, 0.25)                          # a single tensor works too
    np.testing.assert_array_equal(p.grad, [-0.25, 0.25, 0.25])
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        nn.clip_grad_value_(p, -1)


def test_clipping_create_graph_gradients_keeps_them_differentiable():
    p = nn.Parameter(np.array([3.0, 4.0]))
    (p * p).sum().backward(create_graph=True)             # p.grad = 2p, a Tensor with a graph
    nn.clip_grad_norm_([p], 1.0)
    assert isinstance(p.grad, al.Tensor)
    np.testing.assert_allclose(p.grad.data, np.array([6.0, 8.0]) / (10 + 1e-6))
    nn.clip_grad_value_([p], 0.5)
    np.testing.assert_allclose(p.grad.data, [0.5, 0.5], rtol=1e-5)


# ---- issue #16 item 10: clip_grad_norm_ returns a tensor, as PyTorch's does ---------------

def test_clip_grad_norm_returns_a_0d_tensor_of_the_gradients_dtype():
    ps = _params([3.0, 0.0], [[4.0]], dtype=np.float32)
    total = nn.utils.clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, al.Tensor) and total.shape == () and total.dtype == np.float32
    assert total.item() == pytest.approx(5.0) and not total.requires_grad
    none = nn.clip_grad_norm_([nn.Parameter(np.zeros(1))], 1.0)
    assert isinstance(none, al.Tensor) and none.item() == 0.0


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_and_value_match_torch(norm_type):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), ()] + ([(0, 2)] if norm_type != float("inf") else [])  # torch refuses
    grads = [rng.standard_normal(s) for s in shapes]
    ps = _params(*grads)
    tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tps, grads):
        t.grad = torch.tensor(g)
    total = nn.clip_grad_norm_(ps, 1.5, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(tps, 1.5, norm_type=norm_type)
    assert total.item() == pytest.approx(t_total.item(), rel=1e-12)
    for p, t in zip(ps, tps):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    ps = _params(*grads)
    for t, g in zip(tps, grads):
        t.grad = torch.tensor(g)
    nn.clip_grad_value_(ps, 0.1)
    torch.nn.utils.clip_grad_value_(tps, 0.1)
    for p, t in zip(ps, tps):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


# ---- grad_array: the one place nn reads a gradient's values (#17) ------------------------

def test_grad_array_is_the_gradient_array_itself_after_a_plain_backward():
    p = nn.Parameter(np.array([3.0, -4.0]))
    assert nn.utils.grad_array(p) is None
    (p * p).sum().backward()
    g = nn.utils.grad_array(p)
    assert g is p.grad and isinstance(g, np.ndarray)
    np.testing.assert_array_equal(g, [6.0, -8.0])


def test_grad_array_gives_the_values_of_a_create_graph_gradient():
    p = nn.Parameter(np.array([3.0, -4.0]))
    (p * p).sum().backward(create_graph=True)
    g = nn.utils.grad_array(p)
    assert isinstance(p.grad, al.Tensor) and type(g) is np.ndarray and g is p.grad.data
    np.testing.assert_array_equal(g, [6.0, -8.0])


def test_zero_grad_and_monitor_read_create_graph_gradients():
    """Module.zero_grad, Optimizer.zero_grad and Monitor, which read .grad through
    grad_array, treat a create_graph gradient (a Tensor) as its values."""
    from nn.diagnostics import Monitor
    model = nn.Sequential(nn.Linear(3, 2, dtype=np.float64))
    mon = Monitor(model)
    x = np.arange(6.0).reshape(2, 3)
    loss = (model(x) ** 2).sum()
    loss.backward(create_graph=True)
    grads = [p.grad.data.copy() for p in model.parameters()]
    assert all(isinstance(p.grad, al.Tensor) for p in model.parameters())
    mon.before_step(loss)
    mon.after_step()
    expected = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    assert mon.layer_stats()[0].grad_norm == pytest.approx(expected)
    model.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), grads):
        assert type(p.grad) is np.ndarray and p.grad.shape == g.shape and not p.grad.any()
    (model(x) ** 2).sum().backward(create_graph=True)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert all(type(p.grad) is np.ndarray and not p.grad.any() for p in model.parameters())
