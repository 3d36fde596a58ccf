"""Indexing ``x[index]`` and its adjoint, the scatter-add."""

from __future__ import annotations

import numpy as np

from .base import Op


def _has_int_array(index) -> bool:
    """True when ``index`` can repeat positions (integer arrays), so writes must add."""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype.kind in "iu":
            return True
    return False


class GetItem(Op):
    """``out = x[index]``: ints, slices (any step), None, Ellipsis, integer arrays and
    boolean masks, as in NumPy.

    Notes
    -----
    VJP::

        dx = zeros_like(x);  dx[index] += g     (scatter-add)

    With integer arrays a position can be selected more than once; the scatter-add
    (``np.add.at``) accumulates every copy's cotangent instead of keeping the last.
    """
    name = "getitem"
    jvp_rule = "linear"
    kind = "index"

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(min_side=1)
        return [shape], {"index": draw.index(shape)}

    @staticmethod
    def forward(x, index=None):
        return x[index]

    @staticmethod
    def vjp(g, out, x, index=None):
        return (ScatterAdd.dispatch(g, index=index, shape=x.shape),)


class ScatterAdd(Op):
    """``out = zeros(shape); out[index] += g``: the adjoint of :class:`GetItem`.

    Notes
    -----
    VJP::

        dg = dout[index]
    """
    name = "scatter_add"
    jvp_rule = "linear"
    kind = "index"

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(min_side=1)
        index = draw.index(shape)
        selected = np.empty(shape)[index].shape  # the shape x[index] has
        return [selected], {"index": index, "shape": shape}

    @staticmethod
    def forward(g, index=None, shape=None):
        out = np.zeros(shape, dtype=g.dtype)
        if _has_int_array(index):
            np.add.at(out, index, g)
        else:
            out[index] = g   # positions are distinct: plain assignment is the sum
        return out

    @staticmethod
    def vjp(dout, out, g, index=None, shape=None):
        return (dout[index],)
