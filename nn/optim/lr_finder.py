"""The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural
Networks", 2017): train while the lr grows geometrically, one batch per lr, from far
too small to far too large, and read a good lr off the loss curve.

The loss first stays flat (the lr is too small to matter), then falls, then blows
up. :func:`lr_finder` suggests the lr where the smoothed loss falls fastest against
log(lr); a tenth of the lr at the lowest loss is another rule of thumb.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any, Callable

import numpy as np

import autograd_lite as al

from .optimizer import Optimizer
from .optimizers import SGD

__all__ = ["lr_finder", "LRFinderResult"]

# Weight of the newest loss in the running average that detects the blow-up.
_EMA = 0.1


@dataclass
class LRFinderResult:
    """What :func:`lr_finder` measured.

    Attributes
    ----------
    lrs, losses : numpy.ndarray
        The lrs tried, one per step, and the training loss of the batch at each.
    smoothed : numpy.ndarray
        ``losses`` averaged over a window centred on each step (no lag, which would
        shift the curve towards larger lrs).
    suggestion : float
        The lr of steepest descent of ``smoothed`` against ``log(lr)``, before the
        lowest loss (and, if the loss blew up, before the last tenth of the curve).
    min_loss_lr : float
        The lr of the lowest smoothed loss; ``min_loss_lr / 10`` is another common
        choice.
    stopped_early : bool
        Whether the sweep stopped before ``end_lr`` because the loss blew up.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    min_loss_lr: float
    stopped_early: bool

    def plot(self, ax: Any = None, title: str = "Learning-rate range test") -> Any:
        """Draw the raw and smoothed losses against the lr (log scale) with the
        suggestion marked, on ``ax`` (a Matplotlib Axes) or on a new figure's;
        returns the Axes (``ax.figure.savefig(path)`` saves it). Needs matplotlib."""
        if ax is None:
            from matplotlib.figure import Figure  # not pyplot: no global figure state
            ax = Figure(figsize=(8, 5), layout="constrained").subplots()
        ax.plot(self.lrs, self.losses, color="0.75", lw=1, label="loss per step")
        ax.plot(self.lrs, self.smoothed, label="smoothed")
        ax.axvline(self.suggestion, color="C3", ls="--", label=f"suggested lr {self.suggestion:.2g}")
        finite = self.losses[np.isfinite(self.losses)]
        top = min(3 * self.smoothed[0], finite.max() * 1.05) if finite.size else None
        ax.set(xscale="log", xlabel="learning rate", ylabel="training loss", title=title)
        if top is not None and math.isfinite(top) and top > 0:
            ax.set_ylim(0, top)
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        return ax


