"""LAMB and LARS: layer-wise adaptive step sizes for large-batch training.

Both scale each parameter tensor's step (a "layer" in the papers) by a trust
ratio ``||p|| / ||update||``, so that every layer changes by about the same
*fraction* of its size per step, whatever the scale of its gradient. PyTorch has
neither; each follows its paper's pseudo-code. Where the paper's ratio is
undefined or 0 because a norm is 0 (a zero-initialised bias, a zero gradient)
the ratio is 1, as in the common implementations (NVIDIA's, timm's): otherwise
a tensor that starts at zero could never move.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer, adam_hyper, hyper
from .optimizers import _adam_denom, _ema_, _nonneg, _state_array, _step

__all__ = ["LAMB", "LARS"]


def _norm(x: np.ndarray) -> float:
    """``||x||_2`` as a Python float."""
    flat = x.ravel(order="K")  # a view in the array's own memory order
    return math.sqrt(float(np.dot(flat, flat)))


class LAMB(Optimizer):
    """LAMB (You et al., 2020, "Large Batch Optimization for Deep Learning: Training
    BERT in 76 minutes", Algorithm 2, with phi the identity): Adam's direction, plus
    decoupled weight decay, scaled per tensor by a trust ratio.

    ::

        m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g**2
        r = (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps) + weight_decay * p
        p = p - lr * (||p|| / ||r||) * r        (ratio 1 if ||p|| or ||r|| is 0)

    Each tensor moves by ``lr * ||p||`` per step: ``lr`` is a *relative* step size.
    The paper scales every tensor; some implementations exempt biases and norm
    weights, which here means giving those to a second optimiser (e.g. AdamW).
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _nonneg(self, group, "eps", "weight_decay")
        self._check_betas(group)

    def _hyper(self, group: dict[str, Any]) -> tuple:
        return adam_hyper(group)

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: tuple) -> None:
        lr, eps, wd, b1, b2 = hp
        t = _step(state)
        m = _ema_(_state_array(state, "exp_avg", p), g, b1)
        v = _ema_(_state_array(state, "exp_avg_sq", p), g * g, b2)
        r = m / _adam_denom(v, b2, t, eps)
        r *= 1.0 / (1.0 - b1 ** t)
        if wd:
            r += wd * p.data
        p_norm, r_norm = _norm(p.data), _norm(r)
        trust = p_norm / r_norm if p_norm > 0 and r_norm > 0 else 1.0
        r *= lr * trust
        p.data -= r


class LARS(Optimizer):
    """LARS (You, Gitman & Ginsburg, 2017, "Large Batch Training of Convolutional
    Networks", Algorithm 1 with the trust coefficient of its equation 6): SGD with
    momentum whose learning rate is scaled per tensor by a local rate.

    ::

        local_lr = trust_coefficient * ||p|| / (||g|| + weight_decay * ||p||)
                                                (1 if ||p|| or the denominator is 0)
        v = momentum * v + lr * local_lr * (g + weight_decay * p)      (v starts at 0)
        p = p - v

    Unlike ``SGD``, the buffer holds steps, not gradients (``lr`` is inside it), as
    in the paper. The paper's polynomial decay of ``lr`` is a schedule: use one of
    ``nn.optim.lr_scheduler``.
    """

    state_keys = ("momentum_buffer",)

    def __init__(self, params: Iterable[Any], lr: float = 1.0, momentum: float = 0.9,
                 weight_decay: float = 0.0, trust_coefficient: float = 1e-3) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      trust_coefficient=trust_coefficient))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        _nonneg(self, group, "weight_decay")
        self._check(group, "momentum", lambda v: 0 <= v < 1, "a number in [0, 1)")
        self._check(group, "trust_coefficient", lambda v: v > 0, "> 0")

    def _hyper(self, group: dict[str, Any]) -> list[float]:
        return hyper(group, "lr", "momentum", "weight_decay", "trust_coefficient")

    def _update(self, p: al.Tensor, g: np.ndarray, state: dict[str, Any], hp: list[float]) -> None:
        lr, mu, wd, eta = hp
        p_norm, g_norm = _norm(p.data), _norm(g)
        denom = g_norm + wd * p_norm
        local = eta * p_norm / denom if p_norm > 0 and denom > 0 else 1.0
        step = g + wd * p.data if wd else g.copy(order="K")
        step *= lr * local
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = np.zeros_like(p.data)
        buf *= mu
        buf += step
        p.data -= buf
