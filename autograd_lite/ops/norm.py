"""Batch normalisation as one op: ``batch_norm``.

Composed of elementwise ops and reductions, a batch norm is a dozen nodes, each a
pass over the whole activation forward and again backward; fused, it is a handful of
passes. (LeNet-5 with BatchNorm2d, a float32 training step at batch 64, one BLAS
thread, quiet machine: 21.7-22.0 ms composed, 18.9-20.5 ms fused; 16.0 ms without
batch norm. ``examples/benchmark_cnn.py --nets lenet5-bn,lenet5``.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Op, constant, plain


def _check(x: Any, weight: Any, bias: Any, mean: Any, var: Any, eps: Any) -> None:
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input x of shape (N, C, ...) with the channels "
                         f"on axis 1, got shape {plain(x.shape)}")
    c = x.shape[1]
    for name, v in (("weight", weight), ("bias", bias), ("mean", mean), ("var", var)):
        if v is not None and np.shape(v) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},), one value per channel "
                             f"of the input of shape {plain(x.shape)}; got shape {plain(np.shape(v))}")
    if (mean is None) != (var is None):
        raise ValueError("batch_norm: give both mean and var (the running statistics), or neither "
                         "(the batch's own)")
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise TypeError(f"batch_norm: eps must be a number, got {eps!r}")
    if not eps >= 0:
        raise ValueError(f"batch_norm: eps must be >= 0, got {eps!r}")


def _stats(mean: Any, var: Any, eps: float, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The given statistics as ``dtype`` arrays: the mean and ``1 / sqrt(var + eps)``."""
    mean = np.asarray(constant(mean, "batch_norm", "mean"), dtype)
    var = np.asarray(constant(var, "batch_norm", "var"), dtype)
    return mean, 1 / np.sqrt(var + eps)


