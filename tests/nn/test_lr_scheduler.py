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

    opt_a, a = build()
    for _ in range(4):
        a.step()
    opt_b, b = build()
    # As in PyTorch, the current lr lives in the optimiser's state: restore both.
    opt_b.load_state_dict(opt_a.state_dict())
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
    with pytest.raises(ValueError, match="LinearLR: start_factor must be a finite number >= 0, got -0.1"):
        S.LinearLR(_opt(), start_factor=-0.1)
    with pytest.raises(ValueError, match="LinearLR: need 0 <= start_factor <= 1"):
        S.LinearLR(_opt(), start_factor=1.5)
    with pytest.raises(ValueError, match="OneCycleLR: give total_steps"):
        S.OneCycleLR(_opt(momentum=0.9), max_lr=1.0)
    opt = _opt()
    with pytest.raises(ValueError, match="SequentialLR: expected len\\(schedulers\\) - 1 milestones"):
        S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="SequentialLR: scheduler 1 is a ReduceLROnPlateau, whose "
                                         "step\\(\\) needs the metric"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.ReduceLROnPlateau(opt)], milestones=[3])
    with pytest.raises(ValueError, match="SequentialLR: scheduler 0 is a SequentialLR; nesting"):
        S.SequentialLR(opt, [S.SequentialLR(opt, [S.StepLR(opt, 2)], []), S.StepLR(opt, 2)], [3])
    with pytest.raises(ValueError, match="scheduler 1 \\(StepLR\\) belongs to another optimiser"):
        S.ChainedScheduler([S.StepLR(opt, 2), S.StepLR(_opt(), 2)])
    with pytest.raises(TypeError, match="ChainedScheduler: scheduler 0 is a int"):
        S.ChainedScheduler([3])
    with pytest.raises(ValueError, match="ChainedScheduler: expected at least one scheduler"):
        S.ChainedScheduler([])
    with pytest.raises(ValueError, match="CosineAnnealingWarmRestarts: T_0 must be a positive int"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)


# ---- issue #16: OneCycleLR's per-batch loop; chainable schedulers (against PyTorch) ----

def test_one_cycle_lr_survives_the_per_batch_loop_and_counts_calls():
    # #16 item 9: the usual loop calls step() once per batch, total_steps times.
    opt = _opt(1.0, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    for _ in range(10):
        opt.step()
        sched.step()
    # the last call's lr (used by no batch) stays at the end of the cycle
    assert sched.get_last_lr() == pytest.approx([1 / 25 / 1e4])
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    with pytest.raises(ValueError, match=r"OneCycleLR: step\(\) called 11 times, but total_steps "
                                         r"is 10; build it with the number of batches"):
        sched.step()
    assert sched.last_epoch == 10 and sched.get_last_lr() == pytest.approx([1 / 25 / 1e4])
    # linear annealing does not run past its end either (PyTorch's goes below 0 there)
    opt = _opt(1.0, momentum=0.9)
    lin = S.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="linear")
    lrs = _lrs(lin, 11)
    assert lrs[-1] == pytest.approx(0.1 / 25 / 1e4) and lrs.min() > 0


