"""Atomic file writes: a file gets its final name only once it is complete.

Used by checkpoints (``nn.save``), dataset downloads and the CLI's learning curve, so
that a crash, a Ctrl-C or a failed check never leaves a half-written file under the
name a user (or a later load) relies on, and never destroys the previous version.
A writer killed outright (``kill -9``, power loss) cannot remove its temporary file;
the next write of the same target does (see :func:`atomic_write`). :func:`make_dirs`
and :func:`remove_empty` let a failed run leave no empty directories behind.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows: no flock, so no sweeping either
    fcntl = None  # type: ignore[assignment]

__all__ = ["atomic_write", "make_dirs", "remove_empty"]

# An empty temporary file that nobody has locked may belong to a writer that created it
# an instant ago and has not locked it yet; one this old has no live writer.
_EMPTY_GRACE_SECONDS = 60.0


@contextmanager
def atomic_write(path: str | os.PathLike, *, suffix: str = ".tmp", fsync: bool = False,
                 check: Callable[[Path], None] | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file to write; on success it replaces ``path`` with ``os.replace``.

    The data goes to a temporary file ``.<name>.<random><suffix>`` in ``path``'s
    directory (so the rename is atomic: same file system). With ``fsync`` the file is
    flushed and fsynced before the rename and the directory after it, so the new
    contents survive a power loss. ``check``, if given, is called with the temporary
    file's path once it is complete; an exception from it (or from the ``with`` block)
    removes the temporary file, leaves ``path`` as it was and propagates.

    A new file gets the permissions the umask allows (as ``open`` would give it); a
    file that is replaced keeps its mode. Temporary files of earlier writes of the same
    target whose writer died are removed first: each writer holds an exclusive
    ``flock`` on its temporary file until it has its final name, and the kernel
    releases it when the writer dies, so a file nobody holds is abandoned. (Where
    ``flock`` does not exist, on Windows, nothing is swept.)
    """
    target = Path(path)
    directory = target.parent
    _sweep(directory, target.name, suffix)
    fd, tmp = _create(directory, target.name, suffix)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held until the rename: see _sweep
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            pass  # a new file: the umask decided its mode when it was created
        else:
            os.chmod(tmp, mode)
        # closefd=False: closing this file must not close fd, which holds the lock.
        with open(fd, "wb", closefd=False) as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        if check is not None:
            check(tmp)
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    finally:
        os.close(fd)
    if fsync:
        _fsync_dir(directory)


def _create(directory: Path, name: str, suffix: str) -> tuple[int, Path]:
    """A new, empty temporary file for ``name``: its descriptor and path. Unlike
    ``tempfile.mkstemp`` (mode 0600) it gets the mode the umask allows."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = directory / f".{name}.{secrets.token_hex(8)}{suffix}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # 64 random bits: practically never
            continue
        except OSError as e:  # name the file the caller asked for, not our temporary one
            raise type(e)(e.errno, f"cannot write {directory / name}: {e.strerror}") from None


def _sweep(directory: Path, name: str, suffix: str) -> None:
    """Remove the temporary files of ``name`` (as :func:`_create` names them) whose
    writer has died: those no process holds a lock on."""
    if fcntl is None:
        return
    pattern = re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{16}}{re.escape(suffix)}")
    try:
        with os.scandir(directory) as entries:
            stale = [e.path for e in entries if pattern.fullmatch(e.name)]
    except OSError:
        return  # e.g. the directory does not exist: the write will say so
    for p in stale:
        _remove_if_abandoned(p)


def _remove_if_abandoned(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return  # gone already (its writer finished), or not ours to open
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        st = os.fstat(fd)
        if st.st_size == 0 and time.time() - st.st_mtime < _EMPTY_GRACE_SECONDS:
            return  # its writer may be about to lock it
        now = os.lstat(path)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            return  # the name refers to another file now
        os.unlink(path)
    except OSError:
        return  # locked: a live writer holds it (or it vanished meanwhile)
    finally:
        os.close(fd)


def make_dirs(path: str | os.PathLike) -> list[Path]:
    """Create directory ``path`` with its missing parents; returns those it created,
    deepest first, for :func:`remove_empty`. Raises ``OSError`` (having created nothing)
    if it cannot."""
    created: list[Path] = []
    p = Path(path)
    while not p.exists() and p != p.parent:
        created.append(p)
        p = p.parent
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError:
        remove_empty(created)
        raise
    return created


def remove_empty(dirs: list[Path]) -> None:
    """Remove the directories from :func:`make_dirs` that are still empty, deepest first."""
    for d in dirs:
        try:
            d.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            return  # not empty: neither it nor its parents are removed


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, and the
    # file is already complete either way, so a failure here is not an error.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
