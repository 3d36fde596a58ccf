"""Building a :class:`~autograd_lite.viz.Graph` from tensors: :func:`draw`.

One walk over the nodes, inputs first (:class:`_Builder`). Each node becomes a
:class:`DrawnNode`, or joins a collapsed module's box (:class:`_Box`); a leaf is
drawn the first time an op consumes it, scalar constants are folded into the op's
label, and each input gets an edge marked with the axes its gradient is summed
over. Scope owners become clusters (:class:`_Scopes`). Every step is linear in the
size of the graph and nothing recurses, so deep graphs draw.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from ..broadcasting import summed_axes
from ..graph import Node, toposort
from ..ops.linalg import Matmul
from ..tensor import Tensor
from .graph import Cluster, DrawnEdge, DrawnNode, Graph
from .naming import naming, owner_label
from .stats import GradRecord, GradStats, worst_status


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
    _check_arguments(roots, collapse, vanishing, exploding)
    names, modules = naming(params)
    return _Builder(names, modules, grads, collapse, vanishing, exploding).build(roots)


def _check_arguments(roots: Sequence[Any], collapse: Any, vanishing: float,
                     exploding: float) -> None:
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


@functools.lru_cache(maxsize=1024)  # most nodes share a few shapes; str(dtype) is slow
def _fmt_shape(shape: tuple[int, ...], dtype: Any) -> str:
    return f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''}) {dtype}"


def _static_summed(node: Node, i: int) -> tuple[int, ...] | None:
    """Broadcast axes of input ``i`` known from shapes alone (before any backward): the
    VJP of an elementwise op returns the output's shape, that of matmul the batch shape
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


def _common_prefix(a: tuple, b: tuple) -> tuple:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return a[:n]


class _Scopes:
    """Each node's scope path and the clusters drawn for paths.

    A path has one key per scope owner: a string owner by value, any other object
    (a module) by identity. A cluster is made the first time a path (or a longer
    one) is placed, its enclosing clusters first.
    """

    def __init__(self, modules: dict[int, str]) -> None:
        self.modules = modules
        self.clusters: list[Cluster] = []
        self._ids: dict[tuple, str] = {}
        self._paths: dict[int, tuple] = {}  # by id(node.scope): one module call's nodes share it
        self._owners: dict[Any, Any] = {}  # path key -> the owner it stands for

    def path(self, node: Node) -> tuple:
        path = self._paths.get(id(node.scope))
        if path is None:
            path = tuple(o if isinstance(o, str) else id(o) for o in node.scope)
            for key, o in zip(path, node.scope):
                self._owners.setdefault(key, o)
            self._paths[id(node.scope)] = path
        return path

    def label(self, key: Any) -> str:
        return owner_label(self._owners[key], self.modules)

    def cluster(self, path: tuple) -> str | None:
        """The id of the cluster for ``path`` (None for the top level)."""
        for n in range(1, len(path) + 1):
            if path[:n] not in self._ids:
                cid = f"cluster_{len(self.clusters)}"
                self._ids[path[:n]] = cid
                self.clusters.append(Cluster(cid, self.label(path[n - 1]), self._ids.get(path[:n - 1])))
        return self._ids.get(path)


class _Box:
    """A collapsed module, filled in while the graph is walked."""

    def __init__(self, id: str, label: str, cluster: str | None) -> None:
        self.id, self.title, self.cluster = id, label, cluster
        self.ops = 0
        self.params: list[str] = []
        self.statuses: list[str | None] = []
        self.outputs: dict[Node, None] = {}  # an ordered set
        self.root = False

    def add_op(self, node: Node, status: str | None, is_root: bool) -> None:
        self.ops += 1
        self.statuses.append(status)
        if is_root:
            self.outputs[node] = None
            self.root = True

    def add_param(self, name: str, status: str | None) -> None:
        self.params.append(name)
        self.statuses.append(status)

    def node(self, grads: GradRecord | None) -> DrawnNode:
        label = [self.title, f"{self.ops} op{'s' * (self.ops != 1)}"
                 + (f", {len(self.params)} param{'s' * (len(self.params) != 1)}" if self.params else "")]
        label += [f"→ {_fmt_shape(o.shape, o.dtype)}" for o in list(self.outputs)[:3]]
        stats = None
        if grads is not None and len(self.outputs) == 1:  # one output: its gradient is the box's
            stats = grads.stats(next(iter(self.outputs)))
        if stats is not None:
            label += stats.lines()
        return DrawnNode(self.id, "module", tuple(label), worst_status(self.statuses), stats,
                         self.cluster, self.root, tooltip="\n".join(self.params) or None)


class _Edges:
    """The edges in drawing order. Those touching a collapsed box are drawn once per
    pair of ends: summed, and carrying a gradient, if any edge they stand for is."""

    def __init__(self) -> None:
        self.list: list[DrawnEdge] = []
        self._merged: dict[tuple[str, str], int] = {}

    def add(self, edge: DrawnEdge, merge: bool) -> None:
        if merge:
            k = self._merged.get((edge.src, edge.dst))
            if k is not None:
                old = self.list[k]
                self.list[k] = DrawnEdge(edge.src, edge.dst, old.summed or edge.summed,
                                         old.grad or edge.grad)
                return
            self._merged[(edge.src, edge.dst)] = len(self.list)
        self.list.append(edge)


