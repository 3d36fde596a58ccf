"""The viz package as a whole: its public names, its DOT output pinned to the text the
single-module viz.py wrote before it became a package, and render_script's promise to
leave the interpreter's state as it found it."""

from __future__ import annotations

import ast
import builtins
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import hooks

PUBLIC = ["GradStats", "GradRecord", "record", "Graph", "DrawnNode", "DrawnEdge", "Cluster",
          "draw", "to_dot", "render", "render_script", "mlp_example", "render_example",
          "GraphvizNotFoundError", "STATUS_COLORS", "FORMATS",
          "trace", "Trace", "Summary", "explore", "explore_script", "Explorer"]


def test_public_names():
    viz = importlib.import_module("autograd_lite.viz")
    assert viz is al.viz
    assert viz.__all__ == PUBLIC
    for name in PUBLIC:
        obj = getattr(viz, name)
        if callable(obj):
            assert obj.__doc__, f"autograd_lite.viz.{name} has no docstring"
    ns: dict = {}
    exec("from autograd_lite.viz import *", ns)
    assert sorted(k for k in ns if k != "__builtins__") == sorted(PUBLIC)


# ---- the DOT text, pinned -----------------------------------------------------------

def pinned_graph():
    """Clusters nested two deep, a parameter inside one, a data input outside, a folded
    constant, a named non-leaf, a gradient summed over a broadcast axis and gradient
    statistics whose values are exact in float32."""
    x = al.tensor([[1.0, -2.0], [0.5, 3.0]])  # data: no gradient, a dashed edge
    w = al.tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], requires_grad=True)
    b = al.tensor([0.5, -8.0, 1.0], requires_grad=True)
    with al.scope("net"):
        with al.scope("fc"):
            z = x @ w + b
        h = z.relu()
    loss = (h * 0.5).sum()
    with al.viz.record() as rec:
        loss.backward()
    return loss, {"x": x, "w": w, "b": b, "h": h}, rec


# Written by autograd_lite/viz.py at a56b02c, the last commit before the package; the
# legend's fontsize, cellpadding and width since issue 19 (room for wider fonts).
LEGEND_AND_END = (
    '\tlegend [shape=plaintext fontsize=10 label=<<table border="0" cellborder="1" '
    'cellspacing="0" cellpadding="3"><tr><td width="151"><b>gradient</b></td></tr>'
    '<tr><td bgcolor="#ef3b2c" align="left">NaN or Inf in the gradient</td></tr>'
    '<tr><td bgcolor="#fdae6b" align="left">max|grad| &gt; 1e+03</td></tr>'
    '<tr><td bgcolor="#d9f0d3" align="left">gradient in range</td></tr>'
    '<tr><td bgcolor="#9ecae1" align="left">max|grad| &lt; 1e-06</td></tr></table>>]\n'
    '}\n'
)

