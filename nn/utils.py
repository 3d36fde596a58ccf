"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (as in ``torch.nn.utils``),
and :func:`grad_array`, the one place nn reads a gradient's values."""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

import autograd_lite as al

__all__ = ["clip_grad_norm_", "clip_grad_value_", "grad_array"]


def grad_array(p: al.Tensor) -> np.ndarray | None:
    """The values of ``p.grad`` as an ndarray, or None when ``p`` has no gradient.

    After a plain ``backward()`` ``p.grad`` is an ndarray, returned as it is (the
    result *is* ``p.grad``: writing into it changes the gradient). After
    ``backward(create_graph=True)`` it is a Tensor with a graph of its own, and its
    ``.data`` is returned; to change such a gradient, assign a new one to ``p.grad``
    (as :func:`clip_grad_norm_` does), so that its graph stays valid. So
    ``grad_array(p) is p.grad`` tells which of the two a gradient is.
    """
    try:
        g = p.grad
    except AttributeError:  # checked here, not before: optimisers call this every step
        raise TypeError(f"grad_array: expected a Tensor, got {type(p).__name__}") from None
    if g is None or isinstance(g, np.ndarray):
        return g
    return g.data if isinstance(g, al.Tensor) else np.asarray(g)


def _with_grads(parameters: al.Tensor | Iterable[al.Tensor], fn: str) -> list[al.Tensor]:
    params = [parameters] if isinstance(parameters, al.Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, al.Tensor):
            raise TypeError(f"{fn}: expected Tensors, got a {type(p).__name__}")
    return [p for p in params if p.grad is not None]


def _number(value: Any, name: str, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{fn}: {name} must not be NaN")
    return float(value)


def _scale_grad(p: al.Tensor, coef: float) -> None:
    g = grad_array(p)
    if g is p.grad:
        g *= coef
    else:  # a create_graph gradient: a new Tensor, so that its graph stays valid
        p.grad = p.grad * coef


def clip_grad_norm_(parameters: al.Tensor | Iterable[al.Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> al.Tensor:
    """Scale all gradients together, in place, so that their joint ``norm_type``-norm
    (the norm of the vector of every gradient element) is at most ``max_norm``.

    The scale is ``max_norm / (total_norm + 1e-6)``, applied only when it is below 1.
    Returns the total norm *before* clipping as a 0-d Tensor of the gradients' dtype,
    as PyTorch does (``.item()`` gives the number). ``norm_type`` may be ``inf``.
    ``foreach`` is accepted for PyTorch's signature and changes nothing here.
    """
    if _number(max_norm, "max_norm", "clip_grad_norm_") < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if _number(norm_type, "norm_type", "clip_grad_norm_") <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type}")
    params = _with_grads(parameters, "clip_grad_norm_")
    if not params:
        return al.Tensor(0.0)
    grads = [grad_array(p) for p in params]
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        # Each gradient's norm first, then the norm of those norms: the same number,
        # without concatenating every gradient into one array.
        norms = [float(np.linalg.norm(g.ravel(), ord=norm_type)) if g.size else 0.0 for g in grads]
        total = float(np.linalg.norm(np.asarray(norms), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients "
                           f"is {total}; pass error_if_nonfinite=False to clip anyway")
    coef = float(max_norm) / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            _scale_grad(p, coef)
    return al.Tensor(np.asarray(total, dtype=np.result_type(*grads)))


def clip_grad_value_(parameters: al.Tensor | Iterable[al.Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clip every gradient element into ``[-clip_value, clip_value]``, in place.
    ``foreach`` is accepted for PyTorch's signature and changes nothing here."""
    if _number(clip_value, "clip_value", "clip_grad_value_") < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    c = float(clip_value)
    for p in _with_grads(parameters, "clip_grad_value_"):
        g = grad_array(p)
        if g is p.grad:
            np.clip(g, -c, c, out=g)
        else:  # a create_graph gradient, as in _scale_grad
            p.grad = al.clip(p.grad, -c, c)
