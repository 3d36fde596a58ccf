"""Activations as ops: sigmoid, relu, leaky_relu, elu, softplus, gelu."""

from __future__ import annotations

import math

import numpy as np

from .base import DtypeConstants, Op, constant
from .elementwise import Erf

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_ZERO = DtypeConstants(0)  # ReLU compares with it and takes its maximum on every step


class Sigmoid(Op):
    """``out = 1 / (1 + exp(-x))``, computed without overflow for any x.

    Notes
    -----
    VJP::

        dx = g * out * (1 - out)
    """
    name = "sigmoid"
    jvp_rule = "diagonal"

    @staticmethod
    def forward(x):
        # exp of -|x| never overflows; the two branches are the same function.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def vjp(g, out, x):
        return (g * out * (1 - out),)


class Relu(Op):
    """``out = max(x, 0)``.

    Notes
    -----
    VJP::

        dx = g * [x > 0]

    Subgradient at 0: 0 (PyTorch's choice), so a unit sitting exactly at 0 is dead.
    """
    name = "relu"
    jvp_rule = "diagonal"
    domain = ("smooth",)
    kinks = (0.0,)

    @staticmethod
    def forward(x):
        return np.maximum(x, _ZERO[x.dtype])

    @staticmethod
    def vjp(g, out, x):
        return (g * (x > _ZERO[x.dtype]),)


_LEARNED = "for a slope that needs one, write al.where(x > 0, x, slope * x) (as nn.PReLU does)"


class LeakyRelu(Op):
    """``out = x if x > 0 else negative_slope * x``.

    Notes
    -----
    VJP::

        dx = g if x > 0 else negative_slope * g

    At 0 the slope is ``negative_slope`` (the left derivative), as in PyTorch.
    """
    name = "leaky_relu"
    jvp_rule = "diagonal"
    domain = ("smooth",)
    kinks = (0.0,)
    params = {"negative_slope": (0.01, 0.2)}

    @staticmethod
    def forward(x, negative_slope=0.01):
        if type(negative_slope) is not float:
            negative_slope = constant(negative_slope, "leaky_relu", "negative_slope", _LEARNED)
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def vjp(g, out, x, negative_slope=0.01):
        if type(negative_slope) is not float:
            negative_slope = constant(negative_slope, "leaky_relu", "negative_slope")
        return (np.where(x > 0, g, g * negative_slope),)


class Elu(Op):
    """``out = x if x > 0 else alpha * (exp(x) - 1)``.

    Notes
    -----
    VJP::

        dx = g if x > 0 else g * (out + alpha)      # alpha * exp(x) = out + alpha
    """
    name = "elu"
    jvp_rule = "diagonal"
    domain = ("smooth",)
    kinks = (0.0,)
    params = {"alpha": (1.0, 0.5)}

    @staticmethod
    def forward(x, alpha=1.0):
        if type(alpha) is not float:
            alpha = constant(alpha, "elu", "alpha")
        # min(x, 0) keeps expm1 from overflowing on the branch that is thrown away.
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def vjp(g, out, x, alpha=1.0):
        if type(alpha) is not float:
            alpha = constant(alpha, "elu", "alpha")
        return (np.where(x > 0, g, g * (out + alpha)),)


class Softplus(Op):
    """``out = log(1 + exp(x))``, computed as ``logaddexp(0, x)`` (no overflow).

    Notes
    -----
    VJP::

        dx = g * sigmoid(x)
    """
    name = "softplus"
    jvp_rule = "diagonal"

    @staticmethod
    def forward(x):
        return np.logaddexp(0, x)

    @staticmethod
    def vjp(g, out, x):
        return (g * Sigmoid.dispatch(x),)


class Gelu(Op):
    """``out = x * Phi(x)``, Phi the standard normal CDF; ``approximate='tanh'`` uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))`` (faster, as in PyTorch).

    Notes
    -----
    VJP::

        exact:  dx = g * (Phi(x) + x * phi(x)),   phi(x) = exp(-x**2 / 2) / sqrt(2 pi)
        tanh:   u = sqrt(2/pi) (x + 0.044715 x**3),  t = tanh(u)
                dx = g * (0.5 (1 + t) + 0.5 x (1 - t**2) sqrt(2/pi) (1 + 3 * 0.044715 x**2))
    """
    name = "gelu"
    jvp_rule = "diagonal"
    params = {"approximate": ("none", "tanh")}

    @staticmethod
    def forward(x, approximate="none"):
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
        if approximate != "none":
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        return x * (0.5 * (1 + Erf.forward(x * math.sqrt(0.5))))

    @staticmethod
    def vjp(g, out, x, approximate="none"):
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI
                         * (1 + 3 * 0.044715 * x * x)),)
        cdf = 0.5 * (1 + Erf.dispatch(x * math.sqrt(0.5)))
        return (g * (cdf + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x)),)
