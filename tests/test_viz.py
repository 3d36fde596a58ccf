"""Graph drawing: the structure of the DOT (labels, colours, clusters, edge marks),
real renders through Graphviz's ``dot``, and linear, recursion-free traversal."""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.broadcasting import summed_axes
from autograd_lite import hooks
from autograd_lite.viz import STATUS_COLORS, GradStats, GraphvizNotFoundError

N, H = 8, 16  # batch and hidden size of the test network (784 -> H -> 10)


# ---- a fake nn.Module: scopes its forward, PyTorch-named introspection ------------

class FakeModule:
    def __call__(self, *args):
        with al.scope(self):
            return self.forward(*args)

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, m in vars(self).items():
            if isinstance(m, FakeModule):
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self):
        for qn, m in self.named_modules():
            for name, p in vars(m).items():
                if isinstance(p, al.Tensor) and p.requires_grad:
                    yield (f"{qn}.{name}" if qn else name), p


class FakeLinear(FakeModule):
    def __init__(self, n_in, n_out, rng):
        self.weight = al.Tensor(rng.standard_normal((n_in, n_out)) * 0.1, requires_grad=True,
                                dtype=np.float32)
        self.bias = al.Tensor(np.zeros(n_out), requires_grad=True, dtype=np.float32)

    def forward(self, x):
        return x @ self.weight + self.bias


class FakeMLP(FakeModule):
    def __init__(self, rng):
        self.fc1 = FakeLinear(784, H, rng)
        self.fc2 = FakeLinear(H, 10, rng)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


def make_net(seed=0):
    rng = np.random.default_rng(seed)
    model = FakeMLP(rng)
    x = al.Tensor(rng.random((N, 784)), dtype=np.float32)
    y = al.Tensor(rng.integers(0, 10, N), dtype=np.int64)
    return model, x, y, al.cross_entropy(model(x), y)


# ---- a small parser for the DOT we emit -------------------------------------------

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<.*>|[^\s\]]+)')


def _attrs(text):
    out = {}
    for k, v in _ATTR.findall(text or ""):
        if v.startswith('"'):
            v = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), v[1:-1])
        out[k] = v
    return out


def parse_dot(source):
    """{'nodes': {id: attrs + 'lines' + 'cluster'}, 'edges': [(src, dst, attrs)],
    'clusters': {id: (label, parent)}}, from DOT text as to_dot() writes it."""
    nodes, edges, clusters, stack = {}, [], {}, []
    for raw in source.splitlines():
        line = raw.strip()
        if m := re.match(r"subgraph (\w+) \{$", line):
            clusters[m.group(1)] = [None, stack[-1] if stack else None]
            stack.append(m.group(1))
        elif line == "}" and stack:
            stack.pop()
        elif stack and line.startswith("label=") and clusters[stack[-1]][0] is None:
            clusters[stack[-1]][0] = _attrs(line)["label"]
        elif m := re.match(r"(\w+) -> (\w+)(?: \[(.*)\])?$", line):
            edges.append((m.group(1), m.group(2), _attrs(m.group(3))))
        elif m := re.match(r"(\w+) \[(.*)\]$", line):
            if m.group(1) in ("graph", "node", "edge"):
                continue
            a = _attrs(m.group(2))
            a["lines"] = a.get("label", "").split("\n")
            a["cluster"] = stack[-1] if stack else None
            nodes[m.group(1)] = a
    return {"nodes": nodes, "edges": edges, "clusters": {k: tuple(v) for k, v in clusters.items()}}


def dot_of(*roots, **kw):
    return parse_dot(al.viz.to_dot(*roots, **kw).source)


def by_first_line(dot, first):
    found = [i for i, a in dot["nodes"].items() if a["lines"][0] == first]
    assert found, f"no node labelled {first!r} in {[a['lines'][0] for a in dot['nodes'].values()]}"
    return found


def shape_str(shape, dtype="float32"):
    return f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''}) {dtype}"


# ---- what nodes show ----------------------------------------------------------------

