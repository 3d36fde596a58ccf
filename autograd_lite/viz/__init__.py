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

# The rooms, each on top of the ones before it:
#   stats     gradient statistics recorded during backward: GradStats, GradRecord, record
#   dot       DOT text for a drawing, and running Graphviz's dot on it
#   graph     what a drawing is: DrawnNode, DrawnEdge, Cluster, Graph (its DOT from dot)
#   naming    names from params= (tensors, modules) and cluster titles
#   build     draw: tensors -> Graph
#   rendering to_dot, render, render_script: tensors or a script -> DOT or a file
#   example   the two-layer example network: mlp_example, render_example
#   trace     what the explorer shows of a backward pass: Summary, Trace, trace
#   pagedata  what the explorer page knows of one snapshot, as JSON
#   explore   the interactive HTML page: explore, explore_script, Explorer

from __future__ import annotations

import shutil  # noqa: F401  tests/nn/test_cli.py patches viz.shutil.which (shutil is used by dot)

from .build import draw
from .dot import FORMATS, STATUS_COLORS, GraphvizNotFoundError
from .example import mlp_example, render_example
from .explore import Explorer, explore, explore_script
from .graph import Cluster, DrawnEdge, DrawnNode, Graph
from .rendering import render, render_script, to_dot
from .stats import GradRecord, GradStats, record
from .trace import Summary, Trace, trace

__all__ = ["GradStats", "GradRecord", "record", "Graph", "DrawnNode", "DrawnEdge", "Cluster",
           "draw", "to_dot", "render", "render_script", "mlp_example", "render_example",
           "GraphvizNotFoundError", "STATUS_COLORS", "FORMATS",
           "trace", "Trace", "Summary", "explore", "explore_script", "Explorer"]
