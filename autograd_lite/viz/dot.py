"""DOT text for a :class:`~autograd_lite.viz.Graph`, and running Graphviz on it.

One function per kind of line (node, edge, cluster, legend); :func:`body` puts
them in order. Building the text needs only the ``graphviz`` Python package;
:func:`run_dot` also needs Graphviz's ``dot`` program.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    import graphviz

    from .graph import Cluster, DrawnEdge, DrawnNode, Graph

#: Fill colour for each gradient status (``None``: no gradient known).
STATUS_COLORS: dict[str | None, str] = {
    None: "#ffffff", "ok": "#d9f0d3", "vanishing": "#9ecae1",
    "exploding": "#fdae6b", "nonfinite": "#ef3b2c"}
_DATA_COLOR = "#eeeeee"
_SUMMED_COLOR = "#d94801"
#: Output formats :func:`render` accepts; ``dot`` writes the DOT source and needs no binary.
FORMATS = ("svg", "png", "pdf", "dot")
#: Graphs with more nodes are not handed to ``dot`` unless asked (``max_nodes=``): its
#: layout time grows faster than the graph (measured: 2k nodes 0.6 s, 10k 10 s, 20k 68 s,
#: 100k more than 90 s), and a picture that large is unreadable anyway.
MAX_NODES = 5000
#: Seconds ``dot`` may run before it is stopped (``timeout=``).
TIMEOUT = 60.0
RANKDIRS = ("TB", "LR", "BT", "RL")

_INSTALL_DOT = (
    "the Graphviz 'dot' program was not found on PATH; it is needed to render SVG, PNG or PDF "
    "(to_dot() and format='dot' work without it). Install it with `apt-get install graphviz` "
    "(Debian/Ubuntu), `brew install graphviz` (macOS), `conda install -c conda-forge graphviz` "
    "(conda), or from https://graphviz.org/download/, then make sure `dot -V` runs.")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` binary (or the ``graphviz`` Python package) is missing."""


# ---- the text ------------------------------------------------------------------

def _q(s: str) -> str:
    """A DOT double-quoted string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(lines: Iterable[str]) -> str:
    return _q("\n".join(lines))


def _node_line(n: DrawnNode, ids: str | None = None) -> str:
    attrs = [f"label={_label(n.label)}"]
    if ids is not None:
        attrs.append(f'id="{ids}{n.id}"')
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


def _edge_line(e: DrawnEdge, id: str | None = None) -> str:
    attrs = ""
    if e.summed:
        axes = ", ".join(map(str, e.summed))
        word = "axis" if len(e.summed) == 1 else "axes"
        attrs = (f'label="Σ {word} {axes}" color="{_SUMMED_COLOR}" '
                 f'fontcolor="{_SUMMED_COLOR}" penwidth=2.5')
    elif not e.grad:
        attrs = 'style=dashed color="#aaaaaa"'
    if id is not None:
        attrs = f'id="{id}" {attrs}'.rstrip()
    return f"\t{e.src} -> {e.dst}{f' [{attrs}]' if attrs else ''}\n"


def _cluster_line(c: Cluster, ids: str | None = None) -> str:
    """The opening of a cluster's subgraph (closed by ``"\\t}\\n"``)."""
    id = "" if ids is None else f'id="{ids}{c.id}" '
    return (f"\tsubgraph {c.id} {{\n\t\t{id}label={_q(c.label)} style=\"rounded,dashed\" "
            f"color=\"#7f7f7f\" fontname=Helvetica fontsize=11\n")


#: The legend's font size (points), and the width it allows per character of its text:
#: more than the wide sans-serif fonts take (DejaVu Sans and Verdana: 0.49 of the size
#: for "NaN or Inf in the gradient"; Helvetica and Arial 0.43).
_LEGEND_FONTSIZE, _LEGEND_EM_PER_CHAR = 10, 0.55


def _legend(vanishing: float, exploding: float) -> str:
    rows = [("nonfinite", "NaN or Inf in the gradient"),
            ("exploding", f"max|grad| &gt; {exploding:.3g}"),
            ("ok", "gradient in range"),
            ("vanishing", f"max|grad| &lt; {vanishing:.3g}")]
    cells = "".join(f'<tr><td bgcolor="{STATUS_COLORS[s]}" align="left">{text}</td></tr>'
                    for s, text in rows)
    # dot sizes a cell by its own estimate of the text's width; where the picture is shown
    # in a wider font (DejaVu Sans, often what "Helvetica" becomes) the longest row ran
    # over the cell's right border. So the column gets a width no sans font fills.
    longest = max(len(html.unescape(text)) for _, text in rows)
    width = round(_LEGEND_EM_PER_CHAR * _LEGEND_FONTSIZE * longest) + 8  # + padding, borders
    return (f'\tlegend [shape=plaintext fontsize={_LEGEND_FONTSIZE} label=<<table border="0" '
            f'cellborder="1" cellspacing="0" cellpadding="3">'
            f'<tr><td width="{width}"><b>gradient</b></td></tr>{cells}</table>>]\n')


