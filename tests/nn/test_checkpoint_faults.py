"""Issue #18, files and checkpoints: every damaged checkpoint is a CheckpointError,
``--resume`` on a bad one is a one-line exit 2, a killed save leaves no lasting
temporary file, saving keeps file modes, and a failed run creates nothing."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import nn
import nn.cli as cli
import nn.cli.train as cli_train
from nn import _atomic
from nn.datasets import MNISTData, Split

ROOT = Path(__file__).resolve().parents[2]


# ---- 1. every damaged byte is a CheckpointError -------------------------------

def _zip_central_directory(raw: bytes) -> int:
    return raw.rindex(b"PK\x01\x02", 0, raw.rindex(b"PK\x05\x06"))  # last entry's header


def test_every_flipped_byte_is_refused_or_loads_the_same_data(tmp_path):
    good = tmp_path / "good.npz"
    nn.save({"w": np.arange(3.0), "step": 7}, good)
    raw = good.read_bytes()
    bad = tmp_path / "bad.npz"
    wrong_errors, loaded = [], 0
    for i in range(len(raw)):
        damaged = bytearray(raw)
        damaged[i] ^= 0xFF
        bad.write_bytes(bytes(damaged))
        try:
            obj = nn.load(bad)
        except nn.CheckpointError as e:
            assert str(bad) in str(e)
            continue
        except Exception as e:  # noqa: BLE001 - the point is to catch anything else
            wrong_errors.append(f"byte {i}: {type(e).__name__}: {e}")
            continue
        loaded += 1  # bytes no check covers (zip timestamps, say) must change nothing
        assert obj["step"] == 7 and np.array_equal(obj["w"], np.arange(3.0)), f"byte {i}"
    assert wrong_errors == []
    assert 0 < loaded < len(raw) / 2


@pytest.mark.parametrize("damage, reason", [
    # general-purpose flag bit 0 in the central directory: "encrypted"
    (lambda b, cd: b.__setitem__(cd + 8, b[cd + 8] | 1), "encrypted"),
    # "version needed to extract" 21.0
    (lambda b, cd: b.__setitem__(slice(cd + 6, cd + 8), (210).to_bytes(2, "little")),
     "zip file version"),
    # an unknown compression method
    (lambda b, cd: b.__setitem__(slice(cd + 10, cd + 12), (99).to_bytes(2, "little")),
     "compression method"),
])
def test_zip_directory_damage_is_a_checkpoint_error(tmp_path, damage, reason):
    path = tmp_path / "ck.npz"
    nn.save({"w": np.arange(3.0)}, path)
    raw = bytearray(path.read_bytes())
    damage(raw, _zip_central_directory(bytes(raw)))
    path.write_bytes(bytes(raw))
    with pytest.raises(nn.CheckpointError, match=reason) as e:
        nn.load(path)
    assert str(path) in str(e.value)


def test_a_header_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    path = tmp_path / "ck.npz"
    nn.save({"w": np.zeros(3000)}, path)
    raw = path.read_bytes()
    # The .npy header is padded with spaces: the claim fits without moving anything else
    # in the zip, whose CRC is checked only once the data has been read (an entry this
    # long is read in more than one chunk).
    old = b"(3000,), }" + b" " * 7
    huge = b"(9999999999999,)}".ljust(len(old))
    assert raw.count(old) == 1
    path.write_bytes(raw.replace(old, huge))
    with pytest.raises(nn.CheckpointError, match=r"claims shape \(9999999999999,\)"):
        nn.load(path)


# ---- 2. --resume on a bad checkpoint: exit 2, one line ------------------------

def _fake_mnist(path, **kwargs):
    rng = np.random.default_rng(0)
    def split(n):
        return Split(rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n))
    return MNISTData(split(128), split(64))


@pytest.fixture
def fake_data(monkeypatch) -> None:
    monkeypatch.setattr(cli_train, "load_mnist", _fake_mnist)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A finished one-epoch run's checkpoint (on random 'MNIST'); copy it to change it."""
    out = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli_train, "load_mnist", _fake_mnist)
        assert cli.main(["mnist", "--out", str(out), "--no-progress", "--hidden", "8",
                         "--batch-size", "32", "--epochs", "1", "--seed", "0"]) == 0
    return out / cli.CHECKPOINT


