"""The training command's output: a progress bar, and lines that do not break it."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar", "say"]


def progress_bar(iterable: Any, total: int, desc: str, enabled: bool) -> Any:
    """A tqdm bar over ``iterable`` when ``enabled`` and tqdm is installed, else the
    iterable itself."""
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return tqdm(iterable, total=total, desc=desc, unit="batch", leave=False,
                        dynamic_ncols=True)
    return iterable


def say(text: str) -> None:
    """Print without breaking a tqdm bar that may be on screen."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(text, flush=True)
    else:
        tqdm.write(text, file=sys.stdout)
        sys.stdout.flush()
