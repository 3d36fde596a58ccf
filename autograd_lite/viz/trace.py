"""What the explorer shows of a backward pass, recorded while it runs: :func:`trace`.

A :class:`Trace` is a :class:`~autograd_lite.viz.GradRecord` (so :func:`draw` takes
it as ``grads=``) that also keeps, for every node backward visits, the order in which
the engine visited it, summaries of its forward value and of the cotangent arriving,
and what its VJP sent to each input: the norm of each cotangent and, for a leaf, the
leaf's ``.grad`` right after it was added. Everything is taken from the engine's own
backward hook as it runs, so the order is the engine's, not a re-derivation; a leaf
with tensor hooks (``register_hook``) is watched by one more hook, run after the user's,
because the engine sums its cotangents and runs its hooks at the end of the walk.
"""

from __future__ import annotations

import itertools
import math
import weakref
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import hooks
from ..broadcasting import unbroadcast
from ..graph import Node
from ..tensor import Tensor
from .stats import GradRecord

#: Bins of the small histogram a summary keeps.
HIST_BINS = 12
#: Arrays of at most this many entries keep their values.
SMALL = 20


def _array(a: Any) -> np.ndarray:
    return np.asarray(a.data if isinstance(a, Tensor) else a)


@dataclass(frozen=True)
class Summary:
    """What the explorer shows of one array: its shape and dtype, its 2-norm (NaN if an
    entry is NaN, else Inf if one is infinite, as :class:`GradStats`), the min, max and
    mean of its finite entries, how many are NaN or infinite, a histogram of the finite
    entries over ``[min, max]`` in :data:`HIST_BINS` bins, and the values themselves
    when there are at most :data:`SMALL` of them."""

    shape: tuple[int, ...]
    dtype: str
    norm: float
    min: float
    max: float
    mean: float
    nan: int
    inf: int
    hist: tuple[int, ...]
    values: tuple[float, ...] | None

    @classmethod
    def of(cls, a: Any) -> Summary:
        """The summary of ``a`` (an ndarray, a Tensor or a number)."""
        a = _array(a)
        f = a.astype(np.float64, copy=False).ravel() if a.dtype.kind in "biu" else a.ravel()
        finite = np.isfinite(f)
        nan = int(np.isnan(f).sum())
        inf = int(f.size - finite.sum()) - nan
        if nan or inf:
            f = f[finite]
        values = tuple(float(v) for v in a.ravel()) if a.size <= SMALL else None
        if not f.size:
            norm = float("nan") if nan else float("inf") if inf else 0.0
            return cls(a.shape, str(a.dtype), norm, float("nan"), float("nan"), float("nan"),
                       nan, inf, (), values)
        norm = float("nan") if nan else float("inf") if inf else _norm(f)
        lo, hi = float(f.min()), float(f.max())
        return cls(a.shape, str(a.dtype), norm, lo, hi, float(f.mean(dtype=np.float64)), nan, inf,
                   _histogram(f, lo, hi) if f.size > 1 else (), values)


def _norm(f: np.ndarray) -> float:
    """The 2-norm of finite ``f``, squared in float64 (a float32 gradient of 1e20 has a
    finite norm) and scaled by its largest entry if even float64 overflows."""
    with np.errstate(over="ignore"):
        sq = np.sum(np.square(f, dtype=np.float64))
    if np.isfinite(sq):
        return float(np.sqrt(sq))
    top = float(np.abs(f).max())
    return top * float(np.sqrt(np.sum(np.square(f / top, dtype=np.float64))))


def _histogram(f: np.ndarray, lo: float, hi: float) -> tuple[int, ...]:
    """Counts of ``f`` in :data:`HIST_BINS` equal bins over ``[lo, hi]`` (all in the first
    if ``lo == hi``). By hand: ``np.histogram`` refuses a range narrower than its bins
    can resolve, which float32 gradients reach."""
    span = hi - lo
    if span == 0 or not math.isfinite(span):
        return (f.size,) + (0,) * (HIST_BINS - 1)
    bins = ((f.astype(np.float64) - lo) * (HIST_BINS / span)).astype(np.int64)
    return tuple(int(c) for c in np.bincount(np.minimum(bins, HIST_BINS - 1), minlength=HIST_BINS))


@dataclass(frozen=True)
class Sent:
    """What a VJP sent to its input ``index``: the cotangent's norm once summed down to
    the input's shape and, if the input is a leaf, a summary of the leaf's ``.grad``
    after it was added (``leaf_grad``; None for an op's output)."""

    index: int
    norm: float
    leaf_grad: Summary | None


