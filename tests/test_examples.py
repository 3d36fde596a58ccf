"""The lesson examples in examples/, each run on tiny settings through its main(argv)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mnist_data import mnist_root

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LESSONS = ["backprop_by_hand", "xor", "optimizers", "lr_range_test", "loss_exploded",
           "batchnorm_dropout", "conv_arithmetic"]


def example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", LESSONS)
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        example(name).main(["--help"])
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_backprop_by_hand_agrees_with_the_engine(capsys):
    worst = example("backprop_by_hand").main(["--batch", "16", "--hidden", "8",
                                              "--data", str(mnist_root())])
    assert set(worst) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "loss"}
    assert max(worst.values()) < 1e-4
    out = capsys.readouterr().out
    assert "16 samples of MNIST" in out and "agree to float32 rounding" in out


def test_backprop_by_hand_without_mnist_uses_random_pixels(tmp_path, capsys):
    worst = example("backprop_by_hand").main(["--batch", "4", "--hidden", "3",
                                              "--data", str(tmp_path)])
    assert max(worst.values()) < 1e-4
    assert "random pixels" in capsys.readouterr().out


def test_backprop_formulas_are_really_compared():
    # A wrong formula (forgetting the ReLU mask) must show up as a difference.
    import numpy as np
    ex = example("backprop_by_hand")
    rng = np.random.default_rng(0)
    W1, b1 = rng.standard_normal((5, 784)), rng.standard_normal(5)
    W2, b2 = rng.standard_normal((10, 5)), np.zeros(10)
    X, Y = rng.random((784, 6)), np.eye(10)[:, :6]
    _, grads = ex.backward_by_hand(W1, b1, W2, b2, X, Y)
    Z1 = W1 @ X + b1[:, None]
    A2 = ex.backward_by_hand.__globals__["np"].exp(W2 @ np.maximum(Z1, 0) + b2[:, None])
    dZ2 = A2 / A2.sum(0) - Y
    no_mask = (W2.T @ dZ2) @ X.T / 6
    masked = ((W2.T @ dZ2) * (Z1 > 0)) @ X.T / 6
    np.testing.assert_allclose(grads["fc1.weight"], masked, rtol=1e-10)
    assert (Z1 <= 0).any() and not np.allclose(grads["fc1.weight"], no_mask)


def test_xor_perceptron_and_mlp(capsys):
    r = example("xor").main(["--epochs", "30", "--steps", "300"])
    for gate in ("AND", "OR"):
        assert r[gate]["converged"] and r[gate]["accuracy"] == 1.0
    assert not r["XOR"]["converged"] and r["XOR"]["epochs"] == 30
    assert r["XOR"]["accuracy"] < 1.0
    assert r["MLP XOR"]["accuracy"] == 1.0
    assert "did NOT converge" in capsys.readouterr().out


def test_optimizer_comparison(tmp_path, capsys):
    r = example("optimizers").main(["--quick", "--data", str(mnist_root()),
                                    "--out", str(tmp_path)])
    out = capsys.readouterr().out  # not a terminal: one line per epoch, no bar
    assert "  Adam (lr 1e-3): epoch 1/1, loss " in out and "\r" not in out
    assert len(r) == 4
    for name, result in r.items():
        losses = result["losses"]
        assert len(losses) == 6
        assert sum(losses[-2:]) / 2 < losses[0], name  # every optimiser made progress
        assert 0.0 <= result["test_acc"] <= 1.0
    assert (tmp_path / "optimizers.png").read_bytes()[:4] == b"\x89PNG"


def test_lr_range_test_stops_when_the_loss_blows_up(tmp_path, capsys):
    r = example("lr_range_test").main(["--quick",
                                       "--optimizer", "sgd", "--start", "1e-3", "--end",
                                       "1e3", "--data", str(mnist_root()),
                                       "--out", str(tmp_path)])
    assert len(r.lrs) < 80 and r.stopped_early  # lr 1e3 is far past the blow-up
    assert 1e-3 <= r.suggestion <= r.lrs[-1]
    assert len(r.losses) == len(r.smoothed) == len(r.lrs)
    out = capsys.readouterr().out
    assert f"suggested lr (steepest descent): {r.suggestion:.3g}" in out
    assert (tmp_path / "lr_range_test.png").read_bytes()[:4] == b"\x89PNG"


def test_loss_exploded_is_diagnosed_and_fixed(capsys):
    r = example("loss_exploded").main(["--quick", "--lr", "4",
                                       "--data", str(mnist_root())])
    assert r["exploded"] and r["cause"] == "lr_too_high"
    assert not r["smaller_lr"]["exploded"] and r["smaller_lr"]["test_acc"] > 0.3
    out = capsys.readouterr().out
    assert "Likely cause: the learning rate is too high (lr=4)" in out
    assert "|grad fc2|" in out


def test_batchnorm_and_dropout(tmp_path, capsys):
    r = example("batchnorm_dropout").main(["--quick", "--data", str(mnist_root()),
                                           "--out", str(tmp_path)])
    assert sorted(r) == ["batchnorm lr 0.05", "batchnorm lr 0.5", "both lr 0.05",
                         "dropout lr 0.05", "plain lr 0.05", "plain lr 0.5"]
    for result in r.values():
        assert len(result["test_acc"]) == 2 and 0 <= result["train_acc"] <= 1
    assert (tmp_path / "batchnorm_dropout.png").read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr()
    assert "gap" in out.out and "  both lr 0.05: epoch 2/2, test acc " in out.out
    assert out.err == ""  # no progress bars where the output is not a terminal


def test_progress_draws_a_bar_only_on_a_terminal(monkeypatch, capsys):
    import _progress
    pytest.importorskip("tqdm")
    for terminal in (True, False):
        monkeypatch.setattr(_progress.sys.stderr, "isatty", lambda: terminal, raising=False)
        with _progress.Progress("run", total=4) as p:
            for _ in range(4):
                p.step()
            p.epoch("epoch 1/1, loss 0.5")
        out = capsys.readouterr()
        if terminal:
            assert "run: 100%" in out.err and "4/4" in out.err and out.out == ""
        else:
            assert out.err == "" and out.out.startswith("  run: epoch 1/1, loss 0.5  ")


def test_explain_mnist_draws_its_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    ex = example("explain_mnist")
    written = ex.main([str(tmp_path), "--steps", "3", "--data", str(mnist_root()),
                       "--no-download"])
    assert [p.name for p in written] == ex.pictures("mnist")
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written)
    assert "mnist: 3 steps, test accuracy" in capsys.readouterr().out


def test_conv_arithmetic_prints_the_lessons_numbers_from_the_layers(capsys):
    result = example("conv_arithmetic").main([])
    sizes = {(r["W"], r["F"], r["P"], r["S"]): r["layer"] for r in result["sizes"]}
    assert sizes[(7, 3, 0, 1)] == 5 and sizes[(7, 3, 0, 2)] == 3 and sizes[(32, 5, 0, 1)] == 28
    assert sizes[(32, 5, 2, 1)] == 32 and sizes[(227, 11, 0, 4)] == 55
    assert sizes[(5, 7, 0, 1)] is None  # the kernel does not fit: the layer raises
    assert all(r["layer"] == r["formula"] for r in result["sizes"] if r["layer"] is not None)
    assert result["params"]["counted"] == 73_856
    out = capsys.readouterr().out
    assert "= 73,856 (3 * 3 * 64 * 128 + 128 = 73,856)" in out
    assert "the output would be empty: input size (5, 5), kernel (7, 7)" in out