def _three(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(N, C, the rest flattened): counted, since -1 is ambiguous for an empty batch."""
    return shape[0], shape[1], int(np.prod(shape[2:]))


class BatchNorm(Op):
    """``out = (x - mean) / sqrt(var + eps) * weight + bias`` per channel (axis 1) of ``x``
    (N, C, ...), with ``weight`` and ``bias`` of shape (C,): ``torch.nn.functional.batch_norm``'s
    arithmetic, in one op. ``al.batch_norm(x, weight=None, bias=None, mean=None, var=None,
    eps=1e-5)``: no weight is ones, no bias zeros.

    ``mean`` and ``var`` (constants of shape (C,), e.g. running statistics) are used when
    given; when not (training), the batch's own are: the mean and the biased variance of
    each channel over every other axis. The running statistics are the caller's to keep
    (``nn.functional.batch_norm`` does).

    Notes
    -----
    VJP::

        dweight = S(g * xhat)
        dbias   = S(g)
        dx      = weight * invstd * (g - S(g) / M - xhat * S(g * xhat) / M)   (batch statistics)
        dx      = weight * invstd * g                                         (given mean, var)

    with ``xhat = (x - mean) * invstd``, ``invstd = 1 / sqrt(var + eps)``, ``S`` the sum
    over every axis but the channels' and ``M`` the number of values per channel. With
    the batch's statistics, ``mean`` and ``var`` depend on ``x`` (``dmean/dx = 1/M``,
    ``dvar/dx = 2 (x - mean) / M``): their share of ``dx`` is the two subtracted terms,
    which make ``dx`` sum to zero per channel and be orthogonal to ``xhat``.
    """
    name, arity = "batch_norm", 3
    kind = "custom"
    # eps away from 0 for the property tests: a channel of near-equal values has a
    # variance near 0, where central differences of 1/sqrt(var + eps) lose all accuracy.
    params = {"eps": (0.1, 1.0)}

    @staticmethod
    def bind(x: Any, weight: Any = None, bias: Any = None, mean: Any = None, var: Any = None,
             eps: float = 1e-5) -> tuple[tuple, dict[str, Any]]:
        if weight is None or bias is None:
            shape = x.shape if hasattr(x, "shape") else np.shape(x)
            c = shape[1] if len(shape) >= 2 else 0
            dtype = getattr(x, "dtype", np.float64)
            weight = np.ones(c, dtype) if weight is None else weight
            bias = np.zeros(c, dtype) if bias is None else bias
        return (x, weight, bias), dict(mean=mean, var=var, eps=eps)

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(min_dims=2, max_dims=4, min_side=1, max_side=3)
        params = draw.params()
        c = shape[1]
        if draw.booleans():  # running statistics, as in evaluation
            params["mean"] = np.array([draw.integers(-20, 20) / 10 for _ in range(c)])
            params["var"] = np.array([draw.integers(1, 30) / 10 for _ in range(c)])
        elif draw.booleans():  # an empty batch: nothing to normalise
            shape = (0,) + shape[1:]
        return [shape, (c,), (c,)], params

    @staticmethod
    def forward(x, weight, bias, mean=None, var=None, eps=1e-5):
        return BatchNorm.forward_saving(x, weight, bias, mean, var, eps)[0]

    @staticmethod
    def forward_saving(x, weight, bias, mean=None, var=None, eps=1e-5):
        """The output, and for the VJP the mean and ``invstd`` (C values each): ``xhat``
        is made again by the VJP rather than kept, so a step allocates one full-size
        array here and two in the VJP (not four), and holds none in between."""
        _check(x, weight, bias, mean, var, eps)
        x3 = x.reshape(_three(x.shape))
        if mean is None:
            # einsum reduces over N and the spatial axes in one pass, 2-3x faster than
            # np.add.reduce over two axes (64x6x28x28 float32: 0.026 against 0.069 ms).
            m = max(x3.shape[0] * x3.shape[2], 1)  # an empty batch: sums of nothing, 0
            mean = np.einsum("ncl->c", x3) / m
            out = x3 - mean[:, None]  # x - mean, then the output in place
            invstd = 1 / np.sqrt(np.einsum("ncl,ncl->c", out, out) / m + eps)
            out *= (weight * invstd)[:, None]
            out += bias[:, None]
            return out.reshape(x.shape), (mean, invstd)
        mean, invstd = _stats(mean, var, eps, x.dtype)
        scale = weight * invstd
        out = x3 * scale[:, None]
        out += (bias - mean * scale)[:, None]
        return out.reshape(x.shape), (mean, invstd)

    @staticmethod
    def vjp(g, out, x, weight, bias, mean=None, var=None, eps=1e-5, needs=(True, True, True),
            saved=None):
        if saved is not None and type(g) is np.ndarray:  # arrays: the forward's statistics
            batch = mean is None
            mean_c, invstd = saved
            g3 = g.reshape(_three(x.shape))
            sum_g = np.einsum("ncl->c", g3) if needs[2] or batch else None
            sum_gx = xhat = None
            if needs[1] or batch:
                xhat = x.reshape(g3.shape) - mean_c[:, None]
                xhat *= invstd[:, None]
                sum_gx = np.einsum("ncl,ncl->c", g3, xhat)
            dx = None
            if needs[0]:
                k = weight * invstd
                dx = g3 * k[:, None]
                if batch:
                    m = max(g3.shape[0] * g3.shape[2], 1)
                    xhat *= (k * sum_gx / m)[:, None]  # xhat is ours: no temporary
                    dx -= xhat
                    dx -= (k * sum_g / m)[:, None]
                dx = dx.reshape(x.shape)
            return dx, sum_gx if needs[1] else None, sum_g if needs[2] else None
        # Recomputed with NumPy's API, so that it also runs on Tensors (recorded, for
        # higher-order gradients).
        c = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        pshape = (1, c) + (1,) * (x.ndim - 2)
        if mean is None:
            m = max(int(np.prod([x.shape[a] for a in axes])), 1)
            d = x - x.sum(axis=axes, keepdims=True) * (1 / m)
            invstd = 1 / np.sqrt((d * d).sum(axis=axes, keepdims=True) * (1 / m) + eps)
            xhat = d * invstd
        else:
            mean_c, invstd_c = _stats(mean, var, eps, x.dtype)
            invstd = invstd_c.reshape(pshape)
            xhat = (x - mean_c.reshape(pshape)) * invstd
        sum_g = g.sum(axis=axes, keepdims=True)
        sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
        dx = None
        if needs[0]:
            k = weight.reshape(pshape) * invstd
            dx = k * (g - sum_g * (1 / m) - xhat * (sum_gx * (1 / m))) if mean is None else k * g
        return (dx, sum_gx.reshape((c,)) if needs[1] else None,
                sum_g.reshape((c,)) if needs[2] else None)