@dataclass(frozen=True)
class Visit:
    """One node's visit by backward: its place in the order (``step``, counted over
    the trace's lifetime), the cotangent arriving (``grad``), the forward value
    (``value``; None if it was already freed) and what was ``sent`` to each input."""

    step: int
    grad: Summary
    value: Summary | None
    sent: tuple[Sent, ...]


class Trace(GradRecord):
    """A :class:`GradRecord` that also records the order of backward and the summaries
    :func:`~autograd_lite.viz.explore` shows. Use through :func:`trace`.

    Visits are held weakly, by node. A node visited by several backward passes keeps
    its last visit. Leaves' running ``.grad`` values assume ``backward()`` (which adds
    into ``.grad``), not a function-style gradient such as ``al.grad``. A leaf with
    tensor hooks gets its gradient as the engine gives it: the sum of its cotangents
    after its hooks (which may replace it), added to ``.grad`` once, after the walk; its
    ``.grad`` shows unchanged at the steps before its last contribution and final there.
    """

    def __init__(self) -> None:
        super().__init__()
        self._visits: weakref.WeakKeyDictionary[Node, Visit] = weakref.WeakKeyDictionary()
        self._count = itertools.count()
        # Leaves with tensor hooks, by id, during a walk: [.grad before it (a copy, or
        # None), (node, k) of its last contribution, the watching hook, the hook list].
        self._hooked: dict[int, list] = {}

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        for _, _, watch, fns in self._hooked.values():  # a backward that failed midway
            if watch in fns:
                fns.remove(watch)
        self._hooked.clear()

    def _on_backward(self, node: Node, g: Any, dxs: tuple) -> None:
        super()._on_backward(node, g, dxs)
        sent = []
        running: dict[int, np.ndarray] = {}  # a leaf used twice by this node (x * x)
        for i, (p, need, dx) in enumerate(zip(node.parents, node.needs, dxs)):
            if not need or dx is None:
                continue
            dx = _array(dx)
            if dx.shape != p.shape:
                dx = unbroadcast(dx, p.shape, node.op.name)
            leaf = None
            if type(p) is not Node and hooks.has_tensor_hooks(p):
                leaf = self._hooked_leaf(p, node, len(sent))
            elif type(p) is not Node:
                before = running.get(id(p))
                if before is None and p.grad is not None:
                    before = _array(p.grad)
                running[id(p)] = after = dx if before is None else before + dx
                leaf = Summary.of(after)
            sent.append(Sent(i, Summary.of(dx).norm, leaf))
        value = Summary.of(node.out) if node.out is not None else None
        self._visits[node] = Visit(next(self._count), Summary.of(g), value, tuple(sent))

    def _hooked_leaf(self, leaf: Tensor, node: Node, k: int) -> Summary | None:
        """``node``'s ``k``-th sent entry goes to a leaf with tensor hooks: its ``.grad``
        as it is (the engine adds to it after the walk). The first time in a walk, a
        hook after the user's is added to watch what they return (:meth:`_hooks_ran`)."""
        entry = self._hooked.get(id(leaf))
        if entry is None:
            # A copy: the engine may add to .grad's array in place.
            before = None if leaf.grad is None else np.array(_array(leaf.grad))
            fns = hooks.tensor_hooks(leaf).fns

            def watch(g: Any, key: int = id(leaf)) -> None:
                self._hooks_ran(key, g)

            fns.append(watch)
            entry = self._hooked[id(leaf)] = [before, None, watch, fns]
        entry[1] = (node, k)
        return None if entry[0] is None else Summary.of(entry[0])

    def _hooks_ran(self, key: int, g: Any) -> None:
        """The leaf's hooks returned ``g``, which the engine adds to its ``.grad``: the
        ``.grad`` after that goes to the leaf's last contribution."""
        before, (node, k), watch, fns = self._hooked.pop(key)
        fns.remove(watch)
        g = _array(g)
        after = g if before is None else before + g
        v = self._visits.get(node)
        if v is not None:
            sent = list(v.sent)
            sent[k] = replace(sent[k], leaf_grad=Summary.of(after))
            self._visits[node] = replace(v, sent=tuple(sent))

    def visit(self, node: Node) -> Visit | None:
        """How backward visited ``node`` (None if it did not, inside this trace)."""
        return self._visits.get(node)


def trace() -> Trace:
    """Record a backward pass for :func:`~autograd_lite.viz.explore`: the order the
    engine visits the nodes in, and summaries of values and gradients::

        with al.detect_anomaly(check_nan=False):  # optional: each node's source line
            loss = model(x)
        with al.viz.trace() as tr:
            loss.backward()
        al.viz.explore(loss, "graph.html", params=model, grads=tr)

    Returns
    -------
    Trace
        A context manager; pass it as ``grads=`` to :func:`explore` (or :func:`draw`).
    """
    return Trace()
