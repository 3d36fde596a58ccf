"""Ops that move, copy or select elements: flip, roll, repeat, tile, moveaxis, tril,
triu, diag, diagonal, trace. All are linear, so forward mode applies each to the
tangent (``jvp_rule = "linear"``); each VJP sends the cotangent back where its elements
came from, adding up copies."""

from __future__ import annotations

import numpy as np

from .base import Op, normalize_axis
from .index import ScatterAdd


class _Arrange(Op):
    kind = "shape"
    jvp_rule = "linear"


def _axis_or_none(draw, ndim):
    return None if ndim == 0 or draw.booleans() else draw.axes(ndim, single=True)


class Flip(_Arrange):
    """``out = flip(x, axis)``: the elements along ``axis`` (an int, a tuple, or None for
    all axes) in reverse order.

    Notes
    -----
    VJP::

        dx = flip(g, axis)
    """
    name = "flip"

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape()
        return [shape], {"axis": draw.axes(len(shape))}

    @staticmethod
    def forward(x, axis=None):
        try:
            return np.flip(x, axis)
        except TypeError:
            normalize_axis(axis, x.ndim, "flip")
            raise

    @staticmethod
    def vjp(g, out, x, axis=None):
        return (np.flip(g, axis),)


class Roll(_Arrange):
    """``out = roll(x, shift, axis)``: elements shifted cyclically by ``shift`` along
    ``axis`` (ints or tuples; ``axis=None`` rolls the flattened array).

    Notes
    -----
    VJP::

        dx = roll(g, -shift, axis)
    """
    name = "roll"

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape()
        if shape and draw.booleans():
            axis = draw.axes(len(shape), single=True)
            if draw.booleans():
                return [shape], {"shift": (draw.integers(-5, 5), draw.integers(-5, 5)),
                                 "axis": (axis, draw.axes(len(shape), single=True))}
            return [shape], {"shift": draw.integers(-5, 5), "axis": axis}
        return [shape], {"shift": draw.integers(-5, 5), "axis": None}

    @staticmethod
    def forward(x, shift=None, axis=None):
        if shift is None:
            raise TypeError("roll: missing the 'shift' argument")
        return np.roll(x, shift, axis)

    @staticmethod
    def vjp(g, out, x, shift=None, axis=None):
        back = tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift
        return (np.roll(g, back, axis),)


def _repeat_sources(x_shape, repeats, axis):
    """(the axis repeated, the index along it that each output element copies)."""
    ax = normalize_axis(axis, len(x_shape), "repeat")[0]
    return ax, np.repeat(np.arange(x_shape[ax]), repeats)


class Repeat(_Arrange):
    """``out = repeat(x, repeats, axis)``: each element repeated ``repeats`` times (an int,
    or one count per element along ``axis``); ``axis=None`` repeats the flattened array.

    Notes
    -----
    VJP::

        dx[i] = sum of g over the copies of x[i]
    """
    name = "repeat"

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape()
        axis = _axis_or_none(draw, len(shape))
        n = int(np.prod(shape)) if axis is None else shape[axis]
        if draw.booleans():
            return [shape], {"repeats": draw.integers(0, 3), "axis": axis}
        counts = np.array([draw.integers(0, 3) for _ in range(n)], dtype=np.int64)
        return [shape], {"repeats": counts, "axis": axis}

    @staticmethod
    def forward(x, repeats=None, axis=None):
        if repeats is None:
            raise TypeError("repeat: missing the 'repeats' argument")
        return np.repeat(x, repeats, axis)

    @staticmethod
    def vjp(g, out, x, repeats=None, axis=None):
        if axis is None:
            _, src = _repeat_sources((x.size,), repeats, 0)
            return (ScatterAdd.dispatch(g, index=src, shape=(x.size,)).reshape(x.shape),)
        ax, src = _repeat_sources(x.shape, repeats, axis)
        return (ScatterAdd.dispatch(g, index=(slice(None),) * ax + (src,), shape=x.shape),)


