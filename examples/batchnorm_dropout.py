"""BatchNorm and Dropout: their effect on the same two-layer network.

Four variants of TwoLayerNet train with the same optimiser, initial seed and
batches, on a small training set so that overfitting shows:

    plain        fc1 -> ReLU -> fc2
    dropout      fc1 -> ReLU -> Dropout(0.5) -> fc2     (a random half of the units
                 is dropped at each step, so none can be relied on alone)
    batchnorm    fc1 -> BatchNorm1d -> ReLU -> fc2       (each unit's pre-activation is
                 normalised over the batch, which keeps steps well scaled)
    both         fc1 -> BatchNorm1d -> ReLU -> Dropout(0.5) -> fc2

The table gives train and test accuracy (in evaluation mode: no dropout, batch
norm's running statistics) and their gap. Then plain and batchnorm train again
with a ten times larger learning rate, which batch norm tolerates far better. The
plot shows test accuracy per epoch for both learning rates.

    python examples/batchnorm_dropout.py [--epochs 10] [--limit 5000] [--out runs/examples]
    python examples/batchnorm_dropout.py --quick    # seconds: 256 images, 2 epochs, H = 16
"""

from __future__ import annotations

import argparse
from pathlib import Path

from matplotlib.figure import Figure

import nn
from nn.data import DataLoader
from nn.datasets import load_mnist
from nn.models import evaluate, two_layer_net

from _progress import Progress

VARIANTS = {
    "plain": {},
    "dropout": {"dropout": 0.5},
    "batchnorm": {"batch_norm": True},
    "both": {"batch_norm": True, "dropout": 0.5},
}


def train(variant: dict, train_set, test_set, hidden: int, epochs: int, lr: float,
          batch_size: int, name: str = "") -> dict:
    (X, y), (X_test, y_test) = train_set, test_set
    model = two_layer_net(hidden, seed=0, **variant)
    opt = nn.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    test_acc = []
    with Progress(f"{name} lr {lr:g}", epochs * -(-len(X) // batch_size)) as progress:
        for epoch in range(epochs):
            model.train()  # dropout on, batch statistics
            for xb, yb in DataLoader((X, y), batch_size, shuffle=True, seed=epoch):
                loss = model.loss(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                progress.step()
            test_acc.append(evaluate(model, X_test, y_test))  # evaluation mode inside
            progress.epoch(f"epoch {epoch + 1}/{epochs}, test acc {100 * test_acc[-1]:.2f}%")
    return {"train_acc": evaluate(model, X, y), "test_acc": test_acc}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, default=5000, help="training images used")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.05,
                        help="SGD (momentum 0.9) lr; the second run uses 10 times this")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data", help="directory holding mnist/ (default: the usual places)")
    parser.add_argument("--out", default="runs/examples", help="where the plot goes")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds: --limit 256 --epochs 2 --hidden 16 unless given")
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(limit=256, epochs=2, hidden=16)
        args = parser.parse_args(argv)

    (X, y), test_set = load_mnist(args.data, normalize=True, flatten=True)
    train_set = (X[:args.limit], y[:args.limit])
    runs = {}
    print(f"{len(train_set[0])} training images, H = {args.hidden}, {args.epochs} epochs, "
          f"SGD with momentum 0.9")
    for lr, names in ((args.lr, list(VARIANTS)), (10 * args.lr, ["plain", "batchnorm"])):
        for name in names:
            runs[lr, name] = train(VARIANTS[name], train_set, test_set, args.hidden,
                                   args.epochs, lr, args.batch_size, name)
    for lr in (args.lr, 10 * args.lr):  # the tables once all have trained: no lines between
        print(f"\nlr {lr:g}\n{'variant':<11}{'train acc':>10}{'test acc':>10}{'gap':>8}")
        for (run_lr, name), r in runs.items():
            if run_lr == lr:
                final = r["test_acc"][-1]
                print(f"{name:<11}{100 * r['train_acc']:>9.2f}%{100 * final:>9.2f}%"
                      f"{100 * (r['train_acc'] - final):>7.2f}%")

    fig = Figure(figsize=(11, 4.5), layout="constrained")
    axes = dict(zip((args.lr, 10 * args.lr), fig.subplots(1, 2, sharey=True)))
    for (lr, name), r in runs.items():
        axes[lr].plot(range(1, args.epochs + 1), [100 * a for a in r["test_acc"]], "o-",
                      color=f"C{list(VARIANTS).index(name)}", label=name)
    for lr, ax in axes.items():
        ax.set(xlabel="epoch", ylabel="test accuracy (%)", title=f"lr {lr:g}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"BatchNorm and Dropout: two-layer network, {len(train_set[0])} training images")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "batchnorm_dropout.png", dpi=100)
    print(f"\nPlot: {out / 'batchnorm_dropout.png'}")
    return {f"{name} lr {lr:g}": r for (lr, name), r in runs.items()}

if __name__ == "__main__":
    main()
