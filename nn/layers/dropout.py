"""``Dropout``, ``Dropout2d``."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from .. import functional as F
from .._checks import check_generator, check_number
from ..module import Module

__all__ = ["Dropout", "Dropout2d"]


class Dropout(Module):
    """Inverted dropout in training (zero with probability ``p``, scale the rest by
    ``1/(1-p)``); the identity in evaluation mode."""

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= check_number(p, "p", "Dropout") <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p!r}")
        self.p = float(p)
        self.generator = check_generator(generator, "Dropout")

    def forward(self, input: Any) -> al.Tensor:
        return F.dropout(input, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Module):
    """Channel dropout of (N, C, H, W) input in training: each whole channel is zeroed
    with probability ``p`` and the rest scaled by ``1/(1-p)`` (neighbouring pixels are
    correlated, so dropping single pixels would regularise little); the identity in
    evaluation mode. As ``torch.nn.Dropout2d``."""

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= check_number(p, "p", "Dropout2d") <= 1.0:
            raise ValueError(f"Dropout2d: probability p must be in [0, 1], got {p!r}")
        self.p = float(p)
        self.generator = check_generator(generator, "Dropout2d")

    def forward(self, input: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        if x.ndim not in (3, 4):
            raise ValueError(f"Dropout2d(p={self.p}): expected input of shape (N, C, H, W) or "
                             f"(C, H, W), got shape {x.shape}")
        return F.dropout2d(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"
