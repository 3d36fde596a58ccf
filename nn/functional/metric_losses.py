"""Metric-learning losses, on pairs and triplets of embeddings: ``contrastive_loss``,
``triplet_margin_loss``, and the ``pairwise_distance`` they measure with."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from ._common import Tensor, _check_reduction, _reduce, _t, _target

__all__ = ["contrastive_loss", "triplet_margin_loss", "pairwise_distance"]


# ---------------------------------------------------------------------------
# metric-learning losses
# ---------------------------------------------------------------------------
def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last axis (``eps`` keeps the norm's
    gradient finite when x1 == x2)."""
    a, b = _t(x1, "pairwise_distance", "x1"), _t(x2, "pairwise_distance", "x2")
    if a.shape != b.shape:  # broadcasting ones are fine, as in PyTorch
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(f"pairwise_distance: x1 of shape {a.shape} and x2 of shape {b.shape} "
                             f"do not broadcast") from None
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"pairwise_distance: p must be a number, got {p!r}")
    if p <= 0:
        raise ValueError(f"pairwise_distance: p must be > 0, got {p}")
    d = a - b + eps
    if p == 2:
        return al.sqrt((d * d).sum(axis=-1, keepdims=keepdim))
    return (al.abs(d) ** float(p)).sum(axis=-1, keepdims=keepdim) ** (1.0 / p)


def _check_margin(margin: Any, fn: str) -> None:
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: margin must be a number, got {margin!r}")


def _embeddings(fn: str, *xs: Any) -> list[Tensor]:
    ts = [_t(x, fn) for x in xs]
    shapes = {t.shape for t in ts}
    if len(shapes) != 1 or ts[0].ndim not in (1, 2):
        raise ValueError(f"{fn}: inputs must share one shape (D,) or (N, D); got "
                         f"{', '.join(str(t.shape) for t in ts)}")
    return ts


def contrastive_loss(x1: Any, x2: Any, target: Any, margin: float = 1.0,
                     reduction: str = "mean", half: bool = True) -> Tensor:
    """Contrastive loss (Hadsell, Chopra & LeCun, 2006) for embedding pairs:
    ``0.5 y d**2 + 0.5 (1 - y) max(0, margin - d)**2``, ``d = ||x1 - x2||_2``,
    with ``y = 1`` for similar pairs and ``0`` for dissimilar ones.

    The ``0.5`` is the paper's convention. ``half=False`` drops it:
    ``y d**2 + (1 - y) max(0, margin - d)**2``, twice the value and the gradient
    (the form many courses and TensorFlow Addons use). PyTorch has no contrastive
    loss to follow.

    >>> x1, x2 = np.zeros((2, 2)), np.array([[0.3, 0.4], [0.3, 0.4]])   # d = 0.5
    >>> y = np.array([1.0, 0.0])              # similar (d**2 = 0.25), dissimilar ((1 - d)**2)
    >>> round(contrastive_loss(x1, x2, y).item(), 6)              # (0.125 + 0.125) / 2
    0.125
    >>> round(contrastive_loss(x1, x2, y, half=False).item(), 6)  # (0.25 + 0.25) / 2
    0.25
    """
    _check_reduction(reduction, "contrastive_loss")
    _check_margin(margin, "contrastive_loss")
    if not isinstance(half, bool):
        raise TypeError(f"contrastive_loss: half must be a bool, got {half!r}")
    a, b = _embeddings("contrastive_loss", x1, x2)
    y = _target(target, a, "contrastive_loss")
    if tuple(np.shape(y)) != a.shape[:-1]:
        raise ValueError(f"contrastive_loss: target must have shape {a.shape[:-1]} (one per pair), "
                         f"got {tuple(np.shape(y))}")
    d = pairwise_distance(a, b)
    diff = a - b + 1e-6
    sq = (diff * diff).sum(axis=-1)  # d**2 without the sqrt, exact at d = 0
    h = al.relu(margin - d)
    loss = y * sq + (1.0 - y) * h * h
    return _reduce(0.5 * loss if half else loss, reduction)


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean") -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d`` the ``p``-norm distance;
    ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance."""
    _check_reduction(reduction, "triplet_margin_loss")
    _check_margin(margin, "triplet_margin_loss")
    a, pos, neg = _embeddings("triplet_margin_loss", anchor, positive, negative)
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = al.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _reduce(al.relu(d_pos - d_neg + margin), reduction)
