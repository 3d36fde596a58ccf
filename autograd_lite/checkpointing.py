"""Gradient checkpointing: ``al.checkpoint(fn)(*args)`` trades compute for memory.

The forward runs ``fn`` without recording and keeps only its inputs and its output,
as one ``checkpoint`` node; its VJP runs ``fn`` again, recorded, and backpropagates
through that fresh graph. The activations inside ``fn`` are then alive only while
backward is inside that node, instead of from the forward pass to the end of
backward. Cost: one more forward pass of ``fn`` per backward.

Tensors that ``fn`` reads without taking them as arguments (a layer's parameters)
are found while it runs (every op's inputs are seen through a forward hook) and
become inputs of the node, so their gradients flow as if ``fn`` were not wrapped.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from . import graph, hooks
from .graph import enable_grad, no_grad
from .ops.base import Op
from .tensor import Tensor, apply
from .transforms import gradients


def _sample_block(x, w):
    h = x @ w
    return np.tanh(h) * h


def _sample_unary(x):
    return np.exp(np.sin(x)) * x


class Checkpoint(Op):
    """``out = fn(*args)``, recorded as this one node; see :func:`checkpoint`.

    Notes
    -----
    VJP::

        recompute y = fn(*args) with recording on, then
        (dargs, dcaptured) = the VJP of that graph at g    (one backward through it)

    ``captured`` are the tensors ``fn`` reads from outside that require grad; they
    are the node's last inputs. ``fn`` must be deterministic: the recomputed output
    is compared with the saved one, and a difference raises.
    """
    name, arity = "checkpoint", None
    kind = "custom"

    @classmethod
    def sample_inputs(cls, draw):
        if draw.booleans():
            n, k = draw.integers(0, 3), draw.integers(1, 3)
            return [(n, k), (k, k)], {"fn": _sample_block, "nargs": 2}
        return [draw.shape()], {"fn": _sample_unary, "nargs": 1}

    @staticmethod
    def forward(*xs, fn=None, nargs=None, captured=(), result=None):
        if result is not None:  # already computed by checkpoint(), which needed the run
            return result
        with no_grad():
            y = fn(*[Tensor._make(x, None) for x in xs[:nargs]])
        return _output(y).data

    @staticmethod
    def vjp(g, out, *xs, fn=None, nargs=None, captured=(), result=None, needs):
        record = isinstance(g, Tensor) or any(isinstance(x, Tensor) for x in xs)
        args = []
        for x, need in zip(xs[:nargs], needs):
            if isinstance(x, Tensor):
                args.append(x)      # differentiating twice: the recomputation joins the graph
            else:
                args.append(Tensor(x, requires_grad=True) if need else Tensor._make(x, None))
        targets = [a for a, n in zip(args, needs) if n] + \
            [c for c, n in zip(captured, needs[nargs:]) if n]
        with enable_grad():
            y = _output(fn(*args))
        saved = np.asarray(out.data if isinstance(out, Tensor) else out)
        if not np.allclose(y.data, saved, rtol=1e-5, atol=1e-6 * float(np.max(np.abs(saved), initial=0)),
                           equal_nan=True):
            raise RuntimeError(
                f"checkpoint: recomputing {getattr(fn, '__name__', 'fn')} in backward gave a different "
                f"output than the forward did (max difference "
                f"{float(np.max(np.abs(y.data - saved), initial=0)):.3g}); the function must be "
                f"deterministic (no fresh randomness such as dropout masks)")
        gs: list[Any] = [None] * len(targets)
        if y.requires_grad and targets:
            gs = gradients(y, targets, g, retain_graph=record, create_graph=record)
        it = iter(gs)
        return tuple((next(it) if n else None) for n in needs)


def _output(y: Any) -> Tensor:
    if not isinstance(y, Tensor):
        raise TypeError(f"checkpoint: the function must return one Tensor, got {type(y).__name__}")
    return y


def checkpoint(fn: Callable[..., Any]) -> Callable[..., Tensor]:
    """``fn`` with gradient checkpointing: ``al.checkpoint(block)(x)`` computes
    ``block(x)`` keeping only ``x`` and the result for backward, and recomputes the
    activations inside ``block`` during backward.

    ``fn`` takes Tensors (or arrays) as positional arguments and returns one Tensor;
    keyword arguments are passed through as constants. Parameters ``fn`` reads from
    outside (a module's weights) get their gradients as usual. ``fn`` must be
    deterministic: a recomputation that differs from the forward raises.

    >>> import autograd_lite as al
    >>> w = al.tensor([0.5, -1.0], requires_grad=True)
    >>> block = lambda x: al.tanh(x * w) * w
    >>> x = al.tensor([1.0, 2.0], requires_grad=True)
    >>> al.checkpoint(block)(x).sum().backward()
    >>> x.grad, w.grad
    (array([0.19661193, 0.07065082], dtype=float32), array([ 0.8553411, -1.1053293], dtype=float32))

    The same gradients as ``block(x).sum().backward()``.
    """
    if not callable(fn):
        raise TypeError(f"checkpoint: fn must be callable, got {type(fn).__name__}")

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Tensor:
        f = functools.partial(fn, **kwargs) if kwargs else fn
        if not graph._grad_enabled:
            return _output(f(*args))
        start = graph._next_seq()
        explicit = {id(a) for a in args}
        captured: list[Tensor] = []

        def see(op: type[Op], inputs: tuple, out: np.ndarray, node: Any) -> None:
            for t in inputs:
                # Outside tensors that require grad, not ones made inside fn (by a
                # transform inside it): those are leaves, or older than this call.
                if (t.requires_grad and id(t) not in explicit
                        and (t._node is None or t._node.seq < start)):
                    explicit.add(id(t))
                    captured.append(t)

        with no_grad(), hooks.register_forward_hook(see):
            out = _output(f(*args))
        if not captured and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return out
        res = apply(Checkpoint, [*args, *captured], fn=f, nargs=len(args), captured=tuple(captured),
                    result=out.data)
        # The result was only this call's: a second-order recomputation runs fn again.
        res.node.params["result"] = None
        return res

    wrapped.op = Checkpoint  # type: ignore[attr-defined]
    return wrapped


checkpoint.op = Checkpoint  # type: ignore[attr-defined]
