"""Convolutions: ``Conv1d``, ``Conv2d``, with PyTorch's parameter names, shapes,
initialisation and arguments, so state dicts carry over both ways."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from .. import functional as F
from .. import init
from .._checks import check_int
from ..module import Module, Parameter, aligned_array

__all__ = ["Conv1d", "Conv2d"]


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def int_tuple(owner: str, name: str, value: Any, nd: int, minimum: int) -> tuple[int, ...]:
    """``value`` (an int, or a tuple of ``nd`` ints) as ``nd`` ints >= ``minimum``:
    a TypeError or ValueError naming ``owner`` (the layer), ``name`` and the value."""
    items = (value,) * nd if _is_int(value) else value
    if (not isinstance(items, (tuple, list)) or len(items) != nd
            or not all(_is_int(v) for v in items)):
        raise TypeError(f"{owner}: {name} must be an int or a tuple of {nd} ints, got {value!r}")
    if any(v < minimum for v in items):
        kind = "positive" if minimum > 0 else "non-negative"
        raise ValueError(f"{owner}: {name} must be {kind}, got {value!r}")
    return tuple(int(v) for v in items)


def check_input(layer: Module, x: al.Tensor, nd: int, channels: int | None, what: str) -> None:
    """A ValueError naming ``layer`` unless ``x`` has ``nd`` spatial axes after (N, C)
    (and ``channels`` channels when given)."""
    dims = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    if x.ndim != nd + 2:
        hint = ""
        if x.ndim == nd + 1:
            hint = ("; for a batch of one-channel inputs use x[:, None], for one sample x[None]"
                    if channels == 1 else "; for one sample use x[None]")
        raise ValueError(f"{layer._label()}: expected input of shape {dims}{what}, got shape "
                         f"{x.shape} ({x.ndim} dimensions){hint}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{layer._label()}: expected {channels} input channels (in_channels="
                         f"{channels}), got input of shape {x.shape} with {x.shape[1]} channels "
                         f"(axis 1)")


class _ConvNd(Module):
    """What ``Conv1d`` and ``Conv2d`` share; ``nd`` spatial dimensions."""

    nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 dtype: Any = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        name, nd = type(self).__name__, self.nd
        self.in_channels = check_int(in_channels, "in_channels", name)
        self.out_channels = check_int(out_channels, "out_channels", name)
        self.groups = check_int(groups, "groups", name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: groups={groups} must divide both in_channels "
                             f"({in_channels}) and out_channels ({out_channels})")
        self.kernel_size = int_tuple(name, "kernel_size", kernel_size, nd, 1)
        self.stride = int_tuple(name, "stride", stride, nd, 1)
        self.dilation = int_tuple(name, "dilation", dilation, nd, 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a tuple of {nd} ints, 'same' "
                                 f"or 'valid', got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' needs stride 1 (as in PyTorch), got "
                                 f"stride={stride!r}")
            self.padding: Any = padding
        else:
            self.padding = int_tuple(name, "padding", padding, nd, 0)
        dt = np.dtype(dtype or al.get_default_dtype())
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        # PyTorch's default: kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        self.weight = Parameter(aligned_array(shape, dt))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        self.bias = None
        if bias:
            bound = 1.0 / math.sqrt(shape[1] * math.prod(self.kernel_size))
            self.bias = Parameter(aligned_array(self.out_channels, dt))
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, input: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        check_input(self, x, self.nd, self.in_channels, f" with C = in_channels = {self.in_channels}")
        conv = F.conv1d if self.nd == 1 else F.conv2d
        try:
            return conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)
        except ValueError as e:  # e.g. a kernel larger than the padded input
            raise ValueError(f"{self._label()}: {e}") from None

    def extra_repr(self) -> str:
        nd = self.nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-D convolution of (N, C_in, L) input: ``weight`` (out_channels,
    in_channels / groups, kernel_size), ``bias`` (out_channels,). Arguments, defaults
    and initialisation as ``torch.nn.Conv1d`` (``padding`` also ``'same'``/``'valid'``;
    only zero padding); ``dtype`` and ``generator`` as for :class:`~nn.Linear`."""

    nd = 1


class Conv2d(_ConvNd):
    """2-D convolution of (N, C_in, H, W) input: ``weight`` (out_channels,
    in_channels / groups, kH, kW), ``bias`` (out_channels,), both initialised from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = in_channels / groups * kH * kW``,
    as ``torch.nn.Conv2d``. ``kernel_size``, ``stride``, ``padding`` (an int, a pair,
    ``'same'`` or ``'valid'``; zeros) and ``dilation`` are ints or pairs.

    The output's side is ``floor((W + 2P - D(F - 1) - 1) / S) + 1``; it has
    ``out_channels`` channels, and the layer ``F * F * in_channels / groups *
    out_channels (+ out_channels)`` parameters.
    """

    nd = 2
