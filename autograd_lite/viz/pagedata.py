"""What the explorer page knows of one snapshot, as JSON: :class:`PageData`.

Every drawn node's op, params, shape and dtype, module, summaries of its value and
gradient and the line of code that made it; the edges and clusters; and the backward
steps in the engine's order (from a :class:`~autograd_lite.viz.trace.Trace`), each with
the cotangents sent along the edges and the leaves' ``.grad`` after it. Numbers keep 6
significant digits; NaN and the infinities are strings (JSON has no spelling for them).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from ..graph import Node
from .build import _Builder
from .graph import Graph
from .stats import GradRecord, GradStats
from .trace import Summary, Trace


def _num(x: float) -> float | str:
    """A float for JSON: 6 significant digits; NaN and infinities as strings (JSON has none)."""
    if math.isfinite(x):
        return float(f"{x:.6g}")
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _summary(s: Summary | GradStats | None) -> dict[str, Any] | None:
    if s is None:
        return None
    out: dict[str, Any] = {"n": _num(s.norm), "lo": _num(s.min), "hi": _num(s.max)}
    if s.nan:
        out["nan"] = s.nan
    if s.inf:
        out["inf"] = s.inf
    if isinstance(s, Summary):
        out["mu"] = _num(s.mean)
        if s.hist:
            out["h"] = list(s.hist)
        if s.values is not None:
            out["x"] = [_num(v) for v in s.values]
    return out


def _param(v: Any) -> str:
    if isinstance(v, np.ndarray) and v.size > 20:
        return f"array of shape {v.shape}, {v.dtype}"
    text = repr(v.tolist() if isinstance(v, np.ndarray) else v)
    return text if len(text) <= 200 else text[:197] + "..."


def _op_doc(op: type) -> dict[str, Any]:
    """An op's docstring in three parts: what it computes (the first paragraph), the
    lines of its ``VJP::`` block, and the notes that follow the block."""
    doc = inspect.cleandoc(op.__doc__ or "")
    summary = doc.split("\n\n")[0].replace("\n", " ")
    lines = doc.splitlines()
    vjp: list[str] = []
    note: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() == "VJP::":
            base = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or
                                      len(lines[j]) - len(lines[j].lstrip()) > base):
                vjp.append(lines[j].strip())
                j += 1
            note = [s.strip() for s in lines[j:]]
            break
    return {"doc": summary, "vjp": [v for v in vjp if v],
            "note": " ".join(" ".join(note).split())}


class PageData:
    """The JSON one snapshot's page reads, from the builder that drew its graph."""

    def __init__(self, builder: _Builder, grads: GradRecord | None) -> None:
        self.b, self.grads = builder, grads
        self.visits = grads if isinstance(grads, Trace) else None
        self.where: dict[str, int] = {}
        self.ops: dict[str, Any] = {}
        self.drawn: dict[str, Any] = {}  # drawn id -> the Node or leaf Tensor (not for boxes)
        for obj, nid in builder.drawn_as.items():
            if nid not in builder.box_by_id:
                self.drawn[nid] = obj

    def pane(self, graph: Graph, label: str | None, collapse: int | None, total: int) -> dict:
        index = {n.id: i for i, n in enumerate(graph.nodes)}
        edges: dict[tuple[str, str], list[int]] = {}
        for k, e in enumerate(graph.edges):
            edges.setdefault((e.src, e.dst), []).append(k)
        return {
            "label": label or "", "collapsed": collapse, "drawn": len(graph.nodes),
            "total": total, "grads": None if self.grads is None else
            ("trace" if self.visits is not None else "record"),
            "nodes": [self.node(n) for n in graph.nodes],
            "edges": [[e.src, e.dst, int(e.grad), list(e.summed or ())] for e in graph.edges],
            "clusters": [[c.id, c.label, c.parent] for c in graph.clusters],
            "steps": self.steps(index, edges), "ops": self.ops, "where": list(self.where),
            "thresholds": [graph.vanishing, graph.exploding]}

    def node(self, n: Any) -> dict[str, Any]:
        d: dict[str, Any] = {"id": n.id, "k": n.kind}
        for key, value in (("c", n.cluster), ("st", n.status)):
            if value is not None:
                d[key] = value
        if n.output:
            d["out"] = 1
        obj = self.drawn.get(n.id)
        if obj is None:  # a collapsed module
            d.update(name=n.label[0], label=list(n.label[1:]), params=(n.tooltip or "").split("\n")
                     if n.tooltip else [], g=_summary(n.stats))
            return d
        name = self.b.names.get(obj)
        if name:
            d["name"] = name
        d["shape"], d["dt"] = list(obj.shape), str(obj.dtype)
        if type(obj) is Node:
            op = obj.op
            d["op"] = op.name
            if op.name not in self.ops:
                self.ops[op.name] = _op_doc(op)
            if obj.params:
                d["p"] = {k: _param(v) for k, v in obj.params.items()}
            if obj.where is not None:
                w = obj.where.format() if hasattr(obj.where, "format") else str(obj.where)
                w = "\n".join(line.strip() for line in w.splitlines())
                d["w"] = self.where.setdefault(w, len(self.where))
            visit = self.visits.visit(obj) if self.visits is not None else None
            value = visit.value if visit is not None else (
                Summary.of(obj.out) if obj.out is not None else None)
            grad = visit.grad if visit is not None else (
                self.grads.stats(obj) if self.grads is not None else None)
            d["v"], d["g"] = _summary(value), _summary(grad)
        else:
            d["v"] = _summary(Summary.of(obj.data))
            d["g"] = _summary(Summary.of(obj.grad)) if obj.grad is not None else None
        return d

    def steps(self, index: dict[str, int], edges: dict[tuple[str, str], list[int]]) -> list:
        """Backward's visits to this graph's nodes, in the engine's order: the drawn node,
        the op, the incoming gradient's norm, and per input that received a cotangent the
        edges it travelled, its norm and, for a leaf, the leaf's ``.grad`` after it."""
        if self.visits is None:
            return []
        visits = [(v, node) for node in self.b.drawn_as if type(node) is Node
                  and (v := self.visits.visit(node)) is not None]
        visits.sort(key=lambda vn: vn[0].step)
        out = []
        for v, node in visits:
            dst = self.b.drawn_as[node]
            sent = []
            for s in v.sent:
                p = node.parents[s.index]
                src = self.b.drawn_as.get(p)
                leaf = index[src] if type(p) is not Node and src in self.drawn else -1
                sent.append([edges.get((src, dst), []) if src != dst else [], s.index,
                             _num(s.norm), leaf, _summary(s.leaf_grad)])
            out.append([index[dst], node.op.name, _num(v.grad.norm), sent])
        return out
