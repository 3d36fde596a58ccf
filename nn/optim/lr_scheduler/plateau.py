"""``ReduceLROnPlateau``: the one scheduler driven by a metric rather than the epoch."""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..._checks import check_int
from ..optimizer import Optimizer
from .base import _check_optimizer, _check_state, _number


class ReduceLROnPlateau:
    """Divide the lr by ``1/factor`` when a metric has stopped improving.

    ``step(metric)`` once per epoch. An epoch improves on the best so far when
    (``mode='min'``, ``threshold_mode='rel'``) ``metric < best * (1 - threshold)``
    (``'abs'``: ``metric < best - threshold``; ``'max'`` mirrors both). After more
    than ``patience`` epochs without improvement every lr becomes
    ``max(lr * factor, min_lr)`` (changes smaller than ``eps`` are skipped), then
    ``cooldown`` epochs pass before counting again.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0.0, eps: float = 1e-8) -> None:
        _check_optimizer(optimizer, "ReduceLROnPlateau")
        if not 0.0 < _number(factor, "factor", "ReduceLROnPlateau") < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        n = len(optimizer.param_groups)
        mins = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * n
        if len(mins) != n:
            raise ValueError(f"ReduceLROnPlateau: {len(mins)} min_lr values for {n} groups")
        self.optimizer = optimizer
        name = "ReduceLROnPlateau"
        self.mode, self.factor = mode, float(factor)
        self.patience = check_int(patience, "patience", name, minimum=0)
        self.threshold = _number(threshold, "threshold", name)
        self.threshold_mode = threshold_mode
        self.cooldown = check_int(cooldown, "cooldown", name, minimum=0)
        self.min_lrs = [_number(m, "min_lr", name) for m in mins]
        self.eps = _number(eps, "eps", name)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    def _improves(self, metric: float) -> bool:
        if self.mode == "min":
            bar = self.best * (1 - self.threshold) if self.threshold_mode == "rel" \
                else self.best - self.threshold
            return metric < bar
        bar = self.best * (1 + self.threshold) if self.threshold_mode == "rel" \
            else self.best + self.threshold
        return metric > bar

    def step(self, metrics: float) -> None:
        """Record this epoch's ``metrics`` (a number, e.g. the validation loss)."""
        try:
            metric = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"ReduceLROnPlateau.step: metrics must be a number (e.g. the "
                            f"validation loss), got {metrics!r:.60}") from None
        self.last_epoch += 1
        if self._improves(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, lo in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(g["lr"])
                new = max(old * self.factor, lo)
                if old - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _check_state(self, state_dict, self.state_dict())
        self.__dict__.update(state_dict)
