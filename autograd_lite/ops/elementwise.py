"""Elementwise functions, activations, maximum/minimum, clip, where and astype."""

from __future__ import annotations

import math

import numpy as np

from .base import DtypeConstants, Op

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf_scalar = np.frompyfunc(math.erf, 1, 1)


_ZERO = DtypeConstants(0)  # ReLU compares with it and takes its maximum on every step


class Exp(Op):
    """``out = exp(x)``.

    Notes
    -----
    VJP::

        dx = g * out
    """
    name = "exp"

    @staticmethod
    def forward(x):
        return np.exp(x)

    @staticmethod
    def vjp(g, out, x):
        return (g * out,)


class Log(Op):
    """``out = log(x)`` (natural logarithm).

    Notes
    -----
    VJP::

        dx = g / x
    """
    name = "log"
    domain = ("positive",)

    @staticmethod
    def forward(x):
        return np.log(x)

    @staticmethod
    def vjp(g, out, x):
        return (g / x,)


class Sqrt(Op):
    """``out = sqrt(x)``.

    Notes
    -----
    VJP::

        dx = g / (2 * out)
    """
    name = "sqrt"
    domain = ("positive",)

    @staticmethod
    def forward(x):
        return np.sqrt(x)

    @staticmethod
    def vjp(g, out, x):
        return (0.5 * g / out,)


class Abs(Op):
    """``out = |x|``.

    Notes
    -----
    VJP::

        dx = g * sign(x)

    Subgradient at 0: sign(0) = 0, so ``|x|`` passes no gradient at exactly 0
    (PyTorch's and JAX's choice).
    """
    name = "abs"
    domain = ("smooth",)
    kinks = (0.0,)

    @staticmethod
    def forward(x):
        return np.abs(x)

    @staticmethod
    def vjp(g, out, x):
        return (g * np.sign(x),)


class Sin(Op):
    """``out = sin(x)``.

    Notes
    -----
    VJP::

        dx = g * cos(x)
    """
    name = "sin"

    @staticmethod
    def forward(x):
        return np.sin(x)

    @staticmethod
    def vjp(g, out, x):
        return (g * np.cos(x),)


class Cos(Op):
    """``out = cos(x)``.

    Notes
    -----
    VJP::

        dx = -g * sin(x)
    """
    name = "cos"

    @staticmethod
    def forward(x):
        return np.cos(x)

    @staticmethod
    def vjp(g, out, x):
        return (-g * np.sin(x),)


class Tanh(Op):
    """``out = tanh(x)``.

    Notes
    -----
    VJP::

        dx = g * (1 - out**2)
    """
    name = "tanh"

    @staticmethod
    def forward(x):
        return np.tanh(x)

    @staticmethod
    def vjp(g, out, x):
        return (g * (1 - out * out),)


class Sigmoid(Op):
    """``out = 1 / (1 + exp(-x))``, computed without overflow for any x.

    Notes
    -----
    VJP::

        dx = g * out * (1 - out)
    """
    name = "sigmoid"

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
    domain = ("smooth",)
    kinks = (0.0,)

    @staticmethod
    def forward(x):
        return np.maximum(x, _ZERO[x.dtype])

    @staticmethod
    def vjp(g, out, x):
        return (g * (x > _ZERO[x.dtype]),)


class LeakyRelu(Op):
    """``out = x if x > 0 else negative_slope * x``.

    Notes
    -----
    VJP::

        dx = g if x > 0 else negative_slope * g

    At 0 the slope is ``negative_slope`` (the left derivative), as in PyTorch.
    """
    name = "leaky_relu"
    domain = ("smooth",)
    kinks = (0.0,)
    params = {"negative_slope": (0.01, 0.2)}

    @staticmethod
    def forward(x, negative_slope=0.01):
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def vjp(g, out, x, negative_slope=0.01):
        return (np.where(x > 0, g, g * negative_slope),)


class Elu(Op):
    """``out = x if x > 0 else alpha * (exp(x) - 1)``.

    Notes
    -----
    VJP::

        dx = g if x > 0 else g * (out + alpha)      # alpha * exp(x) = out + alpha
    """
    name = "elu"
    domain = ("smooth",)
    kinks = (0.0,)
    params = {"alpha": (1.0, 0.5)}

    @staticmethod
    def forward(x, alpha=1.0):
        # min(x, 0) keeps expm1 from overflowing on the branch that is thrown away.
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def vjp(g, out, x, alpha=1.0):
        return (np.where(x > 0, g, g * (out + alpha)),)


class Softplus(Op):
    """``out = log(1 + exp(x))``, computed as ``logaddexp(0, x)`` (no overflow).

    Notes
    -----
    VJP::

        dx = g * sigmoid(x)
    """
    name = "softplus"

    @staticmethod
    def forward(x):
        return np.logaddexp(0, x)

    @staticmethod
    def vjp(g, out, x):
        return (g * Sigmoid.dispatch(x),)


