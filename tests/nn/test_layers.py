"""Layers: Linear, Dropout, BatchNorm1d, LayerNorm, Flatten, Identity."""

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F
from gradcheck_helpers import check_grad, leaf

rng = np.random.default_rng(0)


# ---- Linear -----------------------------------------------------------------
def test_linear_computes_x_wt_plus_b():
    lin = nn.Linear(3, 2)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    y = lin(x)
    np.testing.assert_allclose(y.data, x @ lin.weight.data.T + lin.bias.data, rtol=1e-6)
    assert y.dtype == np.float32
    batched = rng.standard_normal((2, 4, 3)).astype(np.float32)   # leading batch axes
    assert lin(batched).shape == (2, 4, 2)
    assert nn.Linear(3, 2, bias=False).bias is None


def test_linear_init_is_uniform_in_one_over_sqrt_fan_in_and_seeded():
    nn.manual_seed(0)
    a = nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)
    for p in (a.weight.data, a.bias.data):
        assert p.min() >= -bound and p.max() <= bound
    # Var of U(-b, b) is b**2 / 3
    assert abs(a.weight.data.var() - bound ** 2 / 3) < 0.05 * bound ** 2 / 3
    nn.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 50).weight.data, a.weight.data)
    g1 = nn.Linear(4, 4, generator=np.random.default_rng(3)).weight.data
    g2 = nn.Linear(4, 4, generator=np.random.default_rng(3)).weight.data
    np.testing.assert_array_equal(g1, g2)


def test_linear_gradients():
    lin = nn.Linear(3, 4).double()
    x = leaf(rng.standard_normal((5, 3)))
    check_grad(lambda: lin(x), [x, lin.weight, lin.bias])


def test_linear_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear\(in_features=3, out_features=2\): expected input "
                                         r"whose last dimension is 3, got shape \(4, 5\)"):
        nn.Linear(3, 2)(np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Linear(0, 2)
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(2,\)"):
        F.linear(np.zeros((1, 3)), np.zeros((2, 3)), np.zeros(3))


# ---- Dropout ----------------------------------------------------------------
def test_dropout_keep_rate_and_scaling():
    p = 0.3
    x = np.ones(200_000, np.float32)
    y = nn.Dropout(p, generator=np.random.default_rng(1))(x).data
    kept = y != 0
    n = x.size
    # Binomial(n, 1-p): within 5 standard deviations
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)       # inverted scaling
    assert abs(y.mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / n)       # expectation preserved
    assert y.dtype == np.float32


def test_dropout_is_identity_in_eval_and_for_p0_and_zero_for_p1():
    x = al.Tensor(rng.standard_normal(10).astype(np.float32))
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).data.any()
    with pytest.raises(ValueError, match="dropout: probability p must be in"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="Dropout: probability p must be in"):
        nn.Dropout(-0.1)


def test_dropout_gradient_uses_the_same_mask():
    x = leaf(rng.standard_normal((4, 5)))

    def f():
        return F.dropout(x, 0.4, generator=np.random.default_rng(7))

    check_grad(f, [x])
    x.grad = None
    f().backward(np.ones((4, 5)))
    mask = f().data != 0
    np.testing.assert_allclose(x.grad, np.ones((4, 5)) * mask / 0.6)


# ---- BatchNorm1d ------------------------------------------------------------
def _bn_ref(x, mean, var, w, b, eps):
    return (x - np.asarray(mean)) / np.sqrt(np.asarray(var) + eps) * np.asarray(w) + np.asarray(b)


