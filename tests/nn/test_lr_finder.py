"""nn.optim.lr_finder: the sweep's steps, its stopping rule, the suggestion, restoring, errors."""

import math

import numpy as np
import pytest

import nn
from nn.optim.lr_finder import _centered_mean


def _regression(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * np.array([1.0, 2.0, 0.5])
    y = X @ np.array([[1.0, -2.0, 0.5]]).T + 0.3
    return X, y


def _linear(seed=0):
    _ = nn.manual_seed(seed)
    return nn.Linear(3, 1, dtype=np.float64)


def test_centered_mean_has_no_lag():
    ramp = np.arange(10.0)
    np.testing.assert_allclose(_centered_mean(ramp, 2)[2:-2], ramp[2:-2])
    assert _centered_mean(ramp, 2)[0] == pytest.approx(1.0)  # mean of 0, 1, 2
    assert _centered_mean(ramp, 2)[-1] == pytest.approx(8.0)  # mean of 7, 8, 9


def test_one_sgd_step_per_geometric_lr():
    # With the default optimiser (SGD) and restore=False, the sweep is this loop.
    X, y = _regression()
    batches = [(X[:32], y[:32]), (X[32:], y[32:])]   # re-iterated: 10 steps over 2 batches
    model = _linear()
    r = nn.optim.lr_finder(model, nn.MSELoss(), batches, start_lr=1e-3, end_lr=1e-1, num_iter=10,
                           restore=False)
    lrs = 1e-3 * 100.0 ** (np.arange(10) / 9)
    np.testing.assert_allclose(r.lrs, lrs, rtol=1e-14)
    ref = _linear()
    opt = nn.optim.SGD(ref.parameters())
    losses = []
    for k, lr in enumerate(lrs):
        xb, yb = batches[k % 2]
        opt.param_groups[0]["lr"] = lr
        loss = nn.MSELoss()(ref(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.testing.assert_allclose(r.losses, losses, rtol=1e-12)
    np.testing.assert_allclose(model.weight.data, ref.weight.data, rtol=1e-12)
    assert not r.stopped_early and r.min_loss_lr == r.lrs[int(np.argmin(r.smoothed))]


def test_stops_past_the_stability_limit_and_suggests_below_it():
    # Full-batch gradient descent on a quadratic is stable exactly while lr < 2 / lambda_max
    # of the Hessian: the loss cannot blow up before, and the suggestion must lie below.
    X, y = _regression()
    Xb = np.hstack([X, np.ones((len(X), 1))])
    limit = 2 / np.linalg.eigvalsh(2 * Xb.T @ Xb / len(X)).max()
    r = nn.optim.lr_finder(_linear(), nn.MSELoss(), [(X, y)], start_lr=1e-5, end_lr=10.0,
                           num_iter=100)
    assert r.stopped_early and limit < r.lrs[-1] < 10.0
    assert 1e-5 < r.suggestion < limit
    assert r.losses[-1] > 4 * r.losses.min()


def test_a_non_finite_loss_ends_the_curve():
    X, y = _regression()

    class Exploding(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = _linear()
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            out = self.lin(x)
            return out * math.inf if self.calls == 30 else out

    model = Exploding()
    r = nn.optim.lr_finder(model, nn.MSELoss(), [(X, y)], start_lr=1e-4, end_lr=1e-2,
                           num_iter=50, restore=False)
    assert np.isfinite(model.lin.weight.data).all()   # no step was taken with that loss
    assert len(r.lrs) == 30 and r.stopped_early and not math.isfinite(r.losses[-1])
    assert np.isnan(r.smoothed[-1]) and np.isfinite(r.smoothed[:-1]).all()
    assert r.lrs[0] <= r.suggestion <= r.lrs[-2] and math.isfinite(r.min_loss_lr)


def _scripted(values):
    """A loss_fn returning the given values in turn (with a zero gradient)."""
    it = iter(values)
    return lambda out, t: (out * 0.0).sum() + next(it)


def test_the_suggestion_is_the_steepest_descent_ignoring_a_blow_ups_last_tenth():
    X, y = _regression()
    # flat, a gentle descent over steps 20-59, flat, a steep drop over steps 96-99
    curve = np.concatenate([np.full(20, 2.0), np.linspace(2.0, 1.5, 40), np.full(36, 1.5),
                            [1.2, 0.9, 0.6, 0.5]])
    r = nn.optim.lr_finder(_linear(), _scripted(curve), [(X, y)], num_iter=100)
    assert not r.stopped_early and 92 <= list(r.lrs).index(r.suggestion) <= 99
    # the same drop, then a blow-up at step 99: the drop is in the last tenth, so ignored
    blown = np.concatenate([curve[:99], [1e6]])
    r = nn.optim.lr_finder(_linear(), _scripted(blown), [(X, y)], num_iter=120)
    assert r.stopped_early and len(r.lrs) == 100
    assert 20 <= list(r.lrs).index(r.suggestion) <= 59
    assert r.min_loss_lr == r.lrs[int(np.argmin(r.smoothed))]


def test_the_suggestion_comes_before_the_lowest_loss():
    X, y = _regression()
    # the main descent (steps 20-59) to the lowest loss, a rise, then a steeper dip (80-84)
    curve = np.concatenate([np.full(20, 2.0), np.linspace(2.0, 1.0, 40), np.linspace(1.0, 1.6, 20),
                            np.linspace(1.6, 1.2, 5), np.full(15, 1.2)])
    r = nn.optim.lr_finder(_linear(), _scripted(curve), [(X, y)], num_iter=100)
    assert not r.stopped_early and 55 <= list(r.lrs).index(r.min_loss_lr) <= 62
    assert 20 <= list(r.lrs).index(r.suggestion) <= 59


def test_restores_the_model_and_the_optimiser():
    X, y = _regression()
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.BatchNorm1d(4, dtype=np.float64),
                          nn.Linear(4, 1, dtype=np.float64))
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):   # some Adam state to keep
        loss = nn.MSELoss()(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    weights, state = model.state_dict(), opt.state_dict()
    params = [p.data for p in model.parameters()]
    r = nn.optim.lr_finder(model, nn.MSELoss(), [(X, y)], opt, start_lr=1e-4, end_lr=1.0,
                           num_iter=20)
    assert len(r.lrs) > 3
    for k, v in model.state_dict().items():          # parameters and BatchNorm's running stats
        np.testing.assert_array_equal(v, weights[k], err_msg=k)
    assert all(p.data is a for p, a in zip(model.parameters(), params))  # the same arrays
    after = opt.state_dict()
    assert after["param_groups"] == state["param_groups"] and opt.param_groups[0]["lr"] == 0.01
    for i, s in state["state"].items():
        assert after["state"][i]["step"] == s["step"] == 2
        np.testing.assert_array_equal(after["state"][i]["exp_avg"], s["exp_avg"])
    assert all(p.grad is None for p in model.parameters())
    # without restoring, the sweep's training stays
    nn.optim.lr_finder(model, nn.MSELoss(), [(X, y)], opt, start_lr=1e-4, end_lr=1.0,
                       num_iter=20, restore=False)
    assert not np.allclose(model.state_dict()["0.weight"], weights["0.weight"])


def test_restores_even_when_it_fails():
    X, y = _regression()
    model = _linear()
    before = model.weight.data.copy()
    with pytest.raises(ValueError, match=r"lr_finder: the loss blew up after 1 step\(s\) \(at lr 1e\+06\)"):
        nn.optim.lr_finder(model, lambda out, t: nn.MSELoss()(out, t) * math.nan, [(X, y)],
                           start_lr=1e6, end_lr=1e7, num_iter=10)
    np.testing.assert_array_equal(model.weight.data, before)
    calls = []

    def bad_loss(out, t):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return nn.MSELoss()(out, t)

    with pytest.raises(RuntimeError, match="boom"):
        nn.optim.lr_finder(model, bad_loss, [(X, y)], start_lr=0.1, end_lr=1.0, num_iter=10)
    np.testing.assert_array_equal(model.weight.data, before)


def test_errors_name_the_argument():
    X, y = _regression()
    model, loss = _linear(), nn.MSELoss()
    cases = [(dict(num_iter=2), "lr_finder: num_iter must be an int >= 3, got 2"),
             (dict(num_iter=10.0), "lr_finder: num_iter must be an int >= 3, got 10.0"),
             (dict(start_lr=0.0), "lr_finder: start_lr must be a number > 0, got 0.0"),
             (dict(start_lr=1.0, end_lr=0.5), r"lr_finder: end_lr must be a number > start_lr \(1.0\), got 0.5"),
             (dict(diverge_th=1.0), "lr_finder: diverge_th must be a number > 1, got 1.0")]
    for kw, msg in cases:
        with pytest.raises(ValueError, match=msg):
            nn.optim.lr_finder(model, loss, [(X, y)], **kw)
    with pytest.raises(TypeError, match="lr_finder: optimizer must be an nn.optim Optimizer, got dict"):
        nn.optim.lr_finder(model, loss, [(X, y)], {"lr": 0.1})
    with pytest.raises(ValueError, match="lr_finder: the loader yielded no batches"):
        nn.optim.lr_finder(model, loss, [])
    with pytest.raises(ValueError, match=r"lr_finder: the loader must yield \(input, target\) pairs, "
                                         r"got tuple of length 3"):
        nn.optim.lr_finder(model, loss, [(X, y, y)])
    with pytest.raises(ValueError, match=r"lr_finder: loss_fn must return a scalar Tensor, got a "
                                         r"Tensor of shape \(64, 1\)"):
        nn.optim.lr_finder(model, nn.MSELoss(reduction="none"), [(X, y)])
    with pytest.raises(ValueError, match="lr_finder: loss_fn must return a scalar Tensor, got float"):
        nn.optim.lr_finder(model, lambda out, t: 1.0, [(X, y)])


def test_plot_draws_the_curves_and_the_suggestion():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure
    X, y = _regression()
    r = nn.optim.lr_finder(_linear(), nn.MSELoss(), [(X, y)], start_lr=1e-5, end_lr=10.0,
                           num_iter=60)
    ax = r.plot()
    assert ax.get_xscale() == "log" and len(ax.lines) == 3
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), r.smoothed)
    assert ax.lines[2].get_xdata()[0] == r.suggestion
    assert f"{r.suggestion:.2g}" in ax.get_legend().get_texts()[2].get_text()
    mine = Figure().subplots()
    assert r.plot(ax=mine, title="mine") is mine and mine.get_title() == "mine"


def test_float32_model():
    X, y = _regression()
    _ = nn.manual_seed(0)
    model = nn.Linear(3, 1)
    assert model.weight.dtype == np.float32
    r = nn.optim.lr_finder(model, nn.MSELoss(), [(X.astype(np.float32), y.astype(np.float32))],
                           start_lr=1e-5, end_lr=10.0, num_iter=60)
    assert r.stopped_early and np.isfinite(r.suggestion) and model.weight.dtype == np.float32
    assert isinstance(r.losses, np.ndarray) and r.losses.dtype == np.float64
