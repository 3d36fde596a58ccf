"""The explorer page, from Python: what al.viz.trace records (against the engine's own
backward hook), what the page's data says (against the engine's gradients), that the file
loads nothing from outside, the arguments it refuses, big graphs drawn collapsed, two
snapshots, scripts and Jupyter. tests/test_viz_explore_browser.py drives the page itself."""

from __future__ import annotations

import html
import json
import re
import shutil
import tomllib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as al
from autograd_lite.graph import Node
from autograd_lite.viz.trace import HIST_BINS, SMALL, Summary

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
ROOT = Path(__file__).resolve().parents[1]


def page_data(text: str) -> dict:
    """The JSON a page embeds."""
    m = re.search(r'<script type="application/json" id="al-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def engine_order(fn):
    """Run ``fn()`` (a backward) with an independent backward hook: the nodes in the
    order the engine visited them, and the cotangent each received."""
    seen = []
    with al.hooks.register_backward_hook(lambda node, g, dxs: seen.append((node, np.array(g)))):
        fn()
    return seen


def shared_weight_graph():
    """A leaf used by two ops (its .grad gets two additions), a broadcast bias, a
    constant, inside a scope."""
    rng = np.random.default_rng(0)
    x = al.Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    w = al.Tensor(rng.standard_normal((3, 3)).astype(np.float32), requires_grad=True)
    b = al.Tensor(np.zeros(3, np.float32), requires_grad=True)
    with al.scope("block"):
        h = (x @ w + b).tanh()
    loss = ((h @ w) * 0.5).sum()
    return loss, {"x": x, "w": w, "b": b}


# ---- the trace ---------------------------------------------------------------------------

def test_trace_records_the_engines_order_and_gradients():
    loss, named = shared_weight_graph()
    with al.viz.trace() as tr:
        seen = engine_order(loss.backward)
    visits = [tr.visit(node) for node, _ in seen]
    assert all(v is not None for v in visits)
    assert [v.step for v in visits] == sorted(v.step for v in visits)  # same order
    for (node, g), v in zip(seen, visits):
        assert v.grad.shape == g.shape
        assert v.grad.norm == pytest.approx(float(np.linalg.norm(g)), rel=1e-6)
        assert v.value.shape == node.shape
    # w is used twice: its .grad after the first addition is part of the total, after the
    # second it is the total, as the engine adds them.
    w = named["w"]
    updates = [s.leaf_grad for v in visits for s in v.sent if s.leaf_grad is not None
               and s.leaf_grad.shape == w.shape]
    assert len(updates) == 2
    assert updates[-1].norm == pytest.approx(float(np.linalg.norm(w.grad)), rel=1e-6)
    assert updates[0].norm != pytest.approx(updates[-1].norm)
    bias = [s for v in visits for s in v.sent if s.leaf_grad is not None and s.leaf_grad.shape == (3,)]
    assert bias[0].norm == pytest.approx(float(np.linalg.norm(named["b"].grad)), rel=1e-6)  # summed down
    assert al.hooks.backward_hooks() == ()


def test_trace_running_grad_starts_from_what_grad_held():
    w = al.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()  # .grad = 2w, before the trace
    loss = (w * 3.0).sum()
    with al.viz.trace() as tr:
        loss.backward()
    (sent,) = tr.visit(loss.node.parents[0]).sent
    assert sent.leaf_grad.values == pytest.approx([2.0 + 3.0, -4.0 + 3.0])
    assert sent.leaf_grad.values == pytest.approx(list(w.grad))


def test_trace_shows_the_gradient_a_hooked_leaf_receives():
    """A tensor hook may replace a leaf's gradient: the engine sums the leaf's cotangents,
    runs its hooks on the sum after the walk and adds the result to .grad. The trace
    (and the page's running .grad) shows that, not the raw sum of the VJPs' outputs."""
    w = al.tensor([1.0, -2.0], requires_grad=True)
    (w * 1.0).sum().backward()  # .grad = [1, 1] before the traced pass
    seen = []
    w.register_hook(lambda g: seen.append(np.array(g)) or np.array([100.0, -100.0], g.dtype))
    loss = (w * w).sum() + (w * 3.0).sum()  # three contributions, from two ops
    with al.viz.trace() as tr:
        order = engine_order(loss.backward)
    np.testing.assert_array_equal(seen[0], 2 * w.data + 3.0)  # the hook saw the whole sum
    assert list(w.grad) == [101.0, -99.0]
    to_w = [(tr.visit(node).step, s) for node, _ in order for s in tr.visit(node).sent
            if type(node.parents[s.index]) is not Node]
    to_w.sort(key=lambda ss: ss[0])
    assert len(to_w) == 3
    assert [s.leaf_grad.values for _, s in to_w[:-1]] == [(1.0, 1.0)] * 2  # unchanged until the end
    assert to_w[-1][1].leaf_grad.values == (101.0, -99.0)  # what .grad received
    assert [s.norm for _, s in to_w] != [0.0] * 3  # what the VJPs sent, before the hook
    # The watching hook is gone; a second traced pass watches again.
    assert len(al.hooks.tensor_hooks(w).fns) == 1
    loss2 = (w * 3.0).sum()
    with al.viz.trace() as tr2:
        loss2.backward()
    (sent,) = tr2.visit(loss2.node.parents[0]).sent
    assert sent.leaf_grad.values == (201.0, -199.0) == tuple(w.grad)
    assert len(al.hooks.tensor_hooks(w).fns) == 1
    # A hook that raises: the trace still takes its watching hook away.
    def refuse(g):
        raise RuntimeError("no gradient today")

    v = al.tensor([1.0], requires_grad=True)
    v.register_hook(refuse)
    with pytest.raises(RuntimeError, match="no gradient today"), al.viz.trace():
        (v * 2.0).sum().backward()
    assert al.hooks.tensor_hooks(v).fns == [refuse]
    # On the page: after the last step, w's .grad norm is the engine's.
    pane = page_data(al.viz.explore(loss, params={"w": w}, grads=tr).html())["panes"][0]
    last = [sent[4] for step in pane["steps"] for sent in step[3] if sent[3] >= 0]
    assert last[-1]["x"] == [101.0, -99.0]


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64]),
                  hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)))
