"""``Dropout``."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from .. import functional as F
from .._checks import check_generator, check_number
from ..module import Module

__all__ = ["Dropout"]


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
