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

Every name is imported from here, as from PyTorch's one module. The code is in
:mod:`~nn.optim.lr_scheduler.base` (the ``LRScheduler`` base class, whose stepping,
chaining and state-dict rules every schedule shares),
:mod:`~nn.optim.lr_scheduler.schedules`, :mod:`~nn.optim.lr_scheduler.one_cycle`,
:mod:`~nn.optim.lr_scheduler.composite` (``SequentialLR``, ``ChainedScheduler``) and
:mod:`~nn.optim.lr_scheduler.plateau` (``ReduceLROnPlateau``).
"""

from .base import LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .schedules import (CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR,
                        LinearLR, MultiStepLR, StepLR, WarmupCosine)

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR",
           "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "SequentialLR",
           "ChainedScheduler", "ReduceLROnPlateau", "WarmupCosine"]
