"""LR schedulers: the documented schedules, chaining, state, errors."""

import math

import numpy as np
import pytest

import nn
from nn.optim import SGD, Adam
from nn.optim import lr_scheduler as S


def _opt(lr=0.05, cls=SGD, groups=1, **kw):
    return cls([{"params": [nn.Parameter(np.zeros(1))]} for _ in range(groups)], lr=lr, **kw)


def _lrs(sched, n):
    """The lr of epochs 0..n-1 (the scheduler is at epoch 0 when built)."""
    out = [sched.get_last_lr()[0]]
    for _ in range(n - 1):
        sched.step()
        out.append(sched.get_last_lr()[0])
    return np.array(out)


def test_step_lr_follows_the_documented_example():
    opt = _opt(0.05)
    lrs = _lrs(S.StepLR(opt, step_size=30, gamma=0.1), 90)
    np.testing.assert_allclose(lrs[:30], 0.05)
    np.testing.assert_allclose(lrs[30:60], 0.005)
    np.testing.assert_allclose(lrs[60:], 0.0005)
    assert opt.param_groups[0]["lr"] == lrs[-1] and opt.param_groups[0]["initial_lr"] == 0.05


def test_multistep_and_exponential():
    lrs = _lrs(S.MultiStepLR(_opt(0.05), milestones=[80, 30]), 100)
    np.testing.assert_allclose(lrs[:30], 0.05)
    np.testing.assert_allclose(lrs[30:80], 0.005)
    np.testing.assert_allclose(lrs[80:], 0.0005)
    lrs = _lrs(S.ExponentialLR(_opt(0.5), gamma=0.9), 20)
    np.testing.assert_allclose(lrs, 0.5 * 0.9 ** np.arange(20))


def test_linear_warmup():
    lrs = _lrs(S.LinearLR(_opt(0.4), start_factor=0.25, total_iters=4), 7)
    np.testing.assert_allclose(lrs, 0.4 * np.array([0.25, 0.4375, 0.625, 0.8125, 1, 1, 1]))


def test_cosine_annealing_matches_the_recursive_form():
    base, eta_min, T = 0.1, 0.01, 20
    lrs = _lrs(S.CosineAnnealingLR(_opt(base), T_max=T, eta_min=eta_min), T + 1)
    # PyTorch documents the recursion eta_{t+1} = eta_min + (eta_t - eta_min) *
    # (1 + cos((t+1) pi / T)) / (1 + cos(t pi / T)); it must agree with the closed form.
    rec = [base]
    for t in range(T):
        rec.append(eta_min + (rec[-1] - eta_min) * (1 + math.cos((t + 1) * math.pi / T))
                   / (1 + math.cos(t * math.pi / T)))
    np.testing.assert_allclose(lrs, rec, rtol=1e-12)
    assert lrs[-1] == pytest.approx(eta_min) and np.all(np.diff(lrs) < 0)


def test_cosine_warm_restarts_restart_at_growing_periods():
    base = 1.0
    sched = S.CosineAnnealingWarmRestarts(_opt(base), T_0=10, T_mult=2, eta_min=0.0)
    lrs = _lrs(sched, 71)
    for restart in (0, 10, 30, 70):
        assert lrs[restart] == pytest.approx(base)
    assert lrs[20] == pytest.approx(0.5 * (1 + math.cos(math.pi * 10 / 20)))   # middle of period 2
    assert lrs[29] < 0.01 and lrs[69] < 0.002
    sched.step(epoch=12.5)                                                     # fractional epochs
    assert sched.get_last_lr()[0] == pytest.approx(0.5 * (1 + math.cos(math.pi * 2.5 / 20)))
    flat = _lrs(S.CosineAnnealingWarmRestarts(_opt(base), T_0=5), 11)
    assert flat[5] == flat[10] == pytest.approx(base) and flat[4] < 0.1


def test_one_cycle_lr_and_momentum():
    opt = _opt(1.0, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=100)
    lrs, moms = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    for _ in range(99):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
    lrs, moms = np.array(lrs), np.array(moms)
    assert lrs[0] == pytest.approx(1 / 25) and moms[0] == pytest.approx(0.95)
    assert lrs.argmax() == 29 and lrs[29] == pytest.approx(1.0) and moms[29] == pytest.approx(0.85)
    assert lrs[-1] == pytest.approx(1 / 25 / 1e4) and moms[-1] == pytest.approx(0.95)
    assert np.all(np.diff(lrs[:30]) > 0) and np.all(np.diff(lrs[29:]) < 0)
    # halfway through the decay phase the cosine is at its midpoint
    mid = 29 + (99 - 29) / 2
    assert np.interp(mid, np.arange(100), lrs) == pytest.approx((1.0 + 4e-6) / 2, rel=1e-3)
    with pytest.raises(ValueError, match="OneCycleLR: stepped 101 times, but total_steps is 100"):
        sched.step()