def test_summary_of_any_array(a):
    s = Summary.of(a)
    f = a.astype(np.float64).ravel()
    finite = f[np.isfinite(f)]
    assert (s.shape, s.dtype) == (a.shape, str(a.dtype))
    assert (s.nan, s.inf) == (int(np.isnan(f).sum()), int(np.isinf(f).sum()))
    if np.isnan(f).any():
        assert np.isnan(s.norm)
    elif np.isinf(f).any():
        assert s.norm == np.inf
    else:
        top = np.abs(f).max() if f.size else 1.0
        assert s.norm == pytest.approx(top * float(np.linalg.norm(f / (top or 1.0))), rel=1e-6)
    if finite.size:
        assert (s.min, s.max) == (finite.min(), finite.max())
        assert s.mean == pytest.approx(float(finite.mean()), rel=1e-6, abs=1e-6 * np.abs(finite).max())
    else:
        assert np.isnan(s.min) and np.isnan(s.mean)
    assert sum(s.hist) == (finite.size if finite.size > 1 else 0)
    assert len(s.hist) in (0, HIST_BINS)
    if a.size <= SMALL:
        np.testing.assert_array_equal(np.array(s.values, dtype=np.float64), f)
    else:
        assert s.values is None


def test_summary_histogram_of_a_tiny_range():
    """np.histogram refuses a range narrower than float32 resolves; the bins are counted by hand."""
    a = np.array([1.0, np.nextafter(np.float32(1.0), np.float32(2.0))] * 5, np.float32)
    s = Summary.of(a)
    assert s.hist[0] == 5 and s.hist[-1] == 5 and sum(s.hist) == 10
    assert Summary.of(np.full(7, 3.0)).hist == (7,) + (0,) * (HIST_BINS - 1)


# ---- the page's data -----------------------------------------------------------------------

def mnist_page(tmp_path):
    nn_models = pytest.importorskip("nn.models")
    rng = np.random.default_rng(0)
    model = nn_models.TwoLayerNet(16, generator=rng)
    x = al.Tensor(rng.random((8, 784), dtype=np.float32))
    y = al.Tensor(rng.integers(0, 10, 8), dtype=np.int64)
    with al.detect_anomaly(check_nan=False):
        loss = al.cross_entropy(model(x), y)
    with al.viz.trace() as tr:
        seen = engine_order(loss.backward)
    path = tmp_path / "mnist.html"
    page = al.viz.explore(loss, path, params=[("", model), ("images", x), ("labels", y)], grads=tr)
    return path, page, model, seen


