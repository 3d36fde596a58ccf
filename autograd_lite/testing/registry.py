"""Scoped op registration, for tests that define throwaway ops."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..numpy_api import OP_FUNCTIONS, _rebind
from ..ops.base import Op


@contextmanager
def temporary_registry() -> Iterator[None]:
    """Ops defined inside the block are unregistered when it exits.

    Defining an :class:`~autograd_lite.Op` subclass registers it for the whole
    process, and a suite that covers every registered op would then pick up a
    test's deliberately wrong (mutant) op. Define such ops inside this block::

        with temporary_registry():
            class Wrong(al.Op):
                name = "wrong"
                ...
            check_op(Wrong)

    The registry and the table behind ``al.function`` are restored as they were,
    so a name used inside can be used again afterwards, and a function an op
    redefined inside was pointed at applies its old op again.
    """
    ops, functions = dict(Op.registry), dict(OP_FUNCTIONS)
    bound = {name: fn.op for name, fn in functions.items()}  # type: ignore[attr-defined]
    try:
        yield
    finally:
        Op.registry.clear()
        Op.registry.update(ops)
        OP_FUNCTIONS.clear()
        OP_FUNCTIONS.update(functions)
        for name, fn in functions.items():
            if fn.op is not bound[name]:  # re-pointed in place by a redefinition
                _rebind(fn, bound[name])  # type: ignore[arg-type]
