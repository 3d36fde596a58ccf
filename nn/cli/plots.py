"""The learning curve of an ``autograd-lite mnist`` run, as a PNG."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._atomic import atomic_write

__all__ = ["plot_history"]


def plot_history(history: dict[str, list[float]], path: str | os.PathLike) -> Path | None:
    """Write the learning curve (loss, and train/test accuracy, per epoch) as a PNG.

    Written to a temporary file and renamed, so a previous curve survives a failure.
    Returns the path, or None when matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure  # no pyplot: no global backend, no GUI
    except ImportError:
        return None
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    if history["step_loss"]:
        ax_loss.plot(history["step_epoch"], history["step_loss"], color="0.6", lw=1,
                     label="train (running)")
    # An epoch's mean loss belongs to the middle of the epoch.
    ax_loss.plot(epochs - 0.5, history["train_loss"], "o", label="train (epoch mean)")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="Loss")
    ax_loss.legend()
    ax_acc.plot(epochs, 100 * np.asarray(history["train_acc"]), "o-", label="train")
    ax_acc.plot(epochs, 100 * np.asarray(history["test_acc"]), "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    ax_acc.legend()
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    target = Path(path)
    with atomic_write(target, suffix=".png") as f:
        fig.savefig(f, format="png", dpi=100)
    return target


