"""Draw the two-layer MNIST network's graph before and after backward.

    python examples/draw_graph.py docs/img

writes ``mlp-forward.svg`` (shapes, parameter names, layer clusters),
``mlp-backward.svg`` (the same graph with gradient statistics and colours) and
``mlp-collapsed.svg`` (one box per layer) into the given directory. The docs
build runs this; the images are not committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import autograd_lite as al


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", default="docs/img", type=Path,
                        help="directory for the images (created if missing; default docs/img)")
    parser.add_argument("--format", default="svg", choices=al.viz.FORMATS)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    loss, named = al.viz.mlp_example(args.batch_size, args.hidden)
    written = [al.viz.render(loss, args.out_dir / f"mlp-forward.{args.format}", params=named)]
    with al.viz.record() as rec:  # the engine frees gradients as it goes: summarise them now
        loss.backward()
    written.append(al.viz.render(loss, args.out_dir / f"mlp-backward.{args.format}",
                                 params=named, grads=rec))
    written.append(al.viz.render(loss, args.out_dir / f"mlp-collapsed.{args.format}",
                                 params=named, grads=rec, collapse=0))
    for path in written:
        print(path)
    return written


if __name__ == "__main__":
    main()
