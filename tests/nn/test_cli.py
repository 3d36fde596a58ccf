"""The ``autograd-lite`` command: help, tiny training runs on real MNIST (checkpoint,
learning curve, --resume, --seed, Ctrl-C, divergence), data errors, and ``graph``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nn.cli as cli
import nn.cli.train as cli_train
from mnist_data import cached_load as _cached_load
from mnist_data import mnist_root
from nn.serialization import load
from nn.models import TwoLayerNet


@pytest.fixture
def data(monkeypatch) -> Path:
    """The real MNIST root, loaded once per session however many runs use it."""
    root = mnist_root()
    monkeypatch.setattr(cli_train, "load_mnist", _cached_load)
    return root


def _tiny(data: Path, out: Path, *extra: str) -> list[str]:
    return ["mnist", "--data", str(data), "--no-download", "--out", str(out), "--no-progress",
            "--limit", "320", "--batch-size", "64", "--hidden", "16", "--epochs", "1", *extra]


def _assert_same_tree(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _assert_same_tree(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_tree(x, y, f"{path}/{i}")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert a == b, path


# ------------------------------------------------------------------------------ help


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["mnist", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--hidden", "--epochs", "--batch-size", "--optimizer", "--lr", "--schedule",
                   "--weight-decay", "--seed", "--data", "--out", "--resume", "--diagnose",
                   "--limit", "--no-download", "sgd,momentum,nesterov,rmsprop,adam,adamw"):
        assert option in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_top_level_help_and_missing_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert "mnist" in text and "graph" in text
    assert cli.main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["mnist", "--lr", "-1"], "expected a finite number >= 0, got -1"),
    (["mnist", "--hidden", "0"], "expected a positive integer, got 0"),
    (["mnist", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["mnist", "--seed", "x"], "expected an integer seed, got 'x'"),
    (["mnist", "--epochs", "0"], "expected a positive integer, got 0"),
])
def test_bad_options_are_rejected_by_name(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------------------- training


def test_tiny_run_writes_checkpoint_and_curve(data, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out, "--seed", "0")) == 0
    text = capsys.readouterr().out
    assert "seed 0" in text and "epoch 1/1  train loss" in text and "test acc" in text
    state = load(out / cli.CHECKPOINT)
    assert state["epoch"] == 1 and state["config"]["hidden"] == 16
    assert state["model"]["fc1.weight"].shape == (16, 784)
    assert state["model"]["fc1.weight"].dtype == np.float32
    h = state["history"]
    assert len(h["train_loss"]) == len(h["test_acc"]) == 1 and 0 <= h["test_acc"][0] <= 1
    assert (out / cli.CURVE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == [cli.CHECKPOINT, cli.CURVE]  # no temp files
    # Training flushed subnormal floats to zero (where supported), and stopped doing so after.
    assert (np.array([1e-39], np.float32) * np.float32(1)).item() != 0.0


def test_same_seed_same_run_other_seed_other_run(data, tmp_path):
    runs = {}
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        assert cli.main(_tiny(data, tmp_path / name, "--seed", seed)) == 0
        runs[name] = load(tmp_path / name / cli.CHECKPOINT)
    _assert_same_tree(runs["a"]["model"], runs["b"]["model"])
    _assert_same_tree(runs["a"]["optimizer"], runs["b"]["optimizer"])
    assert runs["a"]["history"]["train_loss"] == runs["b"]["history"]["train_loss"]
    assert not np.array_equal(runs["a"]["model"]["fc1.weight"], runs["c"]["model"]["fc1.weight"])


@pytest.mark.parametrize("schedule", ["cosine", "none"])
def test_resume_continues_exactly_where_it_stopped(data, tmp_path, monkeypatch, capsys,
                                                    schedule):
    straight, split = tmp_path / "straight", tmp_path / "split"
    opts = ("--seed", "3", "--optimizer", "momentum", "--schedule", schedule)
    assert cli.main(_tiny(data, straight, *opts, "--epochs", "2")) == 0
    if schedule == "cosine":
        # The schedule spans --epochs: stop a 2-epoch run in its second epoch (Ctrl-C).
        _interrupt_after(monkeypatch, 5 + 2)  # 5 steps per epoch
        assert cli.main(_tiny(data, split, *opts, "--epochs", "2")) == 130
        monkeypatch.undo()
        monkeypatch.setattr(cli_train, "load_mnist", _cached_load)
    else:
        assert cli.main(_tiny(data, split, *opts, "--epochs", "1")) == 0
    first = load(split / cli.CHECKPOINT)
    assert first["epoch"] == 1
    assert cli.main(["mnist", "--data", str(data), "--no-download", "--no-progress",
                     "--out", str(split), "--epochs", "2", "--resume"]) == 0
    assert f"Resuming {split / cli.CHECKPOINT} at epoch 2" in capsys.readouterr().out
    a, b = load(straight / cli.CHECKPOINT), load(split / cli.CHECKPOINT)
    assert b["epoch"] == 2 and not np.array_equal(b["model"]["fc1.weight"],
                                                  first["model"]["fc1.weight"])
    _assert_same_tree(a["model"], b["model"])
    _assert_same_tree(a["optimizer"], b["optimizer"])
    _assert_same_tree(a["scheduler"], b["scheduler"])
    for key in ("train_loss", "train_acc", "test_acc", "lr", "step_loss"):
        assert a["history"][key] == b["history"][key], key


def test_resume_refuses_other_settings_and_finished_runs(data, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out, "--seed", "1")) == 0
    capsys.readouterr()
    assert cli.main(_tiny(data, out, "--resume", "--hidden", "32", "--epochs", "2")) == 2
    err = capsys.readouterr().err
    assert "--hidden 32 (the checkpoint has 16)" in err and "different --out" in err
    assert cli.main(_tiny(data, out, "--resume")) == 0  # --epochs 1: already done
    assert "already trained 1 epoch; pass --epochs N with N > 1" in capsys.readouterr().err


def test_a_new_run_does_not_replace_a_checkpoint_unless_asked(data, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out, "--seed", "1")) == 0
    before = (out / cli.CHECKPOINT).read_bytes()
    capsys.readouterr()
    assert cli.main(_tiny(data, out, "--seed", "2")) == 2
    assert "already exists: pass --resume" in capsys.readouterr().err
    assert (out / cli.CHECKPOINT).read_bytes() == before
    assert cli.main(_tiny(data, out, "--seed", "2", "--overwrite")) == 0
    assert load(out / cli.CHECKPOINT)["config"]["seed"] == 2


def test_resume_without_or_with_a_broken_checkpoint(data, tmp_path, capsys):
    assert cli.main(_tiny(data, tmp_path / "none", "--resume")) == 2
    assert "--resume: no checkpoint at" in capsys.readouterr().err
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    assert cli.main(_tiny(data, tmp_path / "x", "--resume", str(broken))) == 2
    assert "is not a valid nn checkpoint" in capsys.readouterr().err


def _interrupt_after(monkeypatch, calls: int) -> None:
    """Ctrl-C in the forward pass of training step ``calls + 1``."""
    forward = TwoLayerNet.forward
    count = {"n": 0}

    def interrupted(self, x):
        count["n"] += self.training  # training steps only, not evaluation
        if count["n"] > calls:
            raise KeyboardInterrupt
        return forward(self, x)

    monkeypatch.setattr(TwoLayerNet, "forward", interrupted)


def test_ctrl_c_keeps_the_last_checkpoint(data, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out, "--seed", "2")) == 0
    before = (out / cli.CHECKPOINT).read_bytes()
    capsys.readouterr()
    _interrupt_after(monkeypatch, 2)
    assert cli.main(_tiny(data, out, "--resume", "--epochs", "3")) == 130
    err = capsys.readouterr().err
    assert "Interrupted in epoch 2 (step 3/5)" in err
    assert "the checkpoint of epoch 1 is intact" in err and "--resume" in err
    assert (out / cli.CHECKPOINT).read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [cli.CHECKPOINT, cli.CURVE]


def test_ctrl_c_in_the_first_epoch_saves_nothing(data, tmp_path, monkeypatch, capsys):
    _interrupt_after(monkeypatch, 1)
    assert cli.main(_tiny(data, tmp_path / "run", "--seed", "2")) == 130
    assert "nothing was saved" in capsys.readouterr().err
    assert not (tmp_path / "run" / cli.CHECKPOINT).exists()


def test_missing_data_says_where_to_put_the_files(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["mnist", "--data", str(empty), "--no-download", "--out",
                     str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot load MNIST" in err and "Put these four files" in err
    assert "train-images-idx3-ubyte.gz" in err and str(empty) in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_nan_loss_under_diagnose_names_the_cause(data, tmp_path, capsys):
    out = tmp_path / "run"
    rc = cli.main(_tiny(data, out, "--seed", "0", "--optimizer", "sgd", "--lr", "1e30",
                        "--schedule", "none", "--diagnose"))
    assert rc == 1
    err = capsys.readouterr().err
    assert "The loss became nan" in err or "The loss became inf" in err
    assert "Likely cause: the learning rate is too high (lr=1e+30)" in err
    assert "Nothing was saved." in err
    assert not (out / cli.CHECKPOINT).exists()


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_nan_loss_without_diagnose_points_to_it(data, tmp_path, capsys):
    rc = cli.main(_tiny(data, tmp_path / "run", "--seed", "0", "--optimizer", "sgd",
                        "--lr", "1e30", "--schedule", "none"))
    assert rc == 1
    assert "Rerun with --diagnose" in capsys.readouterr().err


def test_exploding_loss_under_diagnose(data, tmp_path, capsys):
    rc = cli.main(_tiny(data, tmp_path / "run", "--seed", "0", "--optimizer", "sgd",
                        "--lr", "50", "--diagnose"))
    assert rc == 1
    err = capsys.readouterr().err
    assert "The loss exploded to" in err and "learning rate is too high (lr=50)" in err
    assert "Try a learning rate 10x smaller (5)." in err


def test_diagnose_reports_layers_and_dead_relus(data, tmp_path, capsys):
    assert cli.main(_tiny(data, tmp_path / "run", "--seed", "0", "--diagnose")) == 0
    text = capsys.readouterr().out
    assert "update/weight" in text and "1 fc1" in text and "2 fc2" in text
    assert "relu(fc1):" in text and "of 16 units never active" in text


def test_one_epoch_on_10k_images_passes_90_percent(data, tmp_path):
    # The one moderately sized run of the suite: the defaults, on a sixth of MNIST.
    out = tmp_path / "run"
    assert cli.main(["mnist", "--data", str(data), "--no-download", "--no-progress", "--out",
                     str(out), "--limit", "10000", "--epochs", "1", "--seed", "0"]) == 0
    acc = load(out / cli.CHECKPOINT)["history"]["test_acc"][0]
    assert acc > 0.90


# ------------------------------------------------------------------------------- graph


def test_graph_of_the_network(tmp_path, capsys):
    svg = tmp_path / "net.svg"
    assert cli.main(["graph", "-o", str(svg), "--hidden", "16"]) == 0
    text = svg.read_text()
    assert "<svg" in text and "fc1.weight" in text and "cross_entropy" in text
    assert f"Wrote {svg}" in capsys.readouterr().out
    assert cli.main(["graph", "-o", str(tmp_path / "sub" / "net"), "--format", "dot"]) == 0
    dot = (tmp_path / "sub" / "net.dot").read_text()
    assert dot.startswith("digraph") and "fc2: Linear" in dot and "grad norm" in dot
    assert cli.main(["graph", "-o", str(tmp_path / "fwd.dot"), "--no-backward"]) == 0
    forward = (tmp_path / "fwd.dot").read_text()
    assert "fc2: Linear" in forward and "grad norm" not in forward


def test_graph_of_a_tensor_in_a_script(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text("import sys\nimport autograd_lite as al\n"
                      "w = al.tensor([1.0, 2.0], requires_grad=True)\n"
                      "scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0\n"
                      "loss = (w * w * scale).sum()\nloss.backward()\n")
    out = tmp_path / "loss.dot"
    assert cli.main(["graph", "--script", str(script), "--tensor", "loss", "-o", str(out),
                     "--", "3"]) == 0
    dot = out.read_text()
    assert '"w\\n(2,) float32' in dot or "w\\n(2,)" in dot
    assert "multiply" in dot
    assert cli.main(["graph", "--script", str(script), "--tensor", "nope", "-o", str(out)]) == 2
    assert "defines no global 'nope'; its global tensors are: loss, w" in capsys.readouterr().err
    assert cli.main(["graph", "--script", str(script), "-o", str(out)]) == 2
    assert "--script needs --tensor NAME" in capsys.readouterr().err


def _explorer_data(path: Path) -> dict:
    import json
    import re

    page = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'id="al-data">(.*?)</script>', page, re.S).group(1))


def test_graph_html_writes_the_explorer(tmp_path, capsys):
    assert cli.main(["graph", "--html", "-o", str(tmp_path / "net.svg"), "--hidden", "8"]) == 0
    assert f"Wrote {tmp_path / 'net.html'}" in capsys.readouterr().out
    (pane,) = _explorer_data(tmp_path / "net.html")["panes"]
    assert [pane["nodes"][s[0]]["op"] for s in pane["steps"]] == [
        "cross_entropy", "linear", "relu", "linear"]  # backward, traced
    assert {"fc1.weight", "images", "labels", "loss"} <= {n.get("name") for n in pane["nodes"]}
    # Forward under anomaly mode: nn's frames (the CLI's among them) below the caller's line.
    assert any("library frames" in w and "graph.py:" in w for w in pane["where"])
    # A FILE ending in .html is enough; --no-backward draws the forward pass only.
    assert cli.main(["graph", "-o", str(tmp_path / "fwd.html"), "--no-backward"]) == 0
    assert _explorer_data(tmp_path / "fwd.html")["panes"][0]["steps"] == []
    assert cli.main(["graph", "--html", "--format", "svg", "-o", str(tmp_path / "x")]) == 2
    assert "--html writes an HTML page; --format is for pictures" in capsys.readouterr().err
    script = tmp_path / "train.py"
    script.write_text("import autograd_lite as al\nw = al.tensor([1.0, 2.0], requires_grad=True)\n"
                      "loss = (w * w).sum()\nloss.backward()\n")
    assert cli.main(["graph", "--script", str(script), "--tensor", "loss", "--html", "-o",
                     str(tmp_path / "script.html")]) == 0
    (pane,) = _explorer_data(tmp_path / "script.html")["panes"]
    assert len(pane["steps"]) == 2 and any("train.py:3" in w for w in pane["where"])
    assert cli.main(["graph", "--script", str(script), "--tensor", "nope", "--html", "-o",
                     str(tmp_path / "script.html")]) == 2
    assert "explore_script: " in capsys.readouterr().err


def test_graph_script_errors_keep_their_traceback(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("raise TypeError('a bug in the user script')\n")
    with pytest.raises(TypeError, match="a bug in the user script"):
        cli.main(["graph", "--script", str(script), "--tensor", "loss", "-o",
                  str(tmp_path / "x.svg")])


def test_graph_without_graphviz_suggests_dot_output(tmp_path, monkeypatch, capsys):
    import autograd_lite.viz as viz
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    assert cli.main(["graph", "-o", str(tmp_path / "net.png"), "--hidden", "4"]) == 2
    err = capsys.readouterr().err
    assert "--format dot" in err
    assert cli.main(["graph", "-o", str(tmp_path / "net.dot"), "--hidden", "4"]) == 0