class Tile(_Arrange):
    """``out = tile(x, reps)``: ``x`` repeated ``reps[i]`` times along axis ``i`` (the
    shorter of ``x.shape`` and ``reps`` padded with leading 1s).

    Notes
    -----
    VJP::

        dx = sum of g's tiles: reshape g to (r0, n0, r1, n1, ...) and sum over the r axes
    """
    name = "tile"

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(max_side=3)
        reps = tuple(draw.integers(0, 3) for _ in range(draw.integers(0, 3)))
        return [shape], {"reps": reps if reps or draw.booleans() else draw.integers(0, 3)}

    @staticmethod
    def forward(x, reps=None):
        if reps is None:
            raise TypeError("tile: missing the 'reps' argument")
        return np.tile(x, reps)

    @staticmethod
    def vjp(g, out, x, reps=None):
        reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
        d = max(len(reps), x.ndim)
        reps = (1,) * (d - len(reps)) + reps
        shape = (1,) * (d - x.ndim) + x.shape
        split = tuple(n for pair in zip(reps, shape) for n in pair)
        g = g.reshape(split).sum(axis=tuple(range(0, 2 * d, 2)))
        return (g.reshape(x.shape),)


class Moveaxis(_Arrange):
    """``out = moveaxis(x, source, destination)`` (ints or sequences of ints).

    Notes
    -----
    VJP::

        dx = moveaxis(g, destination, source)
    """
    name = "moveaxis"

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(min_dims=1)
        k = draw.integers(1, len(shape))
        src = draw.permutation(range(len(shape)))[:k]
        dst = draw.permutation(range(len(shape)))[:k]
        if k == 1 and draw.booleans():
            return [shape], {"source": src[0], "destination": dst[0] - len(shape)}
        return [shape], {"source": tuple(src), "destination": tuple(dst)}

    @staticmethod
    def forward(x, source=None, destination=None):
        if source is None or destination is None:
            raise TypeError("moveaxis: missing the 'source' or 'destination' argument")
        return np.moveaxis(x, source, destination)

    @staticmethod
    def vjp(g, out, x, source=None, destination=None):
        return (np.moveaxis(g, destination, source),)


def _diagonal_k(op, k):
    """The diagonal ``k`` of tril, triu and diag, checked: NumPy takes 1.5 as 1."""
    if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
        return k
    raise TypeError(f"{op}: k must be an int, got {k!r}")


def _triangle_sample(draw):
    shape = draw.shape(min_dims=1, max_dims=3)
    return [shape], {"k": draw.integers(-2, 2)}


class Tril(_Arrange):
    """``out = tril(x, k)``: the last two axes' lower triangle (on and below diagonal
    ``k``), zeros above. A 1-D ``x`` is broadcast to a square first, as in NumPy.

    Notes
    -----
    VJP::

        dx = tril(g, k)       (summed over the broadcast rows for a 1-D x)
    """
    name = "tril"
    sample_inputs = classmethod(lambda cls, draw: _triangle_sample(draw))

    @staticmethod
    def forward(x, k=0):
        return np.tril(x, _diagonal_k("tril", k))

    @staticmethod
    def vjp(g, out, x, k=0):
        return (np.tril(g, k),)


class Triu(_Arrange):
    """``out = triu(x, k)``: the last two axes' upper triangle (on and above diagonal
    ``k``), zeros below. A 1-D ``x`` is broadcast to a square first, as in NumPy.

    Notes
    -----
    VJP::

        dx = triu(g, k)       (summed over the broadcast rows for a 1-D x)
    """
    name = "triu"
    sample_inputs = classmethod(lambda cls, draw: _triangle_sample(draw))

    @staticmethod
    def forward(x, k=0):
        return np.triu(x, _diagonal_k("triu", k))

    @staticmethod
    def vjp(g, out, x, k=0):
        return (np.triu(g, k),)


