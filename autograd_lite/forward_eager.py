"""Eager forward mode: ``al.jvp`` without recording ``f``.

``f`` runs once, each of its marked inputs replaced by a :class:`Dual`: a Tensor that
carries its tangent. Every op applied to a Dual computes its output's tangent right after
its forward, by the op's JVP rule (:func:`~autograd_lite.jvp_rules.op_jvp`), and hands
back a Dual carrying it. No node is made for what depends only on the marked inputs and
no activation is saved: a tangent lives exactly as long as its Tensor, so the pass holds
what a forward pass under ``no_grad`` holds, plus the tangents.

The tangents ride on the engine's forward-hook slot (a :class:`graph.ForwardTap`), so
``apply`` pays nothing when no eager pass is running. An op that is recorded anyway (an
input requires grad: a parameter, an outer ``al.grad``'s variable) gets its rule recorded
too, so the tangent can be differentiated with respect to that input, as on the recorded
path. What this pass cannot follow: ``f`` starting a transform or a backward pass of its
own (``al.grad`` inside ``f``, a nested ``al.jvp``), whose gradient would need tangents
pushed through that backward. It then stops (:class:`Fallback`) and ``forward.py`` runs
``f`` again on the recorded path.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

import numpy as np

from . import graph
from .graph import InplaceModificationError
from .jvp_rules import op_jvp, traced
from .ops.base import Op
from .pytree import tree_flatten, tree_unflatten
from .tensor import Tensor

_new = object.__new__


class Dual(Tensor):
    """A Tensor carrying its ``tangent`` during one eager forward-mode pass (``push``)."""

    __slots__ = ("tangent", "push")


class Fallback(BaseException):
    """The eager pass cannot follow ``f``: run it recorded. A BaseException, so that an
    ``except Exception`` in ``f`` does not swallow it."""


class Push(graph.ForwardTap):
    """One eager pass: the tap that gives each op's output its tangent."""

    __slots__ = ("busy", "used", "marks", "thread")

    def __init__(self) -> None:
        self.marks: list[Dual] = []
        self.thread = threading.get_ident()   # a backward in another thread is not f's
        self.busy = False   # inside a rule: its own ops carry no tangent of this pass
        # (op, tensor, clock) for every other input of an op that got a tangent: checked
        # for a later in-place change, which the recorded path also refuses.
        self.used: list[tuple[type[Op], Tensor, int]] = []

    def nested(self, what: str) -> None:
        if not self.busy and threading.get_ident() == self.thread:
            raise Fallback(what)

    def tap(self, op: type[Op], args: tuple, params: dict[str, Any], t: Tensor) -> Tensor:
        if self.busy:
            return t
        ts = []
        hit = False
        for a in args:
            if type(a) is Dual and a.push is self:
                if a._version:
                    _refuse(op, a)
                ts.append(a.tangent)
                hit = True
            else:
                ts.append(None)
        if not hit:
            return t
        xs = []
        clock = graph._clock
        for a in args:
            xs.append(a.data)
            if type(a) is not Dual:
                self.used.append((op, a, clock))
        self.busy = True
        try:
            if t._node is not None or (graph._grad_enabled and any(map(traced, ts))):
                # Something here requires grad: the rule runs on Tensors, recorded.
                tan = op_jvp(op, ts, t, args, params)
            else:
                tan = op_jvp(op, ts, t.data, xs, params)
        finally:
            self.busy = False
        d = _new(Dual)  # Tensor._make's fields, and the tangent
        d.data = t.data
        d.grad = None
        d.requires_grad = t.requires_grad
        d._node = t._node
        d._version = 0
        d.tangent = tan
        d.push = self
        return d

    def check_used(self, since: int) -> None:
        if graph._clock != since:
            for op, a, clock in self.used:
                if a._version > clock:
                    _refuse(op, a)


def _refuse(op: type[Op], a: Tensor) -> None:
    raise InplaceModificationError(
        f"jvp: a tensor of shape {a.shape} that '{op.name}' used was modified in place "
        f"inside the function; the tangent would not match the values")


def _dual(x: Any, tangent: Any, push: Push) -> Dual:
    """The marked input ``x`` carrying ``tangent``: its array, not a copy, as a plain
    forward pass would use it (and, as there, an op recorded from it because a parameter
    requires grad holds it read-only while that graph lives)."""
    if isinstance(x, Tensor) and x.dtype.kind == "f":
        data = x.data
    else:  # as a mark converts it, with its error for a non-float input
        data = Tensor(x, requires_grad=True).data
    d = _new(Dual)
    d.data = data
    d.grad = None
    d.requires_grad = False
    d._node = None
    d._version = 0
    d.tangent = tangent
    d.push = push
    return d


def _plain(x: Any, push: Push) -> Any:
    """A Dual of ``push`` as the plain Tensor it stands for (its node kept, if any)."""
    if type(x) is Dual and x.push is push:
        if x._version:
            raise InplaceModificationError(
                f"jvp: an output of shape {x.shape} was modified in place inside the function "
                f"after it was computed; its tangent would not match its values")
        return Tensor._make(x.data, x._node)
    return x


