"""Stateless layers: ``linear``, ``dropout``, ``batch_norm``, ``layer_norm``."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import autograd_lite as al

from ..rng import get_generator
from ._common import Tensor, _data, _t

__all__ = ["linear", "dropout", "batch_norm", "layer_norm"]


def _linear_mismatch(x: Tensor, w: Tensor, bias: Any) -> str | None:
    """The message naming what is wrong with :func:`linear`'s shapes, or None."""
    if w.ndim != 2:
        return f"linear: weight must have shape (out_features, in_features), got {w.shape}"
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        return (f"linear: input of shape {x.shape} does not match weight of shape {w.shape}: "
                f"the input's last dimension must be in_features={w.shape[1]}")
    if bias is not None and np.shape(_data(bias)) != (w.shape[0],):
        return (f"linear: bias must have shape ({w.shape[0]},) for weight of shape {w.shape}, "
                f"got {np.shape(_data(bias))}")
    return None


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """``y = x W^T + b`` with ``weight`` of shape (out_features, in_features)."""
    if bias is None:
        x, w = _t(input, "linear"), _t(weight, "linear", "weight")
        problem = _linear_mismatch(x, w, None)  # x @ w.T would accept a 1-D weight
        if problem:
            raise ValueError(problem)
        return x @ w.T
    # One fused node, whose weight gradient comes out in the weight's layout. The op
    # converts arrays and checks the three shapes itself, so they are only examined
    # again to explain a failure.
    try:
        return al.linear(input, weight, bias)
    except (ValueError, TypeError):
        problem = _linear_mismatch(_t(input, "linear"), _t(weight, "linear", "weight"), bias)
        if problem is None:
            raise
    raise ValueError(problem)  # out here, so not chained to the op's own error


def dropout(input: Any, p: float = 0.5, training: bool = True,
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the
    kept ones by ``1 / (1 - p)``, so the expected value is unchanged and
    evaluation needs no rescaling. The identity when not ``training`` or ``p == 0``."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"dropout: p must be a number, got {p!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p!r}")
    x = _t(input, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros(x.shape, x.dtype)
    keep = get_generator(generator).random(x.shape) >= p
    return x * (keep.astype(x.dtype) * (1.0 / (1.0 - p)))


def _channel_shape(x: Tensor, fn: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Reduction axes and parameter broadcast shape for (N, C), (N, C, L) or
    (N, C, H, W) input: every axis but the channels'."""
    if 2 <= x.ndim <= 4:
        return (0,) + tuple(range(2, x.ndim)), (x.shape[1],) + (1,) * (x.ndim - 2)
    raise ValueError(f"{fn}: expected input of shape (N, C), (N, C, L) or (N, C, H, W), "
                     f"got {x.shape}")


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation per channel C of (N, C), (N, C, L) or (N, C, H, W) input,
    over every other axis.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``. In training, mean and
    (biased) var come from the batch, and the running statistics (Tensors, updated
    in place when given) move toward the batch's: ``r = (1 - momentum) r + momentum
    s``, with the *unbiased* variance for ``running_var``. Otherwise the running
    statistics are used.
    """
    x = _t(input, "batch_norm")
    axes, pshape = _channel_shape(x, "batch_norm")
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise TypeError(f"batch_norm: eps must be a number, got {eps!r}")
    if not eps >= 0:
        raise ValueError(f"batch_norm: eps must be >= 0, got {eps!r}")
    for name, v in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if v is not None and np.shape(_data(v)) != pshape[:1]:
            raise ValueError(f"batch_norm: {name} must have shape {pshape[:1]}, one value per "
                             f"channel of the input of shape {x.shape}; got {np.shape(_data(v))}")
    if training:
        n = math.prod(x.shape[a] for a in axes)
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")
        if running_mean is not None or running_var is not None:
            # The batch's statistics again, for the running ones (the op keeps its own):
            # two einsum passes, 0.1 ms of a 64x6x28x28 float32 batch.
            x3 = x.data.reshape(x.shape[0], x.shape[1], -1)
            mean = np.einsum("ncl->c", x3) / n
            d = x3 - mean[:, None]
            unbiased = np.einsum("ncl,ncl->c", d, d) / (n - 1)
            m = float(momentum)
            with al.no_grad():
                if running_mean is not None:
                    running_mean.mul_(1.0 - m).add_(mean, alpha=m)
                if running_var is not None:
                    running_var.mul_(1.0 - m).add_(unbiased, alpha=m)
        return al.batch_norm(x, weight, bias, eps=float(eps))
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    return al.batch_norm(x, weight, bias, mean=_data(running_mean), var=_data(running_var),
                         eps=float(eps))


def layer_norm(input: Any, normalized_shape: int | Sequence[int], weight: Any = None,
               bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes of each sample:
    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` (biased variance)."""
    x = _t(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end with "
                         f"normalized_shape {tuple(np.asarray(shape).tolist())}")  # plain ints
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mean) / al.sqrt(var + float(eps))
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