class _Builder:
    """One :func:`draw`: what has been drawn so far, and as what."""

    def __init__(self, names: dict[Any, str], modules: dict[int, str], grads: GradRecord | None,
                 collapse: int | None, vanishing: float, exploding: float) -> None:
        self.names, self.grads, self.collapse = names, grads, collapse
        self.vanishing, self.exploding = vanishing, exploding
        self.scopes = _Scopes(modules)
        self.edges = _Edges()
        self.items: list[DrawnNode | _Box] = []  # in drawing order; their ids count them
        self.drawn_as: dict[Any, str] = {}  # Node or leaf Tensor -> id of what it is drawn as
        self.boxes: dict[tuple, _Box] = {}  # by the collapsed module's path
        self.box_by_id: dict[str, _Box] = {}
        self.roots: set[Any] = set()  # Node (or leaf Tensor) of each root
        self.param_paths: dict[Tensor, tuple] = {}

    def build(self, roots: Sequence[Tensor]) -> Graph:
        order = toposort([r.node for r in roots if r.node is not None])[::-1]  # inputs first
        self.roots = {r.node if r.node is not None else r for r in roots}
        self.param_paths = self._param_paths(order)
        for node in order:
            self._add_op(node)
        for r in roots:
            if r.node is None and r not in self.drawn_as:
                self._add_leaf(r)
        nodes = [it.node(self.grads) if isinstance(it, _Box) else it for it in self.items]
        return Graph(nodes, self.edges.list, self.scopes.clusters, self.vanishing, self.exploding)

    def _param_paths(self, order: list[Node]) -> dict[Tensor, tuple]:
        """Where each parameter is drawn: the innermost scope shared by every op using it."""
        paths: dict[Tensor, tuple] = {}
        for node in order:
            for p in node.parents:
                if type(p) is not Node and p.requires_grad:
                    prev = paths.get(p)
                    here = self.scopes.path(node)
                    paths[p] = here if prev is None else _common_prefix(prev, here)
        return paths

    def _stats(self, node: Node) -> GradStats | None:
        return self.grads.stats(node) if self.grads is not None else None

    def _status(self, stats: GradStats | None) -> str | None:
        return stats.status(self.vanishing, self.exploding) if stats is not None else None

    def _place(self, path: tuple) -> tuple[_Box | None, str | None]:
        """The box (if collapsed) or else the cluster that something at ``path`` goes in."""
        if self.collapse is None or len(path) <= self.collapse:
            return None, self.scopes.cluster(path)
        key = path[:self.collapse + 1]
        box = self.boxes.get(key)
        if box is None:
            box = _Box(f"m{len(self.items)}", self.scopes.label(key[-1]),
                       self.scopes.cluster(key[:-1]))
            self.boxes[key] = self.box_by_id[box.id] = box
            self.items.append(box)
        return box, None

    def _add_leaf(self, t: Tensor) -> None:
        name = self.names.get(t)
        g = t.grad
        stats = GradStats.from_array(g) if g is not None else None
        status = self._status(stats)
        if t.requires_grad:
            box, cid = self._place(self.param_paths.get(t, ()))
            if box is not None:
                box.add_param(name or f"leaf {_fmt_shape(t.shape, t.dtype)}", status)
                self.drawn_as[t] = box.id
                return
            kind, first = "param", name or "leaf"
        else:
            cid, kind, first = None, "input", name or "input"
        label = [first, _fmt_shape(t.shape, t.dtype)] + (stats.lines() if stats else [])
        self.drawn_as[t] = nid = f"n{len(self.items)}"
        self.items.append(DrawnNode(nid, kind, tuple(label), status, stats, cid, t in self.roots))

    def _argument(self, p: Node | Tensor) -> str:
        """How input ``p`` shows in its op's label: a scalar constant by value, anything
        else as ``·`` (a leaf is drawn the first time it is met)."""
        if type(p) is Node:
            return "·"
        if not p.requires_grad and p.size == 1 and p not in self.names:
            return f"{p.data.item():.4g}"
        if p not in self.drawn_as:
            self._add_leaf(p)
        return "·"

    def _add_op(self, node: Node) -> None:
        args = [self._argument(p) for p in node.parents]
        stats = self._stats(node)
        status = self._status(stats)
        box, cid = self._place(self.scopes.path(node))
        if box is not None:
            box.add_op(node, status, node in self.roots)
            self.drawn_as[node] = box.id
        else:
            opline = node.op.name
            if any(a != "·" for a in args):
                opline += f"({', '.join(args)})"
            name = self.names.get(node)
            label = [f"{name} = {opline}" if name else opline, _fmt_shape(node.shape, node.dtype)]
            label += stats.lines() if stats is not None else []
            self.drawn_as[node] = nid = f"n{len(self.items)}"
            self.items.append(DrawnNode(nid, "op", tuple(label), status, stats, cid, node in self.roots,
                                        None if node.where is None else str(node.where)))
        self._add_edges(node)

    def _add_edges(self, node: Node) -> None:
        dst = self.drawn_as[node]
        for i, p in enumerate(node.parents):
            src = self.drawn_as.get(p)
            if src is None or src == dst:  # a folded constant, or inside one box
                continue
            box = self.box_by_id.get(src)
            if box is not None and type(p) is Node:
                box.outputs[p] = None
            need = node.needs[i]
            edge = DrawnEdge(src, dst, self._summed(node, i) if need else None, bool(need))
            self.edges.add(edge, merge=box is not None or dst in self.box_by_id)

    def _summed(self, node: Node, i: int) -> tuple[int, ...] | None:
        """The axes input ``i``'s gradient is summed over: as backward did, if it was
        recorded, else as the shapes say it will."""
        if self.grads is not None and node in self.grads:
            return self.grads.summed_axes(node, i)
        return _static_summed(node, i)