def _diagonal_index(shape, offset, axis1, axis2):
    """``x.diagonal(offset, axis1, axis2)`` as (the axes moved to the end, an index into
    that array): the positions the diagonal reads."""
    n1, n2 = shape[axis1], shape[axis2]
    start1, start2 = max(-offset, 0), max(offset, 0)
    length = max(0, min(n1 - start1, n2 - start2))
    rows = np.arange(start1, start1 + length)
    return (Ellipsis, rows, rows - start1 + start2)


def _scatter_diagonal(g, shape, offset, axis1, axis2):
    """The adjoint of diagonal: ``g`` written on the diagonal of zeros of ``shape``."""
    a1, a2 = normalize_axis(axis1, len(shape), "diagonal")[0], normalize_axis(axis2, len(shape), "diagonal")[0]
    moved = tuple(n for i, n in enumerate(shape) if i not in (a1, a2)) + (shape[a1], shape[a2])
    z = ScatterAdd.dispatch(g, index=_diagonal_index(shape, offset, a1, a2), shape=moved)
    return np.moveaxis(z, (-2, -1), (a1, a2))


def _diagonal_sample(draw):
    shape = draw.shape(min_dims=2, max_dims=4)
    a1, a2 = draw.permutation(range(len(shape)))[:2]
    return [shape], {"offset": draw.integers(-2, 2), "axis1": a1 - len(shape) * draw.integers(0, 1),
                     "axis2": a2}


class Diagonal(_Arrange):
    """``out = diagonal(x, offset, axis1, axis2)``: the diagonal of the (axis1, axis2)
    planes, as the last axis of the result.

    Notes
    -----
    VJP::

        dx = zeros_like(x) with g written on that diagonal
    """
    name = "diagonal"
    sample_inputs = classmethod(lambda cls, draw: _diagonal_sample(draw))

    @staticmethod
    def forward(x, offset=0, axis1=0, axis2=1):
        # A copy: NumPy's diagonal is a read-only view that would alias x.
        return np.diagonal(x, offset, axis1, axis2).copy()

    @staticmethod
    def vjp(g, out, x, offset=0, axis1=0, axis2=1):
        return (_scatter_diagonal(g, x.shape, offset, axis1, axis2),)


class Trace(_Arrange):
    """``out = trace(x, offset, axis1, axis2)``: the sum of that diagonal.

    Notes
    -----
    VJP::

        dx = zeros_like(x) with g (broadcast along it) written on the diagonal
    """
    name = "trace"
    sample_inputs = classmethod(lambda cls, draw: _diagonal_sample(draw))

    @staticmethod
    def forward(x, offset=0, axis1=0, axis2=1):
        return np.trace(x, offset, axis1, axis2)

    @staticmethod
    def vjp(g, out, x, offset=0, axis1=0, axis2=1):
        n = len(_diagonal_index(x.shape, offset, *(normalize_axis(a, x.ndim, "trace")[0]
                                                    for a in (axis1, axis2)))[1])
        return (_scatter_diagonal(np.broadcast_to(np.expand_dims(g, -1), g.shape + (n,)),
                                  x.shape, offset, axis1, axis2),)


class Diag(_Arrange):
    """``out = diag(v, k)``: for a 1-D ``v``, a square matrix with ``v`` on diagonal
    ``k``; for a 2-D ``v``, its diagonal ``k``.

    Notes
    -----
    VJP::

        1-D v:  dv = diagonal(g, k)
        2-D v:  dv = zeros_like(v) with g written on diagonal k
    """
    name = "diag"

    @classmethod
    def sample_inputs(cls, draw):
        return [draw.shape(min_dims=1, max_dims=2)], {"k": draw.integers(-2, 2)}

    @staticmethod
    def forward(v, k=0):
        if v.ndim not in (1, 2):
            raise ValueError(f"diag: input must be 1-D or 2-D, got shape {v.shape}")
        return np.diag(v, _diagonal_k("diag", k)).copy()   # a copy: for 2-D input NumPy returns a view

    @staticmethod
    def vjp(g, out, v, k=0):
        if v.ndim == 1:
            return (Diagonal.dispatch(g, offset=k, axis1=0, axis2=1),)
        return (_scatter_diagonal(g, v.shape, k, 0, 1),)
