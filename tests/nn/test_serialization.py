"""nn.save / nn.load: round trips, resuming, atomic writes, no pickle, every corruption."""

import io
import json
import math
import os

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn import serialization


def _model():
    nn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))


def test_model_state_round_trip_keeps_values_and_dtypes(tmp_path):
    m = _model()
    m(np.ones((2, 3), np.float32))                      # moves the running stats
    path = tmp_path / "model.npz"
    nn.save(m.state_dict(), path)
    loaded = nn.load(path)
    assert list(loaded) == list(m.state_dict())
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(loaded[k], v)
        assert loaded[k].dtype == v.dtype
    assert loaded["1.num_batches_tracked"].dtype == np.int64
    fresh = _model()
    nn.manual_seed(1)
    fresh[0].weight.data[...] = 0
    fresh.load_state_dict(nn.load(str(path)))           # str paths work too
    np.testing.assert_array_equal(fresh[0].weight.data, m[0].weight.data)
    with np.load(path, allow_pickle=False) as z:        # a plain .npz, readable without nn
        assert "0.weight" in z.files and "__meta__" in z.files


def test_nested_checkpoint_structure_survives(tmp_path):
    obj = {"epoch": 3, "lr": 0.1, "name": "run-1", "done": False, "none": None,
           "betas": (0.9, 0.999), "hist": [1.0, float("nan"), float("inf")],
           "state": {0: {"step": 2, "buf": np.arange(3, dtype=np.float32)}, "0": np.ones(2)},
           "tensor": al.Tensor(np.eye(2)), "scalar": np.float32(2.5)}
    nn.save(obj, tmp_path / "c.npz")
    back = nn.load(tmp_path / "c.npz")
    assert back["epoch"] == 3 and back["name"] == "run-1" and back["done"] is False
    assert back["none"] is None and back["betas"] == (0.9, 0.999)
    assert back["hist"][0] == 1.0 and math.isnan(back["hist"][1]) and back["hist"][2] == math.inf
    assert list(back["state"]) == [0, "0"]                               # int and str keys kept apart
    assert back["state"][0]["step"] == 2 and back["state"][0]["buf"].dtype == np.float32
    np.testing.assert_array_equal(back["state"]["0"], np.ones(2))
    np.testing.assert_array_equal(back["tensor"], np.eye(2))
    assert back["scalar"].dtype == np.float32 and back["scalar"] == 2.5


def test_training_resumes_identically_from_a_checkpoint(tmp_path):
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 2, 8)

    def step(model, opt, sched):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()

    def build():
        m = _model()
        opt = nn.optim.AdamW(m.parameters(), lr=0.01, amsgrad=True)
        return m, opt, nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)

    m, opt, sched = build()
    for _ in range(3):
        step(m, opt, sched)
    nn.save({"model": m.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict()},
            tmp_path / "ckpt.npz")
    for _ in range(3):
        step(m, opt, sched)

    m2, opt2, sched2 = build()
    ck = nn.load(tmp_path / "ckpt.npz")
    m2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optim"])
    sched2.load_state_dict(ck["sched"])
    for _ in range(3):
        step(m2, opt2, sched2)
    for (_, a), (_, b) in zip(m.named_parameters(), m2.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert sched.get_last_lr() == sched2.get_last_lr()


# ---- atomic writes -------------------------------------------------------------
def _old_checkpoint(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"w": np.arange(4.0)}, path)
    return path, path.read_bytes()


def _assert_intact(tmp_path, path, before):
    assert path.read_bytes() == before
    np.testing.assert_array_equal(nn.load(path)["w"], np.arange(4.0))
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]          # no temporary file left


