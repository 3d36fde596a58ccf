"""Every primitive op, grouped by kind. Importing this package registers them all."""

from . import activations, arith, conv, elementwise, index, linalg, nnops, pool, reduce, shape
from . import arrange, contract, cumulative, matrix, order, ufuncs
from .base import Op

__all__ = ["Op", "activations", "arith", "conv", "elementwise", "index", "linalg", "nnops", "pool",
           "reduce", "shape", "arrange", "contract", "cumulative", "matrix", "order", "ufuncs"]