@pytest.fixture
def trained(checkpoint, tmp_path, fake_data) -> Path:
    """A copy of ``checkpoint`` in tmp_path/run."""
    (tmp_path / "run").mkdir()
    path = tmp_path / "run" / cli.CHECKPOINT
    path.write_bytes(checkpoint.read_bytes())
    return path


def _edit(state, path, value):
    *parents, last = path
    for k in parents:
        state = state[k]
    if value is KeyError:
        del state[last]
    else:
        state[last] = value(state[last]) if callable(value) else value


CHECKPOINT_DAMAGE = {
    "no optimizer entry": (("optimizer",), KeyError, "no 'optimizer' entry"),
    "no config": (("config",), KeyError, "no 'config' entry"),
    "config lacks hidden": (("config", "hidden"), KeyError, "lacks 'hidden'"),
    "hidden not a number": (("config", "hidden"), "eight", "hidden = 'eight'"),
    "unknown optimizer": (("config", "optimizer"), "adamax", "optimizer = 'adamax'"),
    "negative epoch": (("epoch",), -1, "'epoch' entry is -1"),
    "history not lists": (("history",), {"train_loss": 3}, "not a dict of lists"),
    "model of another shape": (("model", "fc1.weight"), lambda w: w[:4], r"fc1.weight"),
    "model lacks a weight": (("model", "fc1.weight"), KeyError, "missing keys"),
    "optimizer state of another shape": (("optimizer", "state", 0, "exp_avg"),
                                         lambda a: a[:1], "exp_avg"),
    "optimizer of another kind": (("optimizer", "state", 0),
                                  lambda s: {**s, "momentum_buffer": s["exp_avg"]},
                                  "momentum_buffer"),
    "scheduler state a list": (("scheduler",), lambda s: [1, 2], "'scheduler' entry is"),
    "scheduler with a bad value": (("scheduler", "last_epoch"), "ten", "last_epoch"),
}


@pytest.mark.parametrize("kind", list(CHECKPOINT_DAMAGE))
def test_resume_from_an_unusable_checkpoint_is_one_line_and_exit_2(trained, tmp_path, kind,
                                                                   capsys):
    where, value, reason = CHECKPOINT_DAMAGE[kind]
    state = nn.load(trained)
    _edit(state, where, value)
    bad = tmp_path / "bad.npz"
    nn.save(state, bad)
    capsys.readouterr()
    out = tmp_path / "new"
    status = cli.main(["mnist", "--out", str(out), "--no-progress", "--epochs", "2",
                       "--resume", str(bad)])
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("--resume: "), err
    assert str(bad) in err and "To start a fresh run instead, drop --resume." in err
    assert re.search(reason, err), err
    assert not out.exists()


