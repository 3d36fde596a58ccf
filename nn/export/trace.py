"""What :func:`~nn.export.export_onnx` learns from running the model once: the example
inputs checked, and every module's call (its arguments and what it returned), and the
nested tuples of inputs and outputs that sequence layers take and return."""

from __future__ import annotations

import inspect
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as al

from ..module import Module

__all__: list[str] = []

Call = tuple[dict[str, Any], Any]  # (forward's arguments by name, defaults filled in; output)


def leaves(tree: Any, lists: bool = False) -> list[Any]:
    """The leaves of nested tuples (and lists if ``lists``: a list may also be an
    array's data), in order, None included."""
    if isinstance(tree, tuple) or (lists and isinstance(tree, list)):
        return [leaf for t in tree for leaf in leaves(t, lists)]
    return [tree]


def rebuild(tree: Any, items: list[Any], lists: bool = False) -> Any:
    """``tree``'s shape, as tuples, with its leaves replaced, in order, by ``items``
    (consumed)."""
    if isinstance(tree, tuple) or (lists and isinstance(tree, list)):
        return tuple(rebuild(t, items, lists) for t in tree)
    return items.pop(0)


def array(x: Any) -> Any:
    """A Tensor's array; anything else (None, a flag, an array) as it is."""
    return x.data if isinstance(x, al.Tensor) else x


def check_example(model: Module, example_input: Any,
                  takes_indices: Callable[[Module], bool]) -> Any:
    """The example input(s) as arrays, in the nesting given; TypeError for a dtype the
    model cannot take."""
    dtypes = {t.dtype for t in [*model.parameters(), *model.buffers()] if t.dtype.kind == "f"}
    indices = any(takes_indices(m) for m in model.modules())

    def check(x: Any) -> np.ndarray:
        if x is None:
            raise TypeError("export_onnx: example_input holds None; leave optional inputs out "
                            "(or pass them in kwargs, built into the graph)")
        x = np.asarray(array(x))
        if x.dtype.kind in "iu" and indices:
            return x
        if x.dtype.kind != "f":
            what = "a floating array" + (" or integer indices" if indices else "")
            raise TypeError(f"export_onnx: example_input must be {what}, got dtype {x.dtype} "
                            f"(shape {x.shape})")
        if dtypes and x.dtype not in dtypes:
            want = " or ".join(sorted(str(d) for d in dtypes))
            raise TypeError(f"export_onnx: example_input has dtype {x.dtype} but the model's "
                            f"parameters are {want}; pass example_input.astype(np."
                            f"{want.split()[0]}) (the exported graph takes the example's dtype)")
        return x

    return rebuild(example_input, [check(x) for x in leaves(example_input)])


def tensors(tree: Any) -> Any:
    """Floating arrays as Tensors (integer indices stay arrays: a Tensor is floating),
    in the same nesting."""
    return rebuild(tree, [al.Tensor(x) if x.dtype.kind == "f" else x for x in leaves(tree)])


def bind(forward: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``forward``'s arguments by name, defaults filled in, values as arrays."""
    try:
        bound = inspect.signature(forward).bind(*args, **kwargs)
    except (TypeError, ValueError):  # a signature inspect cannot read: positions only
        return {f"arg{i}": array(a) for i, a in enumerate(args)} | {
            k: array(v) for k, v in kwargs.items()}
    bound.apply_defaults()
    out: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = bound.signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            out.update((f"{name}{i}", rebuild(v, [array(a) for a in leaves(v, True)], True))
                       for i, v in enumerate(value))
        elif kind is inspect.Parameter.VAR_KEYWORD:
            out.update((k, array(v)) for k, v in value.items())
        else:
            # An LSTM's state (h, c) may come as a list.
            out[name] = rebuild(value, [array(a) for a in leaves(value, True)], True) \
                if isinstance(value, (tuple, list)) else array(value)
    return out


_MISSING = object()


def record(model: Module, x: Any, kwargs: dict[str, Any]) -> dict[int, deque[Call]]:
    """Every module's calls, in order, in one forward pass of ``model`` on ``x`` (a
    tuple: positional arguments): the values of the graph's names, including those that
    an exporter's own nodes compute between submodules."""
    calls: dict[int, deque[Call]] = defaultdict(deque)
    patched = []

    def recording(m: Module, forward: Callable[..., Any]) -> Callable[..., Any]:
        def rec(*args: Any, **kw: Any) -> Any:
            out = forward(*args, **kw)
            calls[id(m)].append((bind(forward, args, kw), out))
            return out
        return rec

    try:
        for m in model.modules():
            patched.append((m, m.__dict__.get("forward", _MISSING)))
            # An instance attribute, which Module.__call__ finds before the method.
            object.__setattr__(m, "forward", recording(m, m.forward))
        model(*tensors(x), **kwargs)
    finally:
        for m, old in patched:
            if old is _MISSING:
                object.__delattr__(m, "forward")
            else:
                object.__setattr__(m, "forward", old)
    return calls
