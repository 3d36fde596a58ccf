"""More of NumPy's elementwise functions: logarithms and exponentials, inverse
trigonometric and hyperbolic functions, ``arctan2``, ``hypot``, ``logaddexp``, and the
piecewise-constant ``sign``, ``floor``, ``ceil`` and ``round`` (zero gradient).

All act elementwise with broadcasting, so forward mode takes each one's JVP from its
VJP (``jvp_rule = "diagonal"``).
"""

from __future__ import annotations

import math

import numpy as np

from .base import Op

_LN2, _LN10 = math.log(2.0), math.log(10.0)


class _Elementwise(Op):
    jvp_rule = "diagonal"


class Log1p(_Elementwise):
    """``out = log(1 + x)``, accurate for small ``x``.

    Notes
    -----
    VJP::

        dx = g / (1 + x)
    """
    name = "log1p"
    domain = ("unit",)

    @staticmethod
    def forward(x):
        return np.log1p(x)

    @staticmethod
    def vjp(g, out, x):
        return (g / (1 + x),)


class Expm1(_Elementwise):
    """``out = exp(x) - 1``, accurate for small ``x``.

    Notes
    -----
    VJP::

        dx = g * (out + 1)
    """
    name = "expm1"

    @staticmethod
    def forward(x):
        return np.expm1(x)

    @staticmethod
    def vjp(g, out, x):
        return (g * (out + 1),)


class Log2(_Elementwise):
    """``out = log2(x)``.

    Notes
    -----
    VJP::

        dx = g / (x ln 2)
    """
    name = "log2"
    domain = ("positive",)

    @staticmethod
    def forward(x):
        return np.log2(x)

    @staticmethod
    def vjp(g, out, x):
        return (g / (x * _LN2),)


class Log10(_Elementwise):
    """``out = log10(x)``.

    Notes
    -----
    VJP::

        dx = g / (x ln 10)
    """
    name = "log10"
    domain = ("positive",)

    @staticmethod
    def forward(x):
        return np.log10(x)

    @staticmethod
    def vjp(g, out, x):
        return (g / (x * _LN10),)


class Arcsin(_Elementwise):
    """``out = arcsin(x)``, for ``-1 <= x <= 1``.

    Notes
    -----
    VJP::

        dx = g / sqrt(1 - x**2)       (infinite at x = +-1)
    """
    name = "arcsin"
    domain = ("unit",)

    @staticmethod
    def forward(x):
        return np.arcsin(x)

    @staticmethod
    def vjp(g, out, x):
        return (g / np.sqrt(1 - x * x),)


class Arccos(_Elementwise):
    """``out = arccos(x)``, for ``-1 <= x <= 1``.

    Notes
    -----
    VJP::

        dx = -g / sqrt(1 - x**2)      (infinite at x = +-1)
    """
    name = "arccos"
    domain = ("unit",)

    @staticmethod
    def forward(x):
        return np.arccos(x)

    @staticmethod
    def vjp(g, out, x):
        return (-g / np.sqrt(1 - x * x),)


class Arctan(_Elementwise):
    """``out = arctan(x)``.

    Notes
    -----
    VJP::

        dx = g / (1 + x**2)
    """
    name = "arctan"

    @staticmethod
    def forward(x):
        return np.arctan(x)

    @staticmethod
    def vjp(g, out, x):
        return (g / (1 + x * x),)


class Sinh(_Elementwise):
    """``out = sinh(x)``.

    Notes
    -----
    VJP::

        dx = g * cosh(x)
    """
    name = "sinh"

    @staticmethod
    def forward(x):
        return np.sinh(x)

    @staticmethod
    def vjp(g, out, x):
        return (g * np.cosh(x),)


class Cosh(_Elementwise):
    """``out = cosh(x)``.

    Notes
    -----
    VJP::

        dx = g * sinh(x)
    """
    name = "cosh"

    @staticmethod
    def forward(x):
        return np.cosh(x)

    @staticmethod
    def vjp(g, out, x):
        return (g * np.sinh(x),)


