"""Where the user's code did something: the frames outside autograd_lite and NumPy.

Anomaly mode records it for every node created; the array locks record it for every
sanctioned in-place write, so that errors name the user's line.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Where", "capture", "register_library"]

# Frames inside these directories are libraries (this one, NumPy, anything installed,
# the standard library, test runners), not the user's code.
_SKIP_DIRS = tuple({os.path.join(os.path.abspath(d), "") for d in (
    os.path.dirname(__file__), os.path.dirname(np.__file__),
    *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")))})
_MAX_FRAMES = 6  # enough for a layer's forward plus the user's lines that called it
_MAX_LIBRARY_FRAMES = 12  # of a library's, below the user's innermost line
# Libraries built on autograd_lite (nn registers itself): their frames are shown below the
# user's line, collapsed, rather than instead of it.
_LIBRARY_DIRS: tuple[str, ...] = ()


def register_library(location: Any) -> None:
    """Count the frames of a package built on autograd_lite as library frames.

    ``location`` is the package (a module object) or its directory. Anomaly reports
    then always show the user's own innermost line, with the library's frames below it
    collapsed into one line, however deeply the library nests its calls (a Module
    holding a Sequential of Sequentials). ``nn`` registers itself when imported.
    """
    path = getattr(location, "__file__", location)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"register_library: expected a module or a directory, got "
                        f"{type(location).__name__}")
    path = os.path.abspath(path)
    directory = os.path.join(path if os.path.isdir(path) else os.path.dirname(path), "")
    global _LIBRARY_DIRS
    if directory not in _LIBRARY_DIRS:
        _LIBRARY_DIRS += (directory,)


@dataclass(frozen=True)
class Where:
    """Where the user's code created a node: frames outside autograd_lite, NumPy and
    the registered libraries (:func:`register_library`), innermost first, as
    ``(filename, lineno, function)``; ``library``: the registered libraries' frames
    that the innermost of them called, innermost first (as many as 12)."""

    frames: tuple[tuple[str, int, str], ...]
    library: tuple[tuple[str, int, str], ...] = ()

    @staticmethod
    def _line(frame: tuple[str, int, str]) -> str:
        filename, lineno, func = frame
        code = linecache.getline(filename, lineno).strip()
        return f"{filename}:{lineno} in {func}" + (f": {code}" if code else "")

    def __str__(self) -> str:
        """The user's innermost frame (else the library's): ``file:line in function: code``."""
        frames = self.frames or self.library
        return self._line(frames[0]) if frames else "<unknown>"

    def format(self) -> str:
        """The user's frames, outermost first as in a traceback, one per line, then the
        library frames below them on one line."""
        lines = ["    " + self._line(f) for f in reversed(self.frames)]
        if self.library:
            calls = " > ".join(f"{os.path.basename(f)}:{n} {fn}" for f, n, fn in reversed(self.library))
            lines.append(f"    ... then {len(self.library)} library frame"
                         f"{'s' * (len(self.library) != 1)}: {calls}")
        return "\n".join(lines)


def capture() -> Where:
    """The caller's frames outside the libraries, innermost first."""
    frames: list[tuple[str, int, str]] = []
    library: list[tuple[str, int, str]] = []
    f = sys._getframe(1)
    while f is not None and len(frames) < _MAX_FRAMES:
        filename = f.f_code.co_filename
        if not filename.startswith(_SKIP_DIRS) and not filename.startswith("<frozen "):
            frame = (filename, f.f_lineno, f.f_code.co_name)
            if not filename.startswith(_LIBRARY_DIRS):
                frames.append(frame)
            elif not frames and len(library) < _MAX_LIBRARY_FRAMES:
                library.append(frame)
        f = f.f_back
    return Where(tuple(frames), tuple(library))
