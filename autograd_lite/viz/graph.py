"""What a drawing is: plain data (:class:`DrawnNode`, :class:`DrawnEdge`,
:class:`Cluster`) gathered in a :class:`Graph`, which turns itself into DOT, an
image file or inline SVG. :func:`~autograd_lite.viz.draw` builds one from tensors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import dot
from .stats import GradStats

if TYPE_CHECKING:
    import graphviz


@dataclass(frozen=True)
class DrawnNode:
    """One box in the drawing.

    ``kind`` is ``'op'``, ``'param'`` (a leaf that requires grad), ``'input'``
    (a leaf that does not: data, labels, constants) or ``'module'`` (a collapsed
    module). ``status`` is the gradient verdict (see :meth:`GradStats.status`),
    None when no gradient is known.
    """

    id: str
    kind: str
    label: tuple[str, ...]
    status: str | None = None
    stats: GradStats | None = None
    cluster: str | None = None
    output: bool = False
    tooltip: str | None = None


@dataclass(frozen=True)
class DrawnEdge:
    """An arrow from an input to the op (or module) consuming it.

    ``summed``: axes of the broadcast gradient summed to get this input's
    gradient (None if none); ``grad``: whether a gradient flows back along it.
    """

    src: str
    dst: str
    summed: tuple[int, ...] | None = None
    grad: bool = True


@dataclass(frozen=True)
class Cluster:
    """The nodes recorded inside one scope owner (module); ``parent`` is the enclosing cluster."""

    id: str
    label: str
    parent: str | None


@dataclass
class Graph:
    """A drawn graph: plain data (``nodes``, ``edges``, ``clusters``) plus DOT output.

    Displays inline in Jupyter (``_repr_svg_``). Build with :func:`draw`.
    """

    nodes: list[DrawnNode]
    edges: list[DrawnEdge]
    clusters: list[Cluster]
    vanishing: float = 1e-6
    exploding: float = 1e3
    _source: str | None = field(default=None, repr=False)

    def node(self, label: str) -> DrawnNode:
        """The first node whose first label line is ``label`` (KeyError if none)."""
        for n in self.nodes:
            if n.label[0] == label:
                return n
        raise KeyError(f"no node labelled {label!r}; first lines are "
                       f"{sorted({n.label[0] for n in self.nodes})[:20]}")

    def to_dot(self, rankdir: str = "TB") -> graphviz.Digraph:
        """The graph as a ``graphviz.Digraph`` (inputs at the top with ``rankdir='TB'``)."""
        return dot.digraph(self, rankdir)

    @property
    def source(self) -> str:
        """The DOT source text."""
        if self._source is None:
            self._source = self.to_dot().source
        return self._source

    def pipe(self, format: str = "svg", *, max_nodes: int | None = dot.MAX_NODES,
             timeout: float | None = dot.TIMEOUT) -> bytes:
        """Run ``dot`` and return the rendered bytes (limits as in :meth:`render`)."""
        return dot.run_dot(self, format, max_nodes=max_nodes, timeout=timeout)

    def render(self, path: str | os.PathLike, format: str | None = None, *,
               max_nodes: int | None = dot.MAX_NODES,
               timeout: float | None = dot.TIMEOUT) -> Path:
        """Write the graph to ``path`` as ``format`` (default: from the suffix, else svg).

        ``svg``, ``png`` and ``pdf`` run Graphviz's ``dot``, which takes minutes on large
        graphs: a graph of more than ``max_nodes`` nodes (default 5000) is refused with a
        ValueError suggesting ``collapse=`` or ``format='dot'``, and ``dot`` is stopped
        after ``timeout`` seconds (default 60) with a TimeoutError. None lifts a limit.
        ``format='dot'`` writes the DOT source, whatever the size.

        Returns
        -------
        pathlib.Path
            The file written (exactly ``path``; no extension is added).
        """
        path = Path(path)
        fmt = (format or path.suffix.lstrip(".") or "svg").lower()
        if fmt == "gv":
            fmt = "dot"
        if fmt not in dot.FORMATS:
            raise ValueError(f"render: unsupported format {fmt!r}; expected one of {dot.FORMATS}")
        data = (self.source.encode("utf-8") if fmt == "dot" else
                self.pipe(fmt, max_nodes=max_nodes, timeout=timeout))
        try:
            path.write_bytes(data)
        except OSError as e:
            raise type(e)(e.errno, f"render: cannot write {path}: {e.strerror}") from None
        return path

    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode("utf-8")
