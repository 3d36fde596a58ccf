"""Activation functions, each also a module in :mod:`nn.layers.activation`."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from ._common import Tensor, _t

__all__ = ["relu", "leaky_relu", "elu", "prelu", "sigmoid", "tanh", "softplus", "silu", "swish",
           "gelu", "mish", "softmax", "log_softmax"]


def relu(input: Any) -> Tensor:
    """``max(x, 0)``."""
    return al.relu(input)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """``x`` if ``x > 0`` else ``negative_slope * x``."""
    return al.leaky_relu(input, negative_slope=negative_slope)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return al.elu(input, alpha=alpha)


def prelu(input: Any, weight: Any) -> Tensor:
    """``x`` if ``x > 0`` else ``a * x`` with a learned slope ``weight``: one value,
    or one per channel (axis 1 of the input)."""
    x, a = _t(input, "prelu"), _t(weight, "prelu", "weight")
    if a.ndim != 1:
        raise ValueError(f"prelu: weight must be 1-D (one slope or one per channel), got {a.shape}")
    if a.shape[0] == 1:
        a = a.reshape(())  # a 0-d slope, so a 0-d input stays 0-d (as in PyTorch)
    else:
        if x.ndim < 2 or x.shape[1] != a.shape[0]:
            raise ValueError(f"prelu: {a.shape[0]} slopes need input with {a.shape[0]} channels "
                             f"on axis 1, got input of shape {x.shape}")
        a = a.reshape((a.shape[0],) + (1,) * (x.ndim - 2))
    return al.where(x.data > 0, x, a * x)


def sigmoid(input: Any) -> Tensor:
    """``1 / (1 + exp(-x))`` (never overflows)."""
    return al.sigmoid(input)


def tanh(input: Any) -> Tensor:
    return al.tanh(input)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``
    (as in PyTorch; the two differ by less than exp(-threshold))."""
    x = _t(input, "softplus")
    if beta <= 0:
        raise ValueError(f"softplus: beta must be > 0, got {beta}")
    soft = al.softplus(x * float(beta)) * (1.0 / beta) if beta != 1 else al.softplus(x)
    return al.where(x.data * beta > threshold, x, soft)


def silu(input: Any) -> Tensor:
    """SiLU: ``x * sigmoid(x)`` (:func:`swish` with ``beta=1``)."""
    x = _t(input, "silu")
    return x * al.sigmoid(x)


def swish(input: Any, beta: Any = 1.0) -> Tensor:
    """Swish (Ramachandran et al., 2017): ``x * sigmoid(beta * x)``. ``beta`` is a
    number or a Tensor (a learned one: see ``nn.Swish(learnable_beta=True)``);
    ``beta=1`` is :func:`silu`, and large ``beta`` approaches ReLU."""
    x = _t(input, "swish")
    if isinstance(beta, Tensor):
        return x * al.sigmoid(beta * x)
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)):
        raise TypeError(f"swish: beta must be a number or a Tensor, got {type(beta).__name__}")
    return x * al.sigmoid(x) if beta == 1 else x * al.sigmoid(x * float(beta))


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``; ``approximate='tanh'`` for the tanh approximation."""
    return al.gelu(input, approximate=approximate)


def mish(input: Any) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    x = _t(input, "mish")
    return x * al.tanh(al.softplus(x))


def softmax(input: Any, dim: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (the last axis by default; PyTorch's
    implicit choice of axis is deprecated there and not copied here)."""
    return al.softmax(input, axis=dim)


def log_softmax(input: Any, dim: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``; finite for logits of any size."""
    return al.log_softmax(input, axis=dim)
