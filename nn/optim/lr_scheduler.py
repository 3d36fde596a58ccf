"""Learning-rate schedulers, named, stepped and chained as in ``torch.optim.lr_scheduler``.

Create the scheduler after the optimiser and call ``scheduler.step()`` once per
epoch (or per batch for ``OneCycleLR``) *after* ``optimizer.step()``. Building a
scheduler sets each group's ``initial_lr`` (if not already set) and its lr for
epoch 0.

As in PyTorch, ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``LinearLR`` and
``CosineAnnealingLR`` are *chainable*: each step scales the lr the group has now,
so two of them on one optimiser compose (``StepLR`` then ``ExponentialLR`` gives
both decays), and an lr set by hand is kept and decayed from. ``LambdaLR``,
``CosineAnnealingWarmRestarts`` and ``OneCycleLR`` set the lr from ``initial_lr``
in closed form on every step, overwriting what was there (as PyTorch's do).
``ChainedScheduler`` steps several schedulers together; ``SequentialLR`` hands
over from one to the next at milestones. Resuming needs the optimiser's state
(which holds the current lrs) as well as the scheduler's, as in PyTorch.

One module (over 600 lines) on purpose, as PyTorch's is: every schedule is a small
subclass of one base class whose stepping, chaining and state-dict rules they share,
and users import them all from this one name.
"""

from __future__ import annotations

import bisect
import math
import numbers
from typing import Any, Callable, Sequence

from .._checks import check_int
from .optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR",
           "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "SequentialLR",
           "ChainedScheduler", "ReduceLROnPlateau"]


def _check_optimizer(optimizer: Any, name: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected an nn.optim Optimizer, got {type(optimizer).__name__}")


def _number(value: Any, name: str, owner: str, minimum: float | None = 0.0,
            above: bool = False) -> float:
    """``value`` as a finite float (at least, or with ``above`` more than, ``minimum``),
    else a TypeError (not a number) or ValueError naming ``owner`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    v = float(value)
    low = minimum is not None and (v <= minimum if above else v < minimum)
    if not math.isfinite(v) or low:
        bound = "" if minimum is None else f" {'>' if above else '>='} {minimum:g}"
        raise ValueError(f"{owner}: {name} must be a finite number{bound}, got {value!r}")
    return v


def _same_kind(saved: Any, current: Any) -> bool:
    """Whether a value from a state dict can stand for the scheduler's current one."""
    if isinstance(current, bool) or isinstance(saved, bool):
        return isinstance(current, bool) and isinstance(saved, bool)
    if isinstance(current, (int, float)):
        return isinstance(saved, (int, float))
    if isinstance(current, (list, tuple)):
        return isinstance(saved, (list, tuple)) and (not current or all(
            _same_kind(x, current[min(i, len(current) - 1)]) for i, x in enumerate(saved)))
    return current is None and saved is None or type(saved) is type(current)


def _check_state(owner: Any, state_dict: Any, current: dict[str, Any]) -> None:
    """Refuse a state that is not one of ``owner``'s, before anything is changed: one
    that loaded would otherwise fail (or set nonsense) at the next ``step()``."""
    name = f"{type(owner).__name__}.load_state_dict"
    if not isinstance(state_dict, dict):
        raise TypeError(f"{name}: expected a dict from state_dict(), got "
                        f"{type(state_dict).__name__}")
    unknown = sorted(map(str, set(state_dict) - set(current)))
    if unknown:
        raise ValueError(f"{name}: unexpected keys {unknown}")
    groups = len(owner.optimizer.param_groups)
    for k, v in state_dict.items():
        if not _same_kind(v, current[k]):
            raise ValueError(f"{name}: {k!r} is {v!r:.60}, but this scheduler's is "
                             f"{current[k]!r:.60}")
        if k in ("base_lrs", "_last_lr", "min_lrs") and len(v) != groups:
            raise ValueError(f"{name}: {k!r} has {len(v)} values for {groups} parameter groups")


class LRScheduler:
    """Base class. A subclass gives its rule in one or both of two forms:

    * :meth:`get_lr`: the lrs for ``self.last_epoch`` (which ``step`` has already
      advanced), computed from each group's *current* ``lr``: PyTorch's chainable,
      recursive form. ``self._is_initial`` is True during the constructor's step.
    * :meth:`lr_at`: the lrs of ``epoch`` in closed form from ``base_lrs``
      (PyTorch's ``_get_closed_form_lr``); ``step(epoch)`` and ``SequentialLR``'s
      hand-over at a milestone use it.

    A subclass that defines only ``lr_at`` sets the closed-form lr on every step.
    """

    #: Attributes that are not plain data, left out of ``state_dict``.
    _not_state: tuple[str, ...] = ("optimizer",)
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer) -> None:
        _check_optimizer(optimizer, type(self).__name__)
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = -1
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's step, to epoch 0 (``SequentialLR`` repeats it)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def lr_at(self, epoch: float) -> list[float]:
        """The lrs of epoch ``epoch``, in closed form from ``base_lrs``."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr() or lr_at()")

    def get_lr(self) -> list[float]:
        """The lrs for ``self.last_epoch``; by default the closed form :meth:`lr_at`."""
        return self.lr_at(self.last_epoch)

    def _has_closed_form(self) -> bool:
        return type(self).lr_at is not LRScheduler.lr_at

    def _current(self) -> list[float]:
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch and set every group's lr. ``step(epoch)`` jumps to
        ``epoch`` and sets the closed-form lr there (as PyTorch's deprecated form)."""
        prev = self.last_epoch
        name = type(self).__name__
        if epoch is None:
            self.last_epoch += 1
        else:
            _number(epoch, "epoch", f"{name}.step")
            self.last_epoch = epoch
        try:
            lrs = self.get_lr() if epoch is None or not self._has_closed_form() else self.lr_at(epoch)
            bad = [lr for lr in lrs if not 0 <= lr < math.inf]
            if bad:
                # As SGD(lr=-1) is refused: a negative or infinite lr is never meant.
                raise ValueError(f"{name}.step: the schedule gives lr {bad[0]!r} at epoch "
                                 f"{self.last_epoch}; an lr must be finite and >= 0")
        except BaseException:
            self.last_epoch = prev  # a refused step leaves the schedule where it was
            raise
        self._step_count += 1
        self._set(lrs)

    def _set(self, lrs: Sequence[float]) -> None:
        for g, lr in zip(self.optimizer.param_groups, lrs):
            g["lr"] = float(lr)
        self._last_lr = self._current()

    def get_last_lr(self) -> list[float]:
        """The lrs set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's plain data (numbers and lists): not the optimiser, not functions."""
        return {k: v for k, v in self.__dict__.items() if k not in self._not_state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s data. States saved before a key was added
        (e.g. ``_step_count``) still load; unknown keys raise ``ValueError``."""
        _check_state(self, state_dict, self.state_dict())
        self.__dict__.update(state_dict)


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


def _cosine(start: float, end: float, frac: float) -> float:
    """From ``start`` (frac 0) to ``end`` (frac 1) along half a cosine."""
    return end + (start - end) * (1.0 + math.cos(math.pi * frac)) / 2.0


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


class _Composite(LRScheduler):
    """What ``SequentialLR`` and ``ChainedScheduler`` share: schedulers of one
    optimiser, whose states are saved inside this one's under ``_schedulers``."""

    _not_state = ("optimizer", "_schedulers")
    #: Keys of states saved by earlier versions -> their current names.
    _old_keys: dict[str, str] = {}

    def _check_schedulers(self, optimizer: Optimizer | None,
                          schedulers: Sequence[Any]) -> Optimizer:
        """Check ``schedulers``; returns their optimiser (``optimizer``, if given)."""
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name}: expected at least one scheduler, got none")
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError(f"{name}: scheduler {i} is a ReduceLROnPlateau, whose step() "
                                 f"needs the metric; step it yourself")
            if not isinstance(s, LRScheduler):
                raise TypeError(f"{name}: scheduler {i} is a {type(s).__name__}, not an "
                                f"nn.optim.lr_scheduler scheduler")
        if optimizer is None:
            optimizer = schedulers[0].optimizer
        _check_optimizer(optimizer, name)
        for i, s in enumerate(schedulers):
            if s.optimizer is not optimizer:
                raise ValueError(f"{name}: scheduler {i} ({type(s).__name__}) belongs to another "
                                 f"optimiser; all must share one")
        return optimizer

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict from "
                            f"state_dict(), got {type(state_dict).__name__}")
        state = {self._old_keys.get(k, k): v for k, v in state_dict.items()}
        subs = state.pop("_schedulers", None)
        if not isinstance(subs, (list, tuple)) or len(subs) != len(self._schedulers):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the states of "
                             f"{len(self._schedulers)} schedulers under '_schedulers'")
        super().load_state_dict(state)
        for s, sd in zip(self._schedulers, subs):
            s.load_state_dict(sd)


