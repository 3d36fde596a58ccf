"""Anomaly mode: find the op, and the line of your code, that first made a NaN or Inf.

>>> import numpy as np
>>> import autograd_lite as al
>>> x = al.tensor([1.0, -1.0], requires_grad=True)
>>> with al.detect_anomaly():                                # doctest: +SKIP
...     y = al.log(x)
AnomalyError: detect_anomaly: 'log' produced NaN in the forward pass ...

Inside ``with al.detect_anomaly():`` every recorded node remembers where it was
created (``node.where``, also shown as a tooltip by :mod:`autograd_lite.viz`),
every op's output is checked for NaN/Inf, and so is every gradient backward
computes. The first non-finite value raises :class:`AnomalyError` naming the op,
its input shapes and the user's source line that created the op (for a backward
anomaly, the forward line, which is where the fix usually goes).

It works through the public hooks (:mod:`autograd_lite.hooks`), so it
costs nothing when off; when on, each op pays a frame walk and an ``isfinite``.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from . import hooks
from .frames import Where
from .frames import capture as _capture
from .frames import register_library
from .graph import Node
from .tensor import Tensor

__all__ = ["detect_anomaly", "AnomalyError", "Where", "register_library"]


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared in the forward or backward pass under :func:`detect_anomaly`.

    Attributes
    ----------
    op : str
        Name of the op that produced it.
    phase : str
        ``'forward'`` or ``'backward'``.
    where : Where or None
        Where the op was created in the user's code (None if that was outside
        anomaly mode).
    """

    def __init__(self, message: str, op: str, phase: str, where: Where | None) -> None:
        super().__init__(message)
        self.op, self.phase, self.where = op, phase, where


def _array(x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _bad(a: np.ndarray) -> bool:
    return a.dtype.kind in "fc" and not np.isfinite(a).all()


def _describe(a: np.ndarray) -> str:
    nan = int(np.isnan(a).sum())
    inf = int(np.isinf(a).sum())
    what = " and ".join(w for w, n in (("NaN", nan), ("Inf", inf)) if n)
    return f"{what} ({nan} NaN, {inf} Inf of {a.size} values; shape {a.shape}, {a.dtype})"


def _shapes(items: Any) -> str:
    return ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in items)


def _created(where: Where | None) -> str:
    if where is not None and not where.frames:
        return ("\n  created by library code only (no frame outside installed packages)"
                + (f":\n{where.format()}" if where.library else ""))
    if where is None:
        return ("\n  the op was created outside detect_anomaly(), so its source line is unknown: run "
                "the forward pass inside `with al.detect_anomaly():` as well")
    return f"\n  created at (most recent call last):\n{where.format()}"


_check_nan: list[bool] = []  # one entry per active detect_anomaly; the innermost decides
_handles: list[hooks.RemovableHandle] = []  # the hooks installed by the outermost block


def _forward_hook(op: Any, inputs: tuple, out: np.ndarray, node: Node | None) -> None:
    where = None
    if node is not None:
        node.where = where = _capture()
    if not _check_nan[-1] or not _bad(out):
        return
    where = where or _capture()
    msg = (f"detect_anomaly: '{op.name}' produced {_describe(out)} in the forward pass."
           f"\n  inputs: {_shapes(inputs)}")
    already = [i for i, t in enumerate(inputs) if _bad(t.data)]
    if already:
        msg += (f"\n  note: input {', '.join(map(str, already))} already contained NaN/Inf, so it "
                f"was made outside anomaly mode (in the data, or before detect_anomaly() was entered)")
    raise AnomalyError(msg + _created(where), op.name, "forward", where)


def _backward_hook(node: Node, g: Any, dxs: tuple) -> None:
    if not _check_nan[-1]:
        return
    name, where = node.op.name, node.where if isinstance(node.where, Where) else None
    garr = _array(g)
    head = f"detect_anomaly: in the backward pass of '{name}' (output {_shapes([node])}; inputs " \
           f"{_shapes(node.parents)})"
    if _bad(garr):
        raise AnomalyError(
            f"{head}, the incoming gradient already holds {_describe(garr)}: it is the gradient "
            f"passed to backward(), or the sum of the gradients of this output's uses overflowed"
            + _created(where), name, "backward", where)
    for i, dx in enumerate(dxs):
        if dx is not None and _bad(a := _array(dx)):
            raise AnomalyError(
                f"{head}, the gradient for input {i} holds {_describe(a)} although the incoming "
                f"gradient is finite" + _created(where), name, "backward", where)


class detect_anomaly(contextlib.ContextDecorator):
    """Record where each node is created and raise on the first NaN/Inf.

    Use as ``with al.detect_anomaly(): ...`` around the forward *and* backward
    pass, or as a decorator. Slow (a frame walk and an ``isfinite`` per op): for
    debugging, not training.

    Parameters
    ----------
    check_nan
        Raise :class:`AnomalyError` on the first NaN or Inf in an op's output or
        in a gradient. With False, only record where nodes are created (for
        tooltips in drawn graphs, and to name the line in errors later).
    """

    def __init__(self, check_nan: bool = True) -> None:
        if not isinstance(check_nan, (bool, np.bool_)):
            raise TypeError(f"detect_anomaly: check_nan must be a bool, got {check_nan!r}")
        self.check_nan = bool(check_nan)

    def __enter__(self) -> detect_anomaly:
        if not _check_nan:
            _handles.extend([hooks.register_forward_hook(_forward_hook),
                             hooks.register_backward_hook(_backward_hook)])
        _check_nan.append(self.check_nan)
        return self

    def __exit__(self, *exc: Any) -> None:
        _check_nan.pop()
        if not _check_nan:
            while _handles:
                _handles.pop().remove()