class Erf(Op):
    """``out = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t**2) dt`` (SciPy's name).

    Notes
    -----
    VJP::

        dx = g * 2/sqrt(pi) * exp(-x**2)

    NumPy has no erf; the forward calls ``math.erf`` per element (exact, slower).
    """
    name = "erf"

    @staticmethod
    def forward(x):
        return np.asarray(_erf_scalar(x), dtype=x.dtype if x.dtype.kind == "f" else np.float64)

    @staticmethod
    def vjp(g, out, x):
        return (g * _TWO_OVER_SQRT_PI * np.exp(-x * x),)


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


class Maximum(Op):
    """``out = maximum(x, y)`` elementwise (broadcasting).

    Notes
    -----
    VJP::

        dx = g * ([x > y] + 0.5 [x == y])
        dy = g * ([y > x] + 0.5 [x == y])

    Ties share the gradient evenly, so dx + dy = g everywhere.
    """
    name, arity = "maximum", 2
    domain = ("distinct", "distinct")

    @staticmethod
    def forward(x, y):
        return np.maximum(x, y)

    @staticmethod
    def vjp(g, out, x, y, needs):
        tie = x == y
        half = 0.5 * g
        dx = np.where(tie, half, np.where(x > y, g, 0)) if needs[0] else None
        dy = np.where(tie, half, np.where(y > x, g, 0)) if needs[1] else None
        return dx, dy


class Minimum(Op):
    """``out = minimum(x, y)`` elementwise (broadcasting).

    Notes
    -----
    VJP::

        dx = g * ([x < y] + 0.5 [x == y])
        dy = g * ([y < x] + 0.5 [x == y])

    Ties share the gradient evenly, as in :class:`Maximum`.
    """
    name, arity = "minimum", 2
    domain = ("distinct", "distinct")

    @staticmethod
    def forward(x, y):
        return np.minimum(x, y)

    @staticmethod
    def vjp(g, out, x, y, needs):
        tie = x == y
        half = 0.5 * g
        dx = np.where(tie, half, np.where(x < y, g, 0)) if needs[0] else None
        dy = np.where(tie, half, np.where(y < x, g, 0)) if needs[1] else None
        return dx, dy


class Clip(Op):
    """``out = min(max(x, a_min), a_max)``; either bound may be None.

    Notes
    -----
    VJP::

        dx = g * [a_min <= x <= a_max]

    At a bound the gradient passes (the interval is closed), as in PyTorch's clamp:
    a value sitting exactly on the bound is still inside.
    """
    name = "clip"
    domain = ("smooth",)
    params = {"a_min": (-0.5, None), "a_max": (0.5, 1.5)}  # a_max=None: tests/test_ops_unit.py
    kinks = (-0.5, 0.5, 1.5)

    @staticmethod
    def forward(x, a_min=None, a_max=None):
        if a_min is None and a_max is None:
            raise ValueError("at least one of a_min and a_max must be given")
        if a_min is not None and a_max is not None and a_min > a_max:
            raise ValueError(f"a_min ({a_min}) must not exceed a_max ({a_max})")
        # Python-float bounds are weak scalars, so float32 stays float32.
        return np.clip(x, a_min, a_max)

    @staticmethod
    def vjp(g, out, x, a_min=None, a_max=None):
        if a_min is not None:
            g = np.where(x < a_min, 0, g)
        if a_max is not None:
            g = np.where(x > a_max, 0, g)
        return (g,)


class Where(Op):
    """``out = x where cond else y`` (broadcasting all three).

    Notes
    -----
    VJP::

        dcond = None
        dx = where(cond, g, 0)
        dy = where(cond, 0, g)

    Selecting instead of multiplying by a mask keeps a NaN or inf in the branch
    that was not taken out of the gradient.
    """
    name, arity = "where", 3
    domain = ("bool", "real", "real")
    nondiff = (0,)

    @staticmethod
    def forward(cond, x, y):
        if cond.dtype != np.bool_:
            cond = cond != 0
        return np.where(cond, x, y)

    @staticmethod
    def vjp(g, out, cond, x, y, needs):
        return (None, np.where(cond, g, 0) if needs[1] else None,
                np.where(cond, 0, g) if needs[2] else None)


class Astype(Op):
    """``out = x.astype(dtype)``; differentiable between floating dtypes.

    Notes
    -----
    VJP::

        dx = g            (cast back to x's dtype by the engine)
    """
    name = "astype"
    params = {"dtype": (np.dtype(np.float64),)}

    @staticmethod
    def forward(x, dtype=None):
        dt = np.dtype(dtype)
        if dt.kind not in "fiub":  # complex would lose its imaginary part in backward
            raise TypeError(f"astype: unsupported dtype {dt}; expected a float, int or bool dtype")
        return x.astype(dt)

    @staticmethod
    def vjp(g, out, x, dtype=None):
        return (g,)
