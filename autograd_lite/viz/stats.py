"""Gradient statistics, collected while backward runs: :func:`record` and what it keeps.

The engine frees each intermediate gradient once it has passed it on, so the
statistics a drawing shows are taken as backward visits each node, through a
backward hook, and held weakly by node.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ..broadcasting import summed_axes
from .. import hooks
from ..graph import Node
from ..tensor import Tensor

# How bad each status is: a collapsed module box shows the worst status inside it.
_SEVERITY = {None: 0, "ok": 1, "vanishing": 2, "exploding": 3, "nonfinite": 4}


def worst_status(statuses: Iterable[str | None]) -> str | None:
    """The most alarming of ``statuses`` (None if there are none)."""
    return max(statuses, key=_SEVERITY.__getitem__, default=None)


@dataclass(frozen=True)
class GradStats:
    """Summary of one gradient array.

    ``norm`` is the 2-norm (NaN if any entry is NaN, Inf if any is infinite);
    ``min`` and ``max`` are over the finite entries (NaN if there are none).
    """

    norm: float
    min: float
    max: float
    nan: int
    inf: int
    size: int

    @classmethod
    def from_array(cls, a: Any) -> GradStats:
        """Statistics of ``a`` (an ndarray, a Tensor or a number)."""
        a = np.asarray(a.data if isinstance(a, Tensor) else a)
        if a.dtype.kind not in "fiub":
            raise TypeError(f"GradStats.from_array: expected real numbers, got dtype {a.dtype}")
        finite = np.isfinite(a)
        n_finite = int(finite.sum())
        nan = int(np.isnan(a).sum()) if n_finite < a.size else 0
        inf = a.size - n_finite - nan
        f = a if n_finite == a.size else a[finite]
        # Squares in float64: a float32 gradient of 1e20 has a finite norm.
        norm = float(np.sqrt(np.sum(np.square(f, dtype=np.float64)))) if f.size else 0.0
        if nan:
            norm = float("nan")
        elif inf:
            norm = float("inf")
        lo, hi = (float(f.min()), float(f.max())) if f.size else (float("nan"), float("nan"))
        return cls(norm, lo, hi, nan, inf, int(a.size))

    def status(self, vanishing: float = 1e-6, exploding: float = 1e3) -> str:
        """``'nonfinite'``, ``'exploding'``, ``'vanishing'`` or ``'ok'``, judged on ``max|g|``."""
        if self.nan or self.inf:
            return "nonfinite"
        if self.size == 0:
            return "ok"
        top = max(abs(self.min), abs(self.max))
        if top > exploding:
            return "exploding"
        if top < vanishing:
            return "vanishing"
        return "ok"

    def lines(self) -> list[str]:
        """The label lines a node shows for this gradient."""
        out = [f"grad norm {self.norm:.3g}"]
        if self.nan or self.inf:
            out.append(f"NaN×{self.nan} Inf×{self.inf} of {self.size}")
        if self.size:
            out.append(f"min {self.min:.3g} max {self.max:.3g}")
        return out


class GradRecord:
    """Gradient statistics and broadcast sums collected while backward runs.

    Use through :func:`record`. Entries are held weakly: a record left open over a
    training loop does not keep old graphs alive. If a node is visited by several
    backward passes, the last one wins.
    """

    def __init__(self) -> None:
        self._seen: weakref.WeakKeyDictionary[Node, tuple[GradStats, dict[int, tuple[int, ...]]]] \
            = weakref.WeakKeyDictionary()
        self._handle: hooks.RemovableHandle | None = None

    def __enter__(self) -> GradRecord:
        self._handle = hooks.register_backward_hook(self._on_backward)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _on_backward(self, node: Node, g: Any, dxs: tuple) -> None:
        summed = {}
        for i, (p, dx) in enumerate(zip(node.parents, dxs)):
            if dx is not None and dx.shape != p.shape:
                axes = summed_axes(dx.shape, p.shape)
                if axes:
                    summed[i] = axes
        self._seen[node] = (GradStats.from_array(g), summed)

    def __contains__(self, node: object) -> bool:
        return node in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def stats(self, node: Node) -> GradStats | None:
        """Statistics of the gradient of ``node``'s output, if backward visited it."""
        _check_node(node, "stats")
        entry = self._seen.get(node)
        return None if entry is None else entry[0]

    def summed_axes(self, node: Node, i: int) -> tuple[int, ...] | None:
        """Axes the gradient of ``node``'s input ``i`` was summed over (None: not summed)."""
        _check_node(node, "summed_axes")
        entry = self._seen.get(node)
        return None if entry is None else entry[1].get(i)


def _check_node(node: Any, method: str) -> None:
    if not isinstance(node, Node):
        raise TypeError(f"GradRecord.{method}: expected a Node (a tensor's .node), got "
                        f"{type(node).__name__}")


def record() -> GradRecord:
    """Collect gradient statistics during backward, for :func:`draw`.

    The engine frees intermediate gradients as it goes, so they are summarised
    while backward runs::

        with al.viz.record() as rec:
            loss.backward()
        al.viz.render(loss, "graph.svg", grads=rec)

    Returns
    -------
    GradRecord
        A context manager; pass it as ``grads=`` to :func:`draw`.
    """
    return GradRecord()
