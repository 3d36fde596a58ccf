"""Drawing computation graphs with Graphviz: shapes, parameter names, module
clusters and, after backward, gradient statistics coloured to flag trouble.

>>> import autograd_lite as al
>>> w = al.tensor([1.0, -2.0], requires_grad=True)
>>> loss = (w * w).sum()
>>> with al.viz.record() as rec:
...     loss.backward()
>>> g = al.viz.draw(loss, params={"w": w}, grads=rec)
>>> [n.label[0] for n in g.nodes]
['w', 'multiply', 'sum']

What a node shows
-----------------
Op nodes show the op name, output shape and dtype; leaves show their name (from
``params``) and are drawn apart: parameters (leaves that require grad) as bold
boxes, data inputs as grey notes. Scalar constants are folded into the op's
label (``multiply(·, 0.5)``). After a backward run inside :func:`record`, every
op node also shows the norm, min and max of the gradient of its output;
parameters show the same for their ``.grad``. Fill colours flag the gradient
(thresholds are parameters of :func:`draw`):

* red: the gradient contains NaN or Inf;
* orange (exploding): ``max|g| > exploding`` (default 1e3);
* blue (vanishing): ``max|g| < vanishing`` (default 1e-6), which includes all-zero
  gradients such as a dead ReLU's;
* green: anything in between.

The maximum absolute entry is used rather than the norm so that the verdict does
not depend on the tensor's size. An edge whose gradient was summed over
broadcast axes on the way back is drawn thick and labelled with those axes
(``Σ axis 0`` for a bias added to a batch); edges that carry no gradient (labels,
masks) are dashed.

Nodes recorded inside ``al.scope(owner)`` (every ``nn.Module`` call) are grouped
in one cluster per owner; ``collapse=k`` draws the modules nested deeper than
``k`` levels as one box each.

The traversal is iterative and every step is linear in the size of the graph,
so a chain of 100,000 ops becomes DOT in about a second. Rendering to SVG, PNG
or PDF needs Graphviz's ``dot`` program; :func:`to_dot` does not.
"""

from __future__ import annotations

import functools
import os
import runpy
import shutil
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from . import hooks
from .broadcasting import summed_axes
from .graph import Node, toposort
from .ops.linalg import Matmul
from .tensor import Tensor

if TYPE_CHECKING:
    import graphviz

__all__ = ["GradStats", "GradRecord", "record", "Graph", "DrawnNode", "DrawnEdge", "Cluster",
           "draw", "to_dot", "render", "render_script", "mlp_example", "render_example",
           "GraphvizNotFoundError", "STATUS_COLORS", "FORMATS"]

#: Fill colour for each gradient status (``None``: no gradient known).
STATUS_COLORS: dict[str | None, str] = {
    None: "#ffffff", "ok": "#d9f0d3", "vanishing": "#9ecae1",
    "exploding": "#fdae6b", "nonfinite": "#ef3b2c"}
_DATA_COLOR = "#eeeeee"
_SUMMED_COLOR = "#d94801"
#: Output formats :func:`render` accepts; ``dot`` writes the DOT source and needs no binary.
FORMATS = ("svg", "png", "pdf", "dot")
_SEVERITY = {None: 0, "ok": 1, "vanishing": 2, "exploding": 3, "nonfinite": 4}

