"""Pooling: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d`` (no parameters)."""

from __future__ import annotations

from typing import Any

import autograd_lite as al

from .. import functional as F
from ..module import Module
from .conv import _is_int, check_input, int_tuple

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


class _Pool2d(Module):
    def _check(self, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> None:
        name = type(self).__name__
        int_tuple(name, "kernel_size", kernel_size, 2, 1)
        if stride is not None:
            int_tuple(name, "stride", stride, 2, 1)
        int_tuple(name, "padding", padding, 2, 0)
        int_tuple(name, "dilation", dilation, 2, 1)

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def _run(self, fn: Any, input: Any, *args: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        check_input(self, x, 2, None, "")
        try:
            return fn(x, *args)
        except ValueError as e:  # a window larger than the padded input, padding too large
            raise ValueError(f"{self._label()}: {e}") from None


class MaxPool2d(_Pool2d):
    """The maximum of each ``kernel_size`` window of (N, C, H, W) input, every
    ``stride`` (default: ``kernel_size``), over ``padding`` of -inf (at most half the
    kernel), with ``dilation`` and ``ceil_mode``: ``torch.nn.MaxPool2d``. The
    gradient of a window goes to its first maximum in row-major order, as in PyTorch.
    ``return_indices=True`` is refused: autograd_lite's op returns no indices."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self._check(kernel_size, stride, padding, dilation)
        if return_indices:
            raise ValueError("MaxPool2d: return_indices=True is not supported (max_pool2d "
                             "returns the pooled values only)")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation, self.ceil_mode = padding, dilation, bool(ceil_mode)
        self.return_indices = False

    def forward(self, input: Any) -> al.Tensor:
        return self._run(F.max_pool2d, input, self.kernel_size, self.stride, self.padding,
                         self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(_Pool2d):
    """The mean of each ``kernel_size`` window of (N, C, H, W) input, every ``stride``
    (default: ``kernel_size``), over zero ``padding`` (at most half the kernel):
    ``torch.nn.AvgPool2d`` with its ``ceil_mode``, ``count_include_pad`` and
    ``divisor_override``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self._check(kernel_size, stride, padding, 1)
        if divisor_override is not None:
            int_tuple("AvgPool2d", "divisor_override", divisor_override, 1, 1)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, bool(ceil_mode)
        self.count_include_pad, self.divisor_override = bool(count_include_pad), divisor_override

    def forward(self, input: Any) -> al.Tensor:
        return self._run(F.avg_pool2d, input, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(_Pool2d):
    """Average pooling of (N, C, H, W) input to ``output_size`` (an int or a pair;
    None keeps that side), in windows that tile the input as PyTorch's do.
    ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        sizes = (output_size,) * 2 if not isinstance(output_size, (tuple, list)) else output_size
        if len(sizes) != 2 or not all(s is None or (_is_int(s) and s >= 1) for s in sizes):
            raise ValueError(f"AdaptiveAvgPool2d: output_size must be a positive int or a pair "
                             f"of them (or None), got {output_size!r}")
        self.output_size = output_size

    def forward(self, input: Any) -> al.Tensor:
        return self._run(F.adaptive_avg_pool2d, input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