def test_two_schedulers_on_one_optimizer_compose():
    # #16 item 11: StepLR and ExponentialLR both decay the lr, as in PyTorch.
    opt = _opt(1.0)
    step, expo = S.StepLR(opt, step_size=3, gamma=0.5), S.ExponentialLR(opt, gamma=0.9)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(9):
        step.step()
        expo.step()
        lrs.append(opt.param_groups[0]["lr"])
    e = np.arange(10)
    np.testing.assert_allclose(lrs, 0.5 ** (e // 3) * 0.9 ** e, rtol=1e-12)
    opt = _opt(1.0)
    chained = S.ChainedScheduler([S.StepLR(opt, step_size=3, gamma=0.5),
                                  S.ExponentialLR(opt, gamma=0.9)])
    np.testing.assert_allclose(_lrs(chained, 10), lrs, rtol=1e-12)


def test_an_lr_set_by_hand_is_kept_by_chainable_schedulers():
    # #16 item 11: the next step() decays from the lr the user set, not from initial_lr.
    opt = _opt(1.0)
    sched = S.StepLR(opt, step_size=3, gamma=0.5)
    for _ in range(4):
        sched.step()                                  # epoch 4: lr 0.5
    opt.param_groups[0]["lr"] = 0.2
    assert _lrs(sched, 5)[1:] == pytest.approx([0.2, 0.1, 0.1, 0.1])   # epochs 5..8
    opt = _opt(1.0)
    sched = S.CosineAnnealingLR(opt, T_max=10)
    sched.step()
    opt.param_groups[0]["lr"] = 0.5                   # halve it by hand at epoch 1
    sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.5 * (1 + math.cos(math.pi * 2 / 10))
                                                   / (1 + math.cos(math.pi / 10)))


# Each builds the same schedulers with nn's classes or torch's: S is the lr_scheduler module.
_ALONE = {
    "LambdaLR": lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e),
    "StepLR": lambda S, o: S.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.5),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.9),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=8, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2,
                                                                              eta_min=0.001),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=40),
    "OneCycleLR-linear-3": lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=40, pct_start=0.2,
                                                     anneal_strategy="linear", three_phase=True),
}


def _run(lib, build, n=30, hand_at=None):
    """Build the schedulers on a two-group SGD of ``lib`` ("nn" or "torch"), step them
    ``n - 1`` times (setting every lr to 0.03 by hand before step ``hand_at``), and
    return, per epoch, the groups' lrs, momenta and each scheduler's get_last_lr()."""
    if lib == "torch":
        import torch
        S = torch.optim.lr_scheduler
        params = [torch.zeros(1, requires_grad=True) for _ in range(2)]
        opt = torch.optim.SGD([{"params": [params[0]], "lr": 0.1},
                               {"params": [params[1]], "lr": 0.05}], lr=0.1, momentum=0.9)
    else:
        S = nn.optim.lr_scheduler
        opt = SGD([{"params": [nn.Parameter(np.zeros(1))], "lr": 0.1},
                   {"params": [nn.Parameter(np.zeros(1))], "lr": 0.05}], lr=0.1, momentum=0.9)
    built = build(S, opt)
    scheds = list(built) if isinstance(built, (list, tuple)) else [built]

    def row():
        return ([g["lr"] for g in opt.param_groups] + [g["momentum"] for g in opt.param_groups]
                + [lr for s in scheds for lr in s.get_last_lr()])

    rows = [row()]
    for e in range(1, n):
        if e == hand_at:
            for g in opt.param_groups:
                g["lr"] = 0.03
        opt.step()            # no gradients: a no-op, but torch wants it before sched.step()
        for s in scheds:
            s.step()
        rows.append(row())
    return np.array(rows, dtype=np.float64)


def _same_as_torch(build, **kw):
    pytest.importorskip("torch")
    np.testing.assert_allclose(_run("nn", build, **kw), _run("torch", build, **kw),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(_ALONE))
def test_each_scheduler_alone_matches_torch(name):
    _same_as_torch(_ALONE[name])


@pytest.mark.parametrize("name", sorted(_ALONE))
def test_each_scheduler_with_an_lr_set_by_hand_matches_torch(name):
    _same_as_torch(_ALONE[name], hand_at=9)


@pytest.mark.parametrize("second", ["ExponentialLR", "StepLR", "CosineAnnealingLR"])
@pytest.mark.parametrize("name", sorted(_ALONE))
def test_each_scheduler_stepped_with_another_matches_torch(name, second):
    first = _ALONE[name]
    _same_as_torch(lambda S, o: [first(S, o), _ALONE[second](S, o)])
    _same_as_torch(lambda S, o: S.ChainedScheduler([first(S, o), _ALONE[second](S, o)]))
    _same_as_torch(lambda S, o: [_ALONE[second](S, o), first(S, o)])