def test_batchnorm_train_normalises_with_batch_stats_and_updates_running_stats():
    bn = nn.BatchNorm1d(3, momentum=0.2)
    x = (rng.standard_normal((8, 3)) * [1, 5, 0.1] + [2, -3, 0]).astype(np.float32)
    y = bn(x).data
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    v = x.var(0)
    np.testing.assert_allclose(y.var(0), v / (v + 1e-5), rtol=1e-4)  # biased batch variance
    np.testing.assert_allclose(bn.running_mean.data, 0.8 * 0 + 0.2 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data, 0.8 * 1 + 0.2 * x.var(0, ddof=1), rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_eval_uses_running_stats_and_does_not_update_them():
    bn = nn.BatchNorm1d(2).double()
    with al.no_grad():
        bn.running_mean.copy_(np.array([1.0, -2.0]))
        bn.running_var.copy_(np.array([4.0, 0.25]))
        bn.weight.copy_(np.array([2.0, 3.0]))
        bn.bias.copy_(np.array([0.5, -0.5]))
    bn.eval()
    x = rng.standard_normal((5, 2))
    np.testing.assert_allclose(bn(x).data, _bn_ref(x, [1, -2], [4, 0.25], [2, 3], [0.5, -0.5], 1e-5))
    np.testing.assert_array_equal(bn.running_mean.data, [1.0, -2.0])
    assert bn.num_batches_tracked.item() == 0
    # train and eval differ on the same batch
    assert not np.allclose(bn.train()(x).data, bn.eval()(x).data)


def test_batchnorm_3d_input_cumulative_momentum_and_no_tracking():
    x = rng.standard_normal((4, 2, 6))
    bn = nn.BatchNorm1d(2, momentum=None).double()
    bn(x)
    x2 = rng.standard_normal((4, 2, 6))
    y = bn(x2).data
    np.testing.assert_allclose(y.mean(axis=(0, 2)), 0, atol=1e-12)
    # cumulative average of the two batches' means
    np.testing.assert_allclose(bn.running_mean.data, (x.mean((0, 2)) + x2.mean((0, 2))) / 2)
    free = nn.BatchNorm1d(2, track_running_stats=False, affine=False).double().eval()
    assert free.running_mean is None and list(free.state_dict()) == []
    np.testing.assert_allclose(free(x).data.mean(axis=(0, 2)), 0, atol=1e-12)   # batch stats in eval


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients(training):
    bn = nn.BatchNorm1d(3).double()
    with al.no_grad():
        bn.weight.copy_(rng.standard_normal(3))
        bn.bias.copy_(rng.standard_normal(3))
        bn.running_var.copy_(rng.uniform(0.5, 2, 3))
    bn.train(training)
    x = leaf(rng.standard_normal((6, 3)))
    check_grad(lambda: bn(x), [x, bn.weight, bn.bias])
    x3 = leaf(rng.standard_normal((3, 3, 2)))
    check_grad(lambda: bn(x3), [x3, bn.weight, bn.bias])


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected input of shape \(N, 3\) or "
                                         r"\(N, 3, L\), got \(4, 2\)"):
        nn.BatchNorm1d(3)(np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm1d(3, momentum=2.0)
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(np.zeros((2, 3)), None, None)


# ---- LayerNorm --------------------------------------------------------------
def test_layernorm_matches_numpy_and_gradients():
    ln = nn.LayerNorm((2, 3)).double()
    with al.no_grad():
        ln.weight.copy_(rng.standard_normal((2, 3)))
        ln.bias.copy_(rng.standard_normal((2, 3)))
    x = rng.standard_normal((4, 2, 3))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    ref = (x - mean) / np.sqrt(var + 1e-5) * ln.weight.data + ln.bias.data
    np.testing.assert_allclose(ln(x).data, ref, rtol=1e-10)
    xt = leaf(x)
    check_grad(lambda: ln(xt), [xt, ln.weight, ln.bias])


def test_layernorm_errors_and_options():
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(4, 5\) does not end with "
                                         r"normalized_shape \(3,\)"):
        nn.LayerNorm(3)(np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match="normalized_shape must be a positive int"):
        nn.LayerNorm(0)
    assert nn.LayerNorm(4, bias=False).bias is None
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []


def test_layer_norm_takes_numpy_int_shapes_and_prints_them_as_plain_ints():
    x = np.zeros((4, 5), np.float32)
    assert F.layer_norm(x, np.int64(5)).shape == (4, 5)
    with pytest.raises(ValueError, match=r"normalized_shape \(3,\)$"):
        F.layer_norm(x, np.array([3]))


