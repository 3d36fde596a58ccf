"""Reductions over ``axis`` (None, int, negative, tuple) with ``keepdims``."""

from __future__ import annotations

import math

import numpy as np

from .base import Op, keepdims_shape, normalize_axis


def _expand(g, x_shape, axes, keepdims):
    """``g`` reshaped to the keepdims shape, so it broadcasts against the input."""
    return g if keepdims else g.reshape(keepdims_shape(x_shape, axes))


def _broadcast(g, x):
    """``g`` broadcast to ``x``'s shape. np.broadcast_to is a Python-level function
    costing as much as writing out a few thousand values, so a small result is
    written into a new array instead of viewed (Tensors, when differentiating
    twice, always take np.broadcast_to, which records the op)."""
    if x.size <= 4096 and (type(g) is np.ndarray or isinstance(g, np.generic)):
        out = np.empty(x.shape, g.dtype)
        out[...] = g
        return out
    return np.broadcast_to(g, x.shape)


class _Reduction(Op):
    kind = "reduction"
    params = {"keepdims": (False, True)}


def _sample_reducing_at_least(cls, draw, n, **shape_kw):
    """One call of reduction ``cls`` in which every reduced axis has ``n`` or more
    elements (a shape drawn freely, then its reduced sides widened)."""
    shape = draw.shape(**shape_kw)
    axis = draw.axes(len(shape), allow_empty=n < 2)
    reduced = normalize_axis(axis, len(shape), cls.name)
    shape = tuple(max(side, n) if i in reduced else side for i, side in enumerate(shape))
    return [shape], {**draw.params(), "axis": axis}


class Sum(_Reduction):
    """``out = sum(x, axis)``.

    Notes
    -----
    VJP::

        dx = broadcast_to(g, x.shape)      (g with the reduced axes restored as size 1)
    """
    name = "sum"
    read_for = ((),)  # only x's shape
    jvp_rule = "linear"

    @staticmethod
    def forward(x, axis=None, keepdims=False):
        return np.sum(x, axis=normalize_axis(axis, x.ndim, "sum"), keepdims=keepdims)

    @staticmethod
    def vjp(g, out, x, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "sum")
        return (_broadcast(_expand(g, x.shape, axes, keepdims), x),)


class Mean(_Reduction):
    """``out = mean(x, axis)``.

    Notes
    -----
    VJP::

        dx = broadcast_to(g, x.shape) / n      n = number of elements averaged
    """
    name = "mean"
    read_for = ((),)  # only x's shape
    jvp_rule = "linear"

    @staticmethod
    def forward(x, axis=None, keepdims=False):
        return np.mean(x, axis=normalize_axis(axis, x.ndim, "mean"), keepdims=keepdims)

    @staticmethod
    def vjp(g, out, x, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "mean")
        n = math.prod(x.shape[a] for a in axes)
        g = _expand(g, x.shape, axes, keepdims) * (1.0 / max(n, 1))
        return (_broadcast(g, x),)


class _Extremum(_Reduction):
    domain = ("distinct",)

    @classmethod
    def sample_inputs(cls, draw):
        # NumPy has no max of nothing (it raises): reduced axes are never empty.
        return _sample_reducing_at_least(cls, draw, 1, max_dims=4)

    @classmethod
    def vjp(cls, g, out, x, axis=None, keepdims=False):
        # One rule for max and min (each op's docstring gives the math)
        axes = normalize_axis(axis, x.ndim, cls.name)
        kd = keepdims_shape(x.shape, axes)
        hit = x == out.reshape(kd)
        count = np.sum(hit, axis=axes, keepdims=True).astype(g.dtype)
        return (np.where(hit, _expand(g, x.shape, axes, keepdims) / count, 0),)

    @classmethod
    def jvp(cls, tangents, out, x, axis=None, keepdims=False):
        # The tangent at the extremum, ties averaged as the VJP shares them.
        axes = normalize_axis(axis, x.ndim, cls.name)
        hit = x == out.reshape(keepdims_shape(x.shape, axes))
        count = np.sum(hit, axis=axes, keepdims=True).astype(out.dtype)
        return np.sum(np.where(hit, tangents[0], 0) / count, axis=axes, keepdims=keepdims)


class Max(_Extremum):
    """``out = max(x, axis)``.

    Notes
    -----
    VJP::

        dx = g * [x == out] / (number of elements equal to out)

    Ties share the gradient evenly (the mean of the subgradients), so the total
    gradient is g whatever the number of maxima.
    """
    name = "max"

    @staticmethod
    def forward(x, axis=None, keepdims=False):
        return np.max(x, axis=normalize_axis(axis, x.ndim, "max"), keepdims=keepdims)


