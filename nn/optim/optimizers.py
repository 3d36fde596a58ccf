"""SGD, Adagrad, RMSprop, Adam, AdamW, NAdam, Lion and AdaBelief (more in
``adaptive.py`` and ``layerwise.py``).

Each ``_update`` follows the algorithm in its docstring (PyTorch's documented
pseudo-code where PyTorch has the optimiser, the paper's otherwise), with
``g`` the gradient, ``t`` the step count (from 1), ``lr`` the learning rate.
Every state array has the parameter's shape and dtype. Each optimiser's
``_hyper`` reads its group's hyper-parameters once per step (as Python floats),
and ``_update`` unpacks them; weight decay of 0 costs nothing.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, adam_hyper, hyper, scalar


def _ema_(avg: np.ndarray, x: np.ndarray, beta: float) -> np.ndarray:
    """In place ``avg = beta * avg + (1 - beta) * x``."""
    avg *= beta
    avg += (1.0 - beta) * x
    return avg


def _state_array(state: dict[str, Any], key: str, p: al.Tensor, fill: float = 0.0) -> np.ndarray:
    if key not in state:
        # In the parameter's memory order (row- or column-major), so that updates
        # combining the two walk both contiguously.
        state[key] = np.full_like(p.data, fill)
    return state[key]


def _step(state: dict[str, Any]) -> int:
    state["step"] = state.get("step", 0) + 1
    return state["step"]


def _nonneg(opt: Optimizer, group: dict[str, Any], *keys: str) -> None:
    for k in keys:
        opt._check(group, k, lambda v: v >= 0, ">= 0")


def _weight_decay(p: al.Tensor, g: np.ndarray, lr: float, wd: float, decoupled: bool) -> np.ndarray:
    """Decoupled decay shrinks ``p`` in place (``p -= lr * wd * p``); coupled decay is
    added to the gradient (a new array: ``.grad`` itself is never written). Callers
    skip the call when ``wd`` is 0."""
    if wd and decoupled:
        p.data *= 1.0 - lr * wd
    elif wd:
        g = g + wd * p.data
    return g


def _adam_denom(v: np.ndarray, b2: float, t: int, eps: float) -> np.ndarray:
    """``sqrt(v / (1 - b2**t)) + eps`` as one new array."""
    denom = np.sqrt(v)
    denom *= 1.0 / math.sqrt(1.0 - b2 ** t)
    denom += eps
    return denom


class _AdamFamily(Optimizer):
    """Shared checks of the optimisers with ``betas``, ``eps`` and ``weight_decay``."""

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _nonneg(self, group, "eps", "weight_decay")
        self._check_betas(group)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    ::

        g = g + weight_decay * p
        if momentum:  b = g (first step) else momentum * b + (1 - dampening) * g
                      g = g + momentum * b if nesterov else b
        p = p - lr * g

    The default (``dampening=0``) sums the gradients: ``b = momentum * b + g``.
    ``dampening=momentum`` averages them instead, ``b = beta * b + (1 - beta) * g``
    with ``beta = momentum`` (the "averaged" momentum of some courses; its steps
    are ``1 - beta`` times smaller, so it wants an lr ``1 / (1 - beta)`` times
    larger). As in PyTorch, the first step sets ``b = g`` undamped; a course's
    ``b = 0`` start (so ``b = (1 - beta) g`` after one step) is had by giving each
    parameter a zero buffer before the first step,
    ``opt.state[p] = {"momentum_buffer": np.zeros_like(p.data)}``. The two buffers
    differ by ``beta**t * g_1`` after ``t`` steps.
    """

    state_keys = ("momentum_buffer",)

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _nonneg(self, group, "momentum", "weight_decay")
        self._check(group, "dampening", lambda v: 0 <= v <= 1, "a number in [0, 1]")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0; got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _hyper(self, group: dict[str, Any]) -> tuple:
        lr, mu, damp, wd = hyper(group, "lr", "momentum", "dampening", "weight_decay")
        return lr, mu, damp, wd, group["nesterov"]

    def _update_group(self, params: list[al.Tensor], grads: list[np.ndarray],
                      group: dict[str, Any]) -> None:
        if group["momentum"] or group["weight_decay"]:
            return super()._update_group(params, grads, group)
        # Plain SGD, the lessons' optimiser, in one loop: no state, no call per parameter.
        lr, dtype, lr_t = float(group["lr"]), None, None
        for p, g in zip(params, grads):
            if g.dtype is not dtype:
                dtype = g.dtype
                lr_t = scalar(lr, dtype)
            p.data -= lr_t * g

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, mu, damp, wd, nesterov = hp
        if wd:
            g = _weight_decay(p, g, lr, wd, decoupled=False)
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                # In g's memory order; np.array, not g.copy(): with weight decay a 0-d
                # parameter's g is a NumPy scalar, and the buffer must be an array.
                buf = state["momentum_buffer"] = np.array(g, order="K")
            else:
                buf *= mu
                buf += (1.0 - damp) * g
            g = g + mu * buf if nesterov else buf
        p.data -= scalar(lr, g.dtype) * g


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011).

    ::

        g = g + weight_decay * p
        lr_t = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g**2                       (sum starts at initial_accumulator_value)
        p = p - lr_t * g / (sqrt(sum) + eps)
    """

    state_keys = ("step", "sum")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _nonneg(self, group, "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _hyper(self, group: dict[str, Any]) -> list[float]:
        return hyper(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: list[float]) -> None:
        lr, decay, wd, acc0, eps = hp
        total = _state_array(state, "sum", p, acc0)
        t = _step(state)
        if wd:
            g = _weight_decay(p, g, lr, wd, decoupled=False)
        total += g * g
        denom = np.sqrt(total)
        denom += eps
        upd = g / denom
        upd *= lr / (1.0 + (t - 1) * decay)
        p.data -= upd


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), optionally centered and with momentum.

    ::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        if centered: g_avg = alpha * g_avg + (1 - alpha) * g;  v~ = v - g_avg**2  else v~ = v
        if momentum: b = momentum * b + g / (sqrt(v~) + eps);  p = p - lr * b
        else:        p = p - lr * g / (sqrt(v~) + eps)
    """

    state_keys = ("step", "square_avg", "grad_avg", "momentum_buffer")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _nonneg(self, group, "eps", "weight_decay", "momentum")
        self._check(group, "alpha", lambda v: 0 <= v <= 1, "a number in [0, 1]")

    def _hyper(self, group: dict[str, Any]) -> tuple:
        lr, alpha, eps, wd, mu = hyper(group, "lr", "alpha", "eps", "weight_decay", "momentum")
        return lr, alpha, eps, wd, mu, group["centered"]

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, alpha, eps, wd, mu, centered = hp
        _step(state)
        if wd:
            g = _weight_decay(p, g, lr, wd, decoupled=False)
        v = _ema_(_state_array(state, "square_avg", p), g * g, alpha)
        if centered:
            g_avg = _ema_(_state_array(state, "grad_avg", p), g, alpha)
            # v >= g_avg**2 in exact arithmetic; rounding must not make sqrt see a negative.
            denom = np.sqrt(np.maximum(v - g_avg * g_avg, 0.0))
        else:
            denom = np.sqrt(v)
        denom += eps
        if mu:
            buf = _state_array(state, "momentum_buffer", p)
            buf *= mu
            buf += g / denom
            p.data -= lr * buf
        else:
            upd = g / denom
            upd *= lr
            p.data -= upd


