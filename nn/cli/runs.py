"""What an ``autograd-lite mnist`` run is: its options, its network, and its files."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from ..models import LeNet, two_layer_net
from ..module import Module
from ..rng import manual_seed

__all__ = ["checkpoint_path", "make_model", "describe_model", "CHECKPOINT", "NPZ_CHECKPOINT",
           "CURVE", "FORMAT", "VERSION", "RUN_DEFAULTS", "MODELS", "DATASETS", "HIDDEN_FOR_MLP",
           "CNN_DEFAULTS"]

# safetensors, which PyTorch reads; .npz without the safetensors package, and for runs
# started before (a run keeps the file it has: see checkpoint_path).
CHECKPOINT = "checkpoint.safetensors"
NPZ_CHECKPOINT = "checkpoint.npz"
CURVE = "learning_curve.png"
FORMAT = "autograd-lite-mnist"
VERSION = 1
# Options that define a run: a --resume must not silently change them.
RUN_DEFAULTS: dict[str, Any] = {"hidden": 128, "batch_size": 64, "optimizer": "adam",
                                "lr": None, "schedule": "cosine", "weight_decay": None,
                                "seed": None, "limit": None, "model": "mlp", "dataset": "mnist"}
#: --model: the two-layer network, or LeNet-5 (``nn.models.LeNet``).
MODELS = ("mlp", "cnn")
#: The cnn's own defaults where they differ (the lr with Adam): with batch 64 and lr 0.002
#: LeNet-5 reached 89.8-90.1% on Fashion-MNIST in 3 epochs, with these 90.6% (docs/cnn.md).
CNN_DEFAULTS: dict[str, Any] = {"batch_size": 32, "adam_lr": 3e-3}
#: Why --hidden is refused with --model cnn, rather than silently ignored.
HIDDEN_FOR_MLP = ("--hidden sets the hidden units of --model mlp; --model cnn (LeNet-5) has "
                  "fixed sizes: drop --hidden")
#: --dataset, and the titles the messages use.
DATASETS = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


def checkpoint_path(out: Path) -> Path:
    """The checkpoint of the run in ``out``: the one there (``CHECKPOINT``, else an older
    run's ``NPZ_CHECKPOINT``), else where a new run writes it: ``CHECKPOINT``, or
    ``NPZ_CHECKPOINT`` when the safetensors package is not installed."""
    for name in (CHECKPOINT, NPZ_CHECKPOINT):
        if (out / name).exists():
            return out / name
    return out / (CHECKPOINT if importlib.util.find_spec("safetensors") else NPZ_CHECKPOINT)


def make_model(model: str, hidden: int, seed: int) -> Module:
    """The network of ``--model``: the two-layer 784-hidden-10 network, or LeNet-5 (whose
    sizes are fixed; ``hidden`` is for the MLP), initialised from ``seed``."""
    if model == "cnn":
        manual_seed(seed)  # the layers draw from nn's generator
        return LeNet(batch_norm=True)
    return two_layer_net(hidden, seed=seed)


def describe_model(model: str, hidden: int) -> str:
    return "LeNet-5 CNN" if model == "cnn" else f"two-layer network 784-{hidden}-10"
