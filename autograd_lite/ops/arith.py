"""Arithmetic: add, subtract, multiply, divide, negative, positive, power."""

from __future__ import annotations

import numpy as np

from .base import Op


class Add(Op):
    """``out = x + y`` (broadcasting).

    Notes
    -----
    VJP::

        dx = g
        dy = g
    """
    name, arity = "add", 2
    read_for = ((), ())  # dx = g, dy = ±g: neither input is read
    jvp_rule = "diagonal"

    @staticmethod
    def forward(x, y):
        return x + y

    @staticmethod
    def vjp(g, out, x, y):
        return g, g


class Subtract(Op):
    """``out = x - y`` (broadcasting).

    Notes
    -----
    VJP::

        dx = g
        dy = -g
    """
    name, arity = "subtract", 2
    read_for = ((), ())  # dx = g, dy = ±g: neither input is read
    jvp_rule = "diagonal"

    @staticmethod
    def forward(x, y):
        return x - y

    @staticmethod
    def vjp(g, out, x, y, needs):
        return g, (-g if needs[1] else None)


class Multiply(Op):
    """``out = x * y`` (broadcasting).

    Notes
    -----
    VJP::

        dx = g * y
        dy = g * x
    """
    name, arity = "multiply", 2
    read_for = ((1,), (0,))  # x for dy, y for dx
    jvp_rule = "multilinear"     # J t = tx * y + x * ty

    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def vjp(g, out, x, y, needs):
        return (g * y if needs[0] else None), (g * x if needs[1] else None)


class Divide(Op):
    """``out = x / y`` (broadcasting).

    Notes
    -----
    VJP::

        dx = g / y
        dy = -g * x / y**2 = -(g / y) * out
    """
    name, arity = "divide", 2
    jvp_rule = "diagonal"
    domain = ("real", "nonzero")

    @staticmethod
    def forward(x, y):
        return x / y

    @staticmethod
    def vjp(g, out, x, y, needs):
        gy = g / y
        return (gy if needs[0] else None), (-gy * out if needs[1] else None)


class Negative(Op):
    """``out = -x``.

    Notes
    -----
    VJP::

        dx = -g
    """
    name = "negative"
    read_for = ((),)  # x is not read
    jvp_rule = "linear"

    @staticmethod
    def forward(x):
        return -x

    @staticmethod
    def vjp(g, out, x):
        return (-g,)


class Positive(Op):
    """``out = +x``, the identity (a fresh node: how ``al.grad`` marks its inputs).

    Notes
    -----
    VJP::

        dx = g
    """
    name = "positive"
    read_for = ((),)  # x is not read
    jvp_rule = "linear"

    @staticmethod
    def forward(x):
        return +x

    @staticmethod
    def vjp(g, out, x):
        return (g,)


class Power(Op):
    """``out = x ** y`` (broadcasting; ``y`` may be a Python number or a tensor).

    Notes
    -----
    VJP::

        dx = g * y * x**(y - 1)      (0 where x == 0 and y == 0)
        dy = g * out * log(x)        (0 where x == 0 and y >= 0)

    PyTorch's values: at ``x == 0`` with ``y == 0`` the derivative in ``x`` is 0, not
    ``0 * inf`` = NaN; at ``x == 0`` the derivative in ``y`` is taken as 0 for
    ``y >= 0``. For ``x < 0`` the real power is no function of ``y`` (NaN for most
    ``y``), and ``dy`` is NaN there. Only those points are replaced (elsewhere at
    ``y == 0`` the formula stays, so its derivative in ``y`` is right), and the branch a
    ``where`` discards is computed at a harmless value (``x**1``, ``log(1)``), so no inf
    or NaN reaches a higher-order gradient through it.
    """
    name, arity = "power", 2
    jvp_rule = "diagonal"
    domain = ("positive", "real")

    @staticmethod
    def forward(x, y):
        return x ** y

    @staticmethod
    def vjp(g, out, x, y, needs):
        dx = dy = None
        if needs[0]:
            if y.ndim == 0 and y != 0:  # a nonzero scalar exponent (x ** 2): no where
                dx = g * y * x ** (y - 1)
            else:
                zero = np.logical_and(y == 0, x == 0)
                dx = np.where(zero, 0, g * y * x ** np.where(zero, 1, y - 1))
        if needs[1]:
            flat = np.logical_and(x == 0, y >= 0)
            dy = np.where(flat, 0, g * out * np.log(np.where(flat, 1, x)))
        return dx, dy
