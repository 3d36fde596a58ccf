"""Transforms: derivatives as functions (``grad``, ``value_and_grad``) and ``gradients``,
PyTorch's ``torch.autograd.grad``."""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from .backward import run_backward
from .graph import enable_grad
from .ops.arith import Positive
from .tensor import Tensor, _gradient_array


def gradients(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
              grad_outputs: Any = None, *, retain_graph: bool | None = None,
              create_graph: bool = False) -> list[Any]:
    """d(outputs)/d(inputs) contracted with ``grad_outputs``, without touching ``.grad``.

    Like ``torch.autograd.grad``: ``inputs`` may be leaves or intermediate tensors;
    an input that the outputs do not depend on gets ``None``. With
    ``create_graph=True`` the results are Tensors that can be differentiated again.
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for what, ts in (("outputs", outs), ("inputs", ins)):
        bad = [type(t).__name__ for t in ts if not isinstance(t, Tensor)]
        if bad:
            raise TypeError(f"gradients: {what} must be Tensors, got {', '.join(bad)}")
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)) or np.isscalar(grad_outputs):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outs):
        raise ValueError(f"gradients: {len(grad_outputs)} grad_outputs for {len(outs)} outputs")
    gs = []
    for o, g in zip(outs, grad_outputs):
        if not o.requires_grad:
            raise RuntimeError("gradients: an output does not require grad; nothing to differentiate")
        if g is None:
            if o.size != 1:
                raise RuntimeError(f"gradients: grad_outputs is needed for an output of shape {o.shape}")
            g = np.ones(o.shape, o.dtype)
        garr = g.data if isinstance(g, Tensor) else _gradient_array(g, "gradients")
        if garr.shape != o.shape:
            raise ValueError(f"gradients: grad_output has shape {garr.shape}, output has shape {o.shape}")
        if create_graph:
            gs.append(g if isinstance(g, Tensor) else Tensor._make(np.array(garr), None))
        else:
            gs.append(np.array(garr, dtype=o.dtype))
    res = run_backward(outs, gs, retain_graph=create_graph if retain_graph is None else retain_graph,
                       create_graph=create_graph, targets=ins)
    assert res is not None
    if create_graph:
        res = [r if r is None or isinstance(r, Tensor) else Tensor._make(np.asarray(r), None) for r in res]
    return res


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """``f``'s value and its gradient w.r.t. the arguments ``argnums``.

    ``f`` must return a one-element Tensor. Gradients come back as Tensors recorded
    in a graph, so ``al.grad(al.grad(f))`` gives second derivatives.
    """
    return _value_and_grad(f, argnums, "value_and_grad")


def _value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int],
                    name: str) -> Callable[..., tuple[Any, Any]]:
    if not callable(f):
        raise TypeError(f"{name}: f must be callable, got {type(f).__name__}")
    single = isinstance(argnums, int) and not isinstance(argnums, bool)
    nums = (argnums,) if single else _argnums(argnums, name)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        args_l = list(args)
        if not all(-len(args) <= i < len(args) for i in nums):
            raise TypeError(f"{name}: differentiating with respect to argnums={argnums!r} needs at "
                            f"least {max(i if i >= 0 else -i - 1 for i in nums) + 1} positional "
                            f"arguments, but {getattr(f, '__name__', 'f')} was called with "
                            f"{len(args)}")
        marks = []
        with enable_grad():
            for i in nums:
                a = args_l[i]
                if not (isinstance(a, Tensor) and a.requires_grad):
                    a = Tensor(a.data if isinstance(a, Tensor) else a, requires_grad=True)
                # A fresh node per argument: gradients stop there, even when the
                # argument comes from an outer al.grad's graph.
                args_l[i] = Positive.apply(a)
                marks.append(args_l[i])
            out = f(*args_l, **kwargs)
        if not isinstance(out, Tensor) or out.size != 1:
            raise TypeError(f"{name}: the function must return a one-element Tensor, got "
                            f"{type(out).__name__}{' of shape ' + str(out.shape) if isinstance(out, Tensor) else ''}; "
                            f"for other outputs use al.gradients(outputs, inputs, grad_outputs)")
        if not out.requires_grad:
            gs = [None] * len(marks)
        else:
            gs = gradients(out, marks, create_graph=True)
        gs = [Tensor._make(np.zeros(m.shape, m.dtype), None) if g is None else g for g, m in zip(gs, marks)]
        return out, (gs[0] if single else tuple(gs))

    return wrapped


def _argnums(argnums: Any, name: str) -> tuple[int, ...]:
    try:
        nums = tuple(argnums)
    except TypeError:
        nums = (None,)
    if not nums or not all(isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise TypeError(f"{name}: argnums must be an int or a non-empty sequence of ints, got "
                        f"{argnums!r}")
    return nums


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The gradient of scalar-valued ``f`` w.r.t. argument(s) ``argnums``, as a function.

    >>> import autograd_lite as al
    >>> df = al.grad(lambda x: (x ** 3).sum())
    >>> df(al.tensor([1.0, 2.0]))
    Tensor([ 3., 12.], dtype=float32, op=multiply)
    """
    vg = _value_and_grad(f, argnums, "grad")

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped
