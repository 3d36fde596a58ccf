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

        dx = g * y * x**(y - 1)
        dy = g * out * log(x)        (taken as 0 where x <= 0)

    For ``x <= 0`` the real power is not differentiable in ``y``; we return 0 there
    rather than NaN, as PyTorch does at ``x == 0``.
    """
    name, arity = "power", 2
    jvp_rule = "diagonal"
    domain = ("positive", "real")

    @staticmethod
    def forward(x, y):
        return x ** y

    @staticmethod
    def vjp(g, out, x, y, needs):
        dx = g * y * x ** (y - 1) if needs[0] else None
        dy = None
        if needs[1]:
            pos = x > 0
            dy = np.where(pos, g * out * np.log(np.where(pos, x, 1)), 0)
        return dx, dy
