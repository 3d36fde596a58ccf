"""The restructuring into packages (nn.datasets, nn.models, nn.cli, nn.optim.registry)
kept every public name where users found it, and the one-way imports: nothing in the
library imports the CLI."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import nn

ROOT = Path(__file__).resolve().parents[2]

# Every public name each module had before it became a package (or moved), and the
# module that defines it now.
MOVED = {
    "nn.datasets": {
        "nn.datasets.idx": ["DatasetError", "read_idx"],
        "nn.datasets.download": ["Checksum"],
        "nn.datasets.mnist": ["MNISTData", "Split", "load_mnist", "to_float", "ENV_VAR",
                              "FILES", "NUM_CLASSES", "TRAIN_IMAGES", "TRAIN_LABELS",
                              "TEST_IMAGES", "TEST_LABELS"],
    },
    "nn.models": {
        "nn.models.perceptron": ["Perceptron"],
        "nn.models.mlp": ["MLP"],
        "nn.models.twolayer": ["TwoLayerNet", "two_layer_net", "predict", "evaluate"],
    },
    "nn.twolayer": {
        "nn.models.twolayer": ["TwoLayerNet", "two_layer_net", "predict", "evaluate", "Init"],
    },
    "nn.cli": {
        "nn.cli.main": ["main", "build_parser"],
        "nn.cli.train": ["run_mnist", "CHECKPOINT", "CURVE", "FORMAT", "VERSION"],
        "nn.cli.plots": ["plot_history"],
        "nn.cli.graph": ["run_graph"],
        "nn.optim.registry": ["make_optimizer", "make_scheduler", "DEFAULT_LR", "OPTIMIZERS",
                              "SCHEDULES"],
    },
    "nn.optim": {
        "nn.optim.registry": ["make_optimizer", "make_scheduler"],
    },
    # nn.functional, nn.layers, nn.activation and nn.module before the split of #17
    # (listed from the old modules' namespaces, less what they only imported).
    "nn.functional": {
        "nn.functional.layers": ["linear", "dropout", "batch_norm", "layer_norm"],
        "nn.functional.activations": ["relu", "leaky_relu", "elu", "prelu", "sigmoid", "tanh",
                                      "softplus", "silu", "swish", "gelu", "mish", "softmax",
                                      "log_softmax"],
        "nn.functional.losses": ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
                                 "log_cosh_loss", "quantile_loss", "binary_cross_entropy",
                                 "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
                                 "hinge_loss", "squared_hinge_loss", "kl_div", "focal_loss",
                                 "dice_loss"],
        "nn.functional.metric_losses": ["contrastive_loss", "triplet_margin_loss",
                                        "pairwise_distance"],
        "autograd_lite": ["Tensor"],
    },
    "nn.layers": {
        "nn.layers.linear": ["Identity", "Linear", "Flatten"],
        "nn.layers.dropout": ["Dropout"],
        "nn.layers.norm": ["BatchNorm1d", "LayerNorm"],
    },
    "nn.activation": {
        "nn.layers.activation": ["ReLU", "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh",
                                 "Softplus", "SiLU", "Swish", "GELU", "Mish", "Softmax",
                                 "LogSoftmax", "ACTIVATIONS"],
    },
    "nn.module": {
        # The containers moved to nn.containers (nn.Sequential is unchanged): nn.module
        # importing them back would be an import cycle, which the contracts forbid.
        "nn.module": ["Module", "Parameter", "IncompatibleKeys", "aligned_array", "memory_order"],
    },
}


# ``__all__`` of the modules that had one before #17 split nn: none of it may go.
OLD_ALL = {
    "nn": [
        "functional", "init", "optim", "utils", "manual_seed", "save", "load", "CheckpointError",
        "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "IncompatibleKeys",
        "Linear", "Dropout", "BatchNorm1d", "LayerNorm", "Flatten", "Identity", "ReLU",
        "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Swish", "GELU",
        "Mish", "Softmax", "LogSoftmax", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss",
        "LogCoshLoss", "QuantileLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
        "NLLLoss", "HingeLoss", "SquaredHingeLoss", "KLDivLoss", "FocalLoss", "ContrastiveLoss",
        "TripletMarginLoss", "DiceLoss", "models", "Perceptron", "MLP", "clip_grad_norm_",
        "clip_grad_value_", "data", "datasets", "DataLoader", "one_hot", "load_mnist",
        "read_idx", "to_float", "DatasetError", "Checksum", "MNISTData", "Split", "diagnostics",
        "twolayer", "TwoLayerNet", "two_layer_net", "predict", "evaluate", "Monitor",
    ],
    "nn.functional": [
        "linear", "dropout", "batch_norm", "layer_norm", "relu", "leaky_relu", "elu", "prelu",
        "sigmoid", "tanh", "softplus", "silu", "swish", "gelu", "mish", "softmax", "log_softmax",
        "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "log_cosh_loss", "quantile_loss",
        "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
        "hinge_loss", "squared_hinge_loss", "kl_div", "focal_loss", "contrastive_loss",
        "triplet_margin_loss", "pairwise_distance", "dice_loss",
    ],
}


@pytest.mark.parametrize("name", nn.__all__)
def test_every_name_in_nn_all_exists(name):
    assert getattr(nn, name) is not None


@pytest.mark.parametrize("public", sorted(MOVED))
def test_old_names_are_the_new_objects(public):
    module = importlib.import_module(public)
    for home, names in MOVED[public].items():
        defining = importlib.import_module(home)
        for name in names:
            assert getattr(module, name) is getattr(defining, name), f"{public}.{name}"
    for name in getattr(module, "__all__", []):
        assert hasattr(module, name), f"{public}.__all__ names {name!r}, which is missing"


@pytest.mark.parametrize("public", sorted(OLD_ALL))
def test_no_name_left_all(public):
    module = importlib.import_module(public)
    gone = [name for name in OLD_ALL[public] if name not in module.__all__]
    assert not gone, f"{public}.__all__ lost {gone}"


def test_nn_level_names_are_the_package_objects():
    assert nn.TwoLayerNet is nn.models.TwoLayerNet is nn.twolayer.TwoLayerNet
    assert nn.load_mnist is nn.datasets.load_mnist
    assert nn.MLP is nn.models.MLP and nn.Perceptron is nn.models.Perceptron
    assert nn.Linear is nn.layers.Linear and nn.ReLU is nn.layers.ReLU is nn.activation.ReLU
    assert nn.Sequential is nn.containers.Sequential
    assert set(nn.layers.__all__) >= {"Linear", "ReLU", "LogSoftmax", "ACTIVATIONS"}


def test_the_library_never_imports_the_cli():
    """Importing every module of nn and autograd_lite except nn.cli leaves nn.cli unloaded."""
    code = """
