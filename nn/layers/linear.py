"""``Linear``, and the layers that pass or reshape their input: ``Identity``, ``Flatten``."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

import autograd_lite as al

from .. import functional as F
from .. import init
from .._checks import check_int
from ..module import Module, Parameter, aligned_array

__all__ = ["Identity", "Linear", "Flatten"]


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
        dt = np.dtype(dtype or al.get_default_dtype())
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
