"""One module per activation function, each a thin wrapper over ``nn.functional``."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from .. import functional as F
from .._checks import check_float_dtype, check_int, check_number
from ..module import Module, Parameter, aligned_array

__all__ = ["ReLU", "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Swish",
           "GELU", "Mish", "Softmax", "LogSoftmax", "ACTIVATIONS"]


class ReLU(Module):
    """``max(x, 0)``."""

    def forward(self, input: Any) -> al.Tensor:
        return F.relu(input)


class LeakyReLU(Module):
    """``x`` if ``x > 0`` else ``negative_slope * x``."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_number(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, input: Any) -> al.Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_number(alpha, "alpha", "ELU")

    def forward(self, input: Any) -> al.Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class PReLU(Module):
    """``x`` if ``x > 0`` else ``a * x`` with a learned slope ``a``: one shared
    (``num_parameters=1``) or one per channel (axis 1), initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = check_int(num_parameters, "num_parameters", "PReLU")
        dt = check_float_dtype(dtype, "PReLU")
        self.weight = Parameter(aligned_array(num_parameters, dt, check_number(init, "init", "PReLU")))

    def forward(self, input: Any) -> al.Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``."""

    def forward(self, input: Any) -> al.Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """``tanh(x)``."""

    def forward(self, input: Any) -> al.Tensor:
        return F.tanh(input)


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta`` (linear above ``threshold``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if check_number(beta, "beta", "Softplus") <= 0:
            raise ValueError(f"Softplus: beta must be > 0, got {beta!r}")
        self.beta, self.threshold = beta, check_number(threshold, "threshold", "Softplus")

    def forward(self, input: Any) -> al.Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """``x * sigmoid(x)`` (``Swish`` with ``beta=1``)."""

    def forward(self, input: Any) -> al.Tensor:
        return F.silu(input)


class Swish(Module):
    """``x * sigmoid(beta * x)`` (Ramachandran et al., 2017). With the default
    ``beta=1`` it is ``SiLU``. With ``learnable_beta=True``, ``beta`` is a
    parameter (one number, initialised to ``beta``) trained with the others."""

    def __init__(self, beta: float = 1.0, learnable_beta: bool = False, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)):
            raise TypeError(f"Swish: beta must be a number, got {beta!r}")
        if not isinstance(learnable_beta, bool):
            raise TypeError(f"Swish: learnable_beta must be a bool, got {learnable_beta!r}")
        self.learnable_beta = learnable_beta
        if learnable_beta:
            self.beta = Parameter(aligned_array((), dtype or al.get_default_dtype(), beta))
        else:
            self.beta = float(beta)

    def forward(self, input: Any) -> al.Tensor:
        return F.swish(input, self.beta)

    def extra_repr(self) -> str:
        beta = float(self.beta.data) if self.learnable_beta else self.beta
        return f"beta={beta:g}, learnable_beta={self.learnable_beta}"


class GELU(Module):
    """``x * Phi(x)``; ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Any) -> al.Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Mish(Module):
    """``x * tanh(softplus(x))``."""

    def forward(self, input: Any) -> al.Tensor:
        return F.mish(input)


class Softmax(Module):
    """``softmax`` along ``dim`` (default: the last axis)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Softmax: dim must be an int, got {dim!r}")
        self.dim = dim

    def forward(self, input: Any) -> al.Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log_softmax`` along ``dim`` (default: the last axis)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"LogSoftmax: dim must be an int, got {dim!r}")
        self.dim = dim

    def forward(self, input: Any) -> al.Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


#: Activation modules by lower-case name, for builders such as ``MLP(activation='tanh')``.
ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU, "prelu": PReLU, "sigmoid": Sigmoid,
    "tanh": Tanh, "softplus": Softplus, "silu": SiLU, "swish": Swish, "gelu": GELU, "mish": Mish,
    "softmax": Softmax, "log_softmax": LogSoftmax,
}
