"""``autograd-lite mnist --model cnn`` and ``--dataset fashion-mnist``: tiny runs of LeNet
on real MNIST (checkpoint, curve, resume, --diagnose), the dataset chosen and checked,
and ``autograd-lite graph --model cnn`` with one cluster per conv block."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import nn.cli as cli
import nn.cli.train as cli_train
from mnist_data import mnist_root
from nn.datasets import mnist as mnist_mod
from nn.serialization import load, save

from test_cli import _assert_same_tree, _cached_load, _tiny


def _tiny_cnn(data: Path, out: Path, *extra: str) -> list[str]:
    """test_cli's tiny run of the cnn: without its --hidden, which the cnn refuses."""
    args = _tiny(data, out, "--model", "cnn", *extra)
    i = args.index("--hidden")
    return args[:i] + args[i + 2:]


@pytest.fixture
def data(monkeypatch) -> Path:
    root = mnist_root()
    monkeypatch.setattr(cli_train, "load_mnist", _cached_load)
    return root


def test_a_tiny_cnn_run_writes_a_lenet_checkpoint_and_curve(data, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(_tiny_cnn(data, out, "--seed", "0")) == 0
    text = capsys.readouterr().out
    assert "LeNet-5 CNN on 320 MNIST images" in text and "epoch 1/1  train loss" in text
    state = load(out / cli.CHECKPOINT)
    assert state["config"]["model"] == "cnn" and state["config"]["dataset"] == "mnist"
    assert state["model"]["conv1.0.weight"].shape == (6, 1, 5, 5)
    assert state["model"]["fc3.weight"].shape == (10, 84)
    assert (out / cli.CURVE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_cnn_run_resumes_exactly(data, tmp_path, capsys):
    straight, split = tmp_path / "straight", tmp_path / "split"
    opts = ("--seed", "3", "--schedule", "none", "--limit", "128")
    assert cli.main(_tiny_cnn(data, straight, *opts, "--epochs", "2")) == 0
    assert cli.main(_tiny_cnn(data, split, *opts, "--epochs", "1")) == 0
    assert cli.main(["mnist", "--data", str(data), "--no-download", "--no-progress",
                     "--out", str(split), "--epochs", "2", "--resume"]) == 0
    assert "Resuming" in capsys.readouterr().out
    a, b = load(straight / cli.CHECKPOINT), load(split / cli.CHECKPOINT)
    _assert_same_tree(a["model"], b["model"])
    _assert_same_tree(a["optimizer"], b["optimizer"])
    assert a["history"]["train_loss"] == b["history"]["train_loss"]
    # The run's model is part of its settings.
    assert cli.main(_tiny(data, split, "--resume", "--model", "mlp", "--epochs", "3")) == 2
    assert "--model mlp (the checkpoint has cnn)" in capsys.readouterr().err


def test_a_checkpoint_from_before_model_and_dataset_resumes_as_the_mlp_on_mnist(data, tmp_path,
                                                                                 capsys):
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out, "--seed", "0")) == 0
    state = load(out / cli.CHECKPOINT)
    del state["config"]["model"], state["config"]["dataset"]
    save(state, out / cli.CHECKPOINT)
    assert cli.main(["mnist", "--data", str(data), "--no-download", "--no-progress",
                     "--out", str(out), "--epochs", "2", "--resume"]) == 0
    assert "two-layer network 784-16-10" in capsys.readouterr().out
    assert load(out / cli.CHECKPOINT)["config"]["model"] == "mlp"


def test_diagnose_reports_the_conv_layers(data, tmp_path, capsys):
    assert cli.main(_tiny_cnn(data, tmp_path / "run", "--seed", "0",
                          "--diagnose")) == 0
    text = capsys.readouterr().out
    for layer in ("conv1.0", "conv2.0", "fc3"):  # the convolutions' weights, and the last layer
        assert re.search(rf"\d {re.escape(layer)} +\d\.\d\de[-+]\d\d", text), layer
    # A ReLU is named after the module whose output it takes (the conv, or its BatchNorm2d).
    assert re.search(r"relu\(conv1\.\d\): .*of 4704 units never active", text)  # 6 x 28 x 28