def test_a_crash_midway_through_the_zip_leaves_the_old_file(tmp_path, monkeypatch):
    path, before = _old_checkpoint(tmp_path)
    real = np.lib.format.write_array
    calls = []

    def dying_write_array(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:                 # the first array is already in the temp file
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", dying_write_array)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"w": np.zeros(1000), "v": np.ones(1000), "u": np.ones(3)}, path)
    assert len(calls) == 2
    _assert_intact(tmp_path, path, before)


def test_an_interrupt_in_the_writer_leaves_the_old_file(tmp_path, monkeypatch):
    path, before = _old_checkpoint(tmp_path)

    def half_then_interrupt(f, arrays):
        f.write(b"PK\x03\x04 partial bytes")
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_npz", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"w": np.zeros(3)}, path)
    _assert_intact(tmp_path, path, before)


def test_unsavable_objects_are_refused_before_touching_the_file(tmp_path):
    path, before = _old_checkpoint(tmp_path)
    with pytest.raises(TypeError, match="save: opt/x is an array of dtype object"):
        nn.save({"opt": {"x": np.array([object()])}}, path)
    with pytest.raises(TypeError, match="save: cannot save a set at a"):
        nn.save({"a": {1, 2}}, path)
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        nn.save({(1, 2): 3}, path)
    _assert_intact(tmp_path, path, before)


# ---- loading never trusts the file -------------------------------------------
def _npz_bytes(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _meta(tree, fmt=serialization.FORMAT, version=serialization.VERSION):
    text = json.dumps({"format": fmt, "version": version, "tree": tree})
    return np.frombuffer(text.encode(), np.uint8)


def _corruptions(good: bytes):
    w = {"array": "w", "shape": [4], "dtype": "<f8"}
    flipped = bytearray(good)
    i = flipped.find(np.arange(4.0).tobytes()[8:16])
    flipped[i] ^= 0xFF
    return {
        "truncated": good[: len(good) // 2],
        "bit flip in the data": bytes(flipped),
        "random bytes": np.random.default_rng(0).bytes(300),
        "empty": b"",
        "single npy": (lambda b: (np.save(b, np.arange(3)), b.getvalue())[1])(io.BytesIO()),
        "no metadata": _npz_bytes({"w": np.arange(4.0)}),
        "metadata not JSON": _npz_bytes({"w": np.arange(4.0), "__meta__": np.frombuffer(b"{oops", np.uint8)}),
        "another format": _npz_bytes({"w": np.arange(4.0), "__meta__": _meta({"dict": [["w", w]]}, fmt="x")}),
        "newer version": _npz_bytes({"w": np.arange(4.0), "__meta__": _meta({"dict": [["w", w]]}, version=99)}),
        "missing array": _npz_bytes({"__meta__": _meta({"dict": [["w", w]]})}),
        "undescribed array": _npz_bytes({"w": np.arange(4.0), "x": np.ones(1),
                                         "__meta__": _meta({"dict": [["w", w]]})}),
        "shape disagrees": _npz_bytes({"w": np.arange(5.0), "__meta__": _meta({"dict": [["w", w]]})}),
        "malformed tree": _npz_bytes({"w": np.arange(4.0), "__meta__": _meta({"set": [1]})}),
        "pickled object array": _npz_bytes({"w": np.array([{"a": 1}], dtype=object),
                                            "__meta__": _meta({"dict": [["w", {"array": "w", "shape": [1], "dtype": "|O"}]]})}),
    }


REASONS = {
    "truncated": "not a zip file", "bit flip in the data": "Bad CRC-32 for file 'w.npy'",
    "random bytes": "not an .npz (zip) archive", "empty": "the file is empty",
    "single npy": "not an .npz (zip) archive", "no metadata": "no '__meta__' entry",
    "metadata not JSON": "metadata is not valid JSON", "another format": "does not declare format",
    "newer version": "format version 99", "missing array": "names an array 'w' that the file does not contain",
    "undescribed array": "arrays the metadata does not describe: ['x']",
    "shape disagrees": "array 'w' has shape (5,)", "malformed tree": "unknown metadata entry",
    "pickled object array": "Object arrays cannot be loaded when allow_pickle=False",
}


@pytest.mark.parametrize("kind", list(REASONS))
def test_corrupt_files_raise_a_clear_error_naming_the_path(tmp_path, kind):
    good_path = tmp_path / "good.npz"
    nn.save({"w": np.arange(4.0)}, good_path)
    bad = tmp_path / f"{kind.replace(' ', '_')}.npz"
    bad.write_bytes(_corruptions(good_path.read_bytes())[kind])
    with pytest.raises(nn.CheckpointError) as e:
        nn.load(bad)
    assert str(bad) in str(e.value) and "is not a valid nn checkpoint" in str(e.value)
    assert REASONS[kind].lower() in str(e.value).lower()


def test_missing_file_and_mismatched_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        nn.load(tmp_path / "nope.npz")
    nn.save(nn.Linear(3, 2).state_dict(), tmp_path / "lin.npz")
    with pytest.raises(RuntimeError) as e:
        nn.Sequential(nn.Linear(3, 5)).load_state_dict(nn.load(tmp_path / "lin.npz"))
    msg = str(e.value)
    assert "missing keys: 0.weight, 0.bias" in msg and "unexpected keys: weight, bias" in msg
    with pytest.raises(RuntimeError, match=r"weight: expected shape \(5, 3\) dtype float32, got shape \(2, 3\)"):
        nn.Linear(3, 5).load_state_dict(nn.load(tmp_path / "lin.npz"))
