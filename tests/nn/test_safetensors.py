"""nn.save / nn.load with .safetensors files: the same checkpoints as .npz (optimiser,
scheduler, epoch, RNG state), written atomically, verified on load (every damaged byte
is caught), readable by the safetensors library and from other frameworks' files."""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn import _safetensors

st = pytest.importorskip("safetensors.numpy")


def _model(dropout: float = 0.0) -> nn.Module:
    nn.manual_seed(0)
    layers = [nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout))  # draws from nn's generator: the RNG state matters
    return nn.Sequential(*layers, nn.Linear(4, 2))


def test_a_state_dict_is_a_plain_safetensors_file_with_pytorchs_names(tmp_path):
    net = nn.TwoLayerNet(8)  # fc1.weight is column-major in memory
    path = tmp_path / "net.safetensors"
    nn.save(net.state_dict(), path)
    plain = st.load_file(path)  # the library alone, no nn
    assert sorted(plain) == sorted(net.state_dict()) == ["fc1.bias", "fc1.weight", "fc2.bias",
                                                          "fc2.weight"]
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(plain[k], v)  # not transposed
        assert plain[k].dtype == v.dtype
    back = nn.load(path)
    assert list(back) == list(net.state_dict())  # the order too, from the metadata
    fresh = nn.TwoLayerNet(8)
    fresh.load_state_dict(back)
    np.testing.assert_array_equal(fresh.fc1.weight.data, net.fc1.weight.data)


def test_nested_checkpoint_structure_survives(tmp_path):
    obj = {"epoch": 3, "lr": 0.1, "name": "run-1", "done": False, "none": None,
           "betas": (0.9, 0.999), "hist": [1.0, float("nan"), float("inf")],
           "state": {0: {"step": 2, "buf": np.arange(3, dtype=np.float32)}, "0": np.ones(2)},
           "tensor": al.Tensor(np.eye(2)), "scalar": np.float32(2.5), "empty": np.zeros((0, 3)),
           "flags": np.array([True, False]), "half": np.ones(2, np.float16),
           "big_endian": np.arange(3, dtype=">i4"), "c64": np.array([1 + 2j], np.complex64)}
    nn.save(obj, tmp_path / "c.safetensors")
    back = nn.load(tmp_path / "c.safetensors")
    assert back["epoch"] == 3 and back["name"] == "run-1" and back["done"] is False
    assert back["none"] is None and back["betas"] == (0.9, 0.999)
    assert back["hist"][0] == 1.0 and math.isnan(back["hist"][1]) and back["hist"][2] == math.inf
    assert list(back["state"]) == [0, "0"]
    assert back["state"][0]["step"] == 2 and back["state"][0]["buf"].dtype == np.float32
    np.testing.assert_array_equal(back["tensor"], np.eye(2))
    assert back["scalar"].shape == () and back["scalar"].dtype == np.float32
    assert back["empty"].shape == (0, 3) and back["flags"].dtype == bool
    assert back["half"].dtype == np.float16 and back["c64"][0] == 1 + 2j
    # The format stores little-endian: the values come back, in native byte order.
    np.testing.assert_array_equal(back["big_endian"], [0, 1, 2])
    assert back["big_endian"].dtype == np.dtype("<i4")


def test_training_with_dropout_resumes_identically_with_the_rng_state(tmp_path):
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 2, 8)

    def step(model, opt, sched):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()

    def build():
        m = _model(dropout=0.5)
        opt = nn.optim.AdamW(m.parameters(), lr=0.01, amsgrad=True)
        return m, opt, nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)

    m, opt, sched = build()
    for _ in range(3):
        step(m, opt, sched)
    nn.save({"model": m.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict(),
             "epoch": 3, "rng": nn.get_rng_state()}, tmp_path / "ckpt.safetensors")
    for _ in range(3):
        step(m, opt, sched)

    m2, opt2, sched2 = build()  # reseeds nn's generator: another stream of dropout masks
    ck = nn.load(tmp_path / "ckpt.safetensors")
    m2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optim"])
    sched2.load_state_dict(ck["sched"])
    nn.set_rng_state(ck["rng"])
    assert ck["epoch"] == 3
    for _ in range(3):
        step(m2, opt2, sched2)
    for (_, a), (_, b) in zip(m.named_parameters(), m2.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert sched.get_last_lr() == sched2.get_last_lr()


def test_set_rng_state_refuses_what_is_not_a_state():
    with pytest.raises(ValueError, match="bit generator"):
        nn.set_rng_state({"bit_generator": "os"})
    with pytest.raises(ValueError, match="not a valid PCG64 state"):
        nn.set_rng_state({"bit_generator": "PCG64", "state": {"state": "x", "inc": 1}})


# ---- verified: damage never loads --------------------------------------------------------


def _small_checkpoint(path):
    obj = {"model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3),
                     "b": np.array([1.5], np.float64)},
           "epoch": 7, "name": "x", "n": np.array(3, np.int64), "flag": np.array([True, False])}
    nn.save(obj, path)
    return obj


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("flip", [0xFF, 0x01])
def test_every_damaged_byte_raises_checkpoint_error_naming_the_path(tmp_path, flip):
    """Flip each byte of a whole file in turn: each load raises CheckpointError, or (where
    the byte does not matter, e.g. header padding) returns exactly what was saved."""
    path = tmp_path / "c.safetensors"
    obj = _small_checkpoint(path)
    data = path.read_bytes()
    raised = 0
    for i in range(len(data)):
        damaged = bytearray(data)
        damaged[i] ^= flip
        path.write_bytes(bytes(damaged))
        try:
            back = nn.load(path)
        except nn.CheckpointError as e:
            assert str(path) in str(e)
            raised += 1
        else:
            assert _same(obj, back), f"byte {i} ^ {flip:#x} loaded different data: {back}"
    assert raised > 0.9 * len(data)