def test_nodes_show_op_shape_dtype_and_parameter_names():
    model, x, y, loss = make_net()
    dot = dot_of(loss, params=model)
    # Ids number nodes in topological order (the DOT groups them by cluster).
    ops = [a for k, a in sorted(dot["nodes"].items(), key=lambda kv: int(kv[0][1:]))
           if a.get("style") == "rounded,filled"]
    assert [a["lines"][0] for a in ops] == ["matmul", "add", "relu", "matmul", "add", "cross_entropy"]
    assert [a["lines"][1] for a in ops] == [shape_str((N, H))] * 3 + [shape_str((N, 10))] * 2 \
        + [shape_str(())]
    for name, p in model.named_parameters():
        (nid,) = by_first_line(dot, name)
        node = dot["nodes"][nid]
        assert node["lines"][1] == shape_str(p.shape)
        assert node["style"] == "filled,bold" and node.get("shape") is None  # a parameter box
    data = [a for a in dot["nodes"].values() if a.get("shape") == "note"]  # x and y: data inputs
    assert sorted(a["lines"][1] for a in data) == sorted([shape_str(x.shape), shape_str(y.shape, "int64")])
    assert all(a["fillcolor"] != STATUS_COLORS["ok"] for a in dot["nodes"].values())
    assert not any("grad" in line for a in dot["nodes"].values() for line in a["lines"])
    (root,) = [a for a in dot["nodes"].values() if a.get("peripheries") == "2"]
    assert root["lines"][0] == "cross_entropy"


def test_named_non_leaf_tensors_and_folded_constants():
    w = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = 1 - w * 0.5
    out = (h / 2).sum()
    g = al.viz.draw(out, params={"w": w, "h": h})
    assert [n.label[0] for n in g.nodes] == ["w", "multiply(·, 0.5)", "h = subtract(1, ·)",
                                             "divide(·, 2)", "sum"]
    assert [n.kind for n in g.nodes] == ["param", "op", "op", "op", "op"]
    assert len(g.edges) == 4  # constants are folded, not drawn as nodes


def test_leaf_root_and_argument_errors():
    w = al.tensor([1.0, 2.0], requires_grad=True)
    g = al.viz.draw(w, params={"w": w})
    assert [(n.kind, n.label[0], n.output) for n in g.nodes] == [("param", "w", True)]
    with pytest.raises(TypeError, match="at least one Tensor"):
        al.viz.draw()
    with pytest.raises(TypeError, match="expected Tensors, got ndarray"):
        al.viz.draw(np.ones(2))
    with pytest.raises(ValueError, match="collapse"):
        al.viz.draw(w, collapse=-1)
    with pytest.raises(ValueError, match="vanishing < exploding"):
        al.viz.draw(w, vanishing=1.0, exploding=0.5)
    with pytest.raises(TypeError, match="'lr' is a float"):
        al.viz.draw(w, params={"lr": 0.1})


# ---- gradients -------------------------------------------------------------------

def test_gradient_statistics_after_backward_match_the_gradients():
    model, x, y, loss = make_net()
    with al.viz.record() as rec:
        loss.backward()
    assert len(hooks.backward_hooks()) == 0  # removed on exit
    g = al.viz.draw(loss, params=model, grads=rec)
    assert all(n.stats is not None for n in g.nodes if n.kind in ("op", "param"))
    assert all(n.stats is None for n in g.nodes if n.kind == "input")
    for name, p in model.named_parameters():
        node = g.node(name)
        assert node.stats == GradStats.from_array(p.grad)
        assert f"grad norm {np.linalg.norm(p.grad):.3g}" in node.label
    # The logits node shows d(loss)/d(logits): recompute it on a fresh, identical graph.
    model2, x2, y2, _ = make_net()
    logits = model2(x2)
    (dlogits,) = al.gradients(al.cross_entropy(logits, y2), [logits])
    logits_node = [n for n in g.nodes if n.label[0] == "add"][1]
    expect = GradStats.from_array(dlogits)
    assert logits_node.stats.norm == pytest.approx(expect.norm, rel=1e-5)
    assert (logits_node.stats.min, logits_node.stats.max) == pytest.approx((expect.min, expect.max),
                                                                           rel=1e-5)
    dot = parse_dot(g.source)
    assert "legend" in dot["nodes"]
    assert all(a["fillcolor"] == STATUS_COLORS["ok"] for k, a in dot["nodes"].items()
               if k != "legend" and a.get("shape") != "note")


