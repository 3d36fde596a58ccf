"""``autograd-lite graph``: draw the two-layer network's graph, or a script's tensor."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import numpy as np

import autograd_lite as al

from ..models import LeNet, TwoLayerNet
from .errors import Abort

__all__ = ["run_graph"]


def run_graph(args: argparse.Namespace) -> int:
    """``autograd-lite graph``: see ``autograd-lite graph --help``."""
    from autograd_lite.viz import GraphvizNotFoundError

    out = Path(args.output)
    html = args.html or out.suffix.lower() == ".html"
    if html and args.format:
        raise Abort("graph: --html writes an HTML page; --format is for pictures")
    fmt = "html" if html else args.format or out.suffix.lstrip(".").lower() or "svg"
    if not out.suffix or (html and out.suffix.lower() != ".html"):
        out = out.with_suffix(f".{fmt}")
    # The explorer shows each node's source line: record it while the forward pass runs.
    lines = al.detect_anomaly(check_nan=False) if html else contextlib.nullcontext()
    draw = {"collapse": args.collapse}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise Abort(f"graph: cannot create directory {out.parent}: {e.strerror or e}") from None
    try:
        if args.script:
            if not args.tensor:
                raise Abort("graph: --script needs --tensor NAME, the script's global Tensor to "
                            "draw (e.g. --tensor loss)")
            if html:
                with lines:
                    path = al.viz.explore_script(args.script, args.tensor, out,
                                                 argv=args.script_args, **draw)
            else:
                path = al.viz.render_script(args.script, args.tensor, out, fmt,
                                            argv=args.script_args, **draw)
        else:
            if args.tensor:
                raise Abort("graph: --tensor names a tensor of a --script; without --script the "
                            "two-layer MNIST network is drawn")
            rng = np.random.default_rng(0)
            model = (LeNet() if getattr(args, "model", "mlp") == "cnn"
                     else TwoLayerNet(args.hidden, generator=rng))
            # Random pixels and labels: the graph's structure is the same as on MNIST.
            x = al.Tensor(rng.random((args.batch_size, 784), dtype=np.float32))
            labels = al.Tensor(rng.integers(0, 10, args.batch_size), dtype=np.int64)
            with lines:
                loss = al.cross_entropy(model(x), labels)
            rec = None
            if args.backward:
                with (al.viz.trace() if html else al.viz.record()) as rec:
                    loss.backward()
            names = [("", model), ("images", x), ("labels", labels), ("loss", loss)]
            if html:
                path = al.viz.explore(loss, params=names, grads=rec, **draw).save(out)
            else:
                path = al.viz.render(loss, out, fmt, params=names, grads=rec, **draw)
    except GraphvizNotFoundError as e:
        raise Abort(f"graph: {e}\n(--format dot writes the DOT source without Graphviz)") from None
    except (FileNotFoundError, NameError, TypeError, ValueError) as e:
        # viz's own errors start with the function's name; anything else was raised by
        # the user's script, and its traceback is what they need.
        if not str(e).startswith(("render_script:", "render:", "draw:", "explore_script:",
                                  "explore:")):
            raise
        raise Abort(f"graph: {e}") from None
    print(f"Wrote {path}")
    return 0