class SequentialLR(_Composite):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``, and so
    on: e.g. ``LinearLR`` warm-up, then ``CosineAnnealingLR``. At its milestone a
    scheduler restarts at its epoch 0 (its closed form there), then steps as usual."""

    _old_keys = {"schedulers": "_schedulers", "milestones": "_milestones"}

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int]) -> None:
        _check_optimizer(optimizer, "SequentialLR")
        self._check_schedulers(optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected len(schedulers) - 1 milestones; got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        for i, s in enumerate(schedulers):
            if isinstance(s, _Composite):
                # It could not restart at a milestone: it has no epoch 0 of its own.
                raise ValueError(f"SequentialLR: scheduler {i} is a {type(s).__name__}; "
                                 f"nesting them is not supported")
        for m in milestones:
            check_int(m, "each milestone", "SequentialLR")
        if list(milestones) != sorted(milestones):
            raise ValueError(f"SequentialLR: milestones must be increasing positive ints, got "
                             f"{list(milestones)}")
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self._milestones = [int(m) for m in milestones]
        self.base_lrs = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = 0
        # Undo the steps the schedulers took when they were built, then start the first.
        for g in optimizer.param_groups:
            g["lr"] = g["initial_lr"]
        for s in self._schedulers:
            s.last_epoch -= 1
        self._schedulers[0]._initial_step()
        self._last_lr = self._schedulers[0].get_last_lr()

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch with the scheduler whose turn it is."""
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[i]
        if i and self._milestones[i - 1] == self.last_epoch:
            s.step(0)
        else:
            s.step()
        self._last_lr = s.get_last_lr()


class ChainedScheduler(_Composite):
    """Step several chainable schedulers of one optimiser together, in order: e.g.
    ``ChainedScheduler([StepLR(opt, 30), ExponentialLR(opt, 0.99)])`` applies both
    decays. Building it sets no lr (the schedulers did)."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        self.optimizer = self._check_schedulers(optimizer, schedulers)
        self._schedulers = list(schedulers)
        self._last_lr = self._current()

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in the order given."""
        for s in self._schedulers:
            s.step()
        self._last_lr = self._current()


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


__all__ += ["WarmupCosine"]
