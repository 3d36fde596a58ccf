"""Argument checks shared by layers, models and schedulers."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al


def check_int(value: Any, name: str, owner: str, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``, else a ValueError naming
    ``owner`` (the class) and ``name`` (the argument). Bools are not ints here."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        expected = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}")
    return int(value)


def check_number(value: Any, name: str, owner: str) -> float:
    """``value`` as a float, else a TypeError naming ``owner`` and ``name``. Bools and
    strings are not numbers here (``'0.5'`` would fail later, far from its cause)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    return float(value)


def check_generator(generator: Any, owner: str) -> Any:
    """``generator``: None or a NumPy Generator, else a TypeError naming ``owner``."""
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{owner}: generator must be a numpy.random.Generator "
                        f"(np.random.default_rng(seed)) or None, got {type(generator).__name__}")
    return generator


def check_float_dtype(dtype: Any, owner: str) -> np.dtype:
    """``dtype`` (None: ``al.get_default_dtype()``) as a floating NumPy dtype, else a
    TypeError naming ``owner``: parameters of integer dtype cannot be trained."""
    try:
        dt = np.dtype(al.get_default_dtype() if dtype is None else dtype)
    except TypeError:
        raise TypeError(f"{owner}: dtype={dtype!r} is not a NumPy dtype") from None
    if dt.kind != "f":
        raise TypeError(f"{owner}: parameters need a floating dtype, got dtype {dt}")
    return dt
