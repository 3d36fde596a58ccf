"""``Linear``, and the layers that pass or reshape their input: ``Identity``, ``Flatten``,
``Unflatten``."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

import autograd_lite as al

from .. import functional as F
from .. import init
from .._checks import check_float_dtype, check_int
from ..module import Module, Parameter, aligned_array

__all__ = ["Identity", "Linear", "Flatten", "Unflatten"]


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
    order : {"C", "F"} or None, default None
        Memory order of the weight; its shape is (out_features, in_features) either
        way, and so is the state dict's. With NumPy's OpenBLAS a column-major (``"F"``)
        weight makes the forward product and the weight gradient faster and the input
        gradient slower (on the 2-core development machine, 784-128 at batch 128: 153 ->
        135, 137 -> 103 and 130 -> 146 us), so it suits a first layer, whose input needs
        no gradient. ``None`` lets the layer choose at its first call with grad mode on
        (under ``no_grad`` no call says whether the input will need one): column-major
        if that input needs no gradient, else row-major, provided the weight is still
        the array the layer allocated (an array assigned to ``weight.data`` is kept as
        it is). The weight gradient comes out in the weight's order, so updates stay
        contiguous.
    """

    _order: str | None = None  # class defaults: a model pickled before they existed still runs
    _unsettled: np.ndarray | None = None

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None,
                 generator: np.random.Generator | None = None,
                 order: Literal["C", "F"] | None = None) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features", "Linear")
        self.out_features = check_int(out_features, "out_features", "Linear")
        if order not in ("C", "F", None):
            raise ValueError(f"Linear: order must be 'C', 'F' or None, got {order!r}")
        dt = check_float_dtype(dtype, "Linear")
        self.weight = Parameter(aligned_array((self.out_features, self.in_features), dt,
                                              order=order or "C"))
        # Until the first call: the array whose order that call may choose (see order).
        self._unsettled = self.weight.data if order is None else None
        self._order = order
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        self.bias = None
        if bias:
            bound = 1.0 / math.sqrt(self.in_features)
            self.bias = Parameter(aligned_array(self.out_features, dt))
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        if self._unsettled is not None and al.is_grad_enabled():
            self._settle_order(x)
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

    def _settle_order(self, x: al.Tensor) -> None:
        """The first call's choice of ``order=None``: column-major when ``x`` needs no
        gradient, which makes a first layer's step faster (see the class docstring)."""
        own, self._unsettled = self._unsettled, None
        w = self.weight
        if w.data is own and not x.requires_grad and own.ndim == 2:
            # The same values in a new array (a graph that saved the old one keeps it).
            w.data = aligned_array(own.shape, own.dtype, own, "F")

    def extra_repr(self) -> str:
        order = ", order='F'" if self._order == "F" else ""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}{order}")


class Flatten(Module):
    """Flatten axes ``start_dim`` .. ``end_dim`` (inclusive) into one."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for name, v in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"Flatten: {name} must be an int, got {v!r}")
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


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (a tuple of ints, one of which may
    be -1): the inverse of :class:`Flatten`, as ``torch.nn.Unflatten``;
    ``Unflatten(1, (1, 28, 28))`` turns (N, 784) rows into (N, 1, 28, 28) images."""

    def __init__(self, dim: int, unflattened_size: tuple[int, ...] | list[int]) -> None:
        super().__init__()
        sizes = unflattened_size
        if (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))
                or not isinstance(sizes, (tuple, list)) or not sizes
                or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                           and (n >= 0 or n == -1) for n in sizes)
                or list(sizes).count(-1) > 1):
            raise TypeError(f"Unflatten: dim must be an int and unflattened_size a non-empty "
                            f"tuple of non-negative ints (at most one -1), got dim={dim!r}, "
                            f"unflattened_size={unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), tuple(int(n) for n in sizes)

    def forward(self, input: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten(dim={self.dim}, unflattened_size="
                             f"{self.unflattened_size}): dim out of range for input of shape "
                             f"{x.shape}")
        d = self.dim % x.ndim
        sizes, n = self.unflattened_size, x.shape[self.dim % x.ndim]
        known = math.prod(s for s in sizes if s != -1)
        if (n != known) if -1 not in sizes else (known == 0 or n % known):
            raise ValueError(f"Unflatten(dim={self.dim}, unflattened_size={sizes}): input of "
                             f"shape {x.shape} has {n} elements along dim {self.dim}, which "
                             f"cannot be split into {sizes} (product {known})")
        if -1 in sizes:
            sizes = tuple(n // known if s == -1 else s for s in sizes)
        return x.reshape(x.shape[:d] + sizes + x.shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
