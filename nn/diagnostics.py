"""Training diagnostics the lessons care about: per-layer gradient norms, the size of
each update relative to the weights, dead ReLUs, and why a loss turned NaN or inf.

A :class:`Monitor` watches one model. Call :meth:`Monitor.before_step` after
``loss.backward()`` and :meth:`Monitor.after_step` after ``optimizer.step()``::

    with Monitor(model) as mon:            # the context counts ReLU activity
        for x, y in loader:
            loss = model.loss(model(x), y)
            loss.backward()
            mon.before_step(loss)           # loss, gradient norms, a copy of the weights
            if mon.diverged():              # NaN/inf, or 10x the first loss
                print(mon.explain_divergence(lr=0.1).message)
                break
            opt.step(); opt.zero_grad()
            mon.after_step()                # update/weight ratios
    print(mon.report())

Rules of thumb behind the flags (Karpathy, "A Recipe for Training Neural Networks",
and CS231n): an update should change a weight matrix by about 1e-3 of its norm; far
more means the learning rate is too high, far less that it is too low. A ReLU unit
that is never positive on any sample passes no gradient and has stopped learning.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

import autograd_lite as al

from .module import Module
from .utils import grad_array

__all__ = ["Monitor", "LayerStats", "ReluStats", "Divergence", "HEALTHY_UPDATE_RATIO"]

#: The update/weight ratio a well-tuned learning rate gives (order of magnitude).
HEALTHY_UPDATE_RATIO = 1e-3
_RATIO_HIGH = 1e-1   # an update this large relative to the weights is a sign of divergence
_RATIO_WARN = 1e-2   # large: flagged in the report
_RATIO_LOW = 1e-5    # small: learning barely moves the weights
_GROWTH = 10.0       # gradient norm growth over the history that counts as exploding
_BLOWUP = 10.0       # a loss this many times its first value has diverged
_INPUT_PEAK = 100.0  # inputs beyond this are probably unscaled (e.g. raw pixel values)


@dataclass(frozen=True)
class LayerStats:
    """One layer's averages over the steps since the last :meth:`Monitor.reset`.

    ``update_ratio`` is ``||W_after - W_before|| / ||W_before||`` over the layer's
    parameters; None when no update was recorded.
    """

    index: int
    name: str
    grad_norm: float
    weight_norm: float
    update_ratio: float | None

    @property
    def flag(self) -> str:
        """A short verdict on the update/weight ratio ('' when healthy)."""
        r = self.update_ratio
        if r is None:
            return ""
        if not math.isfinite(r) or r > _RATIO_WARN:
            return "high: lr too large?"
        if r < _RATIO_LOW:
            return "low: lr too small?"
        return ""


@dataclass(frozen=True)
class ReluStats:
    """Units of one ReLU that were never positive on any sample since the last reset."""

    name: str
    dead: int
    units: int

    @property
    def fraction(self) -> float:
        return self.dead / self.units if self.units else 0.0


@dataclass(frozen=True)
class Divergence:
    """Why the loss stopped being finite, as far as the recent history tells.

    ``cause`` is ``'bad_input'``, ``'lr_too_high'``, ``'exploding_gradients'`` or
    ``'unknown'``; ``layer`` names the layer whose gradients exploded, if any;
    ``message`` is the explanation for people.
    """

    cause: Literal["bad_input", "lr_too_high", "exploding_gradients", "unknown"]
    layer: str | None
    message: str


@dataclass
class _Record:
    loss: float
    grad_norms: list[float]
    update_ratios: list[float] | None = None


def _norm(a: np.ndarray) -> float:
    # float64 accumulation: a float32 sum of squares overflows long before the weights do.
    flat = a.reshape(-1).astype(np.float64, copy=False)
    return math.sqrt(float(np.dot(flat, flat)))


def _round(x: float) -> str:
    # Three significant digits without needless exponents: 4.99999 -> 5, 1000 -> 1000.
    return f"{float(f'{x:.3g}'):g}"


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2e}"


class Monitor:
    """Per-layer gradient norms, update/weight ratios and dead ReLUs of one model.

    Parameters
    ----------
    model : Module
        The model to watch. A *layer* is a module that owns parameters directly
        (``fc1`` owns ``fc1.weight`` and ``fc1.bias``); layers are numbered from 1
        in the order of ``model.named_parameters()``.
    history : int, default 20
        Steps kept for :meth:`explain_divergence`.

    Notes
    -----
    Dead ReLUs are counted from the ReLU ops run in training forward passes (those
    that record a graph) while the monitor is open (``with Monitor(model) as mon``
    or :meth:`open`/:meth:`close`). A ReLU is named after the module that produced
    its input: ``relu(fc1)``.
    """

    def __init__(self, model: Module, history: int = 20) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"Monitor: expected an nn.Module, got {type(model).__name__}")
        if isinstance(history, bool) or not isinstance(history, int) or history < 2:
            raise ValueError(f"Monitor: history must be an int >= 2, got {history!r}")
        self.model = model
        groups: dict[str, list[al.Tensor]] = {}
        for name, p in model.named_parameters():
            if p.requires_grad:
                groups.setdefault(name.rpartition(".")[0] or "model", []).append(p)
        if not groups:
            raise ValueError("Monitor: the model has no trainable parameters")
        self.layers: list[tuple[str, list[al.Tensor]]] = list(groups.items())
        self._module_names = {id(m): name for name, m in model.named_modules() if name}
        self._history: deque[_Record] = deque(maxlen=history)
        self._window: list[_Record] = []
        self._before: list[list[np.ndarray]] | None = None
        self._relu_active: dict[str, np.ndarray] = {}
        self._relu_calls: dict[str, int] = {}
        self.steps = 0
        self.first_loss: float | None = None
        self._open = False

    # ---- lifetime -----------------------------------------------------------
    def open(self) -> Monitor:
        """Start counting ReLU activity (registers an ``al.hooks`` forward hook)."""
        if not self._open:
            self._handle = al.hooks.register_forward_hook(self._on_forward)
            self._open = True
        return self

    def close(self) -> None:
        """Stop counting ReLU activity."""
        if self._open:
            self._handle.remove()
            self._open = False

    def __enter__(self) -> Monitor:
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def reset(self) -> None:
        """Start a new reporting window (e.g. an epoch); the divergence history stays."""
        self._window = []
        self._relu_active = {}

    # ---- recording ----------------------------------------------------------
    def _relu_name(self, inputs: tuple) -> str:
        node = inputs[0].node if inputs else None
        owners = node.scope if node is not None else al.current_scope()
        for owner in reversed(owners):
            name = self._module_names.get(id(owner))
            if name:
                return f"relu({name})"
        return "relu"

    def _on_forward(self, op: Any, inputs: tuple, out: np.ndarray, node: Any) -> None:
        if node is None or op.name != "relu" or out.ndim < 1:
            return  # evaluation passes (no graph) do not count
        base = self._relu_name(inputs)
        k = self._relu_calls.get(base, 0)
        self._relu_calls[base] = k + 1
        name = base if k == 0 else f"{base}#{k + 1}"
        active = (out > 0).reshape(out.shape[0], -1).any(axis=0) if out.ndim > 1 else out > 0
        seen = self._relu_active.get(name)
        if seen is None or seen.shape != active.shape:
            self._relu_active[name] = active
        else:
            seen |= active

    def before_step(self, loss: al.Tensor | float) -> None:
        """Record the loss and each layer's gradient norm; keep a copy of the weights so
        that :meth:`after_step` can measure the update. Call after ``backward()``."""
        value = float(loss.item() if isinstance(loss, al.Tensor) else loss)
        norms = []
        for _, params in self.layers:
            sq = sum(_norm(grad_array(p)) ** 2 for p in params if p.grad is not None)
            norms.append(math.sqrt(sq))
        if self.first_loss is None:
            self.first_loss = value
        rec = _Record(value, norms)
        self._history.append(rec)
        self._window.append(rec)
        self._before = [[p.data.copy() for p in params] for _, params in self.layers]
        self._relu_calls = {}
        self.steps += 1

    def after_step(self) -> None:
        """Record each layer's update/weight ratio. Call after ``optimizer.step()``."""
        if self._before is None:
            raise RuntimeError("Monitor.after_step: call before_step() first (after backward, "
                               "before optimizer.step())")
        ratios = []
        for (_, params), before in zip(self.layers, self._before):
            delta = math.sqrt(sum(_norm(p.data - b) ** 2 for p, b in zip(params, before)))
            weight = math.sqrt(sum(_norm(b) ** 2 for b in before))
            ratios.append(delta / weight if weight > 0 else math.inf if delta > 0 else 0.0)
        self._history[-1].update_ratios = ratios
        self._before = None

    # ---- reading ------------------------------------------------------------
    def layer_stats(self) -> list[LayerStats]:
        """Per-layer means over the steps since the last :meth:`reset`."""
        out = []
        for i, (name, params) in enumerate(self.layers):
            grads = [r.grad_norms[i] for r in self._window]
            ratios = [r.update_ratios[i] for r in self._window if r.update_ratios is not None]
            weight = math.sqrt(sum(_norm(p.data) ** 2 for p in params))
            out.append(LayerStats(i + 1, name, float(np.mean(grads)) if grads else 0.0, weight,
                                  float(np.mean(ratios)) if ratios else None))
        return out

    def relu_stats(self) -> list[ReluStats]:
        """Dead units of every ReLU seen since the last :meth:`reset`."""
        return [ReluStats(name, int(a.size - np.count_nonzero(a)), int(a.size))
                for name, a in self._relu_active.items()]

    def report(self) -> str:
        """A table of :meth:`layer_stats` and :meth:`relu_stats`."""
        lines = [f"  {'layer':<14}{'grad norm':>11}{'weight norm':>13}{'update/weight':>15}"]
        for s in self.layer_stats():
            flag = f"  <- {s.flag}" if s.flag else ""
            lines.append(f"  {f'{s.index} {s.name}':<14}{_fmt(s.grad_norm):>11}"
                         f"{_fmt(s.weight_norm):>13}{_fmt(s.update_ratio):>15}{flag}")
        lines.append(f"  (healthy update/weight is around {HEALTHY_UPDATE_RATIO:.0e})")
        for r in self.relu_stats():
            lines.append(f"  {r.name}: {100 * r.fraction:.1f}% dead ({r.dead} of {r.units} "
                         f"units never active)")
        return "\n".join(lines)

    # ---- divergence ---------------------------------------------------------
    def diverged(self, factor: float = _BLOWUP) -> bool:
        """Whether the last loss recorded is NaN or inf, or more than ``factor`` times the
        first loss this monitor saw (ReLU networks often blow up to huge finite losses and
        dead units rather than to NaN)."""
        if not self._history:
            return False
        loss = self._history[-1].loss
        if not math.isfinite(loss):
            return True
        first = self.first_loss
        return first is not None and first > 0 and loss > factor * first

    def explain_divergence(self, lr: float | None = None, inputs: Any = None,
                           where: str = "") -> Divergence:
        """Name the likely cause of a NaN, inf or exploded loss from the recent history.

        Call after :meth:`before_step` recorded the bad loss (see :meth:`diverged`).

        Parameters
        ----------
        lr : float, optional
            The learning rate in use, quoted in the advice.
        inputs : array-like, optional
            The batch that gave the bad loss; NaN or inf in it is reported first.
        where : str, optional
            Where it happened (e.g. ``"epoch 2, step 37"``), for the message.
        """
        hist = list(self._history)
        bad = hist[-1].loss if hist else math.nan
        at = f" at {where}" if where else ""
        if math.isfinite(bad) and self.first_loss:
            head = (f"The loss exploded to {bad:.4g}{at}, {bad / self.first_loss:.3g}x its "
                    f"first value {self.first_loss:.4g}.")
        else:
            head = f"The loss became {bad}{at}."
        scale_hint = None
        if inputs is not None:
            x = np.asarray(getattr(inputs, "data", inputs))
            if x.dtype.kind in "fc" and not np.isfinite(x).all():
                n = int(x.size - np.count_nonzero(np.isfinite(x)))
                return Divergence("bad_input", None, f"{head}\nLikely cause: the input batch "
                                  f"contains {n} NaN/inf values; clean the data before training.")
            peak = float(np.abs(x).max()) if x.size else 0.0
            if peak > _INPUT_PEAK:
                # Gradients of the first layer scale with the inputs (dW1 = dZ1^T X).
                scale_hint = (f"The inputs reach |x| = {peak:.3g}; if that is not intended "
                              f"(pixels in 0..255 instead of 0..1?), scale them: the first "
                              f"layer's gradients grow with the inputs.")
        prior = [r for r in hist[:-1] if math.isfinite(r.loss)]
        nonfinite_w = [name for name, params in self.layers
                       if not all(np.isfinite(p.data).all() for p in params)]
        lr_text = f" (lr={_round(lr)})" if lr is not None else ""
        smaller = f"a learning rate 10x smaller{f' ({_round(lr / 10)})' if lr else ''}"
        if not prior:
            what = (f"the weights of {', '.join(nonfinite_w)} are not finite" if nonfinite_w
                    else "the weights are finite, so the inputs or labels overflow the forward "
                    "pass")
            return Divergence("unknown", None, f"{head}\nIt happened on the first step watched: "
                              f"{what}. Check the data scale and the initialisation.")

        # Exploding gradients: the layer whose gradient norm grew most over the history,
        # up to the bad step itself when its gradients are still finite.
        series = prior + [hist[-1]] if all(map(math.isfinite, hist[-1].grad_norms)) else prior
        first, last = series[0], series[-1]
        growth = [(b / a if a > 0 else math.inf if b > 0 else 1.0)
                  for a, b in zip(first.grad_norms, last.grad_norms)]
        worst = int(np.argmax(growth))
        name = self.layers[worst][0]
        exploding = growth[worst] >= _GROWTH
        ratios = [max(r.update_ratios) for r in prior if r.update_ratios]
        max_ratio = max(ratios, default=0.0)
        latest = bad if math.isfinite(bad) else prior[-1].loss
        lowest = min(r.loss for r in prior)
        loss_rose = latest > 1.5 * lowest
        lr_high = max_ratio > _RATIO_HIGH or (loss_rose and exploding)

        lines = [head]
        n = len(series) - 1 if len(series) > 1 else 1
        span = "step" if n == 1 else f"{n} steps"
        if lr_high:
            why = []
            if loss_rose:
                why.append(f"over the last {span} the loss rose from {lowest:.3g} to "
                           f"{latest:.3g}")
            if max_ratio > _RATIO_HIGH:
                why.append(f"updates changed the weights by up to {max_ratio:.2g}x their size "
                           f"(healthy: about {HEALTHY_UPDATE_RATIO:.0e})")
            lines.append(f"Likely cause: the learning rate is too high{lr_text}: "
                         + "; ".join(why) + ".")
        if exploding:
            lines.append(f"{'This shows as e' if lr_high else 'Likely cause: e'}xploding "
                         f"gradients in layer {worst + 1} ({name}): its gradient norm grew from "
                         f"{first.grad_norms[worst]:.3g} to {last.grad_norms[worst]:.3g} "
                         f"(x{growth[worst]:.3g}) over the last {span}.")
        if scale_hint:
            lines.append(scale_hint)
        if nonfinite_w:
            lines.append(f"The weights of {', '.join(nonfinite_w)} are no longer finite; the "
                         f"last good checkpoint is the one to restart from.")
        if lr_high:
            lines.append(f"Try {smaller}. Clipping the gradient norm (nn.clip_grad_norm_) "
                         f"guards against rare spikes but does not make a too-high rate work.")
        elif exploding:
            lines.append(f"Clip the gradient norm (nn.clip_grad_norm_), or try {smaller}.")
        if lr_high or exploding:
            cause = "lr_too_high" if lr_high else "exploding_gradients"
            return Divergence(cause, name if exploding else None, "\n".join(lines))
        lines.append(f"No sign of a too-high learning rate or exploding gradients in the last "
                     f"{span} (largest update/weight {max_ratio:.2g}); check the inputs and "
                     f"labels of this batch for extreme values.")
        return Divergence("unknown", None, "\n".join(lines))
