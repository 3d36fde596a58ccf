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

import numpy as np

__all__ = ["Where", "capture"]

# Frames inside these directories are libraries (this one, NumPy, anything installed,
# the standard library, test runners), not the user's code.
_SKIP_DIRS = tuple({os.path.join(os.path.abspath(d), "") for d in (
    os.path.dirname(__file__), os.path.dirname(np.__file__),
    *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")))})
_MAX_FRAMES = 6  # enough for a layer's forward plus the user's lines that called it


@dataclass(frozen=True)
class Where:
    """Where the user's code created a node: frames outside autograd_lite and NumPy,
    innermost first, as ``(filename, lineno, function)``."""

    frames: tuple[tuple[str, int, str], ...]

    @staticmethod
    def _line(frame: tuple[str, int, str]) -> str:
        filename, lineno, func = frame
        code = linecache.getline(filename, lineno).strip()
        return f"{filename}:{lineno} in {func}" + (f": {code}" if code else "")

    def __str__(self) -> str:
        """The innermost frame: ``file:line in function: code``."""
        return self._line(self.frames[0]) if self.frames else "<unknown>"

    def format(self) -> str:
        """All recorded frames, outermost first as in a traceback, one per line."""
        return "\n".join("    " + self._line(f) for f in reversed(self.frames))


def capture() -> Where:
    """The caller's frames outside the libraries, innermost first."""
    frames = []
    f = sys._getframe(1)
    while f is not None and len(frames) < _MAX_FRAMES:
        filename = f.f_code.co_filename
        if not filename.startswith(_SKIP_DIRS) and not filename.startswith("<frozen "):
            frames.append((filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    return Where(tuple(frames))
