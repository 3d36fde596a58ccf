"""``OneCycleLR``: the 1cycle policy, which sets the momentum as well as the lr."""

from __future__ import annotations

from typing import Sequence

from ..._checks import check_int
from ..optimizer import Optimizer
from .base import LRScheduler, _check_optimizer, _cosine, _number


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2017), stepped once per *batch*.

    The lr rises from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then falls to ``initial / final_div_factor``
    (with ``three_phase``, it first returns to the initial lr, then falls).
    Momentum (or Adam's beta1) moves the opposite way between ``max_momentum``
    and ``base_momentum`` when ``cycle_momentum``. ``anneal_strategy`` is
    ``'cos'`` or ``'linear'``.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float = 0.85, max_momentum: float = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False) -> None:
        _check_optimizer(optimizer, "OneCycleLR")
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
            total_steps = (check_int(epochs, "epochs", "OneCycleLR")
                           * check_int(steps_per_epoch, "steps_per_epoch", "OneCycleLR"))
        total_steps = check_int(total_steps, "total_steps", "OneCycleLR", minimum=2)
        if not 0 < _number(pct_start, "pct_start", "OneCycleLR") < 1:
            raise ValueError(f"OneCycleLR: pct_start must be in (0, 1), got {pct_start}")
        for value, what in ((div_factor, "div_factor"), (final_div_factor, "final_div_factor")):
            _number(value, what, "OneCycleLR", above=True)
        for value, what in ((base_momentum, "base_momentum"), (max_momentum, "max_momentum")):
            _number(value, what, "OneCycleLR")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        if len(max_lrs) != len(groups):
            raise ValueError(f"OneCycleLR: {len(max_lrs)} max_lr values for {len(groups)} groups")
        for m in max_lrs:
            _number(m, "max_lr", "OneCycleLR")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        self.cycle_momentum = cycle_momentum
        self._momentum_key = None
        if cycle_momentum:
            if "momentum" in groups[0]:
                self._momentum_key = "momentum"
            elif "betas" in groups[0]:
                self._momentum_key = "betas"
            else:
                raise ValueError(f"OneCycleLR: cycle_momentum needs an optimiser with momentum or "
                                 f"betas; {type(optimizer).__name__} has neither (pass "
                                 f"cycle_momentum=False)")
        # Phase ends (as step indices) and what lr / momentum go from -> to, per phase.
        p = float(pct_start) * total_steps
        if three_phase:
            self._phases = [(p - 1, "initial", "max", "max_m", "base_m"),
                            (2 * p - 2, "max", "initial", "base_m", "max_m"),
                            (total_steps - 1, "initial", "min", "max_m", "max_m")]
        else:
            self._phases = [(p - 1, "initial", "max", "max_m", "base_m"),
                            (total_steps - 1, "max", "min", "base_m", "max_m")]
        for i, g in enumerate(groups):
            init_lr = float(max_lrs[i]) / div_factor
            g["lr"] = g["initial_lr"] = init_lr
            g["max_lr"], g["min_lr"] = float(max_lrs[i]), init_lr / final_div_factor
        self.base_momentum, self.max_momentum = float(base_momentum), float(max_momentum)
        super().__init__(optimizer)

    def _anneal(self, start: float, end: float, frac: float) -> float:
        if self.anneal_strategy == "cos":
            return _cosine(start, end, frac)
        return start + (end - start) * frac

    def _at(self, step: float) -> tuple[list[float], float]:
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: step {step} is past total_steps={self.total_steps}")
        begin = 0.0
        for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
            if step <= end or i == len(self._phases) - 1:
                break
            begin = end
        # The total_steps-th step() comes after the last batch; the lr it sets is never
        # used, and is held at the end of the cycle. (PyTorch extrapolates the last
        # phase there, which with 'linear' gives a negative lr.)
        frac = min((step - begin) / (end - begin), 1.0) if end > begin else 1.0
        vals = {"base_m": self.base_momentum, "max_m": self.max_momentum}
        mom = self._anneal(vals[m0], vals[m1], frac)
        lrs = [self._anneal(g[f"{lr0}_lr"], g[f"{lr1}_lr"], frac)
               for g in self.optimizer.param_groups]
        return lrs, mom

    def lr_at(self, epoch: float) -> list[float]:
        return self._at(epoch)[0]

    def step(self, epoch: float | None = None) -> None:
        """Advance one batch: set the lr and, with ``cycle_momentum``, the momentum.
        Call it once per batch, ``total_steps`` times in all."""
        if epoch is None and self.last_epoch + 1 > self.total_steps:
            # last_epoch counts the calls since the constructor's own step (step 0).
            raise ValueError(f"OneCycleLR: step() called {self.last_epoch + 1} times, but "
                             f"total_steps is {self.total_steps}; build it with the number of "
                             f"batches you train for (epochs * steps_per_epoch)")
        super().step(epoch)
        mom = self._at(self.last_epoch)[1]
        if self._momentum_key == "momentum":
            for g in self.optimizer.param_groups:
                g["momentum"] = mom
        elif self._momentum_key == "betas":
            for g in self.optimizer.param_groups:
                g["betas"] = (mom, g["betas"][1])
