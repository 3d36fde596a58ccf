"""Learning-rate range test: the loss against a log-spaced lr sweep, a plot and a suggested lr.

Train from scratch while the learning rate grows geometrically, one step per lr,
from far too small to far too large (Smith, "Cyclical Learning Rates for Training
Neural Networks", 2017). The loss first stays flat (lr too small to matter), then
falls, then blows up. A good lr is where the loss falls fastest: the steepest
descent of the smoothed loss against log(lr). Another rule of thumb, a tenth of the
lr at the lowest loss, is printed too.

    python examples/lr_range_test.py [--optimizer momentum] [--steps 300] [--out runs/examples]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import nn
from nn.data import DataLoader
from nn.datasets import load_mnist
from nn.models import two_layer_net

OPTIMIZERS = {
    "sgd": lambda params: nn.optim.SGD(params, lr=1.0),
    "momentum": lambda params: nn.optim.SGD(params, lr=1.0, momentum=0.9),
    "adam": lambda params: nn.optim.Adam(params, lr=1.0),
}


def centered_mean(x: np.ndarray, half: int) -> np.ndarray:
    """Mean over a window of 2 half + 1 points centred on each point (shorter at the ends):
    smooth without the lag of a running average, which would shift the curve to larger lrs."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(len(x))
    lo, hi = np.maximum(i - half, 0), np.minimum(i + half + 1, len(x))
    return (c[hi] - c[lo]) / (hi - lo)


def lr_range_test(X, y, optimizer: str, start: float, end: float, steps: int, hidden: int,
                  batch_size: int, seed: int = 0) -> dict:
    """Run the sweep; returns the lrs tried, the raw and smoothed losses and suggestions."""
    model = two_layer_net(hidden, seed=seed)
    opt = OPTIMIZERS[optimizer](model.parameters())
    lrs = start * (end / start) ** (np.arange(steps) / (steps - 1))
    losses, avg, best = [], 0.0, math.inf
    batches = iter(())
    for k, lr in enumerate(lrs):
        try:
            xb, yb = next(batches)
        except StopIteration:  # another pass over the data
            batches = iter(DataLoader((X, y), batch_size, shuffle=True, seed=seed + k))
            xb, yb = next(batches)
        for group in opt.param_groups:
            group["lr"] = float(lr)
        loss = model.loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        value = loss.item()
        losses.append(value)
        avg = 0.9 * avg + 0.1 * value  # a running average, to stop once it has blown up
        best = min(best, avg / (1 - 0.9 ** (k + 1)))
        if not math.isfinite(value) or avg / (1 - 0.9 ** (k + 1)) > 4 * best:
            break  # larger lrs only get worse
    n = len(losses)
    lrs, sm = lrs[:n], centered_mean(np.array(losses), max(1, steps // 30))
    slope = np.gradient(sm, np.log(lrs)) if n > 2 else np.zeros(n)
    # Ignore the last tenth: the blow-up makes the slope meaningless there.
    steepest = float(lrs[int(np.argmin(slope[:max(1, n - n // 10)]))])
    return {"lrs": lrs, "losses": np.array(losses), "smoothed": sm,
            "steepest": steepest, "min_over_10": float(lrs[int(np.argmin(sm))] / 10)}


def main(argv: list[str] | None = None) -> dict:
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
    args = parser.parse_args(argv)

    (X, y), _ = load_mnist(args.data, normalize=True, flatten=True)
    r = lr_range_test(X[:args.limit], y[:args.limit], args.optimizer, args.start, args.end,
                      args.steps, args.hidden, args.batch_size)
    stopped = "early: the loss blew up" if len(r["lrs"]) < args.steps else "at the end"
    print(f"{args.optimizer}: swept lr from {r['lrs'][0]:.1e} to {r['lrs'][-1]:.1e} in "
          f"{len(r['lrs'])} steps (stopped {stopped})")
    print(f"suggested lr (steepest descent): {r['steepest']:.3g}")
    print(f"lowest-loss lr / 10:             {r['min_over_10']:.3g}")

    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    ax.plot(r["lrs"], r["losses"], color="0.75", lw=1, label="loss per step")
    ax.plot(r["lrs"], r["smoothed"], label="smoothed")
    ax.axvline(r["steepest"], color="C3", ls="--", label=f"suggested lr {r['steepest']:.2g}")
    ax.set(xscale="log", xlabel="learning rate", ylabel="training loss",
           title=f"Learning-rate range test ({args.optimizer})",
           ylim=(0, min(3 * r["smoothed"][0], np.nanmax(r["losses"]) * 1.05)))
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "lr_range_test.png", dpi=100)
    print(f"Plot: {out / 'lr_range_test.png'}")
    return r


if __name__ == "__main__":
    main()
