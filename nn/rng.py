"""The random source shared by ``nn.init`` and dropout, seeded with :func:`manual_seed`."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator that initialisers and dropout use when they are given
    none, so that model construction and training are reproducible. Returns it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be >= 0, got {seed}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def get_generator(generator: np.random.Generator | None = None) -> np.random.Generator:
    """``generator`` if given, else the global one set by :func:`manual_seed`."""
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"expected a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(generator).__name__}")
    return generator