# ---- Flatten / Identity -----------------------------------------------------
def test_flatten_and_identity():
    x = al.Tensor(rng.standard_normal((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Flatten()(al.Tensor(np.zeros((0, 3, 2)))).shape == (0, 6)
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=3, end_dim=1\): invalid"):
        nn.Flatten(3, 1)(x)
    assert nn.Identity(1, foo=2)(x) is x
    xg = leaf(rng.standard_normal((2, 3, 2)))
    check_grad(lambda: nn.Flatten()(xg), [xg])


# ---- layers fed by other layers (non-leaf inputs) -----------------------------
@pytest.mark.parametrize("training", [True, False])
def test_gradients_through_a_stack_of_layers(training):
    nn.manual_seed(5)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 4),
                          nn.LayerNorm(4), nn.PReLU(4), nn.Linear(4, 2)).double()
    model.train(training)
    with al.no_grad():
        model[1].running_var.copy_(rng.uniform(0.5, 2, 4))
        model[4].weight.copy_(rng.standard_normal(4))
    x = leaf(rng.standard_normal((5, 3)))
    check_grad(lambda: model(x), [x, *model.parameters()], full_max=20)


@pytest.mark.parametrize("make", [lambda: nn.Linear(784, 128), lambda: nn.Linear(3, 2, dtype=np.float64),
                                  lambda: nn.BatchNorm1d(5), lambda: nn.LayerNorm((3, 4)),
                                  lambda: nn.PReLU(3, init=0.1)])
def test_layer_parameters_start_on_a_cache_line_and_stay_there(make):
    layer = make()
    params = list(layer.parameters())
    assert params and all(p.data.ctypes.data % 64 == 0 and p.data.flags.c_contiguous for p in params)
    fresh = make()
    for p in fresh.parameters():
        p.data[...] = np.arange(p.size, dtype=p.dtype).reshape(p.shape)
    layer.load_state_dict(fresh.state_dict())  # copied in place: the storage keeps its alignment
    for p, q in zip(layer.parameters(), fresh.parameters()):
        assert p.data.ctypes.data % 64 == 0
        np.testing.assert_array_equal(p.data, q.data)


def test_casting_a_model_keeps_its_parameters_aligned():
    model = nn.TwoLayerNet(hidden=8).double()
    assert all(p.dtype == np.float64 and p.data.ctypes.data % 64 == 0 for p in model.parameters())


def test_aligned_array_has_the_shape_dtype_and_fill_asked_for():
    a = nn.module.aligned_array((3, 5), np.float64, 2.5)
    assert a.shape == (3, 5) and a.dtype == np.float64 and (a == 2.5).all() and a.ctypes.data % 64 == 0
    assert nn.module.aligned_array(0, np.float32).shape == (0,)
    values = np.arange(6, dtype=np.float64).reshape(2, 3)
    b = nn.module.aligned_array(values.shape, np.float32, values)  # values, cast to the dtype
    assert b.dtype == np.float32 and b.ctypes.data % 64 == 0 and b.tolist() == values.tolist()
    f = nn.module.aligned_array(values.shape, np.float64, values, order="F")
    assert f.flags.f_contiguous and not f.flags.c_contiguous and f.ctypes.data % 64 == 0
    assert f.tolist() == values.tolist()
    with pytest.raises(ValueError, match="aligned_array: order must be 'C' or 'F', got 'A'"):
        nn.module.aligned_array(3, np.float32, order="A")


