"""The schedules of one optimiser's lr over epochs (or batches): PyTorch's step,
exponential, linear, lambda and cosine schedules, and ``WarmupCosine``, which PyTorch
has no class for."""

from __future__ import annotations

import bisect
import math
import numbers
from typing import Any, Callable, Sequence

from ..._checks import check_int
from ..optimizer import Optimizer
from .base import LRScheduler, _cosine, _number


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(epoch)``; one function, or one per group.

    The functions are not part of ``state_dict`` (they are code, not data)."""

    _not_state = ("optimizer", "_lambdas")

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]) -> None:
        n = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(fns) != n or not all(callable(f) for f in fns):
            raise ValueError(f"LambdaLR: expected one function or {n} functions (one per group), "
                             f"got {lr_lambda!r}")
        self._lambdas = fns
        super().__init__(optimizer)

    def lr_at(self, epoch: float) -> list[float]:
        lrs = []
        for b, f in zip(self.base_lrs, self._lambdas):
            factor = f(epoch)
            lrs.append(b * _number(factor, f"lr_lambda({epoch})", "LambdaLR", minimum=None))
        return lrs


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs (chainable); alone,
    ``lr = initial_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int(step_size, "step_size", "StepLR")
        self.gamma = _number(gamma, "gamma", "StepLR")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def lr_at(self, epoch: float) -> list[float]:
        return [b * self.gamma ** (int(epoch) // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each milestone (twice at one listed twice;
    chainable); alone, ``lr = initial_lr * gamma ** (number of milestones <= epoch)``."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1) -> None:
        if not isinstance(milestones, (list, tuple, range)):
            raise TypeError(f"MultiStepLR: milestones must be a list of ints, got "
                            f"{type(milestones).__name__}")
        self.milestones = sorted(check_int(m, "each milestone", "MultiStepLR", minimum=0)
                                 for m in milestones)
        self.gamma = _number(gamma, "gamma", "MultiStepLR")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        k = self.milestones.count(self.last_epoch)
        return [lr * self.gamma ** k for lr in self._current()] if k else self._current()

    def lr_at(self, epoch: float) -> list[float]:
        k = bisect.bisect_right(self.milestones, epoch)
        return [b * self.gamma ** k for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch (chainable); alone,
    ``lr = initial_lr * gamma ** epoch``."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _number(gamma, "gamma", "ExponentialLR")  # < 0 would flip the lr's sign
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def lr_at(self, epoch: float) -> list[float]:
        return [b * self.gamma ** epoch for b in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear warm-up (or decay) of the factor from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then constant:
    ``lr = initial_lr * (start + (end - start) * min(epoch, total_iters) / total_iters)``
    alone. Chainable: each epoch multiplies the lr by the ratio of this epoch's
    factor to the last one's.

    ``start_factor=0`` (a warm-up from lr 0) is allowed here; PyTorch requires
    ``start_factor > 0`` because its recursive form would stay at 0. Here the epoch
    after a zero factor takes the closed form instead."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        _number(start_factor, "start_factor", "LinearLR")
        _number(end_factor, "end_factor", "LinearLR")
        if not 0 <= start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: need 0 <= start_factor <= 1 and 0 <= end_factor <= 1, got "
                             f"{start_factor}, {end_factor}")
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        self.total_iters = check_int(total_iters, "total_iters", "LinearLR")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        e, start, end = self.last_epoch, self.start_factor, self.end_factor
        if e == 0:
            return [lr * start for lr in self._current()]
        if self._is_initial or e > self.total_iters:
            return self._current()
        prev = self.total_iters * start + (e - 1) * (end - start)  # factor(e - 1) * total_iters
        if prev == 0:  # a warm-up from 0: no ratio to the last factor, so the closed form
            return self.lr_at(e)
        # factor(e) / factor(e - 1), written as PyTorch does so the lrs agree to the last bit
        ratio = 1.0 + (end - start) / prev
        return [lr * ratio for lr in self._current()]

    def lr_at(self, epoch: float) -> list[float]:
        frac = min(epoch, self.total_iters) / self.total_iters
        f = self.start_factor + (self.end_factor - self.start_factor) * frac
        return [b * f for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``
    alone (Loshchilov & Hutter, 2017, without restarts; past ``T_max`` it rises
    again). Chainable: each epoch moves the lr's distance from ``eta_min`` by the
    ratio of consecutive ``1 + cos`` terms (PyTorch's recursion)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = check_int(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = _number(eta_min, "eta_min", "CosineAnnealingLR")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if (e - 1 - T) % (2 * T) == 0:
            # Leaving the trough, where the ratio below would divide by 1 + cos(pi) = 0.
            step = (1 - math.cos(math.pi / T)) / 2
            return [lr + (b - lo) * step for lr, b in zip(self._current(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (lr - lo) + lo for lr in self._current()]

    def lr_at(self, epoch: float) -> list[float]:
        return [_cosine(b, self.eta_min, epoch / self.T_max) for b in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): cosine annealing restarted after ``T_0``
    epochs, each period ``T_mult`` times longer than the one before:
    ``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``.

    ``step(epoch)`` accepts a fractional epoch (e.g. ``epoch + i / batches``)."""

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> None:
        self.T_0 = check_int(T_0, "T_0", "CosineAnnealingWarmRestarts")
        self.T_mult = check_int(T_mult, "T_mult", "CosineAnnealingWarmRestarts")
        self.eta_min = _number(eta_min, "eta_min", "CosineAnnealingWarmRestarts")
        super().__init__(optimizer)

    def _period(self, epoch: float) -> tuple[float, float]:
        """(T_cur, T_i): the position inside the current period and its length."""
        if self.T_mult == 1:
            return epoch % self.T_0, float(self.T_0)
        # Walk the periods T_0, T_0 m, T_0 m^2, ... in integers: a closed form through
        # log() can round across a period boundary and miss a restart.
        start, length = 0, self.T_0
        while epoch >= start + length:
            start, length = start + length, length * self.T_mult
        return epoch - start, float(length)

    def lr_at(self, epoch: float) -> list[float]:
        t_cur, t_i = self._period(epoch)
        return [_cosine(b, self.eta_min, t_cur / t_i) for b in self.base_lrs]


