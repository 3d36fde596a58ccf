"""Every primitive op, grouped by kind. Importing this package registers them all."""

from . import arith, elementwise, index, linalg, nnops, reduce, shape
from . import conv, pool
from .base import Op

__all__ = ["Op", "arith", "elementwise", "index", "linalg", "nnops", "reduce", "shape", "conv", "pool"]
