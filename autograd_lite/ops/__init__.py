"""Every primitive op, grouped by kind. Importing this package registers them all."""

from . import arith, elementwise, index, linalg, nnops, reduce, shape
from . import arrange, contract, cumulative, matrix, order, ufuncs
from .base import Op

__all__ = ["Op", "arith", "elementwise", "index", "linalg", "nnops", "reduce", "shape",
           "arrange", "contract", "cumulative", "matrix", "order", "ufuncs"]