PINNED_FULL = (
    'digraph {\n'
    '\tgraph [fontname=Helvetica rankdir=TB]\n'
    '\tnode [fontname=Helvetica fontsize=10 shape=box]\n'
    '\tedge [color="#555555" fontname=Helvetica fontsize=9]\n'
    '\tsubgraph cluster_0 {\n'
    '\t\tlabel="net" style="rounded,dashed" color="#7f7f7f" fontname=Helvetica fontsize=11\n'
    '\tn5 [label="h = relu\\n(2, 3) float32\\ngrad norm 1.22\\nmin 0.5 max 0.5" style="rounded,filled"'
    ' fillcolor="#d9f0d3"]\n'
    '\tsubgraph cluster_1 {\n'
    '\t\tlabel="fc" style="rounded,dashed" color="#7f7f7f" fontname=Helvetica fontsize=11\n'
    '\tn1 [label="w\\n(2, 3) float32\\ngrad norm 2.15\\nmin 0 max 1.5" style="filled,bold"'
    ' fillcolor="#d9f0d3"]\n'
    '\tn2 [label="matmul\\n(2, 3) float32\\ngrad norm 0.707\\nmin 0 max 0.5" style="rounded,filled"'
    ' fillcolor="#d9f0d3"]\n'
    '\tn3 [label="b\\n(3,) float32\\ngrad norm 0.707\\nmin 0 max 0.5" style="filled,bold"'
    ' fillcolor="#d9f0d3"]\n'
    '\tn4 [label="add\\n(2, 3) float32\\ngrad norm 0.707\\nmin 0 max 0.5" style="rounded,filled"'
    ' fillcolor="#d9f0d3"]\n'
    '\t}\n'
    '\t}\n'
    '\tn0 [label="x\\n(2, 2) float32" shape=note style=filled color="#7f7f7f" fillcolor="#eeeeee"]\n'
    '\tn6 [label="multiply(·, 0.5)\\n(2, 3) float32\\ngrad norm 2.45\\nmin 1 max 1"'
    ' style="rounded,filled" fillcolor="#d9f0d3"]\n'
    '\tn7 [label="sum\\n() float32\\ngrad norm 1\\nmin 1 max 1" style="rounded,filled"'
    ' fillcolor="#d9f0d3" peripheries=2]\n'
    '\tn0 -> n2 [style=dashed color="#aaaaaa"]\n'
    '\tn1 -> n2\n'
    '\tn2 -> n4\n'
    '\tn3 -> n4 [label="Σ axis 0" color="#d94801" fontcolor="#d94801" penwidth=2.5]\n'
    '\tn4 -> n5\n'
    '\tn5 -> n6\n'
    '\tn6 -> n7\n'
    + LEGEND_AND_END
)

PINNED_COLLAPSED = (
    'digraph {\n'
    '\tgraph [fontname=Helvetica rankdir=LR]\n'
    '\tnode [fontname=Helvetica fontsize=10 shape=box]\n'
    '\tedge [color="#555555" fontname=Helvetica fontsize=9]\n'
    '\tsubgraph cluster_0 {\n'
    '\t\tlabel="net" style="rounded,dashed" color="#7f7f7f" fontname=Helvetica fontsize=11\n'
    '\tm1 [label="fc\\n2 ops, 2 params\\n→ (2, 3) float32\\ngrad norm 0.707\\nmin 0 max 0.5"'
    ' shape=box3d style=filled fillcolor="#d9f0d3" tooltip="w\\nb"]\n'
    '\tn2 [label="h = relu\\n(2, 3) float32\\ngrad norm 1.22\\nmin 0.5 max 0.5" style="rounded,filled"'
    ' fillcolor="#d9f0d3"]\n'
    '\t}\n'
    '\tn0 [label="x\\n(2, 2) float32" shape=note style=filled color="#7f7f7f" fillcolor="#eeeeee"]\n'
    '\tn3 [label="multiply(·, 0.5)\\n(2, 3) float32\\ngrad norm 2.45\\nmin 1 max 1"'
    ' style="rounded,filled" fillcolor="#d9f0d3"]\n'
    '\tn4 [label="sum\\n() float32\\ngrad norm 1\\nmin 1 max 1" style="rounded,filled"'
    ' fillcolor="#d9f0d3" peripheries=2]\n'
    '\tn0 -> m1 [style=dashed color="#aaaaaa"]\n'
    '\tm1 -> n2\n'
    '\tn2 -> n3\n'
    '\tn3 -> n4\n'
    + LEGEND_AND_END
)


def test_dot_text_is_what_the_single_module_wrote():
    loss, named, rec = pinned_graph()
    assert al.viz.to_dot(loss, params=named, grads=rec).source == PINNED_FULL
    collapsed = al.viz.draw(loss, params=named, grads=rec, collapse=1)
    assert collapsed.to_dot(rankdir="LR").source == PINNED_COLLAPSED


# ---- render_script leaves the interpreter as it found it ----------------------------

SCRIPT = """
import json, sys
import autograd_lite as al

with open(sys.argv[1], "w") as f:  # what the script saw
    json.dump({"argv": sys.argv[1:], "path0": sys.path[0]}, f)
sys.argv.append("--added-by-the-script")
sys.path.append("/added/by/the/script")
sys.path = ["/a/path/list/of/its/own"]
w = al.tensor([1.0, 2.0], requires_grad=True)
loss = (w * w).sum()
loss.backward()
if len(sys.argv) > 3:
    raise ERROR("the script failed")
"""