@pytest.mark.parametrize("names, milestones", [
    (["LinearLR", "CosineAnnealingLR"], [5]),
    (["StepLR", "ExponentialLR"], [10]),
    (["ExponentialLR", "LambdaLR", "MultiStepLR"], [4, 9]),
    (["CosineAnnealingLR", "LinearLR", "CosineAnnealingWarmRestarts"], [6, 13]),
    (["LinearLR", "OneCycleLR"], [5]),
])
def test_sequential_lr_matches_torch(names, milestones):
    _same_as_torch(lambda S, o: S.SequentialLR(o, [_ALONE[n](S, o) for n in names], milestones))
    _same_as_torch(lambda S, o: S.SequentialLR(o, [_ALONE[n](S, o) for n in names], milestones),
                   hand_at=7)


def test_one_cycle_lr_over_its_whole_cycle_matches_torch():
    pytest.importorskip("torch")
    for kw in ({}, {"anneal_strategy": "linear", "three_phase": True, "pct_start": 0.25}):
        build = lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=20, **kw)  # noqa: E731
        ours, theirs = _run("nn", build, n=21), _run("torch", build, n=21)
        np.testing.assert_allclose(ours[:20], theirs[:20], rtol=1e-12)
        # the 20th step() sets the lr of no batch: ours holds the end of the cycle
        np.testing.assert_allclose(ours[20, :2], 0.5 / 25 / 1e4)


@pytest.mark.parametrize("name", sorted(_ALONE))
def test_resuming_from_a_checkpoint_continues_the_same_lrs(name, tmp_path):
    def build():
        opt = SGD([{"params": [nn.Parameter(np.zeros(1))], "lr": 0.1},
                   {"params": [nn.Parameter(np.zeros(1))], "lr": 0.05}], lr=0.1, momentum=0.9)
        S = nn.optim.lr_scheduler
        return opt, S.ChainedScheduler([_ALONE[name](S, opt), S.ExponentialLR(opt, 0.95)])

    opt, sched = build()
    for _ in range(12):
        sched.step()
    nn.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "c.npz")
    straight = _lrs(sched, 18)
    opt, sched = build()
    state = nn.load(tmp_path / "c.npz")
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    np.testing.assert_allclose(_lrs(sched, 18), straight, rtol=1e-12)


def test_states_saved_by_the_closed_form_schedulers_still_load():
    # Written by the earlier (closed-form) schedulers, starting from lr 1.0: StepLR at
    # epoch 5, and SequentialLR at epoch 4 (one epoch into its cosine).
    old = {"step_size": 3, "gamma": 0.5, "base_lrs": [1.0], "last_epoch": 5, "_last_lr": [0.5]}
    opt = _opt(1.0)
    sched = S.StepLR(opt, step_size=3, gamma=0.5)
    opt.param_groups[0]["lr"] = 0.5                   # what the optimiser's state holds
    sched.load_state_dict(old)
    assert _lrs(sched, 5).tolist() == pytest.approx([0.5, 0.25, 0.25, 0.25, 0.125])
    cos1 = 0.8535533905932737
    old_seq = {"milestones": [3], "base_lrs": [1.0], "last_epoch": 4, "_last_lr": [cos1],
               "schedulers": [{"start_factor": 0.1, "end_factor": 1.0, "total_iters": 3,
                               "base_lrs": [1.0], "last_epoch": 2, "_last_lr": [0.7]},
                              {"T_max": 4, "eta_min": 0.0, "base_lrs": [1.0], "last_epoch": 1,
                               "_last_lr": [cos1]}]}
    opt = _opt(1.0)
    seq = S.SequentialLR(opt, [S.LinearLR(opt, 0.1, total_iters=3), S.CosineAnnealingLR(opt, 4)],
                         milestones=[3])
    opt.param_groups[0]["lr"] = cos1
    seq.load_state_dict(old_seq)
    expected = [(1 + math.cos(math.pi * e / 4)) / 2 for e in range(1, 7)]
    np.testing.assert_allclose(_lrs(seq, 6), expected, rtol=1e-12, atol=1e-15)
    assert seq.state_dict()["_milestones"] == [3] and len(seq.state_dict()["_schedulers"]) == 2