def test_one_cycle_three_phase_linear_and_adam_betas():
    opt = _opt(cls=Adam, lr=0.1)
    sched = S.OneCycleLR(opt, max_lr=0.1, epochs=2, steps_per_epoch=10, pct_start=0.25,
                         anneal_strategy="linear", three_phase=True)
    lrs = _lrs(sched, 20)
    assert lrs[4] == pytest.approx(0.1) and lrs[8] == pytest.approx(0.004)   # up, back down
    assert lrs[2] == pytest.approx((0.004 + 0.1) / 2)                        # linear midpoint
    assert lrs[-1] == pytest.approx(0.004 / 1e4)
    assert opt.param_groups[0]["betas"][1] == 0.999 and opt.param_groups[0]["betas"][0] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="cycle_momentum needs an optimiser with momentum or betas"):
        from nn.optim import Adagrad
        S.OneCycleLR(_opt(cls=Adagrad), max_lr=0.1, total_steps=10)


def test_lambda_lr_per_group():
    opt = _opt(1.0, groups=2)
    sched = S.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: 1 / (e + 1)])
    for _ in range(3):
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.125, 0.25])
    assert "_lambdas" not in sched.state_dict()
    with pytest.raises(ValueError, match="LambdaLR: expected one function or 2 functions"):
        S.LambdaLR(opt, [lambda e: 1.0])


def test_warmup_then_cosine_with_sequential_lr():
    base, warm, T = 0.1, 5, 10
    opt = _opt(base)
    sched = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=warm),
                                 S.CosineAnnealingLR(opt, T_max=T)], milestones=[warm])
    lrs = _lrs(sched, warm + T + 1)
    expected = [base * (0.1 + 0.9 * e / warm) for e in range(warm)]
    expected += [base * (1 + math.cos(math.pi * e / T)) / 2 for e in range(T + 1)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-15)


def test_scheduler_state_round_trip():
    def build():
        opt = _opt(0.1)
        return opt, S.SequentialLR(opt, [S.LinearLR(opt, 0.2, total_iters=3),
                                         S.CosineAnnealingLR(opt, T_max=6)], milestones=[3])

    _, a = build()
    for _ in range(4):
        a.step()
    opt_b, b = build()
    b.load_state_dict(a.state_dict())
    assert [a.step() or a.get_last_lr() for _ in range(4)] == [b.step() or b.get_last_lr() for _ in range(4)]
    with pytest.raises(ValueError, match="StepLR.load_state_dict: unexpected keys"):
        S.StepLR(_opt(), 3).load_state_dict({"nope": 1})


def test_reduce_on_plateau():
    opt = _opt(1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.3)
    lrs = []
    for metric in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]:
        sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    # best 0.9 at epoch 1; epochs 2, 3, 4 are bad -> halve after the third (patience 2);
    # one cooldown epoch (5), then three more bad ones (6, 7, 8) -> halve, clipped at 0.3
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]
    opt = _opt(1.0)
    up = S.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.1,
                             threshold_mode="abs")
    up.step(1.0)
    up.step(1.05)     # not better than 1.0 + 0.1
    assert up.get_last_lr() == pytest.approx([0.1])
    up.step(2.0)
    assert up.get_last_lr() == pytest.approx([0.1])
    with pytest.raises(ValueError, match="ReduceLROnPlateau: factor must be in"):
        S.ReduceLROnPlateau(opt, factor=1.0)


def test_scheduler_errors():
    with pytest.raises(TypeError, match="StepLR: expected an nn.optim Optimizer"):
        S.StepLR(object(), 3)
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive int"):
        S.StepLR(_opt(), 0)
    with pytest.raises(ValueError, match="LinearLR: need 0 <= start_factor <= 1"):
        S.LinearLR(_opt(), start_factor=-0.1)
    with pytest.raises(ValueError, match="OneCycleLR: give total_steps"):
        S.OneCycleLR(_opt(momentum=0.9), max_lr=1.0)
    opt = _opt()
    with pytest.raises(ValueError, match="SequentialLR: expected len\\(schedulers\\) - 1 milestones"):
        S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="every scheduler must be a closed-form scheduler"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.ReduceLROnPlateau(opt)], milestones=[3])
    sgd = _opt(momentum=0.9)
    with pytest.raises(ValueError, match="OneCycleLR already warms up and anneals; use it alone"):
        S.SequentialLR(sgd, [S.LinearLR(sgd), S.OneCycleLR(sgd, 1.0, total_steps=10)], milestones=[3])
    with pytest.raises(ValueError, match="CosineAnnealingWarmRestarts: T_0 must be a positive int"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
