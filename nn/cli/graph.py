"""``autograd-lite graph``: draw the two-layer network's graph, or a script's tensor."""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

import numpy as np

import autograd_lite as al

from .._atomic import make_dirs, remove_empty
from ..datasets import DatasetError, load_mnist
from ..models import LeNet, TwoLayerNet
from .errors import Abort
from .export import network
from .notes import in_cli_terms
from .runs import HIDDEN_FOR_MLP

__all__ = ["run_graph"]


def run_graph(args: argparse.Namespace) -> int:
    """``autograd-lite graph``: see ``autograd-lite graph --help``."""
    if not args.output or args.output.endswith(("/", os.sep)):
        raise Abort(f"graph: -o: expected a file name, got {args.output!r}")
    if args.script_args and not args.script:
        raise Abort(f"graph: unexpected arguments {' '.join(args.script_args)!r}: arguments after "
                    f"the options go to a --script")
    out = Path(args.output)
    html = args.html or out.suffix.lower() == ".html"
    if html and args.format:
        raise Abort("graph: --html writes an HTML page; --format is for pictures")
    fmt = "html" if html else args.format or out.suffix.lstrip(".").lower() or "svg"
    if not html and fmt not in al.viz.FORMATS:
        raise Abort(f"graph: -o {args.output}: unsupported format {fmt!r}; name a .svg, .png, "
                    f".pdf, .dot or .html file, or pass --format")
    if not out.suffix or (html and out.suffix.lower() != ".html"):
        out = out.with_suffix(f".{fmt}")
    try:
        made = make_dirs(out.parent)
    except OSError as e:
        raise Abort(f"graph: cannot create directory {out.parent}: {e.strerror or e}") from None
    try:
        return _draw(args, out, fmt)
    finally:
        remove_empty(made)  # a failed drawing leaves no empty directory behind


def _draw(args: argparse.Namespace, out: Path, fmt: str) -> int:
    from autograd_lite.viz import GraphvizNotFoundError

    html = fmt == "html"
    # The explorer shows each node's source line: record it while the forward pass runs.
    lines = al.detect_anomaly(check_nan=False) if html else contextlib.nullcontext()
    draw = {"collapse": args.collapse}
    about = ""
    try:
        if args.script:
            if args.checkpoint:
                raise Abort("graph: --checkpoint draws the two-layer network; a --script draws "
                            "its own tensor: pass one or the other")
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
            model, x, labels, about = _network_and_batch(args)
            with lines:
                loss = al.cross_entropy(model(x), labels)
            if about:  # a diverged network's loss is NaN: say so beside the red marks
                about += f", loss {float(loss.item()):.4g}"
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
    except (FileNotFoundError, NameError, TypeError, ValueError, TimeoutError, RuntimeError) as e:
        # viz's own errors start with the function's name; anything else was raised by
        # the user's script, and its traceback is what they need.
        if not str(e).startswith(("render_script:", "render:", "draw:", "explore_script:",
                                  "explore:")):
            raise
        hint = ("\n(on the command line: --collapse K, or --format dot)"
                if "collapse=" in str(e) else "")
        raise Abort(f"graph: {e}{hint}") from None
    print(f"Wrote {path}" + (f": {about}" if about else ""))
    return 0


def _network_and_batch(args: argparse.Namespace) -> tuple[TwoLayerNet | LeNet, al.Tensor,
                                                           al.Tensor, str]:
    """The network to draw, its batch of images and labels, and what they are."""
    if args.checkpoint is None:
        if args.data is not None or not args.download:
            raise Abort("graph: --data and --no-download say where the MNIST test images of a "
                        "--checkpoint are; without --checkpoint a random batch is drawn")
        if args.model == "cnn" and args.hidden is not None:
            raise Abort(f"graph: {HIDDEN_FOR_MLP}")
        rng = np.random.default_rng(0)
        # What `mnist --model cnn` trains (runs.make_model), so the picture is of that net.
        model = (LeNet(batch_norm=True) if args.model == "cnn"
                 else TwoLayerNet(args.hidden or 128, generator=rng))
        # Random pixels and labels: the graph's structure is the same as on MNIST.
        x = al.Tensor(rng.random((args.batch_size, 784), dtype=np.float32))
        return model, x, al.Tensor(rng.integers(0, 10, args.batch_size), dtype=np.int64), ""
    if args.hidden is not None:
        raise Abort("graph: --hidden sets the size of a new network; a --checkpoint has its own")
    model, about = network(Path(args.checkpoint), command="graph")
    try:
        test = load_mnist(args.data, download=args.download, normalize=True, flatten=True,
                          progress=False).test
    except DatasetError as e:
        raise Abort(f"graph: --checkpoint draws the network on MNIST's test images, which "
                    f"cannot be loaded.\n{in_cli_terms(str(e))}") from None
    n = min(args.batch_size, len(test.labels))
    x = al.Tensor(test.images[:n].astype(next(model.parameters()).dtype, copy=False))
    return model, x, al.Tensor(test.labels[:n], dtype=np.int64), (
        f"{args.checkpoint} ({about}) on MNIST test images 0-{n - 1}")


