"""What the functions of :mod:`nn.functional` share: converting operands to Tensors
and arrays, and the losses' target, shape and ``reduction`` handling."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import autograd_lite as al

Tensor = al.Tensor
_REDUCTIONS = ("mean", "sum", "none")


def _t(x: Any, fn: str | None = None, what: str = "input") -> Tensor:
    """``x`` as a Tensor; a refusal names ``fn`` and the argument ``what`` when given."""
    if isinstance(x, Tensor):
        return x
    try:
        return al.Tensor(x)
    except (TypeError, ValueError) as e:
        if fn is None:
            raise
        raise type(e)(f"{fn}: {what}: {e}") from None


def _target(target: Any, like: Tensor, fn: str, what: str = "target") -> Any:
    """A target as an operand: a Tensor that needs grad stays; anything else
    becomes an ndarray of the input's dtype. Only real numbers: a complex target
    would lose its imaginary part, strings cannot be converted."""
    if isinstance(target, Tensor) and target.requires_grad:
        return target
    try:
        arr = target.data if isinstance(target, Tensor) else np.asarray(target)
    except ValueError as e:  # ragged lists
        raise ValueError(f"{fn}: {what} is not an array of numbers: {e}") from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: {what} must hold real numbers, got dtype {arr.dtype}")
    return arr.astype(like.dtype, copy=False)


def _check_reduction(reduction: str, fn: str, allowed: Sequence[str] = _REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{fn}: reduction must be one of {', '.join(map(repr, allowed))}; "
                         f"got {reduction!r}")


def _pair(input: Any, target: Any, reduction: str, fn: str) -> tuple[Tensor, Any]:
    """Input and target of an elementwise loss, with the same shape (broadcasting a
    target of the wrong shape is almost always a bug, so it is an error here)."""
    _check_reduction(reduction, fn)
    x = _t(input, fn)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: input must be floating point, got dtype {x.dtype}")
    t = _target(target, x, fn)
    if tuple(np.shape(t)) != x.shape:
        raise ValueError(f"{fn}: input shape {x.shape} and target shape {tuple(np.shape(t))} "
                         f"differ; they must be equal (reshape one of them)")
    return x, t


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)