def test_page_data_matches_the_engine(tmp_path):
    path, page, model, seen = mnist_page(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text == page.html()
    (pane,) = page_data(text)["panes"]
    nodes = pane["nodes"]
    by_name = {n.get("name"): n for n in nodes}
    for name, p in model.named_parameters():
        n = by_name[name]
        assert n["k"] == "param" and n["shape"] == list(p.shape) and n["dt"] == "float32"
        assert n["g"]["n"] == pytest.approx(float(np.linalg.norm(p.grad)), rel=1e-5)
    # The steps are the engine's visits, in its order, each drawn as an op node.
    assert [nodes[s[0]]["op"] for s in pane["steps"]] == [node.op.name for node, _ in seen]
    for s, (node, g) in zip(pane["steps"], seen):
        assert s[2] == pytest.approx(float(np.linalg.norm(g)), rel=1e-5)
        assert nodes[s[0]]["g"]["n"] == pytest.approx(float(np.linalg.norm(g)), rel=1e-5)
        lit = {pane["edges"][e][0] for sent in s[3] for e in sent[0]}
        inputs = {pane["edges"][k][0] for k, e in enumerate(pane["edges"])
                  if e[1] == nodes[s[0]]["id"] and e[2]}
        assert lit == inputs  # every input that needs a gradient, and only those
    # After the last step that touched it, a parameter's running .grad is its .grad.
    last = {}
    for s in pane["steps"]:
        for sent in s[3]:
            if sent[3] >= 0:
                last[nodes[sent[3]]["name"]] = sent[4]["n"]
    assert last == pytest.approx({k: float(np.linalg.norm(p.grad)) for k, p in model.named_parameters()},
                                 rel=1e-5)
    relu = next(n for n in nodes if n.get("op") == "relu")
    assert relu["v"]["lo"] == 0 and len(relu["v"]["h"]) == HIST_BINS
    assert "twolayer.py" in pane["where"][relu["w"]] and "test_viz_explore.py" in pane["where"][relu["w"]]
    assert "dweight" in " ".join(pane["ops"]["linear"]["vjp"])
    assert pane["ops"]["relu"]["vjp"] == ["dx = g * [x > 0]"]
    assert [c[1] for c in pane["clusters"]] == ["TwoLayerNet", "fc1: Linear", "fc2: Linear"]
    # The SVG's geometry: every element's box inside the drawing (Graphviz's y runs up to 0).
    g = pane["svg"]
    assert 300 < g["w"] < 2000 and 300 < g["h"] < 2000 and len(g["ids"]) == len(g["box"])
    assert sorted(g["ids"]) == sorted([n["id"] for n in nodes] + [c[0] for c in pane["clusters"]]
                                      + [f"e{k}" for k in range(len(pane["edges"]))])
    (tx, ty), slack = g["tf"], 20  # labels' boxes are estimated
    for x0, y0, x1, y1 in g["box"]:
        assert -tx - slack <= x0 <= x1 <= g["w"] - tx + slack and -ty - slack <= y0 <= y1 <= slack


def test_page_loads_nothing_from_outside(tmp_path):
    _, page, _, _ = mnist_page(tmp_path)
    text = page.html()
    assert not re.search(r"<[a-z][^<>]*\s(?:src|href|srcset|action|poster|data)\s*=", text, re.I)
    for needle in ("<link", "<iframe", "@import", "url(", "fetch(", "XMLHttpRequest", "import("):
        assert needle not in text, needle
    # Everything the page needs is in it: its script, style and the SVG markup.
    assert "function showNode" in text and "#al-panel" in text
    assert text.count('class="node"') == len(page_data(text)["panes"][0]["nodes"])


def test_node_without_source_line_or_trace(tmp_path):
    """Without anomaly mode and without a trace: no source line, no steps, and an op's
    value is still there (nothing freed it)."""
    w = al.tensor([1.0, -2.0], requires_grad=True)
    loss = (w * w).sum()
    (pane,) = page_data(al.viz.explore(loss).html())["panes"]
    assert pane["steps"] == [] and pane["grads"] is None
    ops = [n for n in pane["nodes"] if n["k"] == "op"]
    assert all("w" not in n and n["g"] is None for n in ops)
    assert ops[0]["v"]["x"] == [1.0, 4.0]
    with al.viz.record() as rec:  # a plain GradRecord: gradient norms, no steps
        loss.backward()
    (pane,) = page_data(al.viz.explore(loss, grads=rec).html())["panes"]
    assert pane["grads"] == "record" and pane["steps"] == []
    assert [n["g"]["n"] for n in pane["nodes"] if n["k"] == "op"][-1] == 1.0


def test_nonfinite_gradients_are_flagged_and_encoded():
    x = al.tensor([0.0, 4.0], requires_grad=True)
    loss = (al.sqrt(x) * 1e-9).sum()
    with al.viz.trace() as tr:
        loss.backward()
    (pane,) = page_data(al.viz.explore(loss, grads=tr).html())["panes"]
    leaf = next(n for n in pane["nodes"] if n["k"] == "param")
    assert leaf["st"] == "nonfinite" and leaf["g"]["inf"] == 1 and leaf["g"]["x"][0] == "Infinity"
    assert leaf["g"]["n"] == "Infinity" and leaf["g"]["hi"] == leaf["g"]["lo"] == 0.25e-9
    assert next(n for n in pane["nodes"] if n.get("op") == "sqrt")["st"] == "vanishing"


def test_explore_refuses_bad_arguments(tmp_path):
    loss, _ = shared_weight_graph()
    with pytest.raises(TypeError, match="explore: grads must be a Trace.*got dict"):
        al.viz.explore(loss, grads={})
    with pytest.raises(TypeError, match="explore: compare must be an Explorer of one snapshot.*str"):
        al.viz.explore(loss, compare="step 1")
    two = al.viz.explore(loss, compare=al.viz.explore(loss))
    with pytest.raises(TypeError, match="an Explorer of 2 snapshots"):
        al.viz.explore(loss, compare=two)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=f"explore: max_nodes must be None or an int >= 1, got {bad!r}"):
            al.viz.explore(loss, max_nodes=bad)
    with pytest.raises(TypeError, match="draw: expected Tensors, got ndarray"):
        al.viz.explore(np.ones(3))
    assert not list(tmp_path.iterdir())


