"""What the CLI says beyond the figures (issue 19, item 5): a resumed schedule's plan, a
--diagnose hint near chance, data errors in the CLI's flags, no bars in logs; and ``graph
--checkpoint`` (a trained or diverged network on MNIST test images) and NumPy globals named
in ``graph --script``."""

from __future__ import annotations


import numpy as np
import pytest

import nn
import nn.cli as cli
import nn.cli.graph as cli_graph
import nn.cli.train as cli_train
from mnist_data import cached_load as _cached_load
from mnist_data import mnist_root
from nn.cli.notes import in_cli_terms, schedule_note


@pytest.fixture
def data(monkeypatch):
    root = mnist_root()
    monkeypatch.setattr(cli_train, "load_mnist", _cached_load)
    monkeypatch.setattr(cli_graph, "load_mnist", _cached_load)
    return root


def _tiny(data, out, *extra: str) -> list[str]:
    return ["mnist", "--data", str(data), "--no-download", "--out", str(out), "--no-progress",
            "--limit", "320", "--hidden", "16", "--seed", "0", *extra]


# ------------------------------------------------------------------- mnist: what it says


def test_resume_after_a_finished_cosine_run_says_the_lr_rises_again(data, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out, "--epochs", "1")) == 0
    assert load_lr(out) == [0.0]  # the cosine schedule ended at 0
    capsys.readouterr()
    assert cli.main(_tiny(data, out, "--epochs", "2", "--resume")) == 0
    text = capsys.readouterr().out
    # Over 2 epochs, the cosine factor halfway is 0.5: adam's 0.002 becomes 0.001.
    assert ("Note: the cosine schedule now spans 2 epochs, longer than the checkpoint's run "
            "planned, so the learning rate rises from 0 (where epoch 1 ended) to 0.001, then "
            "decays to 0 by the end of epoch 2.") in text
    assert "start a new run with --epochs 2 instead" in text
    assert load_lr(out) == [0.0, pytest.approx(0.0, abs=1e-12)]


def load_lr(out):
    return nn.load(out / cli.CHECKPOINT)["history"]["lr"]


def test_schedule_notes_for_a_continuing_or_step_schedule():
    assert schedule_note("none", 2, 4, 0.1, 0.1, 10) is None
    cont = schedule_note("cosine", 2, 4, 0.5, 0.5, 10)
    assert cont == ("The cosine schedule continues over 4 epochs: the learning rate resumes at "
                    "0.5 (epoch 2 ended at 0.5), then decays to 0 by the end of epoch 4.")
    # step over 4 epochs of 10 steps: x0.1 at step 20 (epoch 3) and step 30 (epoch 4).
    assert "then is multiplied by 0.1 during epochs 3 and 4." in schedule_note(
        "step", 2, 4, 0.1, 0.1, 10)
    rise = schedule_note("step", 4, 7, 0.001, 0.01, 10)  # 5 epochs' drops both passed
    assert "rises from 0.001 (where epoch 4 ended) to 0.01, then is multiplied by 0.1 during " \
           "epoch 6." in rise


def test_a_run_near_chance_suggests_diagnose(data, tmp_path, capsys):
    assert cli.main(_tiny(data, tmp_path / "a", "--epochs", "1", "--optimizer", "sgd",
                          "--lr", "1e-9")) == 0
    text = capsys.readouterr().out
    assert "is near chance (10% for ten classes)" in text and "Rerun with --diagnose" in text
    assert cli.main(_tiny(data, tmp_path / "b", "--epochs", "1", "--optimizer", "sgd",
                          "--lr", "1e-9", "--diagnose")) == 0
    assert "near chance" not in capsys.readouterr().out  # it is already diagnosing
    assert cli.main(_tiny(data, tmp_path / "c", "--epochs", "1", "--limit", "2000")) == 0
    assert "near chance" not in capsys.readouterr().out  # a run that learned


@pytest.mark.parametrize("explicit", [True, False])
def test_data_errors_name_the_cli_flags(explicit, tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(empty))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    argv = ["mnist", "--no-download", "--out", str(tmp_path / "out")]
    assert cli.main(argv + (["--data", str(empty)] if explicit else [])) == 2
    err = capsys.readouterr().err
    assert "Downloading was disabled (--no-download)." in err
    assert ("pass --data DIR" in err) != explicit
    for keyword in ("download=", "path=", "load_mnist"):
        assert keyword not in err


def test_dataset_keywords_become_flags():
    text = in_cli_terms("x.gz: checksum mismatch (...: pass checksums=None to check only the "
                        "format)\nDownloading was disabled (download=False).")
    assert "checksums=None" not in text and "download=False" not in text
    assert "rerun without --no-download" in text and "(--no-download)" in text


