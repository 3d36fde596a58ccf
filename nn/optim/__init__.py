"""Optimisers (``nn.optim.SGD``, ``Adam``, ...) and ``nn.optim.lr_scheduler``."""

from . import lr_scheduler
from .optimizer import Optimizer
from .optimizers import SGD, AdaBelief, Adagrad, Adam, AdamW, Lion, NAdam, RMSprop

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "Lion",
           "AdaBelief", "lr_scheduler"]
from .registry import make_optimizer, make_scheduler
__all__ += ["make_optimizer", "make_scheduler"]
