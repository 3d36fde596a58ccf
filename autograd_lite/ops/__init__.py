"""Every primitive op, grouped by kind. Importing this package registers them all."""

from . import activations, arith, conv, elementwise, index, linalg, nnops, norm, pool
from . import recurrent, reduce
from . import arrange, contract, cumulative, matrix, order, shape, ufuncs
from .base import Op

__all__ = ["Op", "activations", "arith", "conv", "elementwise", "index", "linalg", "nnops", "norm", "pool",
           "recurrent", "reduce", "shape", "arrange", "contract", "cumulative", "matrix", "order",
           "ufuncs"]