# ---- big graphs, two snapshots, scripts, notebooks ---------------------------------------

def deep_model(blocks: int):
    nn = pytest.importorskip("nn")
    layers = []
    for _ in range(blocks):
        layers.append(nn.Sequential(nn.Linear(4, 4), nn.Tanh()))
    model = nn.Sequential(*layers)
    x = al.Tensor(np.random.default_rng(0).random((2, 4), dtype=np.float32))
    loss = (model(x) ** 2).mean()
    with al.viz.trace() as tr:
        seen = engine_order(loss.backward)
    return loss, model, tr, seen


def test_a_graph_over_max_nodes_is_drawn_by_modules():
    """Blocks of (Linear, Tanh) in a Sequential: drawn whole, then at the deepest module
    level that fits max_nodes, and with one box per outermost module when none fits."""
    loss, model, tr, seen = deep_model(6)  # 6 x (weight, bias, linear, tanh) + 3
    levels = {}
    for max_nodes in (30, 20, 12, 5, 1):
        (pane,) = page_data(al.viz.explore(loss, params=model, grads=tr, max_nodes=max_nodes).html())["panes"]
        boxes = [n for n in pane["nodes"] if n["k"] == "module"]
        levels[max_nodes] = (pane["collapsed"], pane["drawn"], len(boxes))
        assert pane["total"] == 27
        # Backward still steps node by node, each step on what holds the node.
        assert len(pane["steps"]) == len(seen)
        if boxes:
            assert sorted(p for b in boxes for p in b["params"]) == sorted(n for n, _ in model.named_parameters())
    assert levels == {30: (None, 27, 0), 20: (2, 15, 12), 12: (1, 9, 6), 5: (0, 4, 1), 1: (0, 4, 1)}