def body(graph: Graph, ids: str | None = None, legend: bool = True) -> list[str]:
    """The lines between ``digraph {`` and ``}``: each cluster with its nodes (nested
    clusters inside their parent), the nodes outside any cluster, the edges, and the
    colour legend if any node has gradient statistics and ``legend`` is true.

    With ``ids`` (a prefix), every node, cluster and edge gets an ``id`` attribute
    (``ids + node.id``, ``ids + cluster.id``, ``ids + 'e' + index``): the ids of the
    SVG elements Graphviz draws them as."""
    lines: list[str] = []
    by_cluster: dict[str | None, list[str]] = {}
    for n in graph.nodes:
        by_cluster.setdefault(n.cluster, []).append(_node_line(n, ids))
    children: dict[str | None, list[Cluster]] = {}
    for c in graph.clusters:
        children.setdefault(c.parent, []).append(c)
    # Nested clusters with an explicit stack: no recursion, however deep.
    stack: list[tuple[Cluster, bool]] = [(c, False) for c in reversed(children.get(None, []))]
    while stack:
        c, close = stack.pop()
        if close:
            lines.append("\t}\n")
            continue
        lines.append(_cluster_line(c, ids))
        lines.extend(by_cluster.get(c.id, ()))
        stack.append((c, True))
        stack.extend((k, False) for k in reversed(children.get(c.id, [])))
    lines.extend(by_cluster.get(None, ()))
    lines.extend(_edge_line(e, None if ids is None else f"{ids}e{k}")
                 for k, e in enumerate(graph.edges))
    if legend and any(n.stats is not None for n in graph.nodes):
        lines.append(_legend(graph.vanishing, graph.exploding))
    return lines


# ---- Graphviz ------------------------------------------------------------------

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


def digraph(graph: Graph, rankdir: str = "TB", **body_options: Any) -> graphviz.Digraph:
    """``graph`` as a ``graphviz.Digraph`` (needs the Python package, not ``dot``);
    ``body_options`` go to :func:`body`."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"to_dot: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    gv = _import_graphviz()
    return gv.Digraph(
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
        node_attr={"shape": "box", "fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"},
        body=body(graph, **body_options))


_SMALLER = ("draw fewer boxes with collapse=0 (one box per outermost module; collapse=k "
            "keeps k levels), or write the DOT source with format='dot'")


def run_dot(graph: Graph, format: str, *, max_nodes: int | None = MAX_NODES,
            timeout: float | None = TIMEOUT, **body_options: Any) -> bytes:
    """``graph`` rendered by Graphviz's ``dot`` as ``format`` (svg, png, pdf).

    Refuses (ValueError) a graph of more than ``max_nodes`` nodes, and stops ``dot``
    after ``timeout`` seconds (TimeoutError); None lifts either limit. ``body_options``
    go to :func:`body`.
    """
    n = len(graph.nodes)
    if max_nodes is not None and n > max_nodes:
        raise ValueError(f"render: the graph has {n:,} nodes, more than max_nodes={max_nodes:,}; "
                         f"Graphviz lays out graphs this large slowly (10,000 nodes take about "
                         f"10 s, 20,000 over a minute): {_SMALLER}, or pass max_nodes=None to "
                         f"try anyway")
    _check_dot()
    source = digraph(graph, **body_options).source.encode("utf-8")
    try:
        done = subprocess.run(["dot", f"-T{format}"], input=source, capture_output=True,
                              timeout=timeout)
    except FileNotFoundError:  # on PATH a moment ago, or not runnable
        raise GraphvizNotFoundError(f"render: {_INSTALL_DOT}") from None
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"render: Graphviz's dot did not finish laying out {n:,} nodes "
                           f"within timeout={timeout:g} s and was stopped; {_SMALLER}, or "
                           f"pass a larger timeout= (None: no limit)") from None
    if done.returncode != 0:
        raise RuntimeError(f"render: Graphviz's dot failed (exit status {done.returncode}): "
                           f"{done.stderr.decode(errors='replace').strip()}")
    return done.stdout