class Adam(_AdamFamily):
    """Adam (Kingma & Ba, 2015), with AMSGrad (Reddi et al., 2018).

    ::

        g = g + weight_decay * p            (AdamW instead: p = p - lr * weight_decay * p)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        if amsgrad: v_max = max(v_max, v);  v = v_max
        p = p - lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def _hyper(self, group: dict[str, Any]) -> tuple:
        return adam_hyper(group, "amsgrad")

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, eps, wd, b1, b2, amsgrad = hp
        t = _step(state)
        if wd:
            g = _weight_decay(p, g, lr, wd, self._decoupled)
        m = _ema_(_state_array(state, "exp_avg", p), g, b1)
        v = _ema_(_state_array(state, "exp_avg_sq", p), g * g, b2)
        if amsgrad:
            v = np.maximum(_state_array(state, "max_exp_avg_sq", p), v, out=state["max_exp_avg_sq"])
        upd = m / _adam_denom(v, b2, t, eps)
        upd *= lr / (1.0 - b1 ** t)
        p.data -= upd


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): the decay
    shrinks the parameters directly (``p = p - lr * weight_decay * p``) instead of
    being added to the gradient, so it is not rescaled by the adaptive step."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class NAdam(_AdamFamily):
    """Adam with Nesterov momentum (Dozat, 2016), as documented by PyTorch.

    ::

        mu_t = b1 * (1 - 0.5 * 0.96**(t * momentum_decay));  mu_{t+1} likewise
        g = g + weight_decay * p   (or p = p - lr * weight_decay * p if decoupled_weight_decay)
        m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g**2
        m^ = mu_{t+1} m / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g / (1 - prod_{i<=t} mu_i)
        p = p - lr * m^ / (sqrt(v / (1 - b2**t)) + eps)
    """

    state_keys = ("step", "mu_product", "exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _nonneg(self, group, "momentum_decay")

    def _hyper(self, group: dict[str, Any]) -> tuple:
        lr, eps, wd, psi = hyper(group, "lr", "eps", "weight_decay", "momentum_decay")
        b1, b2 = map(float, group["betas"])
        return lr, eps, wd, psi, b1, b2, group["decoupled_weight_decay"]

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, eps, wd, psi, b1, b2, decoupled = hp
        t = _step(state)
        if wd:
            g = _weight_decay(p, g, lr, wd, decoupled)
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        prod = state["mu_product"] = state.get("mu_product", 1.0) * mu
        m = _ema_(_state_array(state, "exp_avg", p), g, b1)
        v = _ema_(_state_array(state, "exp_avg_sq", p), g * g, b2)
        denom = _adam_denom(v, b2, t, eps)
        upd = g * (lr * (1.0 - mu) / (1.0 - prod))
        upd += m * (lr * mu_next / (1.0 - prod * mu_next))
        upd /= denom
        p.data -= upd


class Lion(Optimizer):
    """Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms").

    ::

        c = b1 * m + (1 - b1) * g
        p = p - lr * (sign(c) + weight_decay * p)
        m = b2 * m + (1 - b2) * g

    The update has the same size in every coordinate, so Lion wants a learning rate
    3-10x smaller than AdamW's (and a larger weight decay).
    """

    state_keys = ("exp_avg",)

    def __init__(self, params: Iterable[Any], lr: float = 1e-4,
                 betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _nonneg(self, group, "weight_decay")
        self._check_betas(group)

    def _hyper(self, group: dict[str, Any]) -> tuple:
        lr, wd = hyper(group, "lr", "weight_decay")
        b1, b2 = map(float, group["betas"])
        return lr, wd, b1, b2

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, wd, b1, b2 = hp
        m = _state_array(state, "exp_avg", p)
        c = m * b1
        c += (1.0 - b1) * g
        if wd:
            _weight_decay(p, g, lr, wd, decoupled=True)
        p.data -= lr * np.sign(c)
        _ema_(m, g, b2)


class AdaBelief(_AdamFamily):
    """AdaBelief (Zhuang et al., 2020, Algorithm 2): Adam whose second moment
    tracks the gradient's deviation from its running mean (the "belief").

    ::

        p = p - lr * weight_decay * p       (or g = g + weight_decay * p if not decoupled)
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * (g - m)**2 + eps
        p = p - lr * (m / (1 - b1**t)) / (sqrt(s / (1 - b2**t)) + eps)
    """

    state_keys = ("step", "exp_avg", "exp_avg_var")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-16,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = True) -> None:
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
        dev = g - m
        dev *= dev
        s = _ema_(_state_array(state, "exp_avg_var", p), dev, b2)
        s += eps
        upd = m / _adam_denom(s, b2, t, eps)
        upd *= lr / (1.0 - b1 ** t)
        p.data -= upd
