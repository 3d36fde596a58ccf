"""The learning curve of an ``autograd-lite mnist`` run, as a PNG."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write

__all__ = ["plot_history"]


def _plain_log_formatter(**kwargs: Any) -> Any:
    """Tick labels for a log axis as plain numbers (0.6, 0.1), where matplotlib writes
    6×10⁻¹ and 10⁻¹; which ticks get a label is still its choice (between powers of
    ten, as many as the axis's range leaves room for)."""
    from matplotlib.ticker import LogFormatter

    class Plain(LogFormatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return f"{x:g}" if super().__call__(x, pos) else ""

    return Plain(**kwargs)


def plot_history(history: dict[str, list[float]], path: str | os.PathLike, *,
                 model: str | None = None, optimizer: str | None = None,
                 lr: float | None = None, schedule: str | None = None) -> Path | None:
    """Write the learning curve (loss, and train/test accuracy, per epoch) as a PNG.

    ``model``, ``optimizer``, ``lr`` and ``schedule`` say what produced the run: the
    figure's title shows those given (``two-layer network 784-128-10`` over
    ``adam, lr 0.001, cosine schedule``), so the picture explains itself when it is
    looked at apart from the run.

    Written to a temporary file and renamed, so a previous curve survives a failure.
    Returns the path, or None when matplotlib is not installed.
    """
    try:
        fig = _figure(history, model=model, optimizer=optimizer, lr=lr, schedule=schedule)
    except ImportError:
        return None
    target = Path(path)
    with atomic_write(target, suffix=".png") as f:
        fig.savefig(f, format="png", dpi=100)
    return target


def _figure(history: dict[str, list[float]], *, model: str | None, optimizer: str | None,
            lr: float | None, schedule: str | None) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global backend, no GUI

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig = Figure(figsize=(10, 4.4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    if history["step_loss"]:
        ax_loss.plot(history["step_epoch"], history["step_loss"], color="0.6", lw=1,
                     label="train (running)")
    # An epoch's mean loss belongs to the middle of the epoch.
    ax_loss.plot(epochs - 0.5, history["train_loss"], "o", label="train (epoch mean)")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="Loss")
    ax_loss.yaxis.set_major_formatter(_plain_log_formatter())
    # Labels between powers of ten while the axis crosses at most two of them
    # (matplotlib's default: one), so a typical run's curve, from 2.3 down to 0.1, has
    # more numbers on its axis than 1 and 0.1.
    ax_loss.yaxis.set_minor_formatter(_plain_log_formatter(labelOnlyBase=False,
                                                         minor_thresholds=(2, 0.5)))
    ax_loss.legend()
    ax_acc.plot(epochs, 100 * np.asarray(history["train_acc"]), "o-", label="train")
    ax_acc.plot(epochs, 100 * np.asarray(history["test_acc"]), "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    ax_acc.legend()
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    schedule = schedule and ("no schedule" if schedule == "none" else f"{schedule} schedule")
    setup = ", ".join(filter(None, [optimizer, None if lr is None else f"lr {lr:g}", schedule]))
    title = "\n".join(filter(None, [model, setup]))
    if title:
        fig.suptitle(title)
    return fig
