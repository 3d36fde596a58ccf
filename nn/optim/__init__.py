"""Optimisers (``nn.optim.SGD``, ``Adam``, ...), ``nn.optim.lr_scheduler`` and the
learning-rate range test ``nn.optim.lr_finder``."""

from . import lr_scheduler
from .adaptive import Adafactor, Adamax, RAdam
from .layerwise import LAMB, LARS
from .lr_finder import LRFinderResult, lr_finder
from .optimizer import Optimizer
from .optimizers import SGD, AdaBelief, Adagrad, Adam, AdamW, Lion, NAdam, RMSprop

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "Lion",
           "AdaBelief", "Adamax", "RAdam", "Adafactor", "LAMB", "LARS", "lr_scheduler", "lr_finder",
           "LRFinderResult"]
from .registry import make_optimizer, make_scheduler
__all__ += ["make_optimizer", "make_scheduler"]
