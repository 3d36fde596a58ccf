"""``--threads``: how many threads NumPy's BLAS may use while a command runs."""

from __future__ import annotations

import contextlib
from typing import Iterator

from .errors import Abort

__all__ = ["DEFAULT_THREADS", "blas_threads", "check_threads"]

# Measured (docs/performance.md, "BLAS threads in the command line"): on the 2-core machine
# shared with other work, epochs took 4.4-4.6 s with one thread and 54-63 s with two; on a
# quiet one, two threads make a step ~20% faster (0.50 vs 0.62 ms at batch 128).
DEFAULT_THREADS = 1


def check_threads(threads: int | None) -> None:
    """Fail now, before the data loads, if ``--threads`` was given without threadpoolctl."""
    if threads is not None:
        try:
            import threadpoolctl  # noqa: F401
        except ImportError:
            raise Abort(_NEEDED) from None


_NEEDED = ("--threads needs the threadpoolctl package: pip install threadpoolctl (or pip "
           "install 'autograd-lite[train]')")


@contextlib.contextmanager
def blas_threads(threads: int | None) -> Iterator[str]:
    """Limit the BLAS thread pools to ``threads`` (``None``: :data:`DEFAULT_THREADS`) inside
    the block, with threadpoolctl; yields a description for the run's first line."""
    wanted = DEFAULT_THREADS if threads is None else threads
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if threads is not None:
            raise Abort(_NEEDED) from None
        yield "BLAS threads: the library's default (threadpoolctl is not installed)"
        return
    with threadpool_limits(limits=wanted, user_api="blas"):
        yield f"{wanted} BLAS thread{'s' * (wanted != 1)}"
