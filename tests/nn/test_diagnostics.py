"""nn.diagnostics.Monitor: gradient norms, update/weight ratios, dead ReLUs and the
explanation of a loss that turned NaN or inf."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import hooks
from nn.diagnostics import Monitor
from nn.models import predict, two_layer_net


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def _sgd(net, lr):
    with al.no_grad():
        for p in net.parameters():
            p.sub_(lr * p.grad)
            p.grad = None


def _step(net, mon, x, y, lr):
    loss = net.loss(net(x), y)
    loss.backward()
    mon.before_step(loss)
    if math.isfinite(loss.item()):
        _sgd(net, lr)
        mon.after_step()
    return loss.item()


def test_layers_are_the_modules_owning_parameters():
    assert [n for n, _ in Monitor(two_layer_net(8)).layers] == ["fc1", "fc2"]
    bn = Monitor(two_layer_net(8, batch_norm=True))
    assert [n for n, _ in bn.layers] == ["fc1", "bn1", "fc2"]


def test_gradient_norms_and_update_ratios_are_measured():
    net = two_layer_net(16, seed=0)
    x, y = _data()
    mon = Monitor(net)
    loss = net.loss(net(x), y)
    loss.backward()
    grads = {n: p.grad.astype(np.float64) for n, p in net.named_parameters()}
    weights = {n: p.data.astype(np.float64) for n, p in net.named_parameters()}
    mon.before_step(loss)
    _sgd(net, 0.5)
    mon.after_step()
    stats = mon.layer_stats()
    for s in stats:
        g = np.concatenate([grads[f"{s.name}.weight"].ravel(), grads[f"{s.name}.bias"].ravel()])
        w = np.concatenate([weights[f"{s.name}.weight"].ravel(), weights[f"{s.name}.bias"].ravel()])
        assert s.grad_norm == pytest.approx(np.linalg.norm(g), rel=1e-6)
        # An SGD step moves the weights by lr * grad.
        expected = 0.5 * np.linalg.norm(g) / np.linalg.norm(w)
        assert s.update_ratio == pytest.approx(expected, rel=1e-4)
    assert [s.index for s in stats] == [1, 2]


def test_report_flags_large_and_small_updates():
    net = two_layer_net(16, seed=0)
    x, y = _data()
    mon = Monitor(net)
    _step(net, mon, x, y, lr=50.0)
    report = mon.report()
    assert "1 fc1" in report and "2 fc2" in report and "high: lr too large?" in report
    mon.reset()
    _step(net, mon, x, y, lr=1e-9)
    assert "low: lr too small?" in mon.report()


def test_dead_relus_are_counted_per_unit_in_training_passes_only():
    net = two_layer_net(16, seed=0)
    with al.no_grad():
        net.fc1.bias.data[:5] = -1e4  # five units can never be positive on [0, 1) pixels
        net.fc1.bias.data[5:] = 1e4   # the rest always are
    x, y = _data()
    with Monitor(net) as mon:
        assert predict(net, x).shape == (64,)  # no graph: not counted
        assert mon.relu_stats() == []
        _step(net, mon, x, y, lr=0.0)
        (stats,) = mon.relu_stats()
    assert (stats.name, stats.dead, stats.units) == ("relu(fc1)", 5, 16)
    assert stats.fraction == pytest.approx(5 / 16)
    assert "relu(fc1): 31.2% dead (5 of 16 units never active)" in mon.report()
    assert mon._on_forward not in hooks.forward_hooks()


def test_a_unit_active_on_any_sample_of_the_window_is_alive():
    net = two_layer_net(4, seed=0)
    with al.no_grad():
        net.fc1.weight.data[:] = 0
        net.fc1.weight.data[:, 0] = 1.0
        net.fc1.bias.data[:] = -0.5  # unit active only where pixel 0 > 0.5
    x, y = _data(8)
    x[:, 0] = 0.0
    with Monitor(net) as mon:
        _step(net, mon, x, y, lr=0.0)
        assert mon.relu_stats()[0].dead == 4
        x[3, 0] = 1.0
        _step(net, mon, x, y, lr=0.0)
        assert mon.relu_stats()[0].dead == 0
        mon.reset()
        assert mon.relu_stats() == []


def test_relu_after_batch_norm_is_named_after_it():
    net = two_layer_net(8, seed=0, batch_norm=True)
    x, y = _data()
    with Monitor(net) as mon:
        _step(net, mon, x, y, lr=0.0)
    assert [r.name for r in mon.relu_stats()] == ["relu(bn1)"]


def test_too_high_learning_rate_is_named_as_the_cause():
    # ReLU networks rarely reach NaN: the loss explodes to large finite values.
    net = two_layer_net(32, seed=0)
    x, y = _data(128)
    mon = Monitor(net)
    for _ in range(20):
        _step(net, mon, x, y, lr=1e3)
        if mon.diverged():
            break
    else:
        pytest.fail("lr=1e3 did not make the loss explode")
    assert math.isfinite(mon._history[-1].loss)
    d = mon.explain_divergence(lr=1e3, where="epoch 1, step 9")
    assert d.cause == "lr_too_high"
    assert "The loss exploded to" in d.message and "at epoch 1, step 9" in d.message
    assert "learning rate is too high (lr=1000)" in d.message
    assert "10x smaller (100)" in d.message


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_nan_loss_after_an_enormous_step_blames_the_learning_rate():
    net = two_layer_net(32, seed=0)
    x, y = _data(128)
    mon = Monitor(net)
    losses = [_step(net, mon, x, y, lr=1e30) for _ in range(2)]
    assert math.isfinite(losses[0]) and not math.isfinite(losses[1])
    assert mon.diverged()
    d = mon.explain_divergence(lr=1e30)
    assert d.cause == "lr_too_high" and "The loss became" in d.message
    assert "updates changed the weights by up to" in d.message


def test_a_steady_loss_has_not_diverged():
    net = two_layer_net(16, seed=0)
    x, y = _data()
    mon = Monitor(net)
    assert not mon.diverged()
    for _ in range(3):
        _step(net, mon, x, y, lr=0.01)
    assert not mon.diverged()
    mon.before_step(mon.first_loss * 11)
    assert mon.diverged() and not mon.diverged(factor=12)


def test_exploding_gradients_name_the_layer():
    # Gradients of fc2 grow 1000x while the weights do not move and the loss is flat:
    # no sign of a large learning rate, but an explosion in layer 2.
    net = two_layer_net(8, seed=0)
    mon = Monitor(net)
    for k in range(6):
        for name, p in net.named_parameters():
            scale = 10.0 ** (k * 0.6) if name.startswith("fc2") else 1.0
            p.grad = np.full(p.shape, 1e-3 * scale, np.float32)
        mon.before_step(2.3)
        mon.after_step()
    mon.before_step(float("inf"))
    d = mon.explain_divergence()
    assert (d.cause, d.layer) == ("exploding_gradients", "fc2")
    assert "exploding gradients in layer 2 (fc2)" in d.message
    assert "inf" in d.message


def test_bad_input_is_reported_before_anything_else():
    net = two_layer_net(8, seed=0)
    x, y = _data(16)
    x[2, 3] = np.nan
    mon = Monitor(net)
    _step(net, mon, x, y, lr=0.1)
    d = mon.explain_divergence(lr=0.1, inputs=x)
    assert d.cause == "bad_input" and "1 NaN/inf values" in d.message


def test_divergence_on_the_first_step_says_so():
    net = two_layer_net(8, seed=0)
    mon = Monitor(net)
    mon.before_step(float("nan"))
    d = mon.explain_divergence()
    assert d.cause == "unknown" and "first step" in d.message


def test_steady_history_gives_no_false_cause():
    net = two_layer_net(8, seed=0)
    x, y = _data()
    mon = Monitor(net)
    for _ in range(5):
        _step(net, mon, x, y, lr=1e-3)
    mon.before_step(float("nan"))
    d = mon.explain_divergence(lr=1e-3)
    assert d.cause == "unknown" and "No sign of a too-high learning rate" in d.message


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected an nn.Module, got list"):
        Monitor([])
    with pytest.raises(ValueError, match="history must be an int >= 2, got 1"):
        Monitor(two_layer_net(4), history=1)
    with pytest.raises(RuntimeError, match="call before_step"):
        Monitor(two_layer_net(4)).after_step()


def test_the_exploded_step_own_gradients_count_when_finite():
    net = two_layer_net(8, seed=0)
    mon = Monitor(net)
    for k in range(4):
        for name, p in net.named_parameters():
            grow = 100.0 if (k == 3 and name.startswith("fc1")) else 1.0
            p.grad = np.full(p.shape, 1e-3 * grow, np.float32)
        mon.before_step(2.3 if k < 3 else 40.0)
        if k < 3:
            mon.after_step()
    assert mon.diverged()
    d = mon.explain_divergence(lr=0.5)
    assert d.layer == "fc1" and "layer 1 (fc1)" in d.message and "x100" in d.message
    assert d.cause == "lr_too_high"  # the loss rose with the gradients
    assert "exploded to 40" in d.message


def test_advice_follows_the_cause():
    net = two_layer_net(8, seed=0)
    mon = Monitor(net)
    for k in range(5):
        for name, p in net.named_parameters():
            p.grad = np.full(p.shape, 1e-3 * 10.0 ** k if name == "fc1.weight" else 1e-3,
                             np.float32)
        mon.before_step(2.3)
        mon.after_step()
    mon.before_step(float("nan"))
    d = mon.explain_divergence(lr=0.5)
    assert d.cause == "exploding_gradients"
    assert "Clip the gradient norm (nn.clip_grad_norm_), or try a learning rate 10x smaller " \
           "(0.05)." in d.message


def test_unscaled_inputs_are_pointed_out():
    net = two_layer_net(16, seed=0)
    x, y = _data(64)
    mon = Monitor(net)
    for _ in range(5):
        _step(net, mon, x * 255, y, lr=0.1)
        if mon.diverged():
            break
    assert mon.diverged()
    assert "The inputs reach |x| = 255" in mon.explain_divergence(lr=0.1, inputs=x * 255).message
    assert "The inputs reach" not in mon.explain_divergence(lr=0.1, inputs=x).message
