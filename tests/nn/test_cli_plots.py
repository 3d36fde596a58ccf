"""The CLI's learning curve says what produced it, and labels its log axis with plain
numbers."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import nn.cli as cli
import nn.cli.train as cli_train
from mnist_data import mnist_root
from nn.cli import plots


def _history(lo: float, hi: float, epochs: int = 4) -> dict[str, list[float]]:
    steps = np.linspace(0, epochs, 20 * epochs)
    step_loss = hi * (lo / hi) ** (steps / epochs)
    return {"train_loss": [float(step_loss[20 * e:20 * e + 20].mean()) for e in range(epochs)],
            "train_acc": [0.8, 0.85, 0.9, 0.92][:epochs], "test_acc": [0.8, 0.84, 0.88, 0.9][:epochs],
            "step_epoch": list(steps), "step_loss": list(step_loss)}


def _drawn(fig):
    fig.savefig(io.BytesIO(), format="png")  # tick labels are decided when drawn
    return fig


@pytest.mark.parametrize("lo, hi, shown", [
    (0.3, 0.7, {"0.3", "0.4", "0.5", "0.6", "0.7"}),   # matplotlib wrote 3×10⁻¹, 4×10⁻¹, 6×10⁻¹
    (0.02, 2.3, {"0.02", "0.03", "0.04", "0.06", "0.1", "0.2", "0.3", "0.4", "0.6", "1",
                 "2"}),                  # two decades: matplotlib labelled only 0.1 and 1
])
def test_the_loss_axis_is_labelled_with_plain_numbers(lo, hi, shown):
    fig = _drawn(plots._figure(_history(lo, hi), model=None, optimizer=None, lr=None, schedule=None))
    ax_loss = fig.axes[0]
    bottom, top = ax_loss.get_ylim()
    labels = {t.get_text() for minor in (False, True) for t in ax_loss.get_yticklabels(minor=minor)
              if t.get_text() and bottom <= t.get_position()[1] <= top}
    assert labels == shown
    for text in labels:
        float(text)  # a plain number, no mathtext (×, ^, $)


def test_the_title_names_the_model_optimiser_and_learning_rate(tmp_path):
    fig = plots._figure(_history(0.3, 0.7), model="two-layer network 784-16-10",
                        optimizer="adam", lr=0.001, schedule="cosine")
    assert fig.get_suptitle() == "two-layer network 784-16-10\nadam, lr 0.001, cosine schedule"
    fig = plots._figure(_history(0.3, 0.7), model=None, optimizer="sgd", lr=0.1, schedule="none")
    assert fig.get_suptitle() == "sgd, lr 0.1, no schedule"
    # Called as before (no run details): no title, and still a PNG.
    assert plots._figure(_history(0.3, 0.7), model=None, optimizer=None, lr=None,
                         schedule=None).get_suptitle() == ""
    out = plots.plot_history(_history(0.3, 0.7), tmp_path / "curve.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_mnist_command_passes_its_run_to_the_curve(tmp_path, monkeypatch):
    root = mnist_root()
    calls = []
    monkeypatch.setattr(cli_train, "plot_history", lambda history, path, **run: calls.append(run))
    assert cli.main(["mnist", "--data", str(root), "--no-download", "--out", str(tmp_path / "run"),
                     "--no-progress", "--limit", "320", "--batch-size", "64", "--hidden", "16",
                     "--epochs", "1", "--optimizer", "momentum", "--lr", "0.05",
                     "--schedule", "none"]) == 0
    assert calls == [{"model": "two-layer network 784-16-10, MNIST", "optimizer": "momentum",
                      "lr": 0.05, "schedule": "none"}]
