"""Indexing ``x[index]`` and its adjoint, the scatter-add."""

from __future__ import annotations

import numpy as np

from .base import Op


_SCALAR_INDEX = (int, np.integer, slice, type(None), type(Ellipsis), bool, np.bool_)


def _plain(index):
    """``index`` with every Tensor in it replaced by its array: ``al.getitem(x, index=t)``
    passes the Tensor as it is (``x[t]`` unwraps it first)."""
    if isinstance(index, tuple):
        if any(_is_tensor(i) for i in index):
            return tuple(i.data if _is_tensor(i) else i for i in index)
        return index
    return index.data if _is_tensor(index) else index


def _is_tensor(x) -> bool:
    # This module does not import the Tensor class: a Tensor is what records ops.
    return getattr(x, "_record", None) is not None


def _has_int_array(index) -> bool:
    """True when ``index`` can repeat positions (an integer array, signed or unsigned,
    or a list or tuple NumPy reads as one), so writes must add."""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if not isinstance(i, _SCALAR_INDEX) and np.asarray(i).dtype.kind in "iu":
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
        return x[_plain(index)]

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
        index = _plain(index)
        out = np.zeros(shape, dtype=g.dtype)
        if _has_int_array(index):
            np.add.at(out, index, g)
        else:
            out[index] = g   # positions are distinct: plain assignment is the sum
        return out

    @staticmethod
    def vjp(dout, out, g, index=None, shape=None):
        return (dout[_plain(index)],)