class Arctan2(_Elementwise):
    """``out = arctan2(y, x)``, the angle of the point ``(x, y)`` in ``(-pi, pi]``.

    Notes
    -----
    VJP::

        dy = g * x / (x**2 + y**2)
        dx = -g * y / (x**2 + y**2)

    Undefined at the origin; the angle jumps by ``2 pi`` across the negative x axis
    (``y = 0, x < 0``), where the derivative of the smooth branch is returned.
    """
    name, arity = "arctan2", 2
    domain = ("nonzero", "nonzero")

    @staticmethod
    def forward(y, x):
        return np.arctan2(y, x)

    @staticmethod
    def vjp(g, out, y, x, needs):
        r2 = x * x + y * y
        return (g * x / r2 if needs[0] else None, -g * y / r2 if needs[1] else None)


class Hypot(_Elementwise):
    """``out = sqrt(x**2 + y**2)``, without overflow for large values.

    Notes
    -----
    VJP::

        dx = g * x / out
        dy = g * y / out

    Undefined at ``(0, 0)``, where ``out = 0``.
    """
    name, arity = "hypot", 2
    domain = ("nonzero", "nonzero")

    @staticmethod
    def forward(x, y):
        return np.hypot(x, y)

    @staticmethod
    def vjp(g, out, x, y, needs):
        return (g * x / out if needs[0] else None, g * y / out if needs[1] else None)


class Logaddexp(_Elementwise):
    """``out = log(exp(x) + exp(y))``, without overflow.

    Notes
    -----
    VJP::

        dx = g * exp(x - out)
        dy = g * exp(y - out)
    """
    name, arity = "logaddexp", 2

    @staticmethod
    def forward(x, y):
        return np.logaddexp(x, y)

    @staticmethod
    def vjp(g, out, x, y, needs):
        return (g * np.exp(x - out) if needs[0] else None,
                g * np.exp(y - out) if needs[1] else None)


class _Step(_Elementwise):
    """A piecewise-constant function: its derivative is 0 wherever it exists."""
    domain = ("smooth",)

    @staticmethod
    def vjp(g, out, x, **params):
        # g * 0 rather than zeros: it stays a function of g when differentiated again.
        return (g * 0,)


class Sign(_Step):
    """``out = sign(x)``: -1, 0 or 1.

    Notes
    -----
    VJP::

        dx = 0

    The gradient is 0 everywhere, also at the jump at ``x = 0`` (a choice, as in
    PyTorch and JAX).
    """
    name = "sign"
    kinks = (0.0,)

    @staticmethod
    def forward(x):
        return np.sign(x)


class Floor(_Step):
    """``out = floor(x)``, the largest integer ``<= x`` (as a float).

    Notes
    -----
    VJP::

        dx = 0

    The gradient is 0 everywhere, also at the jumps at the integers.
    """
    name = "floor"
    kinks = tuple(float(k) for k in range(-3, 4))

    @staticmethod
    def forward(x):
        return np.floor(x)


class Ceil(_Step):
    """``out = ceil(x)``, the smallest integer ``>= x`` (as a float).

    Notes
    -----
    VJP::

        dx = 0

    The gradient is 0 everywhere, also at the jumps at the integers.
    """
    name = "ceil"
    kinks = tuple(float(k) for k in range(-3, 4))

    @staticmethod
    def forward(x):
        return np.ceil(x)


class Round(_Step):
    """``out = round(x, decimals)``, halves to even as in NumPy.

    Notes
    -----
    VJP::

        dx = 0

    The gradient is 0 everywhere, also at the jumps halfway between the rounded values.
    """
    name = "round"
    params = {"decimals": (0,)}
    kinks = tuple(k + 0.5 for k in range(-4, 4))

    @staticmethod
    def forward(x, decimals=0):
        return np.round(x, decimals)