def test_a_damaged_tensor_and_truncation_are_named(tmp_path):
    path = tmp_path / "c.safetensors"
    _small_checkpoint(path)
    data = path.read_bytes()
    damaged = bytearray(data)
    damaged[-1] ^= 0x01  # the last tensor's last byte
    path.write_bytes(bytes(damaged))
    with pytest.raises(nn.CheckpointError, match="fails its CRC-32 check"):
        nn.load(path)
    for n in (0, 4, 8, 9, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:n])
        with pytest.raises(nn.CheckpointError, match="c.safetensors"):
            nn.load(path)


def test_a_safetensors_file_is_recognised_by_content_and_npz_by_suffix_stays(tmp_path):
    obj = {"w": np.arange(4.0)}
    nn.save(obj, tmp_path / "ckpt.safetensors")
    os.replace(tmp_path / "ckpt.safetensors", tmp_path / "ckpt.bin")
    assert _same(nn.load(tmp_path / "ckpt.bin"), obj)
    nn.save(obj, tmp_path / "old.npz")  # .npz (and any other suffix) stays a zip
    assert (tmp_path / "old.npz").read_bytes()[:4] == b"PK\x03\x04"
    os.replace(tmp_path / "old.npz", tmp_path / "old.safetensors")  # a misnamed .npz
    assert _same(nn.load(tmp_path / "old.safetensors"), obj)


# ---- atomic ----------------------------------------------------------------------------------


def test_refused_or_failed_saves_leave_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    nn.save({"w": np.arange(4.0)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"'x' is an array of dtype complex128.*\.npz"):
        nn.save({"w": np.zeros(3), "x": np.zeros(2, np.complex128)}, path)

    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", disk_full)  # after the bytes are written
    with pytest.raises(OSError, match="disk full"):
        nn.save({"w": np.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.safetensors"]  # no temporary file left


# ---- files from elsewhere, and without the package -------------------------------------------


def test_a_file_written_by_another_program_loads_as_a_flat_dict(tmp_path):
    tensors = {"layer.weight": np.ones((2, 3), np.float32), "layer.bias": np.zeros(2, np.int64)}
    st.save_file(tensors, tmp_path / "other.safetensors", metadata={"format": "pt"})
    back = nn.load(tmp_path / "other.safetensors")
    assert sorted(back) == sorted(tensors)
    for k in tensors:
        np.testing.assert_array_equal(back[k], tensors[k])


def test_half_of_our_metadata_is_damage_not_a_foreign_file(tmp_path):
    from safetensors.numpy import save_file

    save_file({"w": np.ones(2)}, tmp_path / "half.safetensors",
              metadata={_safetensors.META_KEY: "{}"})
    with pytest.raises(nn.CheckpointError, match="has 'autograd_lite' but not"):
        nn.load(tmp_path / "half.safetensors")


def test_without_the_safetensors_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"autograd-lite\[safetensors\].*\.npz"):
        nn.save({"w": np.ones(2)}, tmp_path / "c.safetensors")
    assert not list(tmp_path.iterdir())
    nn.save({"w": np.ones(2)}, tmp_path / "c.npz")  # .npz needs nothing more
    np.testing.assert_array_equal(nn.load(tmp_path / "c.npz")["w"], np.ones(2))
