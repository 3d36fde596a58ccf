"""Losses: regression, binary and multi-class classification. The metric-learning losses
(on pairs and triplets of embeddings) are in ``metric_losses.py``.

Each takes ``reduction='mean'|'sum'|'none'``; targets that need no gradient are cast
to the input's dtype; every loss stays finite for logits of +-1e4.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from ._common import Tensor, _check_reduction, _data, _pair, _reduce, _t, _target

__all__ = [
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "log_cosh_loss", "quantile_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "hinge_loss", "squared_hinge_loss", "kl_div", "focal_loss", "dice_loss",
]


# ---------------------------------------------------------------------------
# regression losses
# ---------------------------------------------------------------------------
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """``(x - y)**2``."""
    x, t = _pair(input, target, reduction, "mse_loss")
    d = x - t
    return _reduce(d * d, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """``|x - y|``."""
    x, t = _pair(input, target, reduction, "l1_loss")
    return _reduce(al.abs(x - t), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """``0.5 d**2`` if ``|d| <= delta`` else ``delta (|d| - 0.5 delta)``, ``d = x - y``."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    x, t = _pair(input, target, reduction, "huber_loss")
    d = x - t
    a = al.abs(d)
    return _reduce(al.where(a.data <= delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d**2 / beta`` if ``|d| < beta`` else ``|d| - 0.5 beta`` (the L1 loss when
    ``beta == 0``); equals ``huber_loss(delta=beta) / beta``."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    x, t = _pair(input, target, reduction, "smooth_l1_loss")
    d = x - t
    a = al.abs(d)
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(al.where(a.data < beta, (0.5 / beta) * d * d, a - 0.5 * beta), reduction)


def log_cosh_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """``log(cosh(x - y))``, computed as ``|d| + softplus(-2|d|) - log 2`` so that it
    never overflows; its gradient is ``tanh(d)``."""
    x, t = _pair(input, target, reduction, "log_cosh_loss")
    a = al.abs(x - t)
    return _reduce(a + al.softplus(-2.0 * a) - math.log(2.0), reduction)


def quantile_loss(input: Any, target: Any, quantile: float = 0.5, reduction: str = "mean") -> Tensor:
    """Pinball loss: ``q u`` if ``u >= 0`` else ``(q - 1) u``, ``u = y - x``; minimised
    by the ``q``-quantile of the target. ``q = 0.5`` is half the L1 loss."""
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile_loss: quantile must be in (0, 1), got {quantile}")
    x, t = _pair(input, target, reduction, "quantile_loss")
    u = t - x
    return _reduce(al.where(_data(u) >= 0, quantile * u, (quantile - 1.0) * u), reduction)


# ---------------------------------------------------------------------------
# binary classification losses
# ---------------------------------------------------------------------------
def _weighted(loss: Tensor, weight: Any, fn: str) -> Tensor:
    if weight is None:
        return loss
    w = _target(weight, loss, fn, "weight")
    try:
        np.broadcast_shapes(np.shape(w), loss.shape)
    except ValueError:
        raise ValueError(f"{fn}: weight of shape {np.shape(w)} does not broadcast to the loss "
                         f"shape {loss.shape}") from None
    return loss * w


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """``-(y log p + (1 - y) log(1 - p))`` on probabilities ``p`` in [0, 1].

    The probabilities are clipped to ``[tiny, 1]`` inside each log (tiny the
    smallest normal number of the dtype, or exp(-100) if larger), so a
    probability of exactly 0 or 1 gives a large finite loss, not inf.
    """
    x, t = _pair(input, target, reduction, "binary_cross_entropy")
    if x.size and (x.data.min() < 0 or x.data.max() > 1):
        raise ValueError(f"binary_cross_entropy: input must be probabilities in [0, 1], got values "
                         f"in [{x.data.min()}, {x.data.max()}]; for logits use "
                         f"binary_cross_entropy_with_logits")
    lo = max(float(np.finfo(x.dtype).tiny), math.exp(-100.0))
    loss = -(t * al.log(al.clip(x, lo, None)) + (1.0 - t) * al.log(al.clip(1.0 - x, lo, None)))
    return _reduce(_weighted(loss, weight, "binary_cross_entropy"), reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """``-(pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))`` from logits ``x``,
    computed as ``(1 - y) x + (1 + (pw - 1) y) softplus(-x)`` (stable for any x)."""
    x, t = _pair(input, target, reduction, "binary_cross_entropy_with_logits")
    sp = al.softplus(-x)
    if pos_weight is None:
        loss = (1.0 - t) * x + sp
    else:
        pw = _target(pos_weight, x, "binary_cross_entropy_with_logits", "pos_weight")
        loss = (1.0 - t) * x + (1.0 + (pw - 1.0) * t) * sp
    return _reduce(_weighted(loss, weight, "binary_cross_entropy_with_logits"), reduction)


def focal_loss(input: Any, target: Any, alpha: float = 0.25, gamma: float = 2.0,
               reduction: str = "mean") -> Tensor:
    """Binary focal loss from logits (Lin et al., 2017):
    ``alpha_t (1 - p_t)**gamma * BCE(x, y)``, ``p_t = p y + (1 - p)(1 - y)``,
    ``alpha_t = alpha y + (1 - alpha)(1 - y)``; ``alpha < 0`` disables the weighting."""
    if gamma < 0:
        raise ValueError(f"focal_loss: gamma must be >= 0, got {gamma}")
    x, t = _pair(input, target, reduction, "focal_loss")
    ce = binary_cross_entropy_with_logits(x, t, reduction="none")
    # 1 - p_t from sigmoids of +-x: no cancellation when p is near 1.
    one_minus_pt = t * al.sigmoid(-x) + (1.0 - t) * al.sigmoid(x)
    if gamma != 0:
        # Clipped away from 0 so that d/du u**gamma stays finite for gamma < 1.
        ce = ce * al.clip(one_minus_pt, float(np.finfo(x.dtype).tiny), None) ** float(gamma)
    if alpha >= 0:
        ce = ce * (alpha * t + (1.0 - alpha) * (1.0 - t))
    return _reduce(ce, reduction)


def _pm1_targets(t: Any, fn: str) -> None:
    vals = _data(t)
    if vals.size and not np.all((vals == 1) | (vals == -1)):
        raise ValueError(f"{fn}: targets must be -1 or +1, got values {np.unique(vals)[:5]}")


def hinge_loss(input: Any, target: Any, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """SVM hinge loss ``max(0, margin - y x)`` with targets ``y`` in {-1, +1}."""
    x, t = _pair(input, target, reduction, "hinge_loss")
    _pm1_targets(t, "hinge_loss")
    return _reduce(al.relu(margin - t * x), reduction)


def squared_hinge_loss(input: Any, target: Any, margin: float = 1.0,
                       reduction: str = "mean") -> Tensor:
    """``max(0, margin - y x)**2`` with targets ``y`` in {-1, +1}."""
    x, t = _pair(input, target, reduction, "squared_hinge_loss")
    _pm1_targets(t, "squared_hinge_loss")
    h = al.relu(margin - t * x)
    return _reduce(h * h, reduction)


def dice_loss(input: Any, target: Any, smooth: float = 1.0, reduction: str = "mean") -> Tensor:
    """``1 - (2 sum(p y) + smooth) / (sum(p) + sum(y) + smooth)`` per sample (sums
    over every axis but the first), from probabilities ``p``."""
    if smooth < 0:
        raise ValueError(f"dice_loss: smooth must be >= 0, got {smooth}")
    x, t = _pair(input, target, reduction, "dice_loss")
    if x.ndim < 1:
        raise ValueError(f"dice_loss: input needs a batch axis, got shape {x.shape}")
    axes = tuple(range(1, x.ndim))
    inter = (x * t).sum(axis=axes) if axes else x * t
    total = (x.sum(axis=axes) if axes else x) + (al.sum(t, axis=axes) if axes else t)
    return _reduce(1.0 - (2.0 * inter + smooth) / (total + smooth), reduction)


# ---------------------------------------------------------------------------
# multi-class losses
# ---------------------------------------------------------------------------
def _class_layout(x: Tensor, t: np.ndarray | Tensor, probs: bool, fn: str):
    """(N, C) logits and (N,) labels or (N, C) probabilities, and the shape the
    per-sample loss has before flattening: accepts (C,), (N, C) and (N, C, d1, ...)."""
    if x.ndim == 0:
        raise ValueError(f"{fn}: input must have shape (C,), (N, C) or (N, C, d1, ...), got ()")
    if x.ndim == 1:
        out_shape: tuple[int, ...] = ()
        x2 = x.reshape(1, -1)
    elif x.ndim == 2:
        out_shape = x.shape[:1]
        x2 = x
    else:
        out_shape = (x.shape[0],) + x.shape[2:]
        perm = (0,) + tuple(range(2, x.ndim)) + (1,)
        x2 = x.transpose(*perm).reshape(-1, x.shape[1])
    if probs:
        if tuple(np.shape(t)) != x.shape:
            raise ValueError(f"{fn}: class-probability target must have the input's shape "
                             f"{x.shape}, got {tuple(np.shape(t))}")
        if x.ndim == 1:
            t2 = t.reshape(1, -1)
        elif x.ndim == 2:
            t2 = t
        else:
            t2 = (t.transpose(*perm) if isinstance(t, Tensor) else np.transpose(t, perm)).reshape(-1, x.shape[1])
    else:
        if tuple(np.shape(t)) != out_shape:
            raise ValueError(f"{fn}: class-index target must have shape {out_shape} for input of "
                             f"shape {x.shape}, got {tuple(np.shape(t))}")
        t2 = np.asarray(t).reshape(-1)
    return x2, t2, out_shape


def _class_weight(weight: Any, c: int, dtype: np.dtype, fn: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = _data(weight).astype(dtype, copy=False)
    if w.shape != (c,):
        raise ValueError(f"{fn}: weight must have shape ({c},) (one per class), got {w.shape}")
    return w


def _nll_from_logp(logp: Tensor, labels: np.ndarray, weight: np.ndarray | None,
                   ignore_index: int, label_smoothing: float, reduction: str,
                   out_shape: tuple[int, ...], fn: str) -> Tensor:
    n, c = logp.shape
    ignore = labels == ignore_index
    bad = (~ignore) & ((labels < 0) | (labels >= c))
    if bad.any():
        raise ValueError(f"{fn}: class-index targets must lie in [0, {c}) (or equal ignore_index="
                         f"{ignore_index}); got {np.unique(labels[bad])[:5]}")
    safe = np.where(ignore, 0, labels)
    w = np.ones(c, logp.dtype) if weight is None else weight
    wy = np.where(ignore, 0, w[safe]).astype(logp.dtype, copy=False)
    # Ignored rows get weight 0; logp is finite, so they contribute exactly 0.
    loss = -(logp[np.arange(n), safe] * wy)
    if label_smoothing > 0:
        smooth = -(logp * w).sum(axis=1) * (~ignore).astype(logp.dtype)
        loss = (1.0 - label_smoothing) * loss + (label_smoothing / c) * smooth
    if reduction == "mean":
        return loss.sum() / wy.sum()
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(out_shape)


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from logits of shape (N, C), (C,) or (N, C, d1, ...).

    ``target`` is either class indices (integers, shape (N,) / () / (N, d1, ...))
    or class probabilities (floats, the input's shape). With indices the loss is
    ``-w[y] log softmax(x)[y]``, entries equal to ``ignore_index`` contribute 0,
    and ``'mean'`` divides by the summed weights of the kept entries. With
    ``label_smoothing`` = e the target is mixed with the uniform distribution:
    ``(1 - e) onehot(y) + e / C``. With probabilities the loss is
    ``-sum_c w_c p_c log softmax(x)_c`` and ``'mean'`` divides by N.
    Integer targets without weight, smoothing or ignored entries use the fused
    ``al.cross_entropy``.
    """
    fn = "cross_entropy"
    if weight is None and label_smoothing == 0.0 and ignore_index < 0 and isinstance(target, np.ndarray):
        # The training loop's case, straight to the fused op, which checks the shapes,
        # dtypes, labels and reduction itself. Labels must then lie in [0, C), so none
        # can equal a negative ignore_index. Whatever it rejects (other layouts, a
        # label to ignore, bad input) goes on to the general path below, which handles
        # it or raises its own error.
        try:
            # The default reduction unspoken: the node then shares one empty params dict
            # and the call builds none (4k of a tiny step's 501k instructions, callgrind).
            if reduction == "mean":
                return al.cross_entropy(input, target)
            return al.cross_entropy(input, target, reduction=reduction)
        except (ValueError, TypeError):
            pass
    _check_reduction(reduction, fn)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be in [0, 1], got {label_smoothing}")
    x = _t(input, fn)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: input (logits) must be floating point, got dtype {x.dtype}")
    tdata = _data(target)
    probs = tdata.dtype.kind == "f"
    if not probs and tdata.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must be class indices (integers) or class probabilities "
                        f"(floats), got dtype {tdata.dtype}")
    x2, t2, out_shape = _class_layout(x, _target(target, x, fn) if probs else tdata, probs, fn)
    c = x2.shape[1]
    w = _class_weight(weight, c, x.dtype, fn)
    if not probs:
        if w is None and label_smoothing == 0 and not np.any(t2 == ignore_index) \
                and (t2.size == 0 or (t2.min() >= 0 and t2.max() < c)):
            loss = al.cross_entropy(x2, t2, reduction=reduction)
            return loss.reshape(out_shape) if loss.shape != out_shape and reduction == "none" else loss
        return _nll_from_logp(al.log_softmax(x2, axis=1), t2, w, ignore_index, label_smoothing,
                              reduction, out_shape, fn)
    logp = al.log_softmax(x2, axis=1)
    p = t2 * (1.0 - label_smoothing) + label_smoothing / c if label_smoothing > 0 else t2
    wl = logp * p if w is None else logp * p * w
    loss = -wl.sum(axis=1)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(out_shape)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood from log-probabilities (e.g. ``log_softmax`` output):
    ``-w[y] input[y]``, with ``ignore_index`` and weighted ``'mean'`` as in
    :func:`cross_entropy`."""
    fn = "nll_loss"
    _check_reduction(reduction, fn)
    x = _t(input, fn)
    tdata = _data(target)
    if tdata.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must be integer class indices, got dtype {tdata.dtype}")
    x2, t2, out_shape = _class_layout(x, tdata, False, fn)
    w = _class_weight(weight, x2.shape[1], x.dtype, fn)
    return _nll_from_logp(x2, t2, w, ignore_index, 0.0, reduction, out_shape, fn)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """``y (log y - x)`` with ``input`` x the *log*-probabilities and ``target`` y the
    probabilities (or log-probabilities if ``log_target``); 0 where y = 0.

    ``'batchmean'`` divides the sum by the batch size (the true KL divergence per
    sample); ``'mean'`` divides by the number of elements, as PyTorch does.
    """
    fn = "kl_div"
    _check_reduction(reduction, fn, ("mean", "batchmean", "sum", "none"))
    x, t = _pair(input, target, "none", fn)
    if log_target:
        loss = al.exp(t) * (t - x)
    else:
        pos = _data(t) > 0
        # where() twice: log never sees 0, and the y = 0 entries contribute exactly 0.
        loss = al.where(pos, t * (al.log(al.where(pos, t, 1.0)) - x), 0.0)
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)