# ---- schedules PyTorch has no class for -------------------------------------------


def _real(value: Any, name: str, owner: str, lo: float, hi: float = math.inf) -> float:
    """``value`` as a float in [lo, hi], else a ValueError naming ``owner`` and ``name``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and lo <= value <= hi
    if not ok:
        expected = f"in [{lo:g}, {hi:g}]" if hi < math.inf else f">= {lo:g}"
        raise ValueError(f"{owner}: {name} must be a number {expected}, got {value!r}")
    return float(value)


class WarmupCosine(LRScheduler):
    """Linear warm-up, then cosine annealing: the usual schedule for transformers,
    in one scheduler. Step it once per batch (or per epoch: ``*_iters`` count
    whatever you step).

    ::

        lr = initial_lr * (start_factor + (1 - start_factor) * e / warmup_iters)   e < warmup_iters
        lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * f)) / 2              up to total_iters
             with f = (e - warmup_iters) / (total_iters - warmup_iters)
        lr = eta_min                                                               after total_iters

    The warm-up starts from lr 0 by default (``start_factor=0``). Up to
    ``total_iters`` this is ``SequentialLR([LinearLR(start_factor, total_iters=
    warmup_iters), CosineAnnealingLR(T_max=total_iters - warmup_iters, eta_min)],
    milestones=[warmup_iters])``; afterwards it stays at ``eta_min`` (the cosine
    alone would rise again).
    """

    def __init__(self, optimizer: Optimizer, warmup_iters: int, total_iters: int,
                 start_factor: float = 0.0, eta_min: float = 0.0) -> None:
        self.warmup_iters = check_int(warmup_iters, "warmup_iters", "WarmupCosine", minimum=0)
        self.total_iters = check_int(total_iters, "total_iters", "WarmupCosine")
        if self.total_iters <= self.warmup_iters:
            raise ValueError(f"WarmupCosine: total_iters ({total_iters}) must be larger than "
                             f"warmup_iters ({warmup_iters})")
        self.start_factor = _real(start_factor, "start_factor", "WarmupCosine", 0.0, 1.0)
        self.eta_min = _real(eta_min, "eta_min", "WarmupCosine", 0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: float) -> list[float]:
        w, s = self.warmup_iters, self.start_factor
        if epoch < w:
            return [b * (s + (1.0 - s) * epoch / w) for b in self.base_lrs]
        frac = min(epoch - w, self.total_iters - w) / (self.total_iters - w)
        return [_cosine(b, self.eta_min, frac) for b in self.base_lrs]