def _centered_mean(x: np.ndarray, half: int) -> np.ndarray:
    """Mean over a window of ``2 half + 1`` points centred on each point (shorter at the ends)."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(len(x))
    lo, hi = np.maximum(i - half, 0), np.minimum(i + half + 1, len(x))
    return (c[hi] - c[lo]) / (hi - lo)


def _real(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(f"lr_finder: {message}")


def lr_finder(model: Any, loss_fn: Callable[[Any, Any], al.Tensor], loader: Iterable[Any],
              optimizer: Optimizer | None = None, *, start_lr: float = 1e-7,
              end_lr: float = 10.0, num_iter: int = 100, diverge_th: float = 4.0,
              restore: bool = True) -> LRFinderResult:
    """Run the learning-rate range test and return the curve and a suggested lr.

    Step ``k`` of ``num_iter`` sets every parameter group's lr to
    ``start_lr * (end_lr / start_lr) ** (k / (num_iter - 1))``, takes one batch,
    records its loss and takes an optimiser step. The sweep stops early once the
    loss is not finite or its running average exceeds ``diverge_th`` times the
    lowest so far.

    Parameters
    ----------
    model
        An ``nn.Module`` (called as ``model(input)``), in the mode to train in.
    loss_fn
        ``loss_fn(output, target)``, a scalar Tensor.
    loader
        An iterable of ``(input, target)`` batches, e.g. an ``nn.data.DataLoader``;
        iterated again when exhausted.
    optimizer
        The optimiser to find an lr for (its lr is overwritten at every step);
        default ``SGD(model.parameters())``. The best lr depends on it.
    start_lr, end_lr, num_iter
        The sweep: ``num_iter`` (>= 3) lrs, geometrically spaced.
    diverge_th
        Stop when the averaged loss exceeds this multiple of its minimum.
    restore
        Put the model's parameters and buffers and the optimiser's state and
        hyper-parameters back as they were (and clear the gradients) afterwards, so
        training can start from the same weights with the lr found.

    Examples
    --------
    >>> import numpy as np, nn
    >>> _ = nn.manual_seed(0)
    >>> X = np.random.default_rng(0).standard_normal((256, 4)).astype(np.float32)
    >>> y = (X.sum(axis=1) > 0).astype(np.int64)
    >>> model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    >>> loader = nn.data.DataLoader((X, y), batch_size=32, shuffle=True, seed=0)
    >>> result = nn.optim.lr_finder(model, nn.CrossEntropyLoss(), loader,
    ...                             start_lr=1e-4, end_lr=100.0, num_iter=60)
    >>> bool(1e-4 < result.suggestion < 100.0), len(result.lrs) == len(result.losses)
    (True, True)
    """
    for ok, what, got in ((callable(model) and hasattr(model, "state_dict"), "model must be an nn.Module", model),
                          (callable(loss_fn), "loss_fn must be callable", loss_fn),
                          (isinstance(loader, Iterable), "loader must be an iterable of (input, target) "
                                                         "batches", loader)):
        if not ok:
            raise TypeError(f"lr_finder: {what}, got {type(got).__name__}")
    _check(isinstance(num_iter, int) and not isinstance(num_iter, bool) and num_iter >= 3,
           f"num_iter must be an int >= 3, got {num_iter!r}")
    _check(_real(start_lr) and start_lr > 0, f"start_lr must be a number > 0, got {start_lr!r}")
    _check(_real(end_lr) and end_lr > start_lr,
           f"end_lr must be a number > start_lr ({start_lr!r}), got {end_lr!r}")
    _check(_real(diverge_th) and diverge_th > 1, f"diverge_th must be a number > 1, got {diverge_th!r}")
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=start_lr)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"lr_finder: optimizer must be an nn.optim Optimizer, got "
                        f"{type(optimizer).__name__}")
    saved = (model.state_dict(), optimizer.state_dict()) if restore else None
    lrs = start_lr * (end_lr / start_lr) ** (np.arange(num_iter) / (num_iter - 1))
    losses: list[float] = []
    try:
        _sweep(model, loss_fn, loader, optimizer, lrs, diverge_th, losses)
    finally:
        if saved is not None:
            model.load_state_dict(saved[0])
            optimizer.load_state_dict(saved[1])
            optimizer.zero_grad()
    n = len(losses)
    _check(n >= 3, f"the loss blew up after {n} step(s) (at lr {lrs[n - 1]:.3g}); "
                   f"start from a smaller start_lr")
    lrs, raw = lrs[:n], np.array(losses)
    # Smooth over ~1/15 of the sweep; the final (non-finite) loss is left out of the curve.
    finite = raw if math.isfinite(losses[-1]) else raw[:-1]
    sm = _centered_mean(finite, max(1, num_iter // 30))
    if len(finite) < n:
        sm = np.append(sm, np.nan)
    m, stopped = len(finite), n < num_iter
    slope = np.gradient(sm[:m], np.log(lrs[:m]))
    lowest = int(np.argmin(sm[:m]))
    # The descent that matters comes before the lowest loss (a noisy dip after it
    # can be steeper); after a blow-up, the last tenth is too close to it to trust.
    end = min(lowest + 1, max(1, m - m // 10)) if stopped else lowest + 1
    steepest = int(np.argmin(slope[:end]))
    return LRFinderResult(lrs=lrs, losses=raw, smoothed=sm, suggestion=float(lrs[steepest]),
                          min_loss_lr=float(lrs[lowest]), stopped_early=stopped)


def _sweep(model: Any, loss_fn: Callable[[Any, Any], al.Tensor], loader: Iterable[Any],
           optimizer: Optimizer, lrs: np.ndarray, diverge_th: float, losses: list[float]) -> None:
    """Train one batch per lr, appending each batch's loss, until the loss blows up."""
    batches = iter(loader)
    avg, best = 0.0, math.inf
    for k, lr in enumerate(lrs):
        try:
            batch = next(batches)
        except StopIteration:  # another pass over the data
            batches = iter(loader)
            batch = next(batches, None)
            _check(batch is not None, "the loader yielded no batches")
        _check(isinstance(batch, (tuple, list)) and len(batch) == 2,
               f"the loader must yield (input, target) pairs, got {type(batch).__name__}"
               + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
        for group in optimizer.param_groups:
            group["lr"] = float(lr)
        loss = loss_fn(model(batch[0]), batch[1])
        _check(isinstance(loss, al.Tensor) and loss.size == 1,
               f"loss_fn must return a scalar Tensor, got "
               f"{'a Tensor of shape ' + str(loss.shape) if isinstance(loss, al.Tensor) else type(loss).__name__}")
        value = loss.item()
        losses.append(value)
        if not math.isfinite(value):
            return  # before the step: its gradient would make the weights NaN too
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        avg = (1 - _EMA) * avg + _EMA * value
        debiased = avg / (1 - (1 - _EMA) ** (k + 1))  # the average starts at 0
        best = min(best, debiased)
        if debiased > diverge_th * best:
            return  # larger lrs only get worse
