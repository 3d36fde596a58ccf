"""Layers: ``Linear``, ``Dropout``, ``BatchNorm1d``, ``LayerNorm``, ``Flatten``, ``Identity``."""

from __future__ import annotations

import math
from typing import Any, Literal, Sequence

import numpy as np

import autograd_lite as al

from . import functional as F
from . import init
from ._checks import check_int
from .module import Module, Parameter, aligned_array, memory_order


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Linear(Module):
    """``y = x W^T + b``, ``W`` of shape (out_features, in_features).

    Both are initialised from U(-1/sqrt(in_features), 1/sqrt(in_features)) as in
    PyTorch (``kaiming_uniform_`` with ``a = sqrt(5)`` for the weight).

    Parameters
    ----------
    in_features, out_features
        Sizes of each input and output sample's last axis.
    bias
        Whether to add a learned bias.
    dtype
        Parameter dtype (default: ``al.get_default_dtype()``).
    generator
        Random source for the initial values (default: the ``nn.manual_seed`` one).
    order : {"C", "F"}, default "C"
        Memory order of the weight; its shape is (out_features, in_features) either
        way. With NumPy's OpenBLAS a column-major (``"F"``) weight makes the forward
        product and the weight gradient faster and the input gradient slower (on the
        2-core development machine, 784-128 at batch 128: 153 -> 135, 137 -> 103 and
        130 -> 146 us), so it suits a first layer, whose input needs no gradient.
        The weight gradient comes out in the weight's order, so updates stay contiguous.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None,
                 generator: np.random.Generator | None = None,
                 order: Literal["C", "F"] = "C") -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features", "Linear")
        self.out_features = check_int(out_features, "out_features", "Linear")
        if order not in ("C", "F"):
            raise ValueError(f"Linear: order must be 'C' or 'F', got {order!r}")
        dt = np.dtype(dtype or al.get_default_dtype())
        self.weight = Parameter(aligned_array((self.out_features, self.in_features), dt, order=order))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        self.bias = None
        if bias:
            bound = 1.0 / math.sqrt(self.in_features)
            self.bias = Parameter(aligned_array(self.out_features, dt))
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        try:
            if self.bias is None:
                return F.linear(x, self.weight)
            return al.linear(x, self.weight, self.bias)  # what F.linear calls, one call sooner
        except (ValueError, TypeError):
            # Checked only on failure (linear checks the shapes), to name the layer.
            if x.ndim != 0 and x.shape[-1] == self.in_features:
                raise
        # Out here, so not chained to linear's error.
        raise ValueError(f"Linear(in_features={self.in_features}, out_features="
                         f"{self.out_features}): expected input whose last dimension is "
                         f"{self.in_features}, got shape {x.shape}")

    def extra_repr(self) -> str:
        order = ", order='F'" if memory_order(self.weight.data) == "F" else ""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}{order}")


class Dropout(Module):
    """Inverted dropout in training (zero with probability ``p``, scale the rest by
    ``1/(1-p)``); the identity in evaluation mode."""

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p!r}")
        self.p = float(p)
        self.generator = generator

    def forward(self, input: Any) -> al.Tensor:
        return F.dropout(input, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C.

    Training uses the batch's statistics and updates the running ones
    (``running = (1 - momentum) running + momentum batch``; unbiased variance);
    evaluation uses the running statistics. ``momentum=None`` keeps a cumulative
    average instead. Without ``track_running_stats`` batch statistics are used in
    both modes.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype: Any = None) -> None:
        super().__init__()
        self.num_features = check_int(num_features, "num_features", "BatchNorm1d")
        if eps <= 0:
            raise ValueError(f"BatchNorm1d: eps must be > 0, got {eps}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] or None, got {momentum}")
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
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d({self.num_features}): expected input of shape (N, "
                             f"{self.num_features}) or (N, {self.num_features}, L), got {x.shape}")
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


class Flatten(Module):
    """Flatten axes ``start_dim`` .. ``end_dim`` (inclusive) into one."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        nd = max(x.ndim, 1)
        s, e = self.start_dim, self.end_dim
        if not (-nd <= s < nd and -nd <= e < nd) or s % nd > e % nd:
            raise ValueError(f"Flatten(start_dim={s}, end_dim={e}): invalid for input of shape "
                             f"{x.shape}")
        s, e = s % nd, e % nd
        if x.ndim == 0:
            return x.reshape(1)
        return x.reshape(x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
