"""Convolution and pooling, named as in ``torch.nn.functional``: ``conv1d``, ``conv2d``,
``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d``, ``dropout2d``.

Each is one autograd_lite op (its forward, VJP and checks live there); these
functions give them PyTorch's argument names and defaults."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from .._checks import check_generator
from ..rng import get_generator
from ._common import Tensor, _t

__all__ = ["conv1d", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "dropout2d"]


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) input with a (out_channels, C / groups, kL) weight."""
    return al.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution of (N, C, H, W) input with a (out_channels, C / groups, kH, kW)
    weight; ``padding`` is an int, a pair, ``'same'`` or ``'valid'``."""
    return al.conv2d(input, weight, bias, stride, padding, dilation, groups)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """The maximum of each window (``stride`` defaults to ``kernel_size``); the
    gradient goes to the first maximum of a window, as in PyTorch."""
    return al.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each window (``stride`` defaults to ``kernel_size``)."""
    return al.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                         divisor_override)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Average pooling to ``output_size`` (an int or a pair; None keeps a side);
    ``output_size=1`` is global average pooling."""
    return al.adaptive_avg_pool2d(input, output_size)


def dropout2d(input: Any, p: float = 0.5, training: bool = True,
              generator: np.random.Generator | None = None) -> Tensor:
    """Channel dropout: zero each whole channel of (N, C, H, W) input (or (C, H, W),
    one unbatched sample) with probability ``p`` and scale the kept ones by
    ``1 / (1 - p)``. The identity when not ``training`` or ``p == 0``."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"dropout2d: p must be a number, got {p!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: probability p must be in [0, 1], got {p!r}")
    check_generator(generator, "dropout2d")
    x = _t(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected input of shape (N, C, H, W) or (C, H, W), "
                         f"got shape {x.shape}")
    if not training or p == 0.0:
        return x
    mask_shape = x.shape[:-2] + (1, 1)
    if p == 1.0:
        return x * np.zeros(mask_shape, x.dtype)
    keep = get_generator(generator).random(mask_shape) >= p
    return x * (keep.astype(x.dtype) * (1.0 / (1.0 - p)))