def test_explore_draws_up_to_max_nodes_past_draws_render_limit():
    """explore's max_nodes (10,000 by default) is what Graphviz gets, although render
    refuses graphs over dot.MAX_NODES (5,000); more than that is refused before Graphviz
    runs, by explore, and max_nodes=None lifts it (the benchmark draws 10,000 nodes)."""
    from autograd_lite.viz import dot

    x = al.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(dot.MAX_NODES):  # a chain without modules: nothing to collapse
        y = y.tanh()
    page = al.viz.explore(y)
    assert page.nodes == dot.MAX_NODES + 1
    assert page.html().count('class="node"') == page.nodes
    with pytest.raises(ValueError, match=r"explore: the graph draws 5,001 nodes \(no module to draw "
                                         r"as one box\), more than 5,000 \(max_nodes=10\).*max_nodes=None"):
        al.viz.explore(y, max_nodes=10)
    loss, model, _, _ = deep_model(6)
    with mock.patch.object(dot, "MAX_NODES", 10), pytest.raises(
            ValueError, match=r"draws 15 nodes with modules collapsed \(collapse=2\), more than 10 "
                              r"\(max_nodes=5\)"):
        al.viz.explore(loss, params=model, collapse=2, max_nodes=5)
    with mock.patch.object(dot, "MAX_NODES", 10):
        assert al.viz.explore(loss, params=model, collapse=2, max_nodes=None).nodes == 15


def test_two_snapshots_side_by_side():
    loss, named = shared_weight_graph()
    with al.viz.trace() as tr:
        loss.backward()
    first = al.viz.explore(loss, params=named, grads=tr, label="step 1")
    named["w"].data *= 10
    named["w"].grad = None
    loss2 = (((named["x"] @ named["w"] + named["b"]).tanh() @ named["w"]) * 0.5).sum()
    with al.viz.trace() as tr2:
        loss2.backward()
    page = al.viz.explore(loss2, params=named, grads=tr2, label="step 2", compare=first)
    text = page.html()
    left, right = page_data(text)["panes"]
    assert (left["label"], right["label"]) == ("step 1", "step 2")
    assert page.title == "autograd_lite explorer · step 1 · step 2" and page.nodes == 2 * len(left["nodes"])
    assert [n["id"] for n in left["nodes"]] == [n["id"] for n in right["nodes"]]
    w_left, w_right = (next(n for n in p["nodes"] if n.get("name") == "w") for p in (left, right))
    assert w_right["g"]["n"] == pytest.approx(float(np.linalg.norm(named["w"].grad)), rel=1e-5)
    assert w_left["g"]["n"] != pytest.approx(w_right["g"]["n"])
    svg = [re.findall(r' id="(p\d)_', m) for m in
           re.findall(r'<script type="text/plain" id="al-svg-\d">(.*?)</script>', text, re.S)]
    assert set(svg[0]) == {"p0"} and set(svg[1]) == {"p1"}


def test_explore_script(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import autograd_lite as al\n"
                      "w = al.tensor([1.0, -2.0], requires_grad=True)\n"
                      "loss = (w * w).sum()\n"
                      "loss.backward()\n")
    out = al.viz.explore_script(script, "loss", tmp_path / "page.html")
    (pane,) = page_data(out.read_text(encoding="utf-8"))["panes"]
    assert {n.get("name") for n in pane["nodes"]} >= {"w", "loss"}
    assert len(pane["steps"]) == 2  # the script's backward ran inside a trace
    with pytest.raises(NameError, match="explore_script: .* defines no global 'nope'"):
        al.viz.explore_script(script, "nope", tmp_path / "x.html")
    with pytest.raises(FileNotFoundError, match="explore_script: no script"):
        al.viz.explore_script(tmp_path / "missing.py", "loss", tmp_path / "x.html")


def test_jupyter_display_is_the_page_in_a_sandboxed_frame():
    loss, named = shared_weight_graph()
    page = al.viz.explore(loss, params=named)
    frame = page._repr_html_()
    m = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" style="[^"]*"></iframe>', frame)
    assert m and html.unescape(m.group(1)) == page.html()


def test_the_page_files_are_package_data():
    """pip installs what pyproject lists: every file explore reads must be listed."""
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["autograd_lite.viz"]
    files = sorted(p.name for p in (ROOT / "autograd_lite" / "viz").iterdir()
                   if p.is_file() and p.suffix not in (".py", ".pyc"))
    assert files == sorted(listed) == ["explorer.css", "explorer.html", "explorer.js"]
