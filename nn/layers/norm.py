"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import autograd_lite as al

from .. import functional as F
from .._checks import check_int
from ..module import Module, Parameter, aligned_array

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share: normalisation per channel C (axis 1)
    over every other axis, running statistics and ``num_batches_tracked``."""

    #: The input shapes the layer takes, as ``{ndim: "(N, C, ...)"}``.
    _shapes: dict[int, str] = {}

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = check_int(num_features, "num_features", name)
        if eps <= 0:
            raise ValueError(f"{name}: eps must be > 0, got {eps}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = np.dtype(dtype or al.get_default_dtype())
        self.weight = Parameter(aligned_array(num_features, dt, 1)) if affine else None
        self.bias = Parameter(aligned_array(num_features, dt, 0)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", al.Tensor(np.zeros(num_features, dt)))
            self.register_buffer("running_var", al.Tensor(np.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked", al.Tensor(np.zeros((), np.int64),
                                                                  dtype=np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, input: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        if x.ndim not in self._shapes or x.shape[1] != self.num_features:
            c = self.num_features
            shapes = " or ".join(v.replace("C", str(c)) for v in self._shapes.values())
            raise ValueError(f"{type(self).__name__}({c}): expected input of shape {shapes}, "
                             f"got {x.shape}")
        use_batch = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with al.no_grad():
                self.num_batches_tracked += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        # Without tracking the running statistics are None, so nothing is updated.
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C.

    Training uses the batch's statistics and updates the running ones
    (``running = (1 - momentum) running + momentum batch``; unbiased variance);
    evaluation uses the running statistics. ``momentum=None`` keeps a cumulative
    average instead. Without ``track_running_stats`` batch statistics are used in
    both modes.
    """

    _shapes = {2: "(N, C)", 3: "(N, C, L)"}


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, per channel C, over N, H and W:
    ``weight`` and ``bias`` (C,), buffers ``running_mean``, ``running_var`` (C,) and
    ``num_batches_tracked`` (int64), as ``torch.nn.BatchNorm2d``. Training normalises
    with the batch's statistics and moves the running ones by ``momentum`` (PyTorch's
    convention: ``running = (1 - momentum) running + momentum batch``, the unbiased
    variance); evaluation uses the running ones."""

    _shapes = {4: "(N, C, H, W)"}


class LayerNorm(Module):
    """Normalise each sample over its last axes ``normalized_shape``, then scale by
    ``weight`` (ones) and shift by ``bias`` (zeros) when ``elementwise_affine``."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
            else tuple(normalized_shape)
        if not shape or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0
                            for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be a positive int or a non-empty "
                             f"sequence of them, got {normalized_shape!r}")
        if eps <= 0:
            raise ValueError(f"LayerNorm: eps must be > 0, got {eps}")
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps, self.elementwise_affine = float(eps), elementwise_affine
        dt = np.dtype(dtype or al.get_default_dtype())
        shape = self.normalized_shape
        self.weight = Parameter(aligned_array(shape, dt, 1)) if elementwise_affine else None
        self.bias = Parameter(aligned_array(shape, dt, 0)) if elementwise_affine and bias else None

    def forward(self, input: Any) -> al.Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
