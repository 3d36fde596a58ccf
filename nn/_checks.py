"""Argument checks shared by layers, models and schedulers."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_int(value: Any, name: str, owner: str, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``, else a ValueError naming
    ``owner`` (the class) and ``name`` (the argument). Bools are not ints here."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}")
    return int(value)
