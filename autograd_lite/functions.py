"""The NumPy-named function for every op (``al.exp``, ``al.sum``, ...) and the
tables that let NumPy's own functions dispatch to them on Tensors."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Sequence

import numpy as np

from .engine import apply
from .ops import Op
from .ops.index import GetItem
from .tensor import Tensor, get_default_dtype


class _OpFunction(functools.partial):
    """An op's public function: :func:`~autograd_lite.engine.apply` with the op bound.
    A partial rather than a ``def`` because calling it then runs no Python frame of
    its own before apply's, a measurable share of a small op's cost."""

    def __repr__(self) -> str:
        return f"<function autograd_lite.{self.__name__}>"


def _function_for(op: type[Op]) -> Callable[..., Tensor]:
    public = op.__dict__.get("public")  # its own call: conv2d's optional bias
    fn: Any = _OpFunction(apply, op) if public is None else public.__func__
    sig = inspect.signature(op.forward if public is None else fn)
    if op.arity is None:  # a sequence of tensors first, as in np.concatenate
        ps = [inspect.Parameter("tensors", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        ps += [p for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]
        sig = sig.replace(parameters=ps)
    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.__doc__
    fn.__signature__ = sig.replace(return_annotation="Tensor")  # type: ignore[attr-defined]
    fn.__module__ = "autograd_lite"
    fn.op = op  # type: ignore[attr-defined]
    return fn


#: One public function per registered op, by op name.
OP_FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    name: _function_for(op) for name, op in Op.registry.items()}


def function(op: type[Op]) -> Callable[..., Tensor]:
    """The public function of an op class, e.g. ``cube = al.function(Cube)``."""
    fn = OP_FUNCTIONS.get(op.name)
    if fn is None or fn.op is not op:  # type: ignore[attr-defined]
        fn = OP_FUNCTIONS[op.name] = _function_for(op)
    return fn


def flatten(x: Any) -> Tensor:
    """``x`` as a 1-D tensor (a reshape to ``(-1,)``)."""
    return OP_FUNCTIONS["reshape"](x, shape=(-1,))


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split ``x`` along ``axis`` as :func:`numpy.split` does; each part is a slice
    (a ``getitem``), so the parts' gradients scatter back into place."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if not -x.ndim <= axis < x.ndim:
        raise np.exceptions.AxisError(f"split: axis {axis} is out of bounds for shape {x.shape}")
    ax, n = axis % x.ndim, x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(f"split: axis {axis} of shape {x.shape} (length {n}) does not divide "
                             f"into {k} equal sections")
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    pre = (slice(None),) * ax
    return [apply(GetItem, x, index=pre + (slice(a, b),)) for a, b in zip(bounds, bounds[1:])]


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a tensor (same as ``Tensor(data, requires_grad, dtype)``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(shape: int | Sequence[int], dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros in the default float dtype."""
    return Tensor(np.zeros(shape, dtype or get_default_dtype()), requires_grad=requires_grad)


def ones(shape: int | Sequence[int], dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones in the default float dtype."""
    return Tensor(np.ones(shape, dtype or get_default_dtype()), requires_grad=requires_grad)


def zeros_like(x: Any, requires_grad: bool = False) -> Tensor:
    """Zeros with ``x``'s shape and dtype."""
    return Tensor(np.zeros_like(np.asarray(x)), requires_grad=requires_grad)


def ones_like(x: Any, requires_grad: bool = False) -> Tensor:
    """Ones with ``x``'s shape and dtype."""
    return Tensor(np.ones_like(np.asarray(x)), requires_grad=requires_grad)


F = OP_FUNCTIONS
UFUNCS: dict[str, Callable[..., Tensor]] = {
    "add": F["add"], "subtract": F["subtract"], "multiply": F["multiply"],
    "divide": F["divide"], "negative": F["negative"], "positive": F["positive"],
    "power": F["power"], "exp": F["exp"], "log": F["log"], "sqrt": F["sqrt"],
    "absolute": F["abs"], "sin": F["sin"], "cos": F["cos"], "tanh": F["tanh"],
    "maximum": F["maximum"], "minimum": F["minimum"], "matmul": F["matmul"],
}
NONDIFF_UFUNCS = {
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "sign",
    "isnan", "isinf", "isfinite", "logical_and", "logical_or", "logical_not", "logical_xor",
    "floor", "ceil", "rint", "signbit", "bitwise_and", "bitwise_or", "bitwise_xor", "invert",
}
ARRAY_FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: F["sum"], np.mean: F["mean"], np.max: F["max"], np.min: F["min"],
    np.amax: F["max"], np.amin: F["min"], np.var: F["var"], np.std: F["std"],
    np.reshape: F["reshape"], np.transpose: F["transpose"], np.swapaxes: F["swapaxes"],
    np.broadcast_to: F["broadcast_to"], np.squeeze: F["squeeze"],
    np.expand_dims: F["expand_dims"], np.concatenate: F["concatenate"], np.stack: F["stack"],
    np.pad: F["pad"], np.where: F["where"], np.clip: F["clip"], np.split: split,
    np.ravel: flatten,
}
NONDIFF_FUNCTIONS = {
    np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.isclose, np.allclose, np.array_equal, np.argmax, np.argmin, np.any, np.all,
    np.count_nonzero, np.result_type, np.array2string, np.array_repr, np.sort, np.argsort,
}
