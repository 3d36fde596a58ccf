"""Schedulers made of schedulers: ``SequentialLR`` hands over from one to the next at
milestones, ``ChainedScheduler`` steps several together."""

from __future__ import annotations

import bisect
from typing import Any, Sequence

from ..._checks import check_int
from ..optimizer import Optimizer
from .base import LRScheduler, _check_optimizer
from .plateau import ReduceLROnPlateau


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