def test_pointing_data_at_mnist_for_fashion_mnist_says_so(tmp_path, capsys):
    root = mnist_root()
    assert cli.main(["mnist", "--data", str(root / "mnist"), "--dataset", "fashion-mnist",
                     "--no-download", "--no-progress", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "cannot load Fashion-MNIST (--dataset fashion-mnist)" in err
    assert "is MNIST's train-images-idx3-ubyte, not Fashion-MNIST's" in err
    assert "--data DIR names the directory of the files, --dataset which dataset" in err


def test_a_tiny_fashion_mnist_run(tmp_path, capsys, monkeypatch):
    dirs = mnist_mod._DATASETS["fashion_mnist"].system_dirs
    if not any((Path(d) / "train-images-idx3-ubyte.gz").is_file() for d in dirs):
        pytest.skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    monkeypatch.delenv("AUTOGRAD_LITE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "run"
    assert cli.main(["mnist", "--dataset", "fashion-mnist", "--model", "cnn", "--no-download",
                     "--no-progress", "--out", str(out), "--limit", "640", "--epochs", "1",
                     "--seed", "0"]) == 0
    assert "LeNet-5 CNN on 640 Fashion-MNIST images" in capsys.readouterr().out
    state = load(out / cli.CHECKPOINT)
    assert state["config"]["dataset"] == "fashion-mnist"
    # Chance is 0.1; after 20 steps (BatchNorm's running statistics barely started) 0.3.
    assert state["history"]["test_acc"][0] > 0.2


def test_graph_of_the_cnn_has_one_cluster_per_conv_block(tmp_path, capsys):
    dot = tmp_path / "cnn.dot"
    assert cli.main(["graph", "--model", "cnn", "-o", str(dot)]) == 0
    text = dot.read_text()
    # The network `mnist --model cnn` trains: LeNet-5 with batch norm in each conv block.
    for block in ("conv1: Sequential", "conv2: Sequential", "conv1.0: Conv2d",
                  "conv1.1: BatchNorm2d", "conv2.3: MaxPool2d", "fc3: Linear"):
        assert f'label="{block}"' in text, block
    assert "conv1.0.weight\\n(6, 1, 5, 5)" in text and "max_pool2d" in text
    assert "grad norm" in text


def test_hidden_with_the_cnn_is_an_error_naming_both_flags(data, tmp_path, capsys):
    # LeNet's sizes are fixed: --hidden used to be silently ignored.
    want = "--hidden sets the hidden units of --model mlp; --model cnn (LeNet-5) has fixed sizes"
    assert cli.main(_tiny(data, tmp_path / "new", "--model", "cnn", "--hidden", "32")) == 2
    err = capsys.readouterr().err
    assert err.startswith("autograd-lite mnist: " + want) and err.count("\n") == 1
    assert not (tmp_path / "new").exists()
    run = tmp_path / "run"
    assert cli.main(_tiny_cnn(data, run, "--seed", "0", "--limit", "64")) == 0
    capsys.readouterr()
    assert cli.main(_tiny(data, run, "--resume", "--epochs", "2")) == 2
    err = capsys.readouterr().err
    assert "is a --model cnn run; " + want in err and err.count("\n") == 1
    assert cli.main(["graph", "--model", "cnn", "--hidden", "16", "-o", str(tmp_path / "g.svg")]) == 2
    assert capsys.readouterr().err == f"graph: {want}: drop --hidden\n"
    assert not (tmp_path / "g.svg").exists()
    # The MLP still takes it, in both commands.
    assert cli.main(["graph", "--hidden", "16", "--format", "dot", "-o", str(tmp_path / "g.dot")]) == 0


def test_the_cnn_has_its_own_batch_size_and_adam_lr(data, tmp_path, capsys):
    def run(out, *extra):
        args = _tiny_cnn(data, tmp_path / out, "--seed", "0", "--limit", "64", *extra)
        i = args.index("--batch-size")
        assert cli.main(args[:i] + args[i + 2:]) == 0
        return load(tmp_path / out / cli.CHECKPOINT)["config"]

    config = run("defaults")
    assert (config["batch_size"], config["optimizer"], config["lr"]) == (32, "adam", 0.003)
    assert "adam lr 0.003, cosine schedule, batch 32" in capsys.readouterr().out
    config = run("given", "--batch-size", "16", "--lr", "0.001")  # what the user says wins
    assert (config["batch_size"], config["lr"]) == (16, 0.001)
    assert run("sgd", "--optimizer", "sgd")["lr"] == 0.1  # other optimisers: their own default
