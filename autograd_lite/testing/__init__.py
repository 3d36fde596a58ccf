"""Gradient checking and property testing for op authors.

* :func:`gradcheck`, :func:`gradgradcheck`: a function's first and second
  derivatives against central differences in float64, with a readable report.
* :func:`check_op`: property-test an op on calls drawn by hypothesis from its
  metadata (forward against a NumPy reference, VJP, second derivative).
* :mod:`autograd_lite.testing.strategies`: the hypothesis strategies behind it
  (tensors, shapes, broadcastable shapes, axes, indices, domain-aware values).
* :func:`missing_metadata`, :func:`temporary_registry`: helpers for test suites.

hypothesis is needed only by ``check_op`` and ``strategies`` (a test dependency):
importing this package does not import it.
"""

from __future__ import annotations

import importlib
from typing import Any

from .numerical import GradcheckError, GradcheckWarning, gradcheck, gradgradcheck
from .opcheck import check_op
from .registry import temporary_registry
from .samples import missing_metadata

__all__ = ["GradcheckError", "GradcheckWarning", "check_op", "gradcheck", "gradgradcheck",
           "missing_metadata", "strategies", "temporary_registry"]


def __getattr__(name: str) -> Any:
    # ``autograd_lite.testing.strategies`` imports hypothesis: only on first use.
    if name == "strategies":
        return importlib.import_module(f"{__name__}.strategies")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