def tangent_for(t: Any, m: Tensor, i: int, caller: str) -> Any:
    """Tangent ``i`` as an array (or a Tensor that requires grad) of mark ``m``'s shape
    and dtype, or None."""
    if t is None:
        return None
    if traced(t):
        arr = t
    else:
        arr = np.asarray(t.data if isinstance(t, Tensor) else t)
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"{caller}: tangent {i} has dtype {arr.dtype}; expected numbers")
    if arr.shape != m.shape:
        raise ValueError(f"{caller}: tangent {i} has shape {arr.shape}, but its primal has shape "
                         f"{m.shape}; they must be equal")
    return arr.astype(m.dtype) if arr.dtype != m.dtype else arr


def split_aux(result: Any, has_aux: bool, caller: str) -> tuple[Any, Any]:
    """``f``'s output and its auxiliary data (JAX's ``has_aux``)."""
    if not has_aux:
        return result, None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(f"{caller}: with has_aux=True the function must return a pair "
                        f"(output, aux), got {type(result).__name__}")
    return result[0], result[1]


def as_result(x: Any, like: Tensor | None = None) -> Tensor:
    """A transform's result as a Tensor (zeros of ``like``'s shape for None)."""
    if x is None:
        assert like is not None
        return Tensor._make(np.zeros(like.shape, like.dtype), None)
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), None)


class _Odd(Exception):
    pass


def pair_leaves(primals: Sequence[Any], tangents: Sequence[Any]
                ) -> tuple[list[Any], list[Any], Callable[[list[Any]], Any]] | None:
    """For primals that are plain dicts, lists and tuples of Tensors, and tangents of the
    same structure (Tensors or arrays): both leaf lists in pytree order, and a function that
    puts new leaves in the primals' structure. None for anything else, which the pytree
    functions then check (and name any mismatch). One walk instead of three: a dict of
    four parameters costs ~10 us instead of ~30 us (measured under load)."""
    leaves: list[Any] = []
    tans: list[Any] = []

    def walk(x: Any, t: Any) -> Any:
        if isinstance(x, Tensor):
            if not isinstance(t, (Tensor, np.ndarray)):
                raise _Odd
            leaves.append(x)
            tans.append(t)
            return None
        kind = type(x)
        if kind is dict and type(t) is dict and len(t) == len(x):
            return kind, tuple(x), [walk(v, t[k]) for k, v in x.items()]
        if (kind is list or kind is tuple) and type(t) is kind and len(t) == len(x):
            return kind, None, [walk(a, b) for a, b in zip(x, t)]
        raise _Odd

    try:
        spec = walk(tuple(primals), tuple(tangents))
    except (_Odd, KeyError):
        return None

    def build(d: Any, it: Any) -> Any:
        if d is None:
            return next(it)
        kind, keys, kids = d
        if kind is dict:
            return {k: build(c, it) for k, c in zip(keys, kids)}
        return kind([build(c, it) for c in kids])

    return leaves, tans, lambda new: build(spec, iter(new))


def jvp(f: Callable[..., Any], leaves: Sequence[Any], args_of: Callable[[list[Any]], Any] | None,
        t_leaves: Sequence[Any], has_aux: bool, caller: str) -> tuple[Any, ...]:
    """``al.jvp``'s result by one eager pass: ``f`` runs on ``args_of(duals)``, the leaves
    as Duals in the primals' structure (``args_of`` None: the leaves are ``f``'s
    arguments). Raises :class:`Fallback` when ``f`` needs the recorded path."""
    push = Push()
    grad_on = graph._grad_enabled
    marks = push.marks
    for i, x in enumerate(leaves):
        m = _dual(x, None, push)
        s = tangent_for(t_leaves[i], m, i, caller)
        # Nothing will record the tangents: their arrays suffice.
        m.tangent = s.data if not grad_on and isinstance(s, Tensor) else s
        marks.append(m)
    since = graph._clock
    hooks = graph.forward_hooks
    hooks.append(push)
    try:
        result = f(*marks) if args_of is None else f(*args_of(marks))
    finally:
        if hooks[-1] is push:
            hooks.pop()
        else:   # a hook registered inside f and left there
            del hooks[next(i for i in range(len(hooks) - 1, -1, -1) if hooks[i] is push)]
    push.check_used(since)
    out, aux = split_aux(result, has_aux, caller)
    if isinstance(out, Tensor):   # one output: no pytree to walk
        out_leaves, out_def = [out], None
    else:
        out_leaves, out_def = tree_flatten(out)
    outs, tans = [], []
    for o in out_leaves:
        t = None
        if type(o) is Dual and o.push is push:
            t = o.tangent
            if any(t is m.tangent for m in marks):   # f returned an input: copy its tangent
                t = t.copy() if isinstance(t, np.ndarray) else t * 1
            o = _plain(o, push)
        elif isinstance(o, Tensor):
            o = o if grad_on and o._node is not None else o.detach()
        else:
            o = Tensor(o)
        outs.append(o)
        tans.append(as_result(t, o))
    push.used.clear()
    marks.clear()
    if out_def is None:
        res: tuple[Any, ...] = (outs[0], tans[0])
    else:
        res = (tree_unflatten(out_def, outs), tree_unflatten(out_def, tans))
    if not has_aux:
        return res
    aux_leaves, td = tree_flatten(aux)
    if any(type(a) is Dual for a in aux_leaves):   # else aux goes back untouched
        aux = tree_unflatten(td, [_plain(a, push) for a in aux_leaves])
    return res + (aux,)
