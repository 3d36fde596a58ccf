"""Optimisers and learning-rate schedules by name, with their default settings.

``make_optimizer("adam", model.parameters())`` and ``make_scheduler("cosine", opt,
total_steps)`` build what the ``autograd-lite mnist`` command's ``--optimizer`` and
``--schedule`` options name, for scripts that choose them from a string.

>>> import nn
>>> opt = nn.optim.make_optimizer("nesterov", [nn.Parameter([1.0])])
>>> type(opt).__name__, opt.param_groups[0]["lr"], opt.param_groups[0]["nesterov"]
('SGD', 0.05, True)
>>> sched = nn.optim.make_scheduler("step", opt, total_steps=4)
>>> [sched.step() or round(opt.param_groups[0]["lr"], 6) for _ in range(4)]
[0.05, 0.005, 0.0005, 0.0005]
"""

from __future__ import annotations

import math
from typing import Any

from .lr_scheduler import LambdaLR
from .optimizer import Optimizer
from .optimizers import SGD, Adam, AdamW, RMSprop

__all__ = ["make_optimizer", "make_scheduler", "OPTIMIZERS", "SCHEDULES", "DEFAULT_LR"]

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
SCHEDULES = ("none", "cosine", "step")
#: Default learning rate of each optimiser name.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 1e-3, "adam": 2e-3,
              "adamw": 2e-3}


def make_optimizer(name: str, params: Any, lr: float | None = None,
                   weight_decay: float | None = None) -> Optimizer:
    """The optimiser called ``name``, one of ``OPTIMIZERS``.

    ``momentum`` and ``nesterov`` are SGD with momentum 0.9. ``lr`` defaults to
    ``DEFAULT_LR``; ``weight_decay`` to 0 (0.01 for ``adamw``, whose decay is
    decoupled from the gradient).
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"make_optimizer: unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    lr = DEFAULT_LR[name] if lr is None else lr
    wd = (0.01 if name == "adamw" else 0.0) if weight_decay is None else weight_decay
    if name == "sgd":
        return SGD(params, lr=lr, weight_decay=wd)
    if name in ("momentum", "nesterov"):
        return SGD(params, lr=lr, momentum=0.9, nesterov=name == "nesterov", weight_decay=wd)
    if name == "rmsprop":
        return RMSprop(params, lr=lr, weight_decay=wd)
    cls = Adam if name == "adam" else AdamW
    return cls(params, lr=lr, weight_decay=wd)


def make_scheduler(name: str, optimizer: Optimizer, total_steps: int) -> LambdaLR | None:
    """The per-step schedule called ``name``, one of ``SCHEDULES`` (None for ``none``).

    ``cosine`` anneals the lr from its initial value to 0 over ``total_steps``;
    ``step`` multiplies it by 0.1 after half and again after three quarters of them.
    The factor is a function of the step alone, so a resumed run that trains for
    more steps simply follows the longer schedule from where it is.
    """
    if name not in SCHEDULES:
        raise ValueError(f"make_scheduler: unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(f"make_scheduler: total_steps must be a positive int, got {total_steps!r}")
    if name == "none":
        return None
    total = total_steps
    if name == "cosine":
        def factor(step: int) -> float:
            return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
    else:
        def factor(step: int) -> float:
            return 0.1 ** ((step >= total // 2) + (step >= 3 * total // 4))
    return LambdaLR(optimizer, factor)
