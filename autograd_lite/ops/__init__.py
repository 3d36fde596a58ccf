"""Every primitive op, grouped by kind. Importing this package registers them all."""

from . import arith, elementwise, index, linalg, nnops, recurrent, reduce, shape
from .base import Op

__all__ = ["Op", "arith", "elementwise", "index", "linalg", "nnops", "recurrent", "reduce", "shape"]
