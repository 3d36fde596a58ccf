"""SGD, momentum, RMSprop and Adam train the same network on MNIST: one plot of loss curves.

Every optimiser starts from the same initial weights and sees the same batches in
the same order, so the curves differ only by the update rule:

    SGD        w -= lr * g
    momentum   v = 0.9 v + g;                   w -= lr * v
    RMSprop    s = 0.99 s + 0.01 g^2;           w -= lr * g / (sqrt(s) + eps)
    Adam       m, s: averages of g and g^2;     w -= lr * m^ / (sqrt(s^) + eps)

    python examples/optimizers.py [--epochs 2] [--limit N] [--out runs/examples]
    python examples/optimizers.py --quick     # seconds: 384 images, 1 epoch, H = 16
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import nn
from nn.data import DataLoader
from nn.datasets import load_mnist
from nn.models import evaluate, two_layer_net

from _progress import Progress

# Each with a learning rate that suits it (the usual defaults for this network).
OPTIMIZERS = {
    "SGD (lr 0.1)": lambda params: nn.optim.SGD(params, lr=0.1),
    "momentum (lr 0.05)": lambda params: nn.optim.SGD(params, lr=0.05, momentum=0.9),
    "RMSprop (lr 1e-3)": lambda params: nn.optim.RMSprop(params, lr=1e-3),
    "Adam (lr 1e-3)": lambda params: nn.optim.Adam(params, lr=1e-3),
}


def smooth(values: list[float], beta: float = 0.98) -> np.ndarray:
    """Exponential moving average with bias correction (no flat start at 0)."""
    out, avg = [], 0.0
    for k, v in enumerate(values, 1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** k))
    return np.array(out)


def train(make_optimizer, data, hidden: int, batch_size: int, epochs: int,
          name: str = "") -> dict:
    (X, y), (X_test, y_test) = data
    model = two_layer_net(hidden, seed=0)  # the same start for every optimiser
    opt = make_optimizer(model.parameters())
    losses = []
    with Progress(name, epochs * -(-len(X) // batch_size)) as progress:
        for epoch in range(epochs):
            for xb, yb in DataLoader((X, y), batch_size, shuffle=True, seed=epoch):
                loss = model.loss(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
                progress.step()
            progress.epoch(f"epoch {epoch + 1}/{epochs}, loss {smooth(losses)[-1]:.4f}")
    return {"losses": losses, "test_acc": evaluate(model, X_test, y_test)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--limit", type=int, help="train on the first N images only")
    parser.add_argument("--data", help="directory holding mnist/ (default: the usual places)")
    parser.add_argument("--out", default="runs/examples", help="where the plot goes")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds: --limit 384 --epochs 1 --hidden 16 unless given")
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(limit=384, epochs=1, hidden=16)
        args = parser.parse_args(argv)

    (X, y), test = load_mnist(args.data, normalize=True, flatten=True)
    data = ((X[:args.limit], y[:args.limit]), test)
    results = {}
    for name, make in OPTIMIZERS.items():
        r = results[name] = train(make, data, args.hidden, args.batch_size, args.epochs, name)
        print(f"{name:<20} final loss {smooth(r['losses'])[-1]:.4f}   "
              f"test accuracy {100 * r['test_acc']:.2f}%")

    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    for name, r in results.items():
        ax.plot(smooth(r["losses"]), label=f"{name}: {100 * r['test_acc']:.1f}% test")
    ax.set(xlabel="step", ylabel="training loss (smoothed)", yscale="log",
           title=f"Two-layer network, H = {args.hidden}, batch {args.batch_size}, "
                 f"{len(data[0][0])} images, {args.epochs} epoch(s)")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "optimizers.png", dpi=100)
    print(f"Plot: {out / 'optimizers.png'}")
    return results


if __name__ == "__main__":
    main()
