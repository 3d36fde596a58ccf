"""The NumPy-named function for every op (``al.exp``, ``al.sum``, ...), and the
functions that make tensors (``al.tensor``, ``al.zeros``, ...).

NumPy's own functions reach the same ops on Tensors through ``Tensor.__array_function__``
and ``Tensor.__array_ufunc__`` and their tables in ``tensor.py``."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Sequence

import numpy as np

from .ops import Op
from .ops.base import _redefinition_hooks
from .tensor import Tensor, apply, get_default_dtype, split


class _OpFunction(functools.partial):
    """An op's public function: :func:`~autograd_lite.tensor.apply` with the op bound.
    A partial rather than a ``def`` because calling it then runs no Python frame of
    its own before apply's, a measurable share of a small op's cost."""

    def __repr__(self) -> str:
        return f"<function autograd_lite.{self.__name__}>"


def _function_for(op: type[Op]) -> Callable[..., Tensor]:
    bind = op.__dict__.get("bind")  # its own call: conv2d's optional bias
    fn: Any = _OpFunction(apply, op) if bind is None else _bound_function(op, bind.__func__)
    sig = inspect.signature(op.forward if bind is None else bind.__func__)
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


def _bound_function(op: type[Op], bind: Callable[..., tuple[tuple, dict]]) -> Callable[..., Tensor]:
    def fn(*args: Any, **kwargs: Any) -> Tensor:
        inputs, params = bind(*args, **kwargs)
        return apply(op, *inputs, **params)
    return fn


#: One public function per registered op, by op name.
OP_FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    name: _function_for(op) for name, op in Op.registry.items()}


def _follow(old: type[Op], new: type[Op]) -> None:
    """``new`` replaced ``old`` (a redefinition, see :class:`~autograd_lite.OpRedefinedWarning`):
    point ``old``'s public function at ``new`` in place, so that every reference to it (an
    ``al.<name>`` attribute, a ``f = al.function(Old)`` made before) calls the new class.
    A function that is not a partial cannot be re-pointed: the table gets a new one."""
    fn = OP_FUNCTIONS.get(new.name)
    if fn is None or fn.op is not old:  # type: ignore[attr-defined]
        return
    if isinstance(fn, functools.partial):
        _rebind(fn, new)
    else:
        OP_FUNCTIONS[new.name] = _function_for(new)


def _rebind(fn: functools.partial, op: type[Op]) -> None:
    """Make the public function ``fn`` apply ``op`` (its name, docs and signature too).
    ``__setstate__`` is how pickle re-creates a partial: (func, args, keywords, dict)."""
    new: Any = _function_for(op)
    call = (new.func, new.args, new.keywords) if isinstance(new, functools.partial) else (new, (), {})
    fn.__setstate__((*call, {k: getattr(new, k) for k in _FUNCTION_ATTRS}))


#: What _function_for sets on a public function, besides what it calls.
_FUNCTION_ATTRS = ("__name__", "__qualname__", "__doc__", "__signature__", "__module__", "op")


_redefinition_hooks.append(_follow)


def function(op: type[Op]) -> Callable[..., Tensor]:
    """The public function of an op class, e.g. ``cube = al.function(Cube)``."""
    if not (isinstance(op, type) and issubclass(op, Op)):
        raise TypeError(f"function: expected an Op subclass, got {op!r}")
    fn = OP_FUNCTIONS.get(op.name)
    if fn is None or fn.op is not op:  # type: ignore[attr-defined]
        fn = _function_for(op)
        if Op.registry.get(op.name) is op:  # not a class that a redefinition replaced
            OP_FUNCTIONS[op.name] = fn
    return fn


def flatten(x: Any) -> Tensor:
    """``x`` as a 1-D tensor (a reshape to ``(-1,)``)."""
    return OP_FUNCTIONS["reshape"](x, shape=(-1,))


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a tensor (same as ``Tensor(data, requires_grad, dtype)``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(shape: int | Sequence[int], dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros in the default float dtype."""
    return _filled(np.zeros, "zeros", shape, dtype, requires_grad)


def ones(shape: int | Sequence[int], dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones in the default float dtype."""
    return _filled(np.ones, "ones", shape, dtype, requires_grad)


def zeros_like(x: Any, requires_grad: bool = False) -> Tensor:
    """Zeros with ``x``'s shape and dtype."""
    return _filled(np.zeros_like, "zeros_like", x, None, requires_grad)


def ones_like(x: Any, requires_grad: bool = False) -> Tensor:
    """Ones with ``x``'s shape and dtype."""
    return _filled(np.ones_like, "ones_like", x, None, requires_grad)


def _filled(make: Callable[..., np.ndarray], name: str, shape_or_x: Any, dtype: Any,
            requires_grad: bool) -> Tensor:
    try:
        if dtype is None and name.endswith("_like"):
            arr = make(np.asarray(shape_or_x.data if isinstance(shape_or_x, Tensor) else shape_or_x))
        else:
            arr = make(shape_or_x, dtype or get_default_dtype())
        return Tensor(arr, requires_grad=requires_grad)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{name}: {e}") from None
