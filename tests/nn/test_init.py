"""nn.init: distributions, gains, fans, reproducibility, dtype, errors."""

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn import init


def _p(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype))


def test_constant_initialisers():
    assert (init.ones_(_p(3, 2)).data == 1).all()
    assert (init.zeros_(nn.Parameter(np.ones(4, np.float32))).data == 0).all()
    assert (init.constant_(_p(2), 0.5).data == 0.5).all()
    arr = np.empty(3)
    assert init.constant_(arr, 2.0) is arr and (arr == 2).all()    # plain ndarrays too


def test_uniform_and_normal_statistics():
    g = np.random.default_rng(0)
    u = init.uniform_(_p(200, 200), -2.0, 3.0, generator=g).data
    assert u.min() >= -2 and u.max() <= 3
    assert abs(u.mean() - 0.5) < 0.03 and abs(u.var() - 25 / 12) < 0.05
    n = init.normal_(_p(200, 200), 1.0, 0.5, generator=g).data
    assert abs(n.mean() - 1.0) < 0.01 and abs(n.std() - 0.5) < 0.01


def test_xavier_bounds_and_variance():
    g = np.random.default_rng(1)
    fan_in, fan_out = 300, 100
    w = init.xavier_uniform_(_p(fan_out, fan_in), gain=2.0, generator=g).data
    a = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert w.min() >= -a and w.max() <= a and w.max() > 0.95 * a
    w = init.xavier_normal_(_p(fan_out, fan_in), generator=g).data
    assert abs(w.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.02 * math.sqrt(2 / 400)
    assert init.glorot_uniform_ is init.xavier_uniform_


@pytest.mark.parametrize("mode,fan", [("fan_in", 250), ("fan_out", 120)])
def test_kaiming_std_follows_fan_and_gain(mode, fan):
    g = np.random.default_rng(2)
    w = init.kaiming_normal_(_p(120, 250), mode=mode, nonlinearity="relu", generator=g).data
    assert abs(w.std() - math.sqrt(2 / fan)) < 0.02 * math.sqrt(2 / fan)
    w = init.kaiming_uniform_(_p(120, 250), a=0.0, mode=mode, nonlinearity="relu", generator=g).data
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    assert w.min() >= -bound and w.max() <= bound and w.max() > 0.95 * bound
    with pytest.raises(ValueError, match="kaiming_uniform_: mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(_p(2, 2), mode="fan")


def test_orthogonal_gives_orthonormal_rows_or_columns():
    g = np.random.default_rng(3)
    tall = init.orthogonal_(_p(6, 3, dtype=np.float64), gain=2.0, generator=g).data
    np.testing.assert_allclose(tall.T @ tall, 4 * np.eye(3), atol=1e-12)
    wide = init.orthogonal_(_p(3, 2, 4, dtype=np.float64), generator=g).data.reshape(3, 8)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-12)
    with pytest.raises(ValueError, match="orthogonal_: need a tensor with at least 2 dimensions"):
        init.orthogonal_(_p(3))


def test_gain_and_fan_values():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swishy'"):
        init.calculate_gain("swishy")
    assert init.calculate_fan_in_and_fan_out(np.zeros((8, 4, 3, 3))) == (36, 72)
    with pytest.raises(ValueError, match=r"at least 2 dimensions .* got shape \(5,\)"):
        init.calculate_fan_in_and_fan_out(np.zeros(5))


def test_seeding_makes_initialisation_reproducible():
    nn.manual_seed(42)
    a = init.normal_(_p(5)).data.copy()
    b = init.normal_(_p(5)).data.copy()
    nn.manual_seed(42)
    np.testing.assert_array_equal(init.normal_(_p(5)).data, a)
    assert not np.array_equal(a, b)
    x = init.uniform_(_p(4), generator=np.random.default_rng(9)).data
    y = init.uniform_(_p(4), generator=np.random.default_rng(9)).data
    np.testing.assert_array_equal(x, y)
    with pytest.raises(TypeError, match="manual_seed: seed must be an int"):
        nn.manual_seed(1.5)
    with pytest.raises(TypeError, match="expected a numpy.random.Generator"):
        init.normal_(_p(2), generator=3)


def test_initialisers_keep_dtype_identity_and_version():
    p = _p(4, 4)
    data = p.data
    init.kaiming_uniform_(p)
    assert p.data is data and p.dtype == np.float32
    # The parameter is changed in place through the Tensor API, so a graph that
    # saved the old values refuses to backpropagate through it.
    y = (p * p).sum()
    init.normal_(p)
    with pytest.raises(al.InplaceModificationError):
        y.backward()
    with pytest.raises(TypeError, match="normal_: expected a floating Tensor or ndarray"):
        init.normal_(np.zeros(3, np.int64))


def test_calculate_gain_knows_transposed_convolutions_and_matches_torch():
    # issue #16 item 10: PyTorch's list of linear functions includes the transposed convs.
    for name in ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
        assert init.calculate_gain(name) == 1
    torch = pytest.importorskip("torch")
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name),
                                                          rel=1e-15)
    assert init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)