def test_no_progress_bar_when_stderr_is_not_a_terminal(data, tmp_path, capsys):
    argv = [a for a in _tiny(data, tmp_path / "run", "--epochs", "1") if a != "--no-progress"]
    assert cli.main(argv) == 0
    out = capsys.readouterr()
    assert "epoch 1/1  train loss" in out.out
    assert "batch" not in out.err and "\r" not in out.err


# ------------------------------------------------------------------ graph --checkpoint


def test_graph_of_a_trained_checkpoint_on_test_images(data, tmp_path, capsys):
    run = tmp_path / "run"
    assert cli.main(_tiny(data, run, "--epochs", "1")) == 0
    capsys.readouterr()
    dot = tmp_path / "trained.dot"
    assert cli.main(["graph", "--checkpoint", str(run / cli.CHECKPOINT), "--data", str(data),
                     "--no-download", "--batch-size", "4", "-o", str(dot)]) == 0
    said = capsys.readouterr().out
    assert "(epoch 1, test accuracy " in said and "on MNIST test images 0-3, loss " in said
    text = dot.read_text()
    assert "(16, 784) float32" in text and "(4, 784) float32" in text  # its size, 4 images
    # The loss printed is the trained network's on the first four test images.
    state = nn.load(run / cli.CHECKPOINT)["model"]
    test = _cached_load(data, download=False, normalize=True, flatten=True, progress=False).test
    model = nn.models.TwoLayerNet(16)
    model.load_state_dict(state)
    loss = nn.functional.cross_entropy(model(test.images[:4]), test.labels[:4]).item()
    assert f"loss {loss:.4g}" in said


def test_graph_of_a_diverged_network_shows_its_nans(data, tmp_path, capsys):
    weights = nn.models.TwoLayerNet(8).state_dict()
    weights["fc2.weight"][0, 0] = np.nan
    path = tmp_path / "diverged.safetensors"
    nn.save(weights, path)
    assert cli.main(["graph", "--checkpoint", str(path), "--data", str(data), "-o",
                     str(tmp_path / "d.dot")]) == 0
    assert "loss nan" in capsys.readouterr().out
    assert "NaN×" in (tmp_path / "d.dot").read_text()


def test_graph_checkpoint_errors(data, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    path = tmp_path / "w.safetensors"
    nn.save(nn.models.TwoLayerNet(8).state_dict(), path)
    assert cli.main(["graph", "--checkpoint", str(tmp_path / "none"), "-o",
                     str(tmp_path / "g.svg")]) == 2
    assert "graph: no checkpoint at" in capsys.readouterr().err
    assert cli.main(["graph", "--checkpoint", str(path), "--hidden", "3"]) == 2
    assert "a --checkpoint has its own" in capsys.readouterr().err
    assert cli.main(["graph", "--checkpoint", str(path), "--script", "x.py", "--tensor",
                     "loss"]) == 2
    assert "pass one or the other" in capsys.readouterr().err
    assert cli.main(["graph", "--checkpoint", str(path), "--data", str(empty), "--no-download",
                     "-o", str(tmp_path / "g.dot")]) == 2
    err = capsys.readouterr().err
    assert "cannot be loaded" in err and "(--no-download)" in err and "download=" not in err
    assert not (tmp_path / "g.dot").exists()
    assert cli.main(["graph", "--data", str(data), "-o", str(tmp_path / "g.dot")]) == 2
    assert "without --checkpoint a random batch is drawn" in capsys.readouterr().err


# ------------------------------------------------------------- graph --script: NumPy names


def test_script_graph_names_numpy_globals(tmp_path, capsys):
    script = tmp_path / "fit.py"
    script.write_text(
        "import numpy as np\nimport autograd_lite as al\n"
        "X = np.random.default_rng(0).random((4, 3)).astype(np.float32)\n"
        "Y = np.random.default_rng(1).random((4, 2))\n"
        "unused = np.zeros(3)\n"
        "w = al.tensor(np.ones((3, 2), np.float32), requires_grad=True)\n"
        "loss = ((X @ w - Y) ** 2).sum() + (w.T @ X.T).sum()\nloss.backward()\n")
    out = tmp_path / "fit.dot"
    assert cli.main(["graph", "--script", str(script), "--tensor", "loss", "-o", str(out)]) == 0
    text = out.read_text()
    for label in ('"X\\n(4, 3) float32', '"Y\\n(4, 2) float64', '"view of X\\n(3, 4) float32',
                  '"w\\n(3, 2) float32'):
        assert label in text
    assert '"input\\n' not in text and "unused" not in text