_INSTALL_DOT = (
    "the Graphviz 'dot' program was not found on PATH; it is needed to render SVG, PNG or PDF "
    "(to_dot() and format='dot' work without it). Install it with `apt-get install graphviz` "
    "(Debian/Ubuntu), `brew install graphviz` (macOS), `conda install -c conda-forge graphviz` "
    "(conda), or from https://graphviz.org/download/, then make sure `dot -V` runs.")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` binary (or the ``graphviz`` Python package) is missing."""


# ---- gradient statistics ---------------------------------------------------------

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


def _static_summed(node: Node, i: int) -> tuple[int, ...] | None:
    """Broadcast axes of input ``i`` known from shapes alone: the VJP of an
    elementwise op returns the output's shape, that of matmul the batch shape
    followed by the input's matrix axes."""
    p = node.parents[i]
    if p.shape == node.shape:
        return None
    if node.op.kind == "elementwise":
        gshape = node.shape
    elif issubclass(node.op, Matmul):
        x, y = node.parents
        try:
            gshape = np.broadcast_shapes(x.shape[:-2], y.shape[:-2]) + p.shape[-2:]
        except ValueError:
            return None
    else:
        return None
    return summed_axes(gshape, p.shape) or None


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
        entry = self._seen.get(node)
        return None if entry is None else entry[0]

    def summed_axes(self, node: Node, i: int) -> tuple[int, ...] | None:
        """Axes the gradient of ``node``'s input ``i`` was summed over (None: not summed)."""
        entry = self._seen.get(node)
        return None if entry is None else entry[1].get(i)


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


# ---- the drawn graph -----------------------------------------------------------

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

    def _body(self) -> list[str]:
        lines: list[str] = []
        by_cluster: dict[str | None, list[str]] = {}
        for n in self.nodes:
            by_cluster.setdefault(n.cluster, []).append(_node_line(n))
        children: dict[str | None, list[Cluster]] = {}
        for c in self.clusters:
            children.setdefault(c.parent, []).append(c)
        # Nested clusters with an explicit stack: no recursion, however deep.
        stack: list[tuple[Cluster, bool]] = [(c, False) for c in reversed(children.get(None, []))]
        while stack:
            c, close = stack.pop()
            if close:
                lines.append("\t}\n")
                continue
            lines.append(f"\tsubgraph {c.id} {{\n\t\tlabel={_q(c.label)} style=\"rounded,dashed\" "
                         f"color=\"#7f7f7f\" fontname=Helvetica fontsize=11\n")
            lines.extend(by_cluster.get(c.id, ()))
            stack.append((c, True))
            stack.extend((k, False) for k in reversed(children.get(c.id, [])))
        lines.extend(by_cluster.get(None, ()))
        lines.extend(_edge_line(e) for e in self.edges)
        if any(n.stats is not None for n in self.nodes):
            lines.append(_legend(self.vanishing, self.exploding))
        return lines

    def to_dot(self, rankdir: str = "TB") -> graphviz.Digraph:
        """The graph as a ``graphviz.Digraph`` (inputs at the top with ``rankdir='TB'``)."""
        graphviz = _import_graphviz()
        return graphviz.Digraph(
            graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
            node_attr={"shape": "box", "fontname": "Helvetica", "fontsize": "10"},
            edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"},
            body=self._body())

    @property
    def source(self) -> str:
        """The DOT source text."""
        if self._source is None:
            self._source = self.to_dot().source
        return self._source

    def pipe(self, format: str = "svg") -> bytes:
        """Run ``dot`` and return the rendered bytes."""
        _check_dot()
        graphviz = _import_graphviz()
        try:
            return self.to_dot().pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError(f"render: {_INSTALL_DOT}") from None

    def render(self, path: str | os.PathLike, format: str | None = None) -> Path:
        """Write the graph to ``path`` as ``format`` (default: from the suffix, else svg).

        Returns
        -------
        pathlib.Path
            The file written (exactly ``path``; no extension is added).
        """
        path = Path(path)
        fmt = (format or path.suffix.lstrip(".") or "svg").lower()
        if fmt == "gv":
            fmt = "dot"
        if fmt not in FORMATS:
            raise ValueError(f"render: unsupported format {fmt!r}; expected one of {FORMATS}")
        data = self.source.encode("utf-8") if fmt == "dot" else self.pipe(fmt)
        path.write_bytes(data)
        return path

    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode("utf-8")


# ---- building ------------------------------------------------------------------

def _q(s: str) -> str:
    """A DOT double-quoted string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(lines: Iterable[str]) -> str:
    return _q("\n".join(lines))


def _node_line(n: DrawnNode) -> str:
    attrs = [f"label={_label(n.label)}"]
    if n.kind == "op":
        attrs.append('style="rounded,filled"')
    elif n.kind == "param":
        attrs.append('style="filled,bold"')
    elif n.kind == "input":
        attrs.append('shape=note style=filled color="#7f7f7f"')
    else:
        attrs.append('shape=box3d style=filled')
    fill = _DATA_COLOR if n.kind == "input" else STATUS_COLORS[n.status]
    attrs.append(f'fillcolor="{fill}"')
    if n.output:
        attrs.append("peripheries=2")
    if n.tooltip:
        attrs.append(f"tooltip={_q(n.tooltip)}")
    return f"\t{n.id} [{' '.join(attrs)}]\n"


def _edge_line(e: DrawnEdge) -> str:
    attrs = ""
    if e.summed:
        axes = ", ".join(map(str, e.summed))
        word = "axis" if len(e.summed) == 1 else "axes"
        attrs = (f' [label="Σ {word} {axes}" color="{_SUMMED_COLOR}" '
                 f'fontcolor="{_SUMMED_COLOR}" penwidth=2.5]')
    elif not e.grad:
        attrs = ' [style=dashed color="#aaaaaa"]'
    return f"\t{e.src} -> {e.dst}{attrs}\n"


def _legend(vanishing: float, exploding: float) -> str:
    rows = [("nonfinite", "NaN or Inf in the gradient"),
            ("exploding", f"max|grad| &gt; {exploding:.3g}"),
            ("ok", "gradient in range"),
            ("vanishing", f"max|grad| &lt; {vanishing:.3g}")]
    cells = "".join(f'<tr><td bgcolor="{STATUS_COLORS[s]}" align="left">{text}</td></tr>'
                    for s, text in rows)
    return (f'\tlegend [shape=plaintext label=<<table border="0" cellborder="1" cellspacing="0">'
            f'<tr><td><b>gradient</b></td></tr>{cells}</table>>]\n')


@functools.lru_cache(maxsize=1024)  # most nodes share a few shapes; str(dtype) is slow
def _fmt_shape(shape: tuple[int, ...], dtype: Any) -> str:
    return f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''}) {dtype}"


def _is_module(obj: Any) -> bool:
    return callable(getattr(obj, "named_parameters", None)) and not isinstance(obj, Tensor)


def _naming(params: Any) -> tuple[dict[Any, str], dict[int, str]]:
    """Names for leaves and nodes (by identity) and for modules (by id) from ``params``: a
    Module (anything with ``named_parameters()``), a mapping of names to tensors or
    modules, or an iterable of ``(name, tensor)`` pairs."""
    tensors: dict[Any, str] = {}
    modules: dict[int, str] = {}
    if params is None:
        return tensors, modules
    if _is_module(params):
        items: Iterable[tuple[str, Any]] = [("", params)]
    elif isinstance(params, Mapping):
        items = params.items()
    else:
        items = params
    for name, obj in items:
        if isinstance(obj, Tensor):  # a non-leaf tensor names the node that made it
            tensors.setdefault(obj._node or obj, name)
        elif _is_module(obj):
            prefix = f"{name}." if name else ""
            named_modules = getattr(obj, "named_modules", None)
            for qn, m in (named_modules() if callable(named_modules) else [("", obj)]):
                modules.setdefault(id(m), prefix + qn if qn else name or type(m).__name__)
            for qn, p in obj.named_parameters():
                tensors.setdefault(p, prefix + qn)
        else:
            raise TypeError(f"draw: params must map names to Tensors or Modules; {name!r} is a "
                            f"{type(obj).__name__}")
    return tensors, modules


def _owner_label(owner: Any, modules: dict[int, str]) -> str:
    if isinstance(owner, str):
        return owner
    cls = type(owner).__name__
    name = modules.get(id(owner))
    return cls if name is None or name == cls else f"{name}: {cls}"


def _common_prefix(a: tuple, b: tuple) -> tuple:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return a[:n]


class _Box:
    """A collapsed module, filled in while the graph is walked."""

    def __init__(self, id: str, label: str, cluster: str | None) -> None:
        self.id, self.title, self.cluster = id, label, cluster
        self.ops = 0
        self.params: list[str] = []
        self.statuses: list[str | None] = []
        self.outputs: dict[Node, None] = {}  # ordered set
        self.root = False

    def node(self, stats_of: Any) -> DrawnNode:
        label = [self.title, f"{self.ops} op{'s' * (self.ops != 1)}"
                 + (f", {len(self.params)} param{'s' * (len(self.params) != 1)}" if self.params else "")]
        label += [f"→ {_fmt_shape(o.shape, o.dtype)}" for o in list(self.outputs)[:3]]
        stats = stats_of(next(iter(self.outputs))) if len(self.outputs) == 1 else None
        if stats is not None:
            label += stats.lines()
        status = max(self.statuses, key=_SEVERITY.__getitem__, default=None)
        return DrawnNode(self.id, "module", tuple(label), status, stats, self.cluster, self.root,
                         tooltip="\n".join(self.params) or None)


def draw(*roots: Tensor, params: Any = None, grads: GradRecord | None = None,
         collapse: int | None = None, vanishing: float = 1e-6, exploding: float = 1e3) -> Graph:
    """Describe the graph that produced ``roots``, ready to render or inspect.

    Parameters
    ----------
    *roots
        The tensors to draw (usually the loss); everything they depend on is drawn.
    params
        Names for tensors, like torchviz's ``params=``: a Module (anything with
        PyTorch's ``named_parameters()``; its ``named_modules()`` also names the
        clusters), a mapping ``{name: Tensor or Module}`` or ``(name, tensor)``
        pairs. Names of non-leaf tensors label their op node.
    grads
        A :class:`GradRecord` from ``with al.viz.record() as rec: loss.backward()``,
        to show each op's output gradient. Leaves' statistics come from ``.grad``.
    collapse
        Draw modules nested more than ``collapse`` levels deep as one box each
        (``0``: one box per outermost module); None draws every op.
    vanishing, exploding
        Thresholds on ``max|grad|`` for the blue (vanishing) and orange
        (exploding) colours.

    Returns
    -------
    Graph
        Nodes in a deterministic order (inputs before the ops that use them).
    """
    if not roots:
        raise TypeError("draw: expected at least one Tensor to draw")
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw: expected Tensors, got {type(r).__name__}")
    if collapse is not None and (isinstance(collapse, bool) or not isinstance(collapse, int)
                                 or collapse < 0):
        raise ValueError(f"draw: collapse must be None or an int >= 0, got {collapse!r}")
    if not 0 <= vanishing < exploding:
        raise ValueError(f"draw: need 0 <= vanishing < exploding, got vanishing={vanishing}, "
                         f"exploding={exploding}")
    names, modules = _naming(params)
    order = toposort([r._node for r in roots if r._node is not None])
    order.reverse()  # inputs first: the order the user computed things in
    root_keys = {r._node if r._node is not None else r for r in roots}

    # Cluster paths: one key per scope owner (strings by value, objects by identity).
    path_cache: dict[int, tuple] = {}
    owner_of: dict[Any, Any] = {}

    def path_of(node: Node) -> tuple:
        path = path_cache.get(id(node.scope))
        if path is None:
            path = tuple(o if isinstance(o, str) else id(o) for o in node.scope)
            for key, o in zip(path, node.scope):
                owner_of.setdefault(key, o)
            path_cache[id(node.scope)] = path
        return path

    # Leaves: which are folded into their op's label, and where parameters live
    # (the innermost scope shared by every op that consumes them).
    def foldable(t: Tensor) -> bool:
        return not t.requires_grad and t.size == 1 and t not in names

    leaf_path: dict[Tensor, tuple] = {}
    for node in order:
        for p in node.parents:
            if type(p) is not Node and p.requires_grad:
                prev = leaf_path.get(p)
                leaf_path[p] = path_of(node) if prev is None else _common_prefix(prev, path_of(node))

    clusters: list[Cluster] = []
    cluster_ids: dict[tuple, str] = {}

    def cluster_for(path: tuple) -> str | None:
        for n in range(1, len(path) + 1):
            if path[:n] not in cluster_ids:
                cid = f"cluster_{len(clusters)}"
                cluster_ids[path[:n]] = cid
                clusters.append(Cluster(cid, _owner_label(owner_of[path[n - 1]], modules),
                                        cluster_ids.get(path[:n - 1])))
        return cluster_ids.get(path)

    boxes: dict[tuple, _Box] = {}
    items: list[DrawnNode | _Box] = []
    disp: dict[Any, str] = {}  # Node or leaf Tensor -> id of what it is drawn as
    box_of: dict[str, _Box] = {}

    def place(path: tuple) -> tuple[_Box | None, str | None]:
        """The box (if collapsed) or the cluster that something at ``path`` goes in."""
        if collapse is not None and len(path) > collapse:
            key = path[:collapse + 1]
            box = boxes.get(key)
            if box is None:
                box = _Box(f"m{len(items)}", _owner_label(owner_of[key[-1]], modules),
                           cluster_for(key[:-1]))
                boxes[key] = box
                box_of[box.id] = box
                items.append(box)
            return box, None
        return None, cluster_for(path)

    def stats_of(node: Node) -> GradStats | None:
        return grads.stats(node) if grads is not None else None

    def add_leaf(t: Tensor) -> None:
        name = names.get(t)
        g = t.grad
        stats = GradStats.from_array(g) if g is not None else None
        status = stats.status(vanishing, exploding) if stats is not None else None
        if t.requires_grad:
            box, cid = place(leaf_path.get(t, ()))
            if box is not None:
                box.params.append(name or f"leaf {_fmt_shape(t.shape, t.dtype)}")
                box.statuses.append(status)
                disp[t] = box.id
                return
            kind, first = "param", name or "leaf"
        else:
            cid, kind, first = None, "input", name or "input"
        label = [first, _fmt_shape(t.shape, t.dtype)] + (stats.lines() if stats else [])
        disp[t] = nid = f"n{len(items)}"
        items.append(DrawnNode(nid, kind, tuple(label), status, stats, cid, t in root_keys))

    edges: list[DrawnEdge] = []
    merged: dict[tuple[str, str], int] = {}  # edges touching a box are drawn once
    for node in order:
        consts = []
        for p in node.parents:
            if type(p) is Node:
                consts.append("·")
            elif foldable(p):
                consts.append(f"{p.data.item():.4g}")
            else:
                consts.append("·")
                if p not in disp:
                    add_leaf(p)
        stats = stats_of(node)
        status = stats.status(vanishing, exploding) if stats is not None else None
        box, cid = place(path_of(node))
        if box is not None:
            box.ops += 1
            box.statuses.append(status)
            if node in root_keys:
                box.outputs[node] = None
                box.root = True
            disp[node] = box.id
        else:
            opline = node.op.name
            if any(c != "·" for c in consts):
                opline += f"({', '.join(consts)})"
            name = names.get(node)
            label = [f"{name} = {opline}" if name else opline, _fmt_shape(node.shape, node.dtype)]
            label += stats.lines() if stats is not None else []
            disp[node] = nid = f"n{len(items)}"
            items.append(DrawnNode(nid, "op", tuple(label), status, stats, cid, node in root_keys,
                                   None if node.where is None else str(node.where)))
        dst = disp[node]
        for i, p in enumerate(node.parents):
            src = disp.get(p)
            if src is None or src == dst:  # a folded constant, or inside one box
                continue
            if src in box_of and type(p) is Node:
                box_of[src].outputs[p] = None
            need = node.needs[i]
            if not need:
                summed = None
            elif grads is not None and node in grads:
                summed = grads.summed_axes(node, i)
            else:
                summed = _static_summed(node, i)
            edge = DrawnEdge(src, dst, summed, bool(need))
            if src in box_of or dst in box_of:
                k = merged.get((src, dst))
                if k is not None:
                    old = edges[k]
                    edges[k] = DrawnEdge(src, dst, old.summed or summed, old.grad or edge.grad)
                    continue
                merged[(src, dst)] = len(edges)
            edges.append(edge)
    for r in roots:
        if r._node is None and r not in disp:
            add_leaf(r)

    nodes = [it.node(stats_of) if isinstance(it, _Box) else it for it in items]
    return Graph(nodes, edges, clusters, vanishing, exploding)


def to_dot(*roots: Tensor, params: Any = None, grads: GradRecord | None = None,
           collapse: int | None = None, vanishing: float = 1e-6, exploding: float = 1e3,
           rankdir: str = "TB") -> graphviz.Digraph:
    """The graph of ``roots`` as a ``graphviz.Digraph``; see :func:`draw` for the options.

    Needs the ``graphviz`` Python package but not the ``dot`` binary (until rendered).
    """
    return draw(*roots, params=params, grads=grads, collapse=collapse, vanishing=vanishing,
                exploding=exploding).to_dot(rankdir)


def render(root: Tensor | Sequence[Tensor] | Graph, path: str | os.PathLike,
           format: str | None = None, **draw_kwargs: Any) -> Path:
    """Draw ``root`` (a Tensor, a list of Tensors or a :class:`Graph`) and write it to ``path``.

    Parameters
    ----------
    format
        ``'svg'``, ``'png'``, ``'pdf'`` (these run Graphviz's ``dot``) or ``'dot'``
        (the DOT source). Default: from ``path``'s suffix, else ``'svg'``.
    **draw_kwargs
        ``params``, ``grads``, ``collapse``, ``vanishing``, ``exploding``: see :func:`draw`.

    Raises
    ------
    GraphvizNotFoundError
        If ``dot`` is not installed; the message says how to install it.
    """
    if isinstance(root, Graph):
        if draw_kwargs:
            raise TypeError(f"render: options {sorted(draw_kwargs)} apply when drawing a Tensor, "
                            f"not an existing Graph")
        graph = root
    else:
        graph = draw(*(root if isinstance(root, (list, tuple)) else (root,)), **draw_kwargs)
    return graph.render(path, format)


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise GraphvizNotFoundError(
            "the 'graphviz' Python package is needed to build DOT graphs: pip install graphviz "
            "(it is a dependency of autograd-lite, so reinstalling the package also works)") from None
    return graphviz


def _check_dot() -> None:
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(f"render: {_INSTALL_DOT}")


# ---- scripts and the example network -------------------------------------------

def _names_in(namespace: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in namespace.items()
            if not k.startswith("_") and (isinstance(v, Tensor) or _is_module(v))}


def render_script(script_path: str | os.PathLike, tensor_name: str, out_path: str | os.PathLike,
                  format: str | None = None, *, argv: Sequence[str] = (),
                  **draw_kwargs: Any) -> Path:
    """Run a Python script and render the graph of one of its global tensors.

    The script runs as ``__main__`` (as ``python script.py`` would) with ``sys.argv``
    set to ``[script_path, *argv]``, inside :func:`record`, so any backward it runs
    adds gradient statistics. Its global Tensors and Modules name the leaves.

    Parameters
    ----------
    script_path
        The script to run.
    tensor_name
        Name of a global variable of the script holding a Tensor (e.g. ``'loss'``).
    out_path, format
        As in :func:`render`.
    **draw_kwargs
        ``collapse``, ``vanishing``, ``exploding``: see :func:`draw`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    script = Path(script_path)
    if not script.is_file():
        raise FileNotFoundError(f"render_script: no script at {str(script)!r}")
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = [str(script), *argv]
    sys.path.insert(0, str(script.resolve().parent))  # as `python script.py` does
    try:
        with record() as rec:
            namespace = runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
    found = _names_in(namespace)
    target = namespace.get(tensor_name)
    if not isinstance(target, Tensor):
        tensors = sorted(k for k, v in found.items() if isinstance(v, Tensor))
        what = "defines no global" if tensor_name not in namespace else \
            f"has a {type(target).__name__}, not a Tensor, in the global"
        raise (NameError if tensor_name not in namespace else TypeError)(
            f"render_script: {script} {what} {tensor_name!r}; its global tensors are: "
            f"{', '.join(tensors) or 'none'}")
    return render(target, out_path, format, params=found, grads=rec, **draw_kwargs)


def mlp_example(batch_size: int = 32, hidden: int = 64, *, seed: int = 0,
                x: Any = None, y: Any = None) -> tuple[Tensor, dict[str, Tensor]]:
    """The two-layer MNIST network (784 -> ``hidden`` -> 10, ReLU, cross-entropy) on raw
    Tensors, as drawn by ``autograd-lite graph`` and the docs.

    The layers run inside ``al.scope('fc1')`` and ``al.scope('fc2')`` so the drawing
    shows one cluster per layer. Without ``x``/``y`` the batch is random pixels in
    [0, 1) and random labels (the graph's structure is the same as on real MNIST).

    Returns
    -------
    (loss, tensors)
        The scalar loss (not yet backpropagated) and ``{name: tensor}`` for
        ``x, y, W1, b1, W2, b2, loss``, to pass as ``params=``.
    """
    from .graph import scope
    from .numpy_api import OP_FUNCTIONS

    rng = np.random.default_rng(seed)
    xa = rng.random((batch_size, 784), dtype=np.float32) if x is None else x
    ya = rng.integers(0, 10, size=len(xa)) if y is None else y
    xt = xa if isinstance(xa, Tensor) else Tensor(np.asarray(xa, np.float32))
    yt = ya if isinstance(ya, Tensor) else Tensor(ya, dtype=np.int64)
    w = {"W1": Tensor(rng.standard_normal((784, hidden), dtype=np.float32) * np.float32(
             np.sqrt(2 / 784)), requires_grad=True),
         "b1": Tensor(np.zeros(hidden, np.float32), requires_grad=True),
         "W2": Tensor(rng.standard_normal((hidden, 10), dtype=np.float32) * np.float32(
             np.sqrt(2 / hidden)), requires_grad=True),
         "b2": Tensor(np.zeros(10, np.float32), requires_grad=True)}
    with scope("fc1"):
        h = xt @ w["W1"] + w["b1"]
    h = h.relu()
    with scope("fc2"):
        logits = h @ w["W2"] + w["b2"]
    loss = OP_FUNCTIONS["cross_entropy"](logits, yt)
    return loss, {"x": xt, "y": yt, **w, "loss": loss}


def render_example(out_path: str | os.PathLike, format: str | None = None, *,
                   backward: bool = True, batch_size: int = 32, hidden: int = 64, seed: int = 0,
                   x: Any = None, y: Any = None, **draw_kwargs: Any) -> Path:
    """Render the two-layer network of :func:`mlp_example`, after one backward pass
    unless ``backward=False``: what ``autograd-lite graph`` draws without a script.

    ``x``/``y`` (e.g. a real MNIST batch) replace the random batch; ``**draw_kwargs``
    are ``collapse``, ``vanishing`` and ``exploding`` (see :func:`draw`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    loss, named = mlp_example(batch_size, hidden, seed=seed, x=x, y=y)
    rec = None
    if backward:
        with record() as rec:
            loss.backward()
    return render(loss, out_path, format, params=named, grads=rec, **draw_kwargs)