def test_a_column_major_linear_layer_trains_like_a_row_major_one():
    rng = np.random.default_rng(0)
    layers = [nn.Linear(6, 4, order=order, dtype=np.float64, generator=np.random.default_rng(1))
              for order in ("C", "F")]
    c, f = layers
    assert f.weight.shape == (4, 6) and f.weight.data.flags.f_contiguous
    assert f.weight.data.ctypes.data % 64 == 0
    assert repr(f) == "Linear(in_features=6, out_features=4, bias=True, order='F')"
    assert repr(c) == "Linear(in_features=6, out_features=4, bias=True)"
    np.testing.assert_array_equal(c.weight.data, f.weight.data)  # same initial values
    opts = [nn.optim.Adam(layer.parameters(), lr=0.1) for layer in layers]
    for _ in range(3):
        x = rng.standard_normal((5, 6))
        for layer, opt in zip(layers, opts):
            opt.zero_grad()
            (layer(x) ** 2).sum().backward()
            opt.step()
    np.testing.assert_allclose(f.weight.data, c.weight.data, rtol=1e-12)
    assert f.weight.data.flags.f_contiguous and f.weight.grad.flags.f_contiguous
    # Optimiser state follows the parameter's order, so its updates stay contiguous.
    assert all(v.flags.f_contiguous for v in opts[1].state[f.weight].values() if isinstance(v, np.ndarray))
    f.double().float()
    assert f.weight.data.flags.f_contiguous and f.weight.dtype == np.float32
    with pytest.raises(ValueError, match="Linear: order must be 'C', 'F' or None, got 'K'"):
        nn.Linear(2, 2, order="K")


def test_the_two_layer_networks_first_layer_is_column_major():
    net = nn.TwoLayerNet(hidden=8)
    net(np.zeros((2, 784), np.float32))
    assert net.fc1.weight.data.flags.f_contiguous and net.fc2.weight.data.flags.c_contiguous


def is_column_major(a):
    return a.flags.f_contiguous and not a.flags.c_contiguous


def test_a_plain_sequential_gets_a_column_major_first_layer_at_its_first_call():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    first, last = model[0].weight, model[2].weight
    values, state = first.data.copy(), model.state_dict()
    assert not is_column_major(first.data)
    x, y = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32), np.array([0, 1, 2, 0])
    nn.functional.cross_entropy(model(x), y).backward()
    # The data's layer: column-major, 64-byte aligned, same values; the next one, whose
    # input needs a gradient, stays row-major.
    assert is_column_major(first.data) and first.data.ctypes.data % 64 == 0
    assert not is_column_major(last.data)
    np.testing.assert_array_equal(first.data, values)
    assert is_column_major(first.grad) and first.grad.dtype == np.float32
    # PyTorch's layout in the state dict, and it loads back into either order.
    after = model.state_dict()
    assert after["0.weight"].shape == (5, 6) and set(after) == set(state)
    np.testing.assert_array_equal(after["0.weight"], values)
    model.load_state_dict(state)
    assert is_column_major(first.data)
    assert repr(model[0]) == "Linear(in_features=6, out_features=5, bias=True)"


def test_the_first_call_chooses_only_for_the_layers_own_array():
    for order in ("C", None):
        layer = nn.Linear(3, 2, order=order)
        if order is None:
            mine = np.arange(6, dtype=np.float32).reshape(2, 3)
            layer.weight.data = mine   # the user's array stays theirs
        layer(np.ones((1, 3), np.float32))
        assert not is_column_major(layer.weight.data)
        if order is None:
            assert layer.weight.data is mine
    inner = nn.Linear(3, 2)
    with al.no_grad():   # cannot tell whether a later input needs a gradient: no choice yet
        inner(np.ones((1, 3), np.float32))
    inner(al.tensor(np.ones((1, 3), np.float32), requires_grad=True))
    inner(np.ones((1, 3), np.float32))   # only the first call chooses
    assert not is_column_major(inner.weight.data)


def test_a_sequential_trains_like_the_same_model_kept_row_major():
    rng = np.random.default_rng(0)
    models = []
    for order in (None, "C"):
        nn.manual_seed(1)
        models.append(nn.Sequential(nn.Linear(6, 5, order=order), nn.Tanh(), nn.Linear(5, 3, order=order)))
    opts = [nn.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in models]
    for _ in range(3):
        x, y = rng.standard_normal((4, 6)).astype(np.float32), rng.integers(0, 3, 4)
        for m, opt in zip(models, opts):
            opt.zero_grad()
            nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
    assert is_column_major(models[0][0].weight.data)
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6)