class Min(_Extremum):
    """``out = min(x, axis)``.

    Notes
    -----
    VJP::

        dx = g * [x == out] / (number of elements equal to out)

    Ties share the gradient evenly, as in :class:`Max`.
    """
    name = "min"

    @staticmethod
    def forward(x, axis=None, keepdims=False):
        return np.min(x, axis=normalize_axis(axis, x.ndim, "min"), keepdims=keepdims)


class Var(_Reduction):
    """``out = sum((x - mean(x))**2, axis) / (n - ddof)``.

    Notes
    -----
    VJP::

        dx = g * 2 (x - mean(x)) / (n - ddof)

    (The mean's own dependence on x drops out: the deviations sum to zero.)
    """
    name = "var"
    params = {"keepdims": (False, True), "ddof": (0, 1)}

    @staticmethod
    def forward(x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "var")
        try:
            return np.var(x, axis=axes, ddof=ddof, keepdims=keepdims)
        except TypeError:  # x is a float array and the axes are checked: it is ddof
            raise TypeError(f"var: ddof must be an int, got {ddof!r}") from None

    @staticmethod
    def vjp(g, out, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "var")
        n = math.prod(x.shape[a] for a in axes)
        dev = x - x.mean(axis=axes, keepdims=True)
        scale = 2.0 / (n - ddof) if n > ddof else math.nan
        return (_expand(g, x.shape, axes, keepdims) * scale * dev,)

    @staticmethod
    def jvp(tangents, out, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "var")
        n = math.prod(x.shape[a] for a in axes)
        dev = x - x.mean(axis=axes, keepdims=True)
        scale = 2.0 / (n - ddof) if n > ddof else math.nan
        return np.sum(dev * tangents[0], axis=axes, keepdims=keepdims) * scale


class Std(_Reduction):
    """``out = sqrt(var(x, axis, ddof))``.

    Notes
    -----
    VJP::

        dx = g * (x - mean(x)) / ((n - ddof) * out)

    Where every element is equal (out = 0) std has no slope (sqrt at 0); there dx is
    taken as 0, as in PyTorch and HIPS autograd, and so is the second derivative.
    """
    name = "std"
    params = {"keepdims": (False, True), "ddof": (0, 1)}
    # Where all reduced values are equal std has no slope (sqrt at 0): reduce two
    # or more values, all distinct.
    domain = ("distinct",)

    @classmethod
    def sample_inputs(cls, draw):
        return _sample_reducing_at_least(cls, draw, 2, min_dims=1, max_side=3)

    @staticmethod
    def forward(x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "std")
        try:
            return np.std(x, axis=axes, ddof=ddof, keepdims=keepdims)
        except TypeError:  # x is a float array and the axes are checked: it is ddof
            raise TypeError(f"std: ddof must be an int, got {ddof!r}") from None

    @staticmethod
    def vjp(g, out, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "std")
        n = math.prod(x.shape[a] for a in axes)
        dev = x - x.mean(axis=axes, keepdims=True)
        kd = keepdims_shape(x.shape, axes)
        scale = 1.0 / (n - ddof) if n > ddof else math.nan
        s = out.reshape(kd)
        flat = s == 0
        if np.any(flat):  # dividing by inf makes dx 0 there, where dev / out was 0 / 0
            s = np.where(flat, np.inf, s)
        return (_expand(g, x.shape, axes, keepdims) * scale * dev / s,)

    @staticmethod
    def jvp(tangents, out, x, axis=None, ddof=0, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "std")
        n = math.prod(x.shape[a] for a in axes)
        dev = x - x.mean(axis=axes, keepdims=True)
        scale = 1.0 / (n - ddof) if n > ddof else math.nan
        return np.sum(dev * tangents[0], axis=axes, keepdims=keepdims) * scale / out


class Logsumexp(_Reduction):
    """``out = log(sum(exp(x), axis))``, shifted by the max so it never overflows.

    Notes
    -----
    VJP::

        dx = g * exp(x - out)          (= g * softmax(x, axis))
    """
    name = "logsumexp"

    @staticmethod
    def forward(x, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "logsumexp")
        if x.size == 0:
            m = np.zeros(keepdims_shape(x.shape, axes), x.dtype)
        else:
            m = np.max(x, axis=axes, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)  # all -inf: any shift works
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def vjp(g, out, x, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "logsumexp")
        kd = keepdims_shape(x.shape, axes)
        return (_expand(g, x.shape, axes, keepdims) * np.exp(x - out.reshape(kd)),)

    @staticmethod
    def jvp(tangents, out, x, axis=None, keepdims=False):
        axes = normalize_axis(axis, x.ndim, "logsumexp")
        kd = keepdims_shape(x.shape, axes)
        return np.sum(np.exp(x - out.reshape(kd)) * tangents[0], axis=axes, keepdims=keepdims)