def test_grad_stats_count_nan_and_inf():
    a = np.array([1.0, -3.0, np.nan, np.inf, 2.0], np.float32)
    s = GradStats.from_array(a)
    assert (s.nan, s.inf, s.size, s.min, s.max) == (1, 1, 5, -3.0, 2.0)
    assert np.isnan(s.norm) and s.status() == "nonfinite"
    big = np.full(4, 1e20, np.float32)  # its float32 norm would overflow
    assert GradStats.from_array(big).norm == pytest.approx(2e20)
    assert GradStats.from_array(np.zeros(3)).status() == "vanishing"
    assert GradStats.from_array(np.array([1e-7, 2.0])).status() == "ok"


def _param_status(loss, w, **kw):
    with al.viz.record() as rec:
        loss.backward()
    g = al.viz.draw(loss, params={"w": w}, grads=rec, **kw)
    dot = parse_dot(g.source)
    return g, dot["nodes"][g.node("w").id]


def test_colours_flag_vanishing_exploding_and_nonfinite_gradients():
    w = al.tensor([1.0, 2.0], requires_grad=True)
    g, node = _param_status((w * 1e-9).sum(), w)
    assert g.node("w").status == "vanishing" and node["fillcolor"] == STATUS_COLORS["vanishing"]
    assert g.node("multiply(·, 1e-09)").status == "ok"  # its output gradient is 1

    w = al.tensor([1.0, 2.0], requires_grad=True)
    g, node = _param_status((w * 1e6).sum(), w)
    assert g.node("w").status == "exploding" and node["fillcolor"] == STATUS_COLORS["exploding"]

    # The thresholds are parameters.
    w = al.tensor([1.0, 2.0], requires_grad=True)
    g, node = _param_status((w * 1e6).sum(), w, exploding=1e7)
    assert g.node("w").status == "ok" and node["fillcolor"] == STATUS_COLORS["ok"]

    w = al.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        g, node = _param_status((al.sqrt(w) * 0).sum(), w)  # 0 * (1 / 0) = NaN
    assert g.node("w").status == "nonfinite" and node["fillcolor"] == STATUS_COLORS["nonfinite"]
    assert "NaN×1 Inf×0 of 2" in node["lines"]
    assert g.node("sqrt").status == "vanishing"  # all-zero gradient out of the multiply by 0


# ---- broadcast edges ---------------------------------------------------------------

def _edge_marks(g):
    labels = {n.id: n.label[0] for n in g.nodes}
    return sorted((labels[e.src], labels[e.dst], e.summed) for e in g.edges)


