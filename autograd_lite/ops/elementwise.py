"""Elementwise math (exp, log, sqrt, trigonometric, erf), maximum/minimum, clip, where and
astype. The activations (relu, sigmoid, gelu, ...) are in ``activations.py``."""

from __future__ import annotations

import math

import numpy as np

from .base import Op, constant

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf_scalar = np.frompyfunc(math.erf, 1, 1)
_BOUND = "for a bound that needs one, use al.maximum(x, a_min) or al.minimum(x, a_max)"




class Exp(Op):
    """``out = exp(x)``.

    Notes
    -----
    VJP::

        dx = g * out
    """
    name = "exp"
    jvp_rule = "diagonal"

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
    jvp_rule = "diagonal"
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
    jvp_rule = "diagonal"
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
    jvp_rule = "diagonal"
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
    jvp_rule = "diagonal"

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
    jvp_rule = "diagonal"

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
    jvp_rule = "diagonal"

    @staticmethod
    def forward(x):
        return np.tanh(x)

    @staticmethod
    def vjp(g, out, x):
        return (g * (1 - out * out),)


class Erf(Op):
    """``out = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t**2) dt`` (SciPy's name).

    Notes
    -----
    VJP::

        dx = g * 2/sqrt(pi) * exp(-x**2)

    NumPy has no erf; the forward calls ``math.erf`` per element (exact, slower).
    """
    name = "erf"
    jvp_rule = "diagonal"

    @staticmethod
    def forward(x):
        return np.asarray(_erf_scalar(x), dtype=x.dtype if x.dtype.kind == "f" else np.float64)

    @staticmethod
    def vjp(g, out, x):
        return (g * _TWO_OVER_SQRT_PI * np.exp(-x * x),)


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
    jvp_rule = "diagonal"
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
    jvp_rule = "diagonal"
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
    jvp_rule = "diagonal"
    domain = ("smooth",)
    params = {"a_min": (-0.5, None), "a_max": (0.5, 1.5)}  # a_max=None: tests/test_ops_unit.py
    kinks = (-0.5, 0.5, 1.5)

    @staticmethod
    def forward(x, a_min=None, a_max=None):
        a_min = constant(a_min, "clip", "a_min", _BOUND)
        a_max = constant(a_max, "clip", "a_max", _BOUND)
        if a_min is None and a_max is None:
            raise ValueError("at least one of a_min and a_max must be given")
        if a_min is not None and a_max is not None and a_min > a_max:
            raise ValueError(f"a_min ({a_min}) must not exceed a_max ({a_max})")
        # Python-float bounds are weak scalars, so float32 stays float32.
        return np.clip(x, a_min, a_max)

    @staticmethod
    def vjp(g, out, x, a_min=None, a_max=None):
        a_min, a_max = constant(a_min, "clip", "a_min"), constant(a_max, "clip", "a_max")
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
    jvp_rule = "linear"          # J t = where(cond, tx, ty)
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
    jvp_rule = "diagonal"
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