import importlib, pkgutil, sys
def walk(name):
    if name == "nn.cli":  # (pkgutil.walk_packages would import it to list its modules)
        return
    mod = importlib.import_module(name)
    for info in pkgutil.iter_modules(getattr(mod, "__path__", [])):
        walk(f"{name}.{info.name}")
walk("autograd_lite"); walk("nn")
print(sorted(m for m in sys.modules if m == "nn.cli" or m.startswith("nn.cli.")))
print(len([m for m in sys.modules if m.startswith(("nn.", "autograd_lite."))]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded_cli, count = out.stdout.split("\n")[:2]
    assert loaded_cli == "[]"
    assert int(count) > 30  # the walk really imported the library


def test_console_script_and_python_m_run_the_same_main(capsys):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, attr = scripts["autograd-lite"].split(":")
    entry = getattr(importlib.import_module(module), attr)
    # (nn.cli.main is the function: the package re-exports it over its submodule's name.)
    assert entry is importlib.import_module("nn.cli.main").main
    assert entry([]) == 2 and "COMMAND" in capsys.readouterr().out
    out = subprocess.run([sys.executable, "-m", "nn.cli", "mnist", "--help"], capture_output=True,
                         text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "--resume" in out.stdout and out.stdout.startswith("usage: autograd-lite mnist")


def test_every_package_module_is_reachable():
    """No leftover module of the old layout shadows a package (nn/cli.py beside nn/cli/)."""
    names = {info.name for info in pkgutil.iter_modules(nn.__path__)}
    for pkg in ("cli", "datasets", "models", "functional", "layers"):
        assert pkg in names and importlib.import_module(f"nn.{pkg}").__path__
        assert not (ROOT / "nn" / f"{pkg}.py").exists()
