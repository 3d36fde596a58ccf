"""Atomic file writes: a file gets its final name only once it is complete.

Used by checkpoints (``nn.save``), dataset downloads and the CLI's learning curve, so
that a crash, a Ctrl-C or a failed check never leaves a half-written file under the
name a user (or a later load) relies on, and never destroys the previous version.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write"]


@contextmanager
def atomic_write(path: str | os.PathLike, *, suffix: str = ".tmp", fsync: bool = False,
                 check: Callable[[Path], None] | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file to write; on success it replaces ``path`` with ``os.replace``.

    The data goes to a temporary file ``.<name>.<random><suffix>`` in ``path``'s
    directory (so the rename is atomic: same file system). With ``fsync`` the file is
    flushed and fsynced before the rename and the directory after it, so the new
    contents survive a power loss. ``check``, if given, is called with the temporary
    file's path once it is closed and complete; an exception from it (or from the
    ``with`` block) removes the temporary file, leaves ``path`` as it was and propagates.
    """
    target = Path(path)
    directory = target.parent
    fd, name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=suffix)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
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
    if fsync:
        _fsync_dir(directory)


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
