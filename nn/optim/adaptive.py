"""Adamax, RAdam and Adafactor, step for step as in ``torch.optim``.

Each ``_update`` follows PyTorch's documented algorithm (and its code where the
documentation leaves a detail open, e.g. where ``eps`` goes), with ``g`` the
gradient, ``t`` the step count (from 1) and ``lr`` the learning rate. The
optimisers follow the pattern of ``optimizers.py``: ``_hyper`` reads a group's
hyper-parameters once per step, ``_update`` changes one parameter in place.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, adam_hyper, hyper
from .optimizers import _AdamFamily, _ema_, _nonneg, _state_array, _step, _weight_decay

__all__ = ["Adamax", "RAdam", "Adafactor"]


def _rms(x: np.ndarray) -> float:
    """``||x||_2 / sqrt(x.size)`` as a Python float (x must not be empty)."""
    flat = x.ravel(order="K")  # a view in the array's own memory order
    return math.sqrt(float(np.dot(flat, flat)) / flat.size)


class Adamax(_AdamFamily):
    """Adamax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm.

    ::

        g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        u = max(b2 * u, |g| + eps)
        p = p - lr / (1 - b1**t) * m / u

    ``u`` is an exponentially weighted maximum of ``|g|``: unlike Adam's ``v`` it
    needs no bias correction.
    """

    state_keys = ("step", "exp_avg", "exp_inf")

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _hyper(self, group: dict[str, Any]) -> tuple:
        return adam_hyper(group)

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, eps, wd, b1, b2 = hp
        t = _step(state)
        if wd:
            g = _weight_decay(p, g, lr, wd, decoupled=False)
        m = _ema_(_state_array(state, "exp_avg", p), g, b1)
        u = _state_array(state, "exp_inf", p)
        u *= b2
        a = np.abs(g)
        a += eps
        np.maximum(u, a, out=u)
        upd = m / u
        upd *= lr / (1.0 - b1 ** t)
        p.data -= upd


class RAdam(_AdamFamily):
    """Rectified Adam (Liu et al., 2020): SGD with momentum while the variance of
    Adam's adaptive step is too uncertain, Adam rescaled by ``r_t`` afterwards.

    ::

        g = g + weight_decay * p     (or p = p - lr * weight_decay * p if decoupled_weight_decay)
        m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g**2
        m^ = m / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1;  rho_t = rho_inf - 2 t b2**t / (1 - b2**t)
        if rho_t > 5:
            r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            p = p - lr * m^ * r_t * sqrt(1 - b2**t) / (sqrt(v) + eps)
        else:
            p = p - lr * m^

    With the default ``b2 = 0.999`` the first 5 steps are momentum steps. As in
    PyTorch, ``eps`` is added to ``sqrt(v)`` before the bias correction (Adam adds
    it after).
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _hyper(self, group: dict[str, Any]) -> tuple:
        return adam_hyper(group, "decoupled_weight_decay")

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, eps, wd, b1, b2, decoupled = hp
        t = _step(state)
        if wd:
            g = _weight_decay(p, g, lr, wd, decoupled)
        m = _ema_(_state_array(state, "exp_avg", p), g, b1)
        v = _ema_(_state_array(state, "exp_avg_sq", p), g * g, b2)
        bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho_t = rho_inf - 2.0 * t * b2 ** t / bc2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                             / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            denom = np.sqrt(v)
            denom += eps
            upd = m / denom
            upd *= lr * rect * math.sqrt(bc2) / bc1
        else:
            upd = m * (lr / bc1)
        p.data -= upd


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018) as PyTorch implements it: Adam-like steps
    whose second moment of a matrix is stored as one row and one column average,
    and whose step size is relative to the parameter's own scale.

    ::

        b2_t = 1 - t**beta2_decay;       rho_t = min(lr, 1 / sqrt(t))
        alpha_t = max(eps2, RMS(p)) * rho_t                    (RMS before the decay)
        p = p - lr * weight_decay * p
        if p has 2 or more axes (factored over the last two):
            R = b2_t R + (1 - b2_t) mean(g**2, axis=-1)          one per row
            C = b2_t C + (1 - b2_t) mean(g**2, axis=-2)          one per column
            V = R C / max(mean(R), eps1)                        their outer product
        else:
            V = b2_t V + (1 - b2_t) g**2
        U = g / sqrt(max(V, eps1**2))
        p = p - alpha_t * U / max(1, RMS(U) / d)

    ``RMS(x) = ||x|| / sqrt(x.size)``; ``eps = (eps1, eps2)``, and ``eps1=None``
    means the machine epsilon of the parameter's dtype. As in PyTorch (and unlike
    the paper, which has no learning rate), ``lr`` caps the relative step ``rho_t``
    and scales the decoupled weight decay. The state of an (n, m) matrix is n + m
    numbers (``row_var`` of shape (n, 1), ``col_var`` of shape (1, m)), not n m.
    """

    state_keys = ("step", "row_var", "col_var", "variance")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        self._check(group, "beta2_decay", lambda v: v <= 0, "<= 0")
        self._check(group, "d", lambda v: v >= 1, ">= 1 (the clipping threshold)")
        _nonneg(self, group, "weight_decay")
        eps = group["eps"]

        def number(v: Any) -> bool:
            return isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) and v >= 0

        if not (isinstance(eps, (tuple, list)) and len(eps) == 2
                and (eps[0] is None or number(eps[0])) and number(eps[1])):
            raise ValueError(f"Adafactor: invalid eps {eps!r}; expected (eps1, eps2) with eps1 "
                             f"None or a number >= 0 and eps2 a number >= 0")

    def _state_shape(self, key: str, p: al.Tensor) -> tuple[int, ...] | None:
        shape = p.shape
        if key == "variance":
            return shape if len(shape) < 2 else None
        if key in ("row_var", "col_var"):
            if len(shape) < 2:
                return None
            axis = -1 if key == "row_var" else -2
            out = list(shape)
            out[axis] = 1
            return tuple(out)
        return shape

    def _hyper(self, group: dict[str, Any]) -> tuple:
        lr, decay, d, wd = hyper(group, "lr", "beta2_decay", "d", "weight_decay")
        eps1, eps2 = group["eps"]
        return lr, decay, None if eps1 is None else float(eps1), float(eps2), d, wd

    def _factored(self, state: dict[str, Any], key: str, p: al.Tensor) -> np.ndarray:
        if key not in state:
            state[key] = np.zeros(self._state_shape(key, p), p.dtype)
        return state[key]

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, decay, eps1, eps2, d, wd = hp
        t = _step(state)
        data = p.data
        if data.size == 0:  # nothing to update (and no RMS to divide by)
            return
        if eps1 is None:
            eps1 = float(np.finfo(data.dtype).eps)
        w = t ** decay  # 1 - b2_t
        rho = min(lr, 1.0 / math.sqrt(t))
        alpha = max(eps2, _rms(data)) * rho
        if wd:
            data *= 1.0 - lr * wd
        gg = g * g
        if g.ndim > 1:
            row = self._factored(state, "row_var", p)
            col = self._factored(state, "col_var", p)
            row += w * (gg.mean(axis=-1, keepdims=True) - row)
            col += w * (gg.mean(axis=-2, keepdims=True) - col)
            var = row * col  # broadcasting (..., n, 1) by (..., 1, m): the outer product
            var /= np.maximum(row.mean(axis=-2, keepdims=True), eps1)
        else:
            v = _state_array(state, "variance", p)
            v += w * (gg - v)
            var = v.copy()
        np.maximum(var, eps1 * eps1, out=var)
        upd = g / np.sqrt(var)
        upd *= alpha / max(1.0, _rms(upd) / d)
        data -= upd
