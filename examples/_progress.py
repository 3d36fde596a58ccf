"""The progress display the longer examples share (not a lesson of its own).

On a terminal, a tqdm bar per run that counts its steps and shows the last epoch's figures;
elsewhere (a log, a pipe, a notebook's captured output) no bar, but one line per epoch, so
that a log never fills with a bar's redraws.
"""

from __future__ import annotations

import sys
import time
from typing import Any


def on_terminal() -> bool:
    """Whether bars can be drawn: tqdm is installed and stderr (where it draws) is a terminal."""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return sys.stderr.isatty()


class Progress:
    """``with Progress("Adam", steps) as p:`` call ``p.step()`` after each step and
    ``p.epoch("loss 0.31")`` after each epoch (or phase)."""

    def __init__(self, desc: str, total: int | None = None, unit: str = "step") -> None:
        self.desc, self.start = desc, time.perf_counter()
        self.bar: Any = None
        if on_terminal():
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)

    def step(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def epoch(self, text: str) -> None:
        seconds, self.start = time.perf_counter() - self.start, time.perf_counter()
        if self.bar is not None:
            self.bar.set_postfix_str(text)
        else:
            print(f"  {self.desc}: {text}  {seconds:.1f} s", flush=True)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
