"""LinearLR (against torch, and from 0) and WarmupCosine (against torch's SequentialLR of
LinearLR and CosineAnnealingLR)."""

import math
import warnings

import numpy as np
import pytest

import nn
from nn.optim import SGD
from nn.optim import lr_scheduler as S


def _opt(lrs=(0.1, 0.03)):
    return SGD([{"params": [nn.Parameter(np.zeros(1))], "lr": lr} for lr in lrs], lr=1.0)


def _ours(sched, n):
    """The lrs (one list per group) of steps 0..n-1."""
    out = [sched.get_last_lr()]
    for _ in range(n - 1):
        sched.step()
        out.append(sched.get_last_lr())
    return np.array(out)


def _torch(make, n, lrs=(0.1, 0.03)):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs],
                          lr=1.0)
    sched = make(torch.optim.lr_scheduler, opt)
    out = [sched.get_last_lr()]
    for _ in range(n - 1):
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched.step()
        out.append(sched.get_last_lr())
    return np.array(out, dtype=float)


@pytest.mark.parametrize("start,end,total", [(1 / 3, 1.0, 5), (0.25, 1.0, 4), (1.0, 0.0, 6),
                                             (0.5, 0.1, 3), (0.05, 1.0, 40)])
def test_linear_lr_matches_torch(start, end, total):
    n = total + 4
    ours = _ours(S.LinearLR(_opt(), start_factor=start, end_factor=end, total_iters=total), n)
    theirs = _torch(lambda L, o: L.LinearLR(o, start_factor=start, end_factor=end,
                                            total_iters=total), n)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_linear_lr_can_start_from_zero():
    lrs = _ours(S.LinearLR(_opt(), start_factor=0.0, total_iters=4), 7)
    np.testing.assert_allclose(lrs[:, 0], 0.1 * np.array([0, 0.25, 0.5, 0.75, 1, 1, 1]), rtol=1e-15)
    np.testing.assert_allclose(lrs[:, 1], 0.03 * np.array([0, 0.25, 0.5, 0.75, 1, 1, 1]), rtol=1e-15)
    # torch refuses start_factor=0 (its recursion would stay at 0); it is the limit of small ones
    tiny = _torch(lambda L, o: L.LinearLR(o, start_factor=1e-9, total_iters=4), 7)
    np.testing.assert_allclose(lrs, tiny, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("warmup,total,start,eta_min", [(3, 10, 0.1, 0.0), (5, 8, 0.5, 0.001),
                                                        (1, 20, 0.2, 0.01), (0, 6, 0.3, 0.0)])
def test_warmup_cosine_matches_torchs_sequential_lr(warmup, total, start, eta_min):
    n = total + 1

    def chain(L, o):
        cos = L.CosineAnnealingLR(o, T_max=total - warmup, eta_min=eta_min)
        if warmup == 0:
            return cos
        lin = L.LinearLR(o, start_factor=start, total_iters=warmup)
        return L.SequentialLR(o, [lin, cos], milestones=[warmup])

    ours = _ours(S.WarmupCosine(_opt(), warmup, total, start_factor=start, eta_min=eta_min), n)
    np.testing.assert_allclose(ours, _torch(chain, n), rtol=1e-12, atol=1e-15)


def test_warmup_cosine_starts_from_zero_and_holds_eta_min_after_the_end():
    opt = _opt((0.1,))
    sched = S.WarmupCosine(opt, warmup_iters=4, total_iters=10, eta_min=0.001)
    lrs = _ours(sched, 15)[:, 0]
    np.testing.assert_allclose(lrs[:5], [0, 0.025, 0.05, 0.075, 0.1], rtol=1e-15, atol=1e-18)
    mid = 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * 3 / 6)) / 2
    assert lrs[7] == pytest.approx(mid, rel=1e-14)
    np.testing.assert_allclose(lrs[10:], 0.001, rtol=1e-15)
    assert np.all(np.diff(lrs[:5]) > 0) and np.all(np.diff(lrs[4:11]) < 0)
    assert opt.param_groups[0]["lr"] == lrs[-1]
    # equal to our own SequentialLR up to total_iters
    opt2 = _opt((0.1,))
    seq = S.SequentialLR(opt2, [S.LinearLR(opt2, start_factor=0.0, total_iters=4),
                                S.CosineAnnealingLR(opt2, T_max=6, eta_min=0.001)], milestones=[4])
    np.testing.assert_allclose(_ours(seq, 11)[:, 0], lrs[:11], rtol=1e-14, atol=1e-18)


def test_warmup_cosine_state_round_trip():
    a = S.WarmupCosine(_opt(), 3, 12)
    for _ in range(5):
        a.step()
    b = S.WarmupCosine(_opt(), 3, 12)
    b.load_state_dict(a.state_dict())
    assert [a.step() or a.get_last_lr() for _ in range(4)] == [b.step() or b.get_last_lr() for _ in range(4)]


def test_warmup_cosine_errors_name_the_argument():
    cases = [(dict(warmup_iters=-1, total_iters=5), "WarmupCosine: warmup_iters must be an int >= 0, got -1"),
             (dict(warmup_iters=2.5, total_iters=5), "WarmupCosine: warmup_iters must be an int >= 0, got 2.5"),
             (dict(warmup_iters=5, total_iters=5),
              r"WarmupCosine: total_iters \(5\) must be larger than warmup_iters \(5\)"),
             (dict(warmup_iters=1, total_iters=0), "WarmupCosine: total_iters must be a positive int, got 0"),
             (dict(warmup_iters=1, total_iters=5, start_factor=1.5),
              r"WarmupCosine: start_factor must be a number in \[0, 1\], got 1.5"),
             (dict(warmup_iters=1, total_iters=5, eta_min="0"), "WarmupCosine: eta_min must be a number >= 0, got '0'")]
    for kw, msg in cases:
        with pytest.raises(ValueError, match=msg):
            S.WarmupCosine(_opt(), **kw)
    with pytest.raises(TypeError, match="WarmupCosine: expected an nn.optim Optimizer"):
        S.WarmupCosine(object(), 1, 5)
    assert "WarmupCosine" in S.__all__
