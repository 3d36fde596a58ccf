"""Ops that depend on the order of the values: sort, take_along_axis, median,
percentile. Each output element is an input element (or an interpolation of two), so
each VJP sends the cotangent back through the permutation that sorting found."""

from __future__ import annotations

import numpy as np

from .base import Op, int_axis, normalize_axis
from .index import ScatterAdd


def _along_axis_index(indices, shape, axis):
    """``take_along_axis(x, indices, axis)`` as a fancy index ``x[index]``: ``indices``
    along ``axis`` and an aranged index, broadcast, along every other axis."""
    ndim = len(shape)
    return tuple(indices if d == axis else
                 np.arange(shape[d]).reshape((1,) * d + (-1,) + (1,) * (ndim - d - 1))
                 for d in range(ndim))


class TakeAlongAxis(Op):
    """``out = take_along_axis(x, indices, axis)``: ``x`` read at ``indices`` (integers,
    as many dimensions as ``x``) along ``axis``; ``axis=None`` reads the flattened ``x``.

    Notes
    -----
    VJP::

        dx = zeros_like(x);  dx at indices along axis += g     (a scatter-add)
        dindices = None
    """
    name, arity = "take_along_axis", 2
    kind = "index"
    domain = ("real", "labels")
    nondiff = (1,)
    jvp_rule = "linear"

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(min_dims=1, min_side=1)
        if draw.booleans():
            axis = None
            idx_shape = (draw.integers(0, 4),)
            n = int(np.prod(shape))
        else:
            axis = draw.axes(len(shape), single=True)
            idx_shape = tuple(draw.integers(0, 4) if d == axis % len(shape) else
                              draw.sampled_from([1, s]) for d, s in enumerate(shape))
            n = shape[axis]
        indices = np.array([draw.integers(-n, n - 1) for _ in range(int(np.prod(idx_shape)))],
                           dtype=np.int64).reshape(idx_shape)
        return [shape, indices], {"axis": axis}

    @staticmethod
    def _index(x_shape, indices, axis):
        if axis is None:
            return indices.reshape(-1) if indices.ndim != 1 else indices
        return _along_axis_index(indices, x_shape, normalize_axis(axis, len(x_shape), "take_along_axis")[0])

    @staticmethod
    def forward(x, indices, axis=-1):
        if indices.dtype.kind not in "iu":
            raise TypeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
        return np.take_along_axis(x, indices, axis)

    @staticmethod
    def vjp(g, out, x, indices, axis=-1):
        idx = np.asarray(indices)
        if axis is None:
            flat = ScatterAdd.dispatch(g, index=TakeAlongAxis._index(None, idx, None), shape=(x.size,))
            return (flat.reshape(x.shape), None)
        return (ScatterAdd.dispatch(g, index=TakeAlongAxis._index(x.shape, idx, axis), shape=x.shape),
                None)


class Sort(Op):
    """``out = sort(x, axis)`` (ascending; ``axis=None`` sorts the flattened ``x``).

    Notes
    -----
    VJP::

        p = argsort(x, axis)              (out = take_along_axis(x, p))
        dx = g sent back through p:  dx[p[i]] = g[i]

    Where values tie the order among them is arbitrary and sort is not differentiable;
    the gradient follows the stable argsort's order.
    """
    name = "sort"
    kind = "custom"
    domain = ("distinct",)

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape()
        axis = None if not shape or draw.booleans() else draw.axes(len(shape), single=True)
        return [shape], {"axis": axis}

    @staticmethod
    def forward(x, axis=-1, kind=None):
        try:
            return np.sort(x, axis, kind=kind)
        except TypeError:
            int_axis(axis, "sort")
            raise

    @staticmethod
    def _perm(x, axis):
        # argsort of a Tensor reads its values (np.argsort is not differentiable).
        return np.argsort(x, axis=axis, kind="stable")

    @staticmethod
    def vjp(g, out, x, axis=-1, kind=None):
        p = Sort._perm(x, axis)
        if axis is None:
            return (ScatterAdd.dispatch(g, index=p, shape=(x.size,)).reshape(x.shape),)
        ax = normalize_axis(axis, x.ndim, "sort")[0]
        return (ScatterAdd.dispatch(g, index=_along_axis_index(p, x.shape, ax), shape=x.shape),)

    @staticmethod
    def jvp(tangents, out, x, axis=-1, kind=None):
        p = Sort._perm(x, axis)
        return TakeAlongAxis.dispatch(tangents[0], p, axis=axis)


def _percentile_index(x, q, axis):
    """Where the q-th percentiles of ``x`` over ``axis`` (linear interpolation) read:
    ``(index, weights, out_shape)`` with ``x[index]`` of shape ``(2,) + out_shape`` and
    ``percentile = sum over the first axis of weights * x[index]``."""
    axes = normalize_axis(axis, x.ndim, "percentile")
    rest = [a for a in range(x.ndim) if a not in axes]
    n = int(np.prod([x.shape[a] for a in axes]))
    qs = np.asarray(q, dtype=np.float64)
    pos = qs / 100.0 * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    # Sorted positions -> positions in x: argsort over the reduced axes, moved last.
    values = np.asarray(x)
    moved = np.transpose(values, rest + list(axes)).reshape([values.shape[a] for a in rest] + [n])
    order = np.argsort(moved, axis=-1, kind="stable")
    lead = moved.shape[:-1]
    picks = np.stack([order[..., lo.reshape(-1)], order[..., hi.reshape(-1)]])  # (2, *lead, nq)
    flat = np.unravel_index(picks, [values.shape[a] for a in axes]) if axes else ()
    # The full index into x: the lead positions broadcast, the reduced ones picked.
    grids = np.indices(lead + (picks.shape[-1],), sparse=True)
    index = [None] * x.ndim
    for i, a in enumerate(rest):
        index[a] = grids[i]
    for f, a in zip(flat, axes):
        index[a] = f
    weights = np.stack([1 - frac, frac]).reshape((2,) + (1,) * len(lead) + (-1,))
    return tuple(index), weights, lead, qs.shape