BROADCAST_CASES = {
    "outer product": (lambda a, b: a * b, [(3, 1), (1, 4)]),
    "bias": (lambda a, b: a + b, [(5, 4), (4,)]),
    "batched matmul": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "vector @ batch": (lambda a, b: a @ b, [(4,), (2, 4, 5)]),
    "both batch axes broadcast": (lambda a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    "where": (lambda a, b: al.where(np.arange(12).reshape(3, 4) % 2 == 0, a, b), [(4,), (3, 1)]),
}


@pytest.mark.parametrize("case", sorted(BROADCAST_CASES))
def test_broadcast_marks_from_shapes_agree_with_the_engine(case):
    fn, shapes = BROADCAST_CASES[case]
    rng = np.random.default_rng(1)
    ins = {f"a{i}": al.Tensor(rng.standard_normal(s), requires_grad=True) for i, s in enumerate(shapes)}
    out = fn(*ins.values()).sum()
    before = _edge_marks(al.viz.draw(out, params=ins))
    # What the engine really sums: the VJP outputs whose shape differs from the input's.
    seen = {}

    def spy(node, g, dxs):
        for i, (p, dx) in enumerate(zip(node.parents, dxs)):
            if dx is not None and dx.shape != p.shape:
                seen[(node.op.name, i)] = (dx.shape, p.shape)
    handle = hooks.register_backward_hook(spy)
    try:
        with al.viz.record() as rec:
            out.backward()
    finally:
        handle.remove()
    after = _edge_marks(al.viz.draw(out, params=ins, grads=rec))
    assert before == after
    marked = [m for m in after if m[2] is not None]
    assert len(marked) == len(seen) > 0
    for _, _, axes in marked:
        assert axes
    # Summing the engine's gradient over the marked axes is exactly its unbroadcast.
    for (dx_shape, p_shape) in seen.values():
        axes = summed_axes(dx_shape, p_shape)
        dx = rng.standard_normal(dx_shape)
        np.testing.assert_allclose(dx.sum(axis=axes, keepdims=True).reshape(p_shape),
                                   al.unbroadcast(dx, p_shape))


def test_broadcast_edges_are_labelled_and_gradient_free_edges_dashed():
    model, x, y, loss = make_net()
    dot = dot_of(loss, params=model)
    names = {k: a["lines"][0] for k, a in dot["nodes"].items()}
    marked = {(names[s], names[d]): a["label"] for s, d, a in dot["edges"] if "label" in a}
    assert marked == {("fc1.bias", "add"): "Σ axis 0", ("fc2.bias", "add"): "Σ axis 0"}
    dashed = sorted(dot["nodes"][s]["lines"][1] for s, d, a in dot["edges"] if a.get("style") == "dashed")
    assert dashed == sorted([shape_str(x.shape), shape_str(y.shape, "int64")])
    a = al.Tensor(np.ones((3, 1)), requires_grad=True)
    b = al.Tensor(np.ones((2, 1, 4)), requires_grad=True)
    dot = dot_of((a * b).sum())
    assert sorted(e[2]["label"] for e in dot["edges"] if "label" in e[2]) == ["Σ axes 0, 2", "Σ axis 1"]


# ---- clusters and collapsing ---------------------------------------------------------

def test_nodes_are_clustered_per_module_and_nested():
    model, x, y, loss = make_net()
    dot = dot_of(loss, params=model)
    clusters = dot["clusters"]
    by_label = {label: cid for cid, (label, _) in clusters.items()}
    assert sorted(by_label) == ["FakeMLP", "fc1: FakeLinear", "fc2: FakeLinear"]
    assert clusters[by_label["fc1: FakeLinear"]][1] == by_label["FakeMLP"]
    assert clusters[by_label["fc2: FakeLinear"]][1] == by_label["FakeMLP"]
    members = {}
    for a in dot["nodes"].values():
        members.setdefault(a["cluster"], []).append(a["lines"][0])
    assert sorted(members[by_label["fc1: FakeLinear"]]) == ["add", "fc1.bias", "fc1.weight", "matmul"]
    assert sorted(members[by_label["fc2: FakeLinear"]]) == ["add", "fc2.bias", "fc2.weight", "matmul"]
    assert members[by_label["FakeMLP"]] == ["relu"]  # called in FakeMLP.forward itself
    assert sorted(members[None]) == ["cross_entropy", "input", "input"]  # data stays outside


def test_string_scopes_and_the_example_network():
    loss, named = al.viz.mlp_example(batch_size=4, hidden=8)
    g = al.viz.draw(loss, params=named)
    assert [c.label for c in g.clusters] == ["fc1", "fc2"]
    fc1 = g.clusters[0].id
    assert sorted(n.label[0] for n in g.nodes if n.cluster == fc1) == ["W1", "add", "b1", "matmul"]
    assert g.node("loss = cross_entropy").output
    assert g.node("x").kind == g.node("y").kind == "input"


def test_collapse_draws_one_box_per_module():
    model, x, y, loss = make_net()
    with al.viz.record() as rec:
        loss.backward()
    g = al.viz.draw(loss, params=model, grads=rec, collapse=1)
    assert [c.label for c in g.clusters] == ["FakeMLP"]
    boxes = [n for n in g.nodes if n.kind == "module"]
    assert [b.label[0] for b in boxes] == ["fc1: FakeLinear", "fc2: FakeLinear"]
    assert all(b.label[1] == "2 ops, 2 params" and b.cluster == g.clusters[0].id for b in boxes)
    assert boxes[0].label[2] == f"→ {shape_str((N, H))}"
    assert "matmul" not in [n.label[0] for n in g.nodes]
    flow = [(e.src, e.dst) for e in g.edges]
    assert len(flow) == len(set(flow)) == 5  # x->fc1->relu->fc2->cross_entropy, y->cross_entropy
    dot = parse_dot(g.source)
    assert sum(a.get("shape") == "box3d" for a in dot["nodes"].values()) == 2

    g0 = al.viz.draw(loss, params=model, grads=rec, collapse=0)
    (box,) = [n for n in g0.nodes if n.kind == "module"]
    assert box.label[:2] == ("FakeMLP", "5 ops, 4 params") and g0.clusters == []
    assert box.status == "ok"
    assert sorted(n.label[0] for n in g0.nodes) == ["FakeMLP", "cross_entropy", "input", "input"]


def test_collapsed_box_takes_the_worst_status_inside():
    model, x, y, _ = make_net()
    with al.no_grad():
        model.fc1.weight *= 0  # every hidden unit dead: relu passes no gradient to fc1
    loss = al.cross_entropy(model(x), y)
    with al.viz.record() as rec:
        loss.backward()
    full = al.viz.draw(loss, params=model, grads=rec)
    fc2 = [c.id for c in full.clusters if c.label.startswith("fc2")]
    inside = {n.label[0]: n.status for n in full.nodes if n.cluster in fc2}
    # Zero hidden activations: fc2's weight gets no gradient though its ops do.
    assert inside == {"fc2.weight": "vanishing", "matmul": "ok", "fc2.bias": "ok", "add": "ok"}
    g = al.viz.draw(loss, params=model, grads=rec, collapse=1)
    assert g.node("fc1: FakeLinear").status == "vanishing"
    assert g.node("fc2: FakeLinear").status == "vanishing"


# ---- big graphs ---------------------------------------------------------------------

def _chain(n):
    x = al.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    return y


def _stack_depth():
    f, depth = sys._getframe(), 0
    while f is not None:
        f, depth = f.f_back, depth + 1
    return depth


def test_100k_node_chain_without_recursion_in_linear_time():
    small, big = _chain(10_000), _chain(100_000)
    al.viz.draw(_chain(2)).source  # import graphviz first: imports need stack, the chain must not
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + 50)  # any recursion over the chain would fail
    try:
        t0 = time.perf_counter()
        al.viz.draw(small).source
        t1 = time.perf_counter()
        g = al.viz.draw(big)
        source = g.source
        t2 = time.perf_counter()
    finally:
        sys.setrecursionlimit(limit)
    assert len(g.nodes) == 100_001 and len(g.edges) == 100_000
    assert source.count(" -> ") == 100_000
    # 10x the nodes: linear takes ~10x the time, quadratic would take ~100x.
    assert (t2 - t1) < 30 * (t1 - t0) + 0.5, (t1 - t0, t2 - t1)


