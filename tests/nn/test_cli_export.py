"""``autograd-lite export``, and the CLI's checkpoints as .safetensors (an old run's
checkpoint.npz still resumes and exports)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.cli as cli
import nn.cli.train as cli_train
from mnist_data import cached_load as _cached_load
from mnist_data import mnist_root


@pytest.fixture
def data(monkeypatch) -> Path:
    root = mnist_root()
    monkeypatch.setattr(cli_train, "load_mnist", _cached_load)
    return root


def _tiny(data: Path, out: Path, *extra: str) -> list[str]:
    return ["mnist", "--data", str(data), "--no-download", "--out", str(out), "--no-progress",
            "--limit", "320", "--batch-size", "64", "--hidden", "16", "--epochs", "1",
            "--seed", "0", *extra]


def test_export_writes_a_model_giving_the_checkpoints_logits(data, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out)) == 0
    ckpt = out / cli.CHECKPOINT
    assert ckpt.name == "checkpoint.safetensors"
    capsys.readouterr()
    onnx_path = tmp_path / "models" / "mnist.onnx"  # a directory that does not exist yet
    assert cli.main(["export", "--checkpoint", str(ckpt), "-o", str(onnx_path)]) == 0
    text = capsys.readouterr().out
    assert f"Wrote {onnx_path}: TwoLayerNet 784-16-10 from {ckpt} (epoch 1, test accuracy" in text
    assert "onnxruntime" in text and "the same class for 64 of them" in text

    state = nn.load(ckpt)
    net = nn.TwoLayerNet(16)
    net.load_state_dict(state["model"])
    net.eval()
    images = _cached_load(data, download=False, normalize=True, flatten=True,
                          progress=False).test.images[:2000]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    with al.no_grad():
        np.testing.assert_allclose(session.run(None, {"input": images})[0], net(images).data,
                                   rtol=1e-5, atol=1e-5)


def test_export_finds_the_default_run_and_takes_a_state_dict(tmp_path, monkeypatch, capsys):
    pytest.importorskip("onnx")
    monkeypatch.chdir(tmp_path)
    nn.manual_seed(0)
    run = tmp_path / "runs" / "mnist"
    run.mkdir(parents=True)
    # An older run's checkpoint.npz, holding a bare state_dict.
    nn.save(nn.TwoLayerNet(8, batch_norm=True).state_dict(), run / "checkpoint.npz")
    assert cli.main(["export"]) == 0
    text = capsys.readouterr().out
    assert "Wrote mnist.onnx: TwoLayerNet 784-8-10 from runs/mnist/checkpoint.npz (a " \
           "state_dict)" in text
    assert (tmp_path / "mnist.onnx").stat().st_size > 784 * 8 * 4


def test_export_errors_name_the_problem(tmp_path, capsys):
    assert cli.main(["export", "--checkpoint", str(tmp_path / "nope.safetensors")]) == 2
    assert "export: no checkpoint at" in capsys.readouterr().err
    nn.save({"w": np.ones(3)}, tmp_path / "other.npz")
    assert cli.main(["export", "--checkpoint", str(tmp_path / "other.npz")]) == 2
    assert "neither an 'autograd-lite mnist' checkpoint nor a TwoLayerNet state_dict" in \
        capsys.readouterr().err
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 20)
    assert cli.main(["export", "--checkpoint", str(tmp_path / "broken.safetensors")]) == 2
    assert "is not a valid nn checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["export", "--opset", "13"])
    assert "expected an ONNX opset >= 17, got 13" in capsys.readouterr().err


def test_an_old_npz_run_resumes_into_its_own_file(data, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out)) == 0
    new = out / cli.CHECKPOINT
    state = nn.load(new)
    assert state["rng"]["bit_generator"] == "PCG64"  # nn's generator, restored on resume
    # What an earlier version wrote: the same checkpoint, as .npz, without the RNG state.
    del state["rng"]
    nn.save(state, out / cli.NPZ_CHECKPOINT)
    new.unlink()
    capsys.readouterr()
    assert cli.main(_tiny(data, out)) == 2  # a new run would replace it: refused
    assert f"{out / cli.NPZ_CHECKPOINT} already exists" in capsys.readouterr().err
    assert cli.main(_tiny(data, out, "--resume", "--epochs", "2")) == 0
    assert f"Resuming {out / cli.NPZ_CHECKPOINT} at epoch 2" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [cli.NPZ_CHECKPOINT, cli.CURVE]
    assert nn.load(out / cli.NPZ_CHECKPOINT)["epoch"] == 2


def test_without_safetensors_the_cli_writes_npz(data, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    out = tmp_path / "run"
    assert cli.main(_tiny(data, out)) == 0
    assert sorted(p.name for p in out.iterdir()) == [cli.NPZ_CHECKPOINT, cli.CURVE]
    assert f"Checkpoint: {out / cli.NPZ_CHECKPOINT}" in capsys.readouterr().out
