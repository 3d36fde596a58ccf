"""nn._atomic.atomic_write: the one atomic-write helper behind nn.save, dataset downloads
and the CLI's learning curve."""

from __future__ import annotations

import os

import pytest

from nn import _atomic
from nn._atomic import atomic_write


def test_success_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_write(target, suffix=".part") as f:
        f.write(b"new")
        # Nothing is visible under the final name until the block ends.
        assert target.read_bytes() == b"old"
        temps = [p.name for p in tmp_path.iterdir() if p != target]
        assert len(temps) == 1 and temps[0].startswith(".out.bin.") and temps[0].endswith(".part")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failure_in_the_block_keeps_the_old_file(tmp_path, error):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(type(error)):
        with atomic_write(target) as f:
            f.write(b"half")
            raise error
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_failed_check_keeps_the_old_file_and_sees_the_complete_data(tmp_path):
    target = tmp_path / "out.bin"
    seen = []

    def check(tmp):
        seen.append((tmp.parent, tmp.read_bytes()))
        raise ValueError("bad payload")

    with pytest.raises(ValueError, match="bad payload"):
        with atomic_write(target, check=check) as f:
            f.write(b"abc")
    assert seen == [(tmp_path, b"abc")]
    assert list(tmp_path.iterdir()) == []


def test_fsync_syncs_the_file_and_then_the_directory(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(_atomic.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    with atomic_write(tmp_path / "a", fsync=False) as f:
        f.write(b"x")
    assert synced == []
    with atomic_write(tmp_path / "b", fsync=True) as f:
        f.write(b"x")
    assert len(synced) == 2  # the file, then its directory (the rename)
    assert (tmp_path / "b").read_bytes() == b"x"
