"""Where the real MNIST files are for the tests that train on them (skipped when absent)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[1]


def mnist_root() -> Path:
    """The directory holding ``mnist/`` (what ``--data`` and ``AUTOGRAD_LITE_DATA`` take),
    or skip the test: ``$AUTOGRAD_LITE_DATA``, else ``<repo>/../shared/datasets`` (CI)."""
    candidates = []
    if os.environ.get("AUTOGRAD_LITE_DATA"):
        candidates.append(Path(os.environ["AUTOGRAD_LITE_DATA"]))
    candidates.append(_REPO.parent / "shared" / "datasets")
    for root in candidates:
        if (root / "mnist").is_dir() and any((root / "mnist").glob("train-images-idx3-ubyte*")):
            return root
    pytest.skip("real MNIST files not found (set AUTOGRAD_LITE_DATA to the directory holding "
                "mnist/)")


@functools.lru_cache(maxsize=None)
def cached_load(path, **kwargs):
    """``nn.datasets.load_mnist`` read once per process for each set of arguments: the CLI
    tests patch it in so that their many short runs share one decoding of the files."""
    from nn.datasets import load_mnist

    kwargs.pop("progress")
    return load_mnist(path, **kwargs)
