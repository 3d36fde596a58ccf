"""Running and whole products and sums: cumsum, cumprod, prod. Their VJPs are safe at
zeros (no division by an input that may be 0)."""

from __future__ import annotations

import numpy as np

from .base import Op, int_axis, keepdims_shape, normalize_axis


def _cumulative_sample(draw):
    shape = draw.shape()
    axis = None if not shape or draw.booleans() else draw.axes(len(shape), single=True)
    return [shape], {"axis": axis}


def _along(x, axis):
    """(x flattened when axis is None, the axis as a non-negative int)."""
    if axis is None:
        return x.reshape((-1,)), 0
    return x, normalize_axis(axis, x.ndim, "cumulative")[0]


def _reverse_cumsum(g, ax):
    """``out[i] = sum(g[i:])`` along ``ax``: cumsum's adjoint."""
    return np.flip(np.cumsum(np.flip(g, ax), ax), ax)


class Cumsum(Op):
    """``out = cumsum(x, axis)``: running sums along ``axis`` (of the flattened ``x`` when
    ``axis`` is None).

    Notes
    -----
    VJP::

        dx[i] = sum(g[i:])       (a reversed running sum), reshaped to x.shape
    """
    name, kind = "cumsum", "custom"
    jvp_rule = "linear"
    sample_inputs = classmethod(lambda cls, draw: _cumulative_sample(draw))

    @staticmethod
    def forward(x, axis=None):
        try:
            return np.cumsum(x, axis)
        except TypeError:
            int_axis(axis, "cumsum")
            raise

    @staticmethod
    def vjp(g, out, x, axis=None):
        ax = 0 if axis is None else normalize_axis(axis, x.ndim, "cumsum")[0]
        return (_reverse_cumsum(g, ax).reshape(x.shape),)


def _divisible(x, out):
    """True when ``out / x`` may stand for the product of the others: on arrays (a
    second derivative of the quotient would be inexact for tiny x), with every running
    product a normal number (so no x is 0 and none underflowed)."""
    if type(x) is not np.ndarray:
        return False
    o = np.abs(out)
    return bool(np.all(o >= np.finfo(o.dtype).tiny))


class Cumprod(Op):
    """``out = cumprod(x, axis)``: running products along ``axis`` (of the flattened ``x``
    when ``axis`` is None).

    Notes
    -----
    VJP::

        dx[i] = sum_{j >= i} g[j] * prod_{k <= j, k != i} x[k]
              = sum(g[i:] * out[i:]) / x[i]          where no x is 0

    With a zero (or a product that underflows) the division is undefined or
    inexact, and the products are formed explicitly instead (n**2 of them for a line
    of n): exact, zeros included. So are they when differentiating twice.
    """
    name, kind = "cumprod", "custom"
    sample_inputs = classmethod(lambda cls, draw: _cumulative_sample(draw))

    @staticmethod
    def forward(x, axis=None):
        try:
            return np.cumprod(x, axis)
        except TypeError:
            int_axis(axis, "cumprod")
            raise

    @staticmethod
    def vjp(g, out, x, axis=None):
        xl, ax = _along(x, axis)
        g = g.reshape(xl.shape) if axis is None else g
        if _divisible(x, out):
            dx = _reverse_cumsum(g * out.reshape(xl.shape), ax) / xl
            return (dx.reshape(x.shape),)
        # m[..., i, k] = x[k] for k != i and 1 for k == i; its running products along k
        # are prod_{k <= j, k != i} x[k] at j; keep j >= i, weight by g[j], sum over j.
        xm, gm = np.moveaxis(xl, ax, -1), np.moveaxis(g, ax, -1)
        n = xm.shape[-1]
        eye = np.eye(n, dtype=bool)
        m = np.where(eye, 1, np.expand_dims(xm, -2))
        upper = np.triu(np.ones((n, n), dtype=bool))
        dx = np.sum(np.where(upper, np.cumprod(m, -1) * np.expand_dims(gm, -2), 0), axis=-1)
        return (np.moveaxis(dx, -1, ax).reshape(x.shape),)

    @staticmethod
    def jvp(tangents, out, x, axis=None):
        # d out[j] = sum_{i <= j} t[i] * prod_{k <= j, k != i} x[k]: the VJP's transpose,
        # by the same two cases.
        xl, ax = _along(x, axis)
        t = tangents[0].reshape(xl.shape) if axis is None else tangents[0]
        if _divisible(x, out):
            return (np.cumsum(t / xl, ax) * out.reshape(xl.shape)).reshape(out.shape)
        xm, tm = np.moveaxis(xl, ax, -1), np.moveaxis(t, ax, -1)
        n = xm.shape[-1]
        m = np.where(np.eye(n, dtype=bool), 1, np.expand_dims(xm, -2))
        upper = np.triu(np.ones((n, n), dtype=bool))
        d = np.sum(np.where(upper, np.cumprod(m, -1) * np.expand_dims(tm, -1), 0), axis=-2)
        return np.moveaxis(d, -1, ax).reshape(out.shape)


def _exclusive_products(x, axes):
    """``p[i] = prod_{k != i} x[k]`` over the reduced ``axes``, without dividing (so
    exact at zeros): the products of everything before and after each element."""
    rest = [a for a in range(x.ndim) if a not in axes]
    perm = rest + list(axes)
    xt = np.transpose(x, perm)
    lead = xt.shape[:len(rest)]
    flat = xt.reshape(lead + (-1,))
    pad_before = [(0, 0)] * len(rest) + [(1, 0)]
    pad_after = [(0, 0)] * len(rest) + [(0, 1)]
    before = np.cumprod(np.pad(flat[..., :-1], pad_before, constant_values=1), -1)
    after = np.flip(np.cumprod(np.flip(np.pad(flat[..., 1:], pad_after, constant_values=1), -1), -1), -1)
    p = (before * after).reshape(xt.shape)
    return np.transpose(p, np.argsort(perm))


class Prod(Op):
    """``out = prod(x, axis)``.

    Notes
    -----
    VJP::

        dx[i] = g * prod_{k != i} x[k]     (over the reduced axes)

    The products of the other elements are formed as running products from both
    ends, never as ``out / x``: exact where ``x`` has zeros.
    """
    name, kind = "prod", "reduction"
    params = {"keepdims": (False, True)}

    @staticmethod
    def forward(x, axis=None, keepdims=False):
        return np.prod(x, axis=normalize_axis(axis, x.ndim, "prod"), keepdims=keepdims)

    @staticmethod
    def _others(x, axis):
        axes = normalize_axis(axis, x.ndim, "prod")
        if x.size == 0:
            return axes, np.zeros(x.shape, x.dtype)
        return axes, _exclusive_products(x, axes)

    @staticmethod
    def vjp(g, out, x, axis=None, keepdims=False):
        axes, others = Prod._others(x, axis)
        if not keepdims:
            g = g.reshape(keepdims_shape(x.shape, axes))
        return (g * others,)

    @staticmethod
    def jvp(tangents, out, x, axis=None, keepdims=False):
        axes, others = Prod._others(x, axis)
        return np.sum(others * tangents[0], axis=axes, keepdims=keepdims)
