"""The interactive explorer: one self-contained HTML file in which a recorded graph can be
clicked, searched, collapsed and stepped through backward: :func:`explore`.

The page holds the Graphviz layout of :func:`draw`'s graph as inline SVG markup, one
element (node, edge, cluster) per line with the drawing's ids and its bounding box, the
data a click shows (one JSON object per snapshot: every node's op, params, shapes, value
and gradient summaries, source line; the backward steps in the engine's order, from a
:class:`~autograd_lite.viz.trace.Trace`) and a hand-written script and style sheet from
this package (``explorer.js``, ``explorer.css``, ``explorer.html``). The script puts in
the document only the elements near what is on screen: a browser lays out and paints an
SVG of 10,000 nodes in seconds, and repaints all of it when any part changes. The page
loads nothing from the network.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from ..graph import toposort
from ..tensor import Tensor
from . import dot
from .build import _Builder, _check_arguments
from .graph import Graph
from .naming import naming
from .pagedata import PageData
from .rendering import run_script
from .stats import GradRecord
from .trace import trace

__all__ = ["explore", "explore_script", "Explorer"]

_PREFIX = "p0_"  # the SVG ids of a pane laid out alone; pane i's become f"p{i}_"


@dataclass(frozen=True)
class _Pane:
    data: dict[str, Any]  # its "svg" entry holds the geometry, not the markup
    lines: list[str]  # the SVG elements' markup, one per line, ids starting with _PREFIX


class Explorer:
    """An explorer page: one snapshot of a graph, or two side by side.

    Made by :func:`explore`. ``html()`` is the page, ``save(path)`` writes it, and in
    Jupyter it displays inline (``_repr_html_``, in a sandboxed frame).
    """

    def __init__(self, panes: Sequence[_Pane], title: str) -> None:
        self._panes = list(panes)
        self.title = title

    @property
    def nodes(self) -> int:
        """How many nodes the page draws (over all its snapshots)."""
        return sum(len(p.data["nodes"]) for p in self._panes)

    def html(self) -> str:
        """The page: one HTML document holding its script, style, SVG and data."""
        files = resources.files(__package__)
        template = (files / "explorer.html").read_text(encoding="utf-8")
        js = (files / "explorer.js").read_text(encoding="utf-8")
        css = (files / "explorer.css").read_text(encoding="utf-8")
        data = {"title": self.title, "colors": {str(k): v for k, v in dot.STATUS_COLORS.items()},
                "panes": [p.data for p in self._panes]}
        # Inside <script>, "</" could end the element: JSON may spell "<" as \u003c.
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
        panes = "".join(
            f'<div class="al-pane" data-pane="{i}"><div class="al-pane-label"></div>'
            f'<div class="al-scroll"></div><script type="text/plain" id="al-svg-{i}">'
            + "\n".join(p.lines).replace(f'id="{_PREFIX}', f'id="p{i}_') + "</script></div>"
            for i, p in enumerate(self._panes))
        parts = {"title": html.escape(self.title), "css": css, "js": js, "data": text,
                 "panes": panes}
        # One pass over the template, so nothing inserted is read as a placeholder.
        return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], template)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (UTF-8) and return it as a Path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Explorer.save: path must be a path, got {type(path).__name__}")
        path = Path(path)
        try:
            path.write_text(self.html(), encoding="utf-8")
        except OSError as e:
            raise type(e)(e.errno, f"Explorer.save: cannot write {path}: {e.strerror}") from None
        return path

    def _repr_html_(self) -> str:
        # A frame keeps the page's ids, style and script apart from the notebook's.
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" sandbox="allow-scripts" '
                f'style="width:100%;height:720px;border:1px solid #ccc"></iframe>')


def explore(root: Tensor | Sequence[Tensor], path: str | os.PathLike | None = None, *,
            params: Any = None, grads: GradRecord | None = None, label: str | None = None,
            compare: Explorer | None = None, collapse: int | None = None,
            max_nodes: int | None = 10_000, vanishing: float = 1e-6, exploding: float = 1e3,
            title: str | None = None) -> Explorer:
    """Write (or return) an interactive page for the graph of ``root``.

    In the page, click a node for its op and params, shapes and dtypes, summaries of its
    value and gradient (norm, min, max, mean, a histogram, the values when there are at
    most 20), the math of its VJP and the line of your code that made it; step through
    backward in the engine's order; collapse modules; search parameters by name.
    Vanishing, exploding and NaN gradients are coloured as in :func:`draw`. The file is
    self-contained: no network access.

    Parameters
    ----------
    root
        The tensor (or tensors) whose graph is shown, usually the loss.
    path
        Where to write the page; None writes nothing (use the returned Explorer).
    params
        Names for tensors and modules, as in :func:`draw`.
    grads
        A :class:`~autograd_lite.viz.trace.Trace` from ``with al.viz.trace() as tr:
        loss.backward()``, for the gradients and the backward steps. A plain
        :class:`GradRecord` gives gradient norms without steps; None, the forward only.
    label
        This snapshot's name (e.g. ``"step 500"``).
    compare
        An Explorer of another snapshot of the same code (e.g. an earlier training step):
        the page shows it on the left and this one on the right, nodes matched by id.
    collapse
        Draw modules nested deeper than ``collapse`` as one box each (see :func:`draw`).
    max_nodes
        With ``collapse=None``, a graph with more nodes than this is drawn with modules
        collapsed, at the deepest level that fits. A drawing still larger than this (and
        than :func:`render`'s 5,000) is refused with ValueError before Graphviz runs.
        None: draw every node, whatever the count. Graphviz is given no time limit:
        10,000 nodes take it 30 s to minutes.
    vanishing, exploding
        Thresholds on ``max|grad|`` for the colours, as in :func:`draw`.
    title
        The page's title.

    Returns
    -------
    Explorer
        The page (also written to ``path`` if given).

    Notes
    -----
    A node's source line is known when the forward pass ran inside
    ``al.detect_anomaly(check_nan=False)``. Values of op outputs are kept by the trace;
    leaves show their values as they are when ``explore`` is called.
    """
    roots = tuple(root) if isinstance(root, (list, tuple)) else (root,)
    _check_arguments(roots, collapse, vanishing, exploding)
    if grads is not None and not isinstance(grads, GradRecord):
        raise TypeError(f"explore: grads must be a Trace from al.viz.trace() (or a GradRecord), "
                        f"got {type(grads).__name__}")
    if compare is not None and (not isinstance(compare, Explorer) or len(compare._panes) != 1):
        raise TypeError(f"explore: compare must be an Explorer of one snapshot (from explore()), "
                        f"got {_what(compare)}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"explore: max_nodes must be None or an int >= 1, got {max_nodes!r}")
    pane = _build_pane(roots, params, grads, label, collapse, max_nodes, vanishing, exploding)
    panes = [pane] if compare is None else [compare._panes[0], pane]
    if title is None:
        title = "autograd_lite explorer" + "".join(
            f" · {p.data['label']}" for p in panes if p.data["label"])
    page = Explorer(panes, title)
    if path is not None:
        page.save(path)
    return page


def explore_script(script_path: str | os.PathLike, tensor_name: str,
                   out_path: str | os.PathLike, *, argv: Sequence[str] = (),
                   **explore_kwargs: Any) -> Path:
    """Run a Python script inside :func:`trace` and write the explorer of one of its
    global tensors to ``out_path``: :func:`render_script`'s counterpart (same rules for
    ``sys.argv``, ``sys.path`` and naming by the script's globals).

    ``**explore_kwargs`` go to :func:`explore` (``collapse``, ``max_nodes``, ...).
    """
    with trace() as tr:
        target, found = run_script("explore_script", script_path, tensor_name, argv)
    return explore(target, params=found, grads=tr, **explore_kwargs).save(out_path)


def _what(obj: Any) -> str:
    if isinstance(obj, Explorer):
        return f"an Explorer of {len(obj._panes)} snapshots"
    return type(obj).__name__


# ---- one snapshot -------------------------------------------------------------------

def _build_pane(roots: tuple[Tensor, ...], params: Any, grads: GradRecord | None,
                label: str | None, collapse: int | None, max_nodes: int | None,
                vanishing: float, exploding: float) -> _Pane:
    names, modules = naming(params)

    def build(k: int | None) -> tuple[_Builder, Graph]:
        b = _Builder(names, modules, grads, k, vanishing, exploding)
        return b, b.build(roots)

    builder, graph = build(collapse)
    total = len(graph.nodes)
    if collapse is None and max_nodes is not None and total > max_nodes:
        nodes = toposort([r.node for r in roots if r.node is not None])
        for k in range(max((len(n.scope) for n in nodes), default=0) - 1, -1, -1):
            builder, graph = build(k)
            collapse = k  # the deepest that fits, else one box per outermost module
            if len(graph.nodes) <= max_nodes:
                break
    # Graphviz gets at most max_nodes (never fewer than draw's dot.MAX_NODES: a small
    # max_nodes asks for modules collapsed, not for a refusal); None lifts the limit.
    limit = None if max_nodes is None else max(max_nodes, dot.MAX_NODES)
    if limit is not None and len(graph.nodes) > limit:
        raise ValueError(
            f"explore: the graph draws {len(graph.nodes):,} nodes "
            + ("(no module to draw as one box)" if collapse is None else
               f"with modules collapsed (collapse={collapse})")
            + f", more than {limit:,} (max_nodes={max_nodes:,}); Graphviz "
            f"lays out graphs this large slowly (10,000 nodes take about 10 s, 20,000 over a "
            f"minute): explore a smaller part of the graph, or pass max_nodes=None to try anyway")
    data = PageData(builder, grads).pane(graph, label, collapse, total)
    # Tooltips would wrap nodes in links, and a min/max line is one more text element per
    # node for the browser to lay out: the panel shows both.
    plain = replace(graph, _source=None, nodes=[replace(n, tooltip=None, label=n.label[:2] + tuple(
        line for line in n.label[2:] if not line.startswith("min "))) for n in graph.nodes])
    # No timeout: max_nodes bounds the layout, and render's 60 s stopped a 10,000-node
    # layout (max_nodes=None) on this 2-core machine at load average 5.
    svg = dot.run_dot(plain, "svg", ids=_PREFIX, legend=False, max_nodes=None,
                      timeout=None).decode("utf-8")
    data["svg"], lines = _split_svg(svg)
    return _Pane(data, lines)


_ELEMENT = re.compile(r'<g id="(%s[^"]*)" class="(?:cluster|node|edge)">(.*?)</g>' % _PREFIX, re.S)
_SHAPE = re.compile(r' (?:d|points)="([^"]*)"')
_PAIR = re.compile(r"(-?[\d.]+),(-?[\d.]+)")
_TEXT = re.compile(r'<text x="(-?[\d.]+)" y="(-?[\d.]+)"[^>]*>([^<]*)</text>')
_PATH = re.compile(r'<path ([^>]*?)d="([^"]*)"/>')
_RECT = re.compile(r'<rect [^>]*x="(-?[\d.]+)" y="(-?[\d.]+)" width="([\d.]+)" height="([\d.]+)"')


def _rounded_as_rect(m: re.Match) -> str:
    """A rounded box (Graphviz writes it as a path of 33 points) as an SVG ``rect``: a
    fifth of the bytes."""
    pts = [(float(x), float(y)) for x, y in _PAIR.findall(m.group(2))]
    x0, y0 = min(p[0] for p in pts), min(p[1] for p in pts)
    w, h = max(p[0] for p in pts) - x0, max(p[1] for p in pts) - y0
    r = min(12.0, w / 2, h / 2)
    return f'<rect {m.group(1)}x="{x0:g}" y="{y0:g}" width="{w:g}" height="{h:g}" rx="{r:g}"/>'



def _split_svg(svg: str) -> tuple[dict[str, Any], list[str]]:
    """Graphviz's SVG as the page keeps it: the size and the graph's offset, and each
    cluster, node and edge as one line of markup, with its id (without the prefix) and
    bounding box in the graph's coordinates. The markup loses what the style sheet says
    once (font, centring, the nodes' font size), ``<title>`` (the page has its own hover
    card), comments, the whitespace between tags (each would be a DOM node) and the dashes
    of cluster outlines (the style sheet draws them solid and light: dashing a cluster
    around 10,000 nodes took the browser seconds per tile of screen)."""
    head = re.search(r'<svg width="[^"]*" height="[^"]*"\s+viewBox="([^"]*)"', svg)
    shift = re.search(r'<g id="graph0" class="graph" transform="[^"]*translate\(([^)]*)\)"', svg)
    if head is None or shift is None:
        raise RuntimeError("explore: Graphviz wrote an SVG of an unexpected form")
    _, _, w, h = map(float, head.group(1).split())
    ids, boxes, lines = [], [], []
    for m in _ELEMENT.finditer(svg):
        inner = re.sub(r"<title>.*?</title>|<!--.*?-->", "", m.group(2), flags=re.S)
        for attr in (' font-family="Helvetica,sans-Serif"', ' text-anchor="middle"',
                     ' font-size="10.00"', ' stroke-dasharray="5,2"'):
            inner = inner.replace(attr, "")
        inner = re.sub(r">\s+<", "><", inner).replace("\n", " ").strip()
        kind = m.group(0)[m.group(0).index('class="') + 7:].split('"')[0]
        if kind != "edge":  # a node's or cluster's path is a rounded box; edges are curves
            inner = _PATH.sub(_rounded_as_rect, inner)
        xs, ys = [], []
        for x, y in _PAIR.findall(" ".join(_SHAPE.findall(inner))):
            xs.append(float(x))
            ys.append(float(y))
        for x, y, dx, dy in _RECT.findall(inner):
            xs += [float(x), float(x) + float(dx)]
            ys += [float(y), float(y) + float(dy)]
        for x, y, text in _TEXT.findall(inner):  # edge and cluster labels: about 6pt a letter
            half = 3 * len(html.unescape(text))
            xs += [float(x) - half, float(x) + half]
            ys += [float(y) - 12, float(y) + 3]
        full_id = m.group(1)
        ids.append(full_id[len(_PREFIX):])
        boxes.append([round(min(xs), 1), round(min(ys), 1), round(max(xs), 1), round(max(ys), 1)])
        lines.append(f'<g id="{full_id}" class="{kind}">{inner}</g>')
    if "</script" in "".join(lines).lower():  # cannot be: Graphviz escapes "<" in labels
        raise RuntimeError("explore: SVG markup would end its <script> element")
    geometry = {"w": w, "h": h, "tf": [float(v) for v in shift.group(1).split()],
                "ids": ids, "box": boxes}
    return geometry, lines
