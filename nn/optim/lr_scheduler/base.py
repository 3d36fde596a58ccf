"""The base class every scheduler subclasses (its stepping, chaining and state-dict
rules) and the argument and state checks the schedules share."""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

from ..optimizer import Optimizer


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


def _cosine(start: float, end: float, frac: float) -> float:
    """From ``start`` (frac 0) to ``end`` (frac 1) along half a cosine."""
    return end + (start - end) * (1.0 + math.cos(math.pi * frac)) / 2.0
