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


def get_rng_state() -> dict:
    """The state of the generator that :func:`manual_seed` seeds, as a dict (NumPy's
    ``bit_generator.state``) that :func:`nn.save` can store in a checkpoint and
    :func:`set_rng_state` restores, so that dropout masks continue where they stopped.

    >>> import nn
    >>> _ = nn.manual_seed(0)
    >>> state = nn.get_rng_state()
    >>> a = nn.rng.get_generator().random()
    >>> nn.set_rng_state(state)
    >>> nn.rng.get_generator().random() == a
    True
    """
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore the generator's state from :func:`get_rng_state` (as ``torch.set_rng_state``)."""
    global _generator
    name = state.get("bit_generator") if isinstance(state, dict) else None
    bit_generator = getattr(np.random, name, None) if isinstance(name, str) else None
    if not (isinstance(bit_generator, type) and issubclass(bit_generator, np.random.BitGenerator)):
        raise ValueError(f"set_rng_state: expected a dict from nn.get_rng_state() naming a NumPy "
                         f"bit generator under 'bit_generator', got {state!r:.200}")
    bits = bit_generator()
    try:
        bits.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"set_rng_state: not a valid {name} state: {e}") from None
    _generator = np.random.Generator(bits)
