"""Every primitive op, grouped by kind. Importing this package registers them all."""

from . import activations, arith, elementwise, index, linalg, nnops, reduce, shape
from .base import Op

__all__ = ["Op", "activations", "arith", "elementwise", "index", "linalg", "nnops", "reduce", "shape"]
