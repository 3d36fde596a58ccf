"""The two-layer network: structure, initialisation, gradients against the lessons'
hand-derived backward pass, evaluation helpers and argument checking."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
from nn.models import TwoLayerNet, evaluate, predict, two_layer_net


def _batch(n: int = 8, seed: int = 0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)).astype(dtype), rng.integers(0, 10, n)


def test_structure_and_output_shape():
    net = TwoLayerNet(hidden=32)
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert net.fc1.weight.shape == (32, 784) and net.fc2.weight.shape == (10, 32)
    x, _ = _batch(5)
    out = net(x)
    assert out.shape == (5, 10) and out.dtype == np.float32
    assert sum(p.size for p in net.parameters()) == 784 * 32 + 32 + 32 * 10 + 10


@pytest.mark.parametrize("init, fc1_std", [("he", np.sqrt(2 / 784)),
                                           ("xavier", np.sqrt(2 / (784 + 512)))])
def test_initialisation_scales(init, fc1_std):
    net = two_layer_net(512, seed=1, init=init)
    w1, w2 = net.fc1.weight.data, net.fc2.weight.data
    # 400k and 5k draws: the sample std is within a few percent of the target.
    assert w1.std() == pytest.approx(fc1_std, rel=0.02)
    assert w2.std() == pytest.approx(np.sqrt(2 / (512 + 10)), rel=0.05)
    assert abs(w1.mean()) < 0.05 * fc1_std
    assert not net.fc1.bias.data.any() and not net.fc2.bias.data.any()


def test_seed_repeats_and_distinguishes_networks():
    a, b, c = two_layer_net(16, seed=7), two_layer_net(16, seed=7), two_layer_net(16, seed=8)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data, err_msg=name)
    assert not np.array_equal(a.fc1.weight.data, c.fc1.weight.data)


def test_gradients_match_the_hand_derived_backward_pass():
    # The lessons' formulas, with W of shape (out, in) and samples as rows:
    # dZ2 = (A2 - Y)/m, dW2 = dZ2^T A1, dZ1 = dZ2 W2 * [Z1 > 0], dW1 = dZ1^T X.
    net = two_layer_net(24, seed=3, dtype=np.float64)
    x, y = _batch(16, seed=4, dtype=np.float64)
    loss = net.loss(net(x), y)
    loss.backward()

    W1, b1, W2, b2 = (p.data for p in net.parameters())
    Z1 = x @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2.T + b2
    A2 = np.exp(Z2 - Z2.max(1, keepdims=True))
    A2 /= A2.sum(1, keepdims=True)
    Y = np.eye(10)[y]
    m = len(y)
    assert loss.item() == pytest.approx(-np.mean(np.log(A2[np.arange(m), y])), rel=1e-12)
    dZ2 = (A2 - Y) / m
    dZ1 = dZ2 @ W2 * (Z1 > 0)
    expected = [dZ1.T @ x, dZ1.sum(0), dZ2.T @ A1, dZ2.sum(0)]
    for (name, p), g in zip(net.named_parameters(), expected):
        np.testing.assert_allclose(p.grad, g, rtol=1e-10, atol=1e-14, err_msg=name)


def test_batch_norm_and_dropout_variants():
    net = two_layer_net(16, seed=0, batch_norm=True, dropout=0.5)
    assert net.fc1.bias is None and net.bn1 is not None and net.drop is not None
    assert "bn1.running_mean" in net.state_dict()
    x, _ = _batch(32)
    net.train()
    a, b = net(x).data, net(x).data
    assert not np.array_equal(a, b)  # fresh dropout masks
    net.eval()
    np.testing.assert_array_equal(net(x).data, net(x).data)


def test_predict_and_evaluate():
    net = two_layer_net(16, seed=0, dropout=0.5)
    x, _ = _batch(50)
    net.train()
    pred = predict(net, x, batch_size=7)  # several chunks
    assert pred.shape == (50,) and net.training  # the mode is restored
    with al.no_grad():
        net.eval()
        expected = net(x).data.argmax(1)
    np.testing.assert_array_equal(pred, expected)
    assert evaluate(net, x, pred) == 1.0
    wrong = (pred + 1) % 10
    wrong[:10] = pred[:10]
    assert evaluate(net, x, wrong) == pytest.approx(10 / 50)


def test_evaluate_rejects_mismatched_or_empty_input():
    net = two_layer_net(4, seed=0)
    x, y = _batch(5)
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        evaluate(net, x, y[:4])
    with pytest.raises(ValueError, match="no samples"):
        evaluate(net, x[:0], y[:0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(hidden=0), "hidden must be a positive int, got 0"),
    (dict(hidden=2.5), "hidden must be a positive int"),
    (dict(hidden=True), "hidden must be a positive int"),
    (dict(init="glorot"), "init must be 'he' or 'xavier', got 'glorot'"),
    (dict(dropout=1.0), r"dropout must be in \[0, 1\), got 1.0"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TwoLayerNet(**kwargs)


def test_wrong_input_width_is_reported():
    with pytest.raises(ValueError, match="784"):
        TwoLayerNet(8)(np.zeros((2, 28, 28), np.float32))