def _interpreter_state():
    return (sys.argv, list(sys.argv), sys.path, list(sys.path), sys.modules["__main__"],
            hooks.backward_hooks())


@pytest.mark.parametrize("error", ["RuntimeError", "SystemExit"])
def test_render_script_restores_argv_path_and_main(tmp_path, error):
    import json

    script = tmp_path / "train.py"
    script.write_text(SCRIPT.replace("ERROR", error))
    seen = tmp_path / "seen.json"
    before = _interpreter_state()
    out = al.viz.render_script(script, "loss", tmp_path / "g.dot", argv=[str(seen)])
    assert _interpreter_state() == before
    assert json.loads(seen.read_text()) == {"argv": [str(seen)], "path0": str(tmp_path.resolve())}
    assert "grad norm" in out.read_text()  # the script's backward ran inside record()

    with pytest.raises(getattr(builtins, error)):
        al.viz.render_script(script, "loss", tmp_path / "h.dot", argv=[str(seen), "fail"])
    after = _interpreter_state()
    assert after[0] is before[0] and after[2] is before[2] and after[4] is before[4]
    assert after == before
    assert not (tmp_path / "h.dot").exists()


# ---- the package's shape --------------------------------------------------------------

VIZ = Path(al.viz.__file__).parent
def _modules():
    return sorted(VIZ.glob("*.py"))


def test_viz_sees_the_engine_only_through_public_names():
    """viz is a client of the engine: it imports from the rest of autograd_lite only the
    public hook API and names autograd_lite exports, never a private one."""
    import autograd_lite as al
    public = set(al.__all__) | {"hooks"}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.level == 2:  # from ..x import y
                names = {a.name for a in n.names}
                assert n.module is None or not n.module.split(".")[-1].startswith("_"), path.name
                assert all(not name.startswith("_") for name in names), (path.name, names)
                assert n.module in (None, "hooks", "graph", "tensor", "broadcasting", "ops.linalg"), \
                    (path.name, n.module)
                assert names <= public | {"Matmul", "summed_axes"}, (path.name, names)


def test_viz_never_imports_nn_and_stays_small():
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        imported = set()
        for n in ast.walk(ast.parse(text)):
            if isinstance(n, ast.Import):
                imported |= {a.name.split(".")[0] for a in n.names}
            elif isinstance(n, ast.ImportFrom) and n.level == 0:
                imported.add((n.module or "").split(".")[0])
        assert "nn" not in imported, path.name
        assert len(text.splitlines()) <= 400, f"{path.name} has {len(text.splitlines())} lines"


# ---- the example network ----------------------------------------------------------------

def test_example_network_computes_what_nn_twolayer_computes():
    """mlp_example is TwoLayerNet on raw Tensors: with the same weights (both start with
    zero biases), the same loss and the same gradients."""
    nn_twolayer = pytest.importorskip("nn.twolayer")
    rng = np.random.default_rng(7)
    x, y = rng.random((5, 784)).astype(np.float32), rng.integers(0, 10, 5)
    loss, named = al.viz.mlp_example(hidden=6, seed=3, x=x, y=y)
    net = nn_twolayer.TwoLayerNet(hidden=6)
    net.fc1.weight.data[...] = named["W1"].data.T  # nn.Linear keeps (out, in), as PyTorch does
    net.fc2.weight.data[...] = named["W2"].data.T
    expect = net.loss(net(x), y)
    np.testing.assert_allclose(loss.data, expect.data, rtol=1e-6)
    loss.backward()
    expect.backward()
    for mine, theirs in (("W1", net.fc1.weight.grad.T), ("b1", net.fc1.bias.grad),
                         ("W2", net.fc2.weight.grad.T), ("b2", net.fc2.bias.grad)):
        assert np.abs(named[mine].grad).max() > 0
        np.testing.assert_allclose(named[mine].grad, theirs, rtol=1e-5, atol=1e-7, err_msg=mine)