def test_resume_from_a_damaged_file_says_how_to_start_fresh(trained, tmp_path, capsys):
    raw = bytearray(trained.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    trained.write_bytes(bytes(raw))
    capsys.readouterr()
    status = cli.main(["mnist", "--out", str(trained.parent), "--no-progress", "--epochs", "2",
                       "--resume"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("--resume: load: ")
    assert "is not a valid nn checkpoint" in err and "--overwrite" in err


# ---- 3. kill -9 during a save ---------------------------------------------------

_KILLED_SAVE = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import nn
    from nn import serialization

    def write_half_then_die(f, arrays):
        f.write(b"PK" * 50_000)
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    serialization._write_npz = write_half_then_die
    nn.save({"w": np.ones(100_000)}, sys.argv[1])
""")


def _run(code: str, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, **kwargs)


def _temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_the_next_save_sweeps_what_a_killed_save_left(tmp_path):
    path = tmp_path / "ck.npz"
    nn.save({"w": np.zeros(3)}, path)
    for _ in range(3):
        assert _run(_KILLED_SAVE, str(path)).wait(60) == -signal.SIGKILL
        # The killed writer could not clean up; each new save swept the one before.
        assert len(_temps(tmp_path)) == 1
    assert np.array_equal(nn.load(path)["w"], np.zeros(3))  # the checkpoint survived
    other = tmp_path / "other.npz"
    nn.save({"w": np.ones(2)}, other)
    assert len(_temps(tmp_path)) == 1  # another target's save leaves it alone
    nn.save({"w": np.ones(3)}, path)
    assert _temps(tmp_path) == []
    assert np.array_equal(nn.load(path)["w"], np.ones(3))


_SLOW_SAVE = textwrap.dedent("""
    import sys
    import numpy as np
    import nn
    from nn import serialization

    real = serialization._write_npz
    def write_slowly(f, arrays):
        f.write(b"x" * 1000)
        f.flush()
        print("writing", flush=True)
        sys.stdin.readline()  # until the test says go on
        f.seek(0)
        f.truncate()
        real(f, arrays)

    serialization._write_npz = write_slowly
    nn.save({"w": np.full(3, 2.0)}, sys.argv[1])
""")


@pytest.mark.skipif(os.name != "posix", reason="sweeping needs flock")
def test_a_save_never_sweeps_the_file_of_a_live_writer(tmp_path):
    path = tmp_path / "ck.npz"
    proc = _run(_SLOW_SAVE, str(path), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "writing\n"
        (live,) = _temps(tmp_path)
        nn.save({"w": np.zeros(3)}, path)  # meanwhile, another save of the same target
        assert _temps(tmp_path) == [live]
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.wait(60) == 0
    finally:
        proc.kill()
    assert _temps(tmp_path) == []
    assert np.array_equal(nn.load(path)["w"], np.full(3, 2.0))  # the live writer finished


@pytest.mark.skipif(os.name != "posix", reason="sweeping needs flock")
def test_an_empty_temporary_file_is_swept_only_once_it_is_old(tmp_path):
    # A writer creates its file, then locks it: a fresh empty file may be in between.
    path = tmp_path / "ck.npz"
    fresh = tmp_path / ".ck.npz.0123456789abcdef.tmp"
    fresh.touch()
    nn.save({"w": np.zeros(3)}, path)
    assert fresh.exists()
    old = time.time() - 2 * _atomic._EMPTY_GRACE_SECONDS
    os.utime(fresh, (old, old))
    nn.save({"w": np.zeros(3)}, path)
    assert not fresh.exists()


# ---- 4. file modes ----------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_save_follows_the_umask_and_keeps_an_existing_mode(tmp_path):
    path = tmp_path / "ck.npz"
    old = os.umask(0o027)
    try:
        nn.save({"w": np.zeros(3)}, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        os.umask(0o022)
        (tmp_path / "b.npz").write_bytes(b"")
        nn.save({"w": np.zeros(3)}, tmp_path / "c.npz")
        assert stat.S_IMODE((tmp_path / "c.npz").stat().st_mode) == 0o644
        path.chmod(0o604)
        nn.save({"w": np.ones(3)}, path)  # replaced: keeps its mode, not the umask's
        assert stat.S_IMODE(path.stat().st_mode) == 0o604
    finally:
        os.umask(old)


# ---- 5. a failed run creates nothing ------------------------------------------------

def test_a_mistyped_data_dir_is_not_created(tmp_path, monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    typo = tmp_path / "datsets" / "mnist"
    status = cli.main(["mnist", "--data", str(typo), "--out", str(tmp_path / "out"),
                       "--no-progress"])
    assert status == 2
    assert "cannot load MNIST" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_saves_nothing_leaves_no_out_dir(tmp_path, monkeypatch, fake_data, capsys):

    def interrupted(self, X, y):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_train._Trainer, "train_epoch", interrupted)
    out = tmp_path / "a" / "run"
    assert cli.main(["mnist", "--out", str(out), "--no-progress", "--hidden", "8"]) == 130
    assert "nothing was saved" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_graph_leaves_no_directory(tmp_path, capsys):
    status = cli.main(["graph", "--script", str(tmp_path / "nope.py"), "--tensor", "loss",
                       "-o", str(tmp_path / "new" / "g.svg")])
    assert status == 2 and "no script at" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
