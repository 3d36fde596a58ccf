"""Matrix product with NumPy's ``matmul`` semantics."""

from __future__ import annotations

import numpy as np

from .base import Op


class Matmul(Op):
    """``out = x @ y``: 1-D operands are promoted (and the added axis removed),
    leading axes broadcast as a batch.

    Notes
    -----
    VJP::

        dx = g @ y^T
        dy = x^T @ g          (batch axes are summed down by the engine)

    A 1-D ``x`` is treated as a row (1, k) and a 1-D ``y`` as a column (k, 1); ``g``
    gets the same size-1 axis back before the products.
    """
    name, arity = "matmul", 2
    read_for = ((1,), (0,))  # x for dy, y for dx
    jvp_rule = "multilinear"     # J t = tx @ y + x @ ty
    kind = "matmul"

    @staticmethod
    def forward(x, y):
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError(f"matmul: both operands need at least one dimension; got shapes "
                             f"{x.shape} and {y.shape} (use multiply for scalars)")
        k1 = x.shape[-1]
        k2 = y.shape[0] if y.ndim == 1 else y.shape[-2]
        if k1 != k2:
            raise ValueError(f"matmul: shapes {x.shape} and {y.shape} are not aligned: the last "
                             f"axis of the first ({k1}) must equal the "
                             f"{'only' if y.ndim == 1 else 'second-to-last'} axis of the second ({k2})")
        try:
            return np.matmul(x, y)
        except ValueError:
            raise ValueError(f"matmul: the batch axes of shapes {x.shape} and {y.shape} do not "
                             f"broadcast together") from None

    @staticmethod
    def vjp(g, out, x, y, needs):
        x2 = x.reshape((1,) + x.shape) if x.ndim == 1 else x
        y2 = y.reshape(y.shape + (1,)) if y.ndim == 1 else y
        if y.ndim == 1:   # first, so that a 0-d g (vector @ vector) becomes (1,) then (1, 1)
            g = np.expand_dims(g, -1)
        if x.ndim == 1:
            g = np.expand_dims(g, -2)
        dx = dy = None
        if needs[0]:
            dx = g @ y2.swapaxes(-1, -2)
            if x.ndim == 1:
                dx = dx.squeeze(-2)   # (..., 1, k) -> (..., k); the engine sums the batch
        if needs[1]:
            dy = x2.swapaxes(-1, -2) @ g
            if y.ndim == 1:
                dy = dy.squeeze(-1)   # (..., k, 1) -> (..., k)
        return dx, dy