def _percentile_value(x, index, weights, lead, qshape, keepdims, axes):
    """The percentiles from the picked values: (2, *lead, nq) -> q.shape + lead (+ kept axes)."""
    vals = np.sum(x[index] * weights.astype(x.dtype), axis=0)          # (*lead, nq)
    vals = np.moveaxis(vals, -1, 0).reshape(qshape + lead)
    if keepdims:
        vals = vals.reshape(qshape + tuple(1 if a in axes else n for a, n in enumerate(x.shape)))
    return vals


class Percentile(Op):
    """``out = percentile(x, q, axis, keepdims)``: the ``q``-th percentiles (0 to 100,
    a number or an array) over ``axis``, interpolating linearly between the two nearest
    sorted values (NumPy's default ``method="linear"``, the only one here). The
    result's leading axes are ``q``'s.

    Notes
    -----
    VJP::

        s = x sorted;  pos = q/100 * (n - 1);  lo = floor(pos);  f = pos - lo
        out = (1 - f) * s[lo] + f * s[lo + 1]
        dx at the position of s[lo] += (1 - f) * g;  at that of s[lo + 1] += f * g
    """
    name = "percentile"
    kind = "custom"
    domain = ("distinct",)

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(min_dims=1, min_side=1, max_dims=3, max_side=3)
        axis = draw.axes(len(shape), allow_empty=False)
        q = draw.sampled_from([50.0, 0.0, 100.0, 37.5, (10.0, 90.0), ((25.0,), (62.5,))])
        return [shape], {"q": q, "axis": axis, "keepdims": draw.booleans()}

    @staticmethod
    def _parts(x, q, axis, method):
        if q is None:
            raise TypeError("percentile: missing the 'q' argument")
        if method != "linear":
            raise ValueError(f"percentile: only method='linear' is differentiable here, got {method!r}")
        qs = np.asarray(q, dtype=np.float64)
        if np.any((qs < 0) | (qs > 100)) or np.any(np.isnan(qs)):
            raise ValueError(f"percentile: q must lie in [0, 100], got {q!r}")
        axes = normalize_axis(axis, x.ndim, "percentile")
        if any(x.shape[a] == 0 for a in axes) or not axes and x.ndim:
            raise ValueError(f"percentile: cannot take a percentile over no values "
                             f"(input shape {x.shape}, axis {axis!r})")
        return axes, _percentile_index(x, qs, axes)

    @staticmethod
    def forward(x, q=None, axis=None, keepdims=False, method="linear"):
        axes, (index, weights, lead, qshape) = Percentile._parts(x, q, axis, method)
        return _percentile_value(x, index, weights, lead, qshape, keepdims, axes)

    @staticmethod
    def vjp(g, out, x, q=None, axis=None, keepdims=False, method="linear"):
        axes, (index, weights, lead, qshape) = Percentile._parts(x, q, axis, method)
        nq = int(np.prod(qshape))
        g = np.moveaxis(g.reshape((nq,) + lead), 0, -1)                    # (*lead, nq)
        picked = np.expand_dims(g, 0) * weights.astype(x.dtype)           # (2, *lead, nq)
        return (ScatterAdd.dispatch(picked, index=index, shape=x.shape),)

    @staticmethod
    def jvp(tangents, out, x, q=None, axis=None, keepdims=False, method="linear"):
        axes, (index, weights, lead, qshape) = Percentile._parts(x, q, axis, method)
        return _percentile_value(tangents[0], index, weights, lead, qshape, keepdims, axes)


class Median(Op):
    """``out = median(x, axis, keepdims)``: the middle value over ``axis``, or the mean
    of the two middle ones for an even count (``percentile(x, 50)``).

    Notes
    -----
    VJP::

        odd n:   dx at the middle element = g
        even n:  dx at each of the two middle elements = g / 2
    """
    name = "median"
    kind = "custom"
    domain = ("distinct",)

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(min_dims=1, min_side=1, max_dims=3)
        return [shape], {"axis": draw.axes(len(shape), allow_empty=False),
                         "keepdims": draw.booleans()}

    @staticmethod
    def forward(x, axis=None, keepdims=False):
        return np.median(x, axis=normalize_axis(axis, x.ndim, "median"), keepdims=keepdims)

    @staticmethod
    def vjp(g, out, x, axis=None, keepdims=False):
        return Percentile.vjp(g, out, x, q=50.0, axis=axis, keepdims=keepdims)

    @staticmethod
    def jvp(tangents, out, x, axis=None, keepdims=False):
        return Percentile.jvp(tangents, out, x, q=50.0, axis=axis, keepdims=keepdims)
