"""Learning-rate range test: the loss against a log-spaced lr sweep, a plot and a suggested lr.

Train from scratch while the learning rate grows geometrically, one step per lr,
from far too small to far too large (Smith, "Cyclical Learning Rates for Training
Neural Networks", 2017). The loss first stays flat (lr too small to matter), then
falls, then blows up. A good lr is where the loss falls fastest: the steepest
descent of the smoothed loss against log(lr). Another rule of thumb, a tenth of the
lr at the lowest loss, is printed too. The sweep, the suggestion and the plot are
``nn.optim.lr_finder`` and its result's ``plot()``; this script runs them on MNIST.

    python examples/lr_range_test.py [--optimizer momentum] [--steps 300] [--out runs/examples]
    python examples/lr_range_test.py --quick     # seconds: 640 images, 80 steps, H = 16
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nn
from nn.data import DataLoader
from nn.datasets import load_mnist
from nn.models import two_layer_net

OPTIMIZERS = {
    "sgd": lambda params: nn.optim.SGD(params, lr=1.0),
    "momentum": lambda params: nn.optim.SGD(params, lr=1.0, momentum=0.9),
    "adam": lambda params: nn.optim.Adam(params, lr=1.0),
}


def lr_range_test(X, y, optimizer: str, start: float, end: float, steps: int, hidden: int,
                  batch_size: int, seed: int = 0) -> nn.optim.LRFinderResult:
    """Run the sweep on a fresh two-layer network with ``nn.optim.lr_finder``."""
    model = two_layer_net(hidden, seed=seed)
    opt = OPTIMIZERS[optimizer](model.parameters())
    loader = DataLoader((X, y), batch_size, shuffle=True, seed=seed)
    return nn.optim.lr_finder(model, model.loss, loader, opt, start_lr=start, end_lr=end,
                              num_iter=steps)


def main(argv: list[str] | None = None) -> nn.optim.LRFinderResult:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="momentum")
    parser.add_argument("--start", type=float, default=1e-5, help="first lr")
    parser.add_argument("--end", type=float, default=10.0, help="last lr")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--limit", type=int, help="use the first N training images only")
    parser.add_argument("--data", help="directory holding mnist/ (default: the usual places)")
    parser.add_argument("--out", default="runs/examples", help="where the plot goes")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds: --limit 640 --steps 80 --hidden 16 unless given")
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(limit=640, steps=80, hidden=16)
        args = parser.parse_args(argv)

    (X, y), _ = load_mnist(args.data, normalize=True, flatten=True)
    print(f"{args.optimizer}: sweeping lr from {args.start:.1e} to {args.end:.1e} over at most "
          f"{args.steps} steps...", flush=True)  # a phase line: the sweep takes a few seconds
    r = lr_range_test(X[:args.limit], y[:args.limit], args.optimizer, args.start, args.end,
                      args.steps, args.hidden, args.batch_size)
    stopped = "early: the loss blew up" if r.stopped_early else "at the end"
    print(f"{args.optimizer}: swept lr from {r.lrs[0]:.1e} to {r.lrs[-1]:.1e} in "
          f"{len(r.lrs)} steps (stopped {stopped})")
    print(f"suggested lr (steepest descent): {r.suggestion:.3g}")
    print(f"lowest-loss lr / 10:             {r.min_loss_lr / 10:.3g}")

    ax = r.plot(title=f"Learning-rate range test ({args.optimizer})")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(out / "lr_range_test.png", dpi=100)
    print(f"Plot: {out / 'lr_range_test.png'}")
    return r


if __name__ == "__main__":
    main()