def test_drawing_is_deterministic():
    sources = [al.viz.to_dot(make_net(seed=3)[3]).source for _ in range(2)]
    assert sources[0] == sources[1]
    model, x, y, loss = make_net()
    assert al.viz.to_dot(loss, params=model).source == al.viz.to_dot(loss, params=model).source


# ---- rendering --------------------------------------------------------------------------

def test_render_svg_png_pdf_through_dot(tmp_path):
    model, x, y, loss = make_net()
    with al.viz.record() as rec:
        loss.backward()
    graph = al.viz.draw(loss, params=model, grads=rec)
    out = al.viz.render(graph, tmp_path / "net.svg")
    assert out == tmp_path / "net.svg"
    svg = ET.parse(out).getroot()
    assert svg.tag.endswith("svg")
    texts = {t.text for t in svg.iter() if t.tag.endswith("text")}
    assert {"fc1.weight", "cross_entropy", "Σ axis 0", "fc1: FakeLinear"} <= texts
    groups = [e for e in svg.iter() if e.tag.endswith("g") and e.get("class") == "node"]
    assert len(groups) == len(graph.nodes) + 1  # + the legend
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.svg"]  # no stray DOT file
    png = al.viz.render(loss, tmp_path / "net.png", params=model)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = al.viz.render(loss, tmp_path / "graph", format="pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert "<svg" in graph._repr_svg_()


def test_the_legend_of_a_wide_graph_has_room_for_a_wide_font(tmp_path):
    """dot sizes the legend's cells by its estimate of Helvetica; shown in DejaVu Sans
    (often what "Helvetica" becomes) the longest row used to run over the cell's right
    border, at the picture's right edge in a wide graph. Every row must fit in DejaVu
    Sans, measured, with room to spare."""
    ImageFont = pytest.importorskip("PIL.ImageFont")
    font_manager = pytest.importorskip("matplotlib.font_manager")
    ws = [al.tensor(np.full((3, 4), 0.1 * (i + 1)), requires_grad=True) for i in range(9)]
    loss = al.stack([al.tanh(w * w).sum() for w in ws]).sum()   # nine columns side by side
    with al.viz.record() as rec:
        loss.backward()
    out = al.viz.render(loss, tmp_path / "wide.svg", params={f"w{i}": w for i, w in enumerate(ws)},
                        grads=rec)
    svg = ET.parse(out).getroot()
    legend = next(g for g in svg.iter() if g.tag.endswith("g") and any(
        t.tag.endswith("title") and t.text == "legend" for t in g))
    right = max(float(xy.split(",")[0]) for poly in legend.iter() if poly.tag.endswith("polygon")
                for xy in poly.get("points").split())
    width = float(svg.get("viewBox").split()[2])
    assert right < width  # the legend is inside the picture ...
    assert right > 0.9 * width  # ... at its right edge, where a run-over is cut off
    texts = [t for t in legend.iter() if t.tag.endswith("text")]
    assert len(texts) == 5
    for t in texts:
        bold = t.get("font-weight") == "bold"
        font = ImageFont.truetype(font_manager.findfont(font_manager.FontProperties(
            family="DejaVu Sans", weight="bold" if bold else "normal")), 100)
        size = float(t.get("font-size"))
        text_width = font.getlength(t.text) * size / 100
        assert float(t.get("x")) + text_width + 4 <= right, (t.text, t.get("x"), text_width, right)


def test_render_formats_and_missing_dot(tmp_path, monkeypatch):
    w = al.tensor([1.0], requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(ValueError, match="unsupported format 'jpeg'"):
        al.viz.render(loss, tmp_path / "g.jpeg")
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    assert shutil.which("dot") is None
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as info:
        al.viz.render(loss, tmp_path / "g.svg")
    assert "brew install graphviz" in str(info.value) and "conda" in str(info.value)
    with pytest.raises(GraphvizNotFoundError, match="'dot' program was not found"):
        al.viz.draw(loss)._repr_svg_()
    # DOT source needs no binary.
    text = al.viz.render(loss, tmp_path / "g.gv").read_text()
    assert parse_dot(text)["nodes"] and text == al.viz.to_dot(loss).source


SCRIPT = """
import sys
import numpy as np
import autograd_lite as al

rng = np.random.default_rng(0)
x = al.Tensor(rng.random((4, 784)), dtype=np.float32)
y = al.Tensor(rng.integers(0, 10, 4), dtype=np.int64)
W1 = al.Tensor(rng.standard_normal((784, 8)) * 0.05, requires_grad=True, dtype=np.float32)
b1 = al.zeros(8, requires_grad=True)
W2 = al.Tensor(rng.standard_normal((8, 10)) * 0.3, requires_grad=True, dtype=np.float32)
b2 = al.zeros(10, requires_grad=True)
hidden = (x @ W1 + b1).relu()
loss = al.cross_entropy(hidden @ W2 + b2, y)
lr = 0.1
if __name__ == "__main__" and "--no-backward" not in sys.argv:
    loss.backward()
"""


def test_render_script_names_globals_and_records_gradients(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    out = al.viz.render_script(script, "loss", tmp_path / "g.dot")
    dot = parse_dot(out.read_text())
    firsts = {a["lines"][0] for a in dot["nodes"].values()}
    assert {"x", "y", "W1", "b1", "W2", "b2", "hidden = relu", "loss = cross_entropy"} <= firsts
    (w1,) = by_first_line(dot, "W1")
    assert any(line.startswith("grad norm") for line in dot["nodes"][w1]["lines"])
    (relu,) = by_first_line(dot, "hidden = relu")
    assert any(line.startswith("grad norm") for line in dot["nodes"][relu]["lines"])

    out = al.viz.render_script(script, "loss", tmp_path / "g2.dot", argv=["--no-backward"])
    assert "grad norm" not in out.read_text()
    svg = al.viz.render_script(script, "hidden", tmp_path / "h.svg")
    assert ET.parse(svg).getroot().tag.endswith("svg")

    with pytest.raises(NameError, match="no global 'logits'.*W1, W2, b1, b2, hidden, loss, x, y"):
        al.viz.render_script(script, "logits", tmp_path / "x.svg")
    with pytest.raises(TypeError, match="float, not a Tensor"):
        al.viz.render_script(script, "lr", tmp_path / "x.svg")
    with pytest.raises(FileNotFoundError, match="no script"):
        al.viz.render_script(tmp_path / "missing.py", "loss", tmp_path / "x.svg")
    assert hooks.backward_hooks() == ()


def test_record_holds_graphs_weakly():
    import gc
    with al.viz.record() as rec:
        for _ in range(3):
            w = al.tensor([1.0, 2.0], requires_grad=True)
            (w * w).sum().backward()
    gc.collect()
    assert len(rec) == 0  # the graphs are gone, and the record kept none of them alive
    w = al.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with rec:
        loss.backward()
    assert len(rec) == 2 and loss.node in rec and rec.stats(loss.node).norm == 1.0


def test_missing_graphviz_python_package(monkeypatch):
    w = al.tensor([1.0], requires_grad=True)
    graph = al.viz.draw(w * 2)  # drawing needs no graphviz
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(GraphvizNotFoundError, match="pip install graphviz"):
        graph.to_dot()


def test_example_script_draws_before_and_after_backward(tmp_path, capsys):
    import runpy
    from pathlib import Path
    example = Path(__file__).resolve().parents[1] / "examples" / "draw_graph.py"
    main = runpy.run_path(str(example))["main"]
    written = main([str(tmp_path / "img"), "--batch-size", "4", "--hidden", "8"])
    assert [p.name for p in written] == ["mlp-forward.svg", "mlp-backward.svg", "mlp-collapsed.svg"]
    texts = [{t.text for t in ET.parse(p).getroot().iter() if t.tag.endswith("text")} for p in written]
    assert "W1" in texts[0] and not any(t and t.startswith("grad norm") for t in texts[0])
    assert any(t and t.startswith("grad norm") for t in texts[1])
    assert "fc1" in texts[2] and "matmul" not in texts[2]
    assert capsys.readouterr().out.split() == [str(p) for p in written]


def test_render_example_with_and_without_backward(tmp_path):
    rng = np.random.default_rng(5)
    x, y = rng.random((3, 784)).astype(np.float32), rng.integers(0, 10, 3)
    after = parse_dot(al.viz.render_example(tmp_path / "a.dot", x=x, y=y, hidden=8).read_text())
    (xid,) = by_first_line(after, "x")
    assert after["nodes"][xid]["lines"][1] == shape_str((3, 784))  # the batch given, not a random one
    (w1,) = by_first_line(after, "W1")
    assert after["nodes"][w1]["lines"][1] == shape_str((784, 8))
    assert after["nodes"][w1]["fillcolor"] == STATUS_COLORS["ok"]
    before = al.viz.render_example(tmp_path / "b.dot", backward=False, collapse=0).read_text()
    assert "grad norm" not in before and "box3d" in before
