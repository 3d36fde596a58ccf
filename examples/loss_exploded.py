""""My loss exploded": a too-high learning rate, diagnosed from the gradient norms, then fixed.

Plain SGD with lr = 3 on the two-layer network: each step overshoots, the
gradients grow, the next step overshoots more, and within a few steps the loss is
ten times where it started. nn.diagnostics.Monitor watches every step (loss,
gradient norm per layer, how much each update changed the weights) and explains
what it saw. Then two remedies: a learning rate ten times smaller, which trains;
and the same high rate with the gradient norm clipped to 1 (nn.clip_grad_norm_).
Clipping bounds every step, so the loss cannot explode, but compare the
accuracies: it is a safety net, not a cure for a learning rate that is too high.

    python examples/loss_exploded.py [--lr 3] [--limit 10000] [--quick]
"""

from __future__ import annotations

import argparse

import nn
from nn.data import DataLoader
from nn.datasets import load_mnist
from nn.diagnostics import Monitor
from nn.models import evaluate, two_layer_net


def train(X, y, lr: float, clip: float | None = None, hidden: int = 128,
          batch_size: int = 64, show: bool = False) -> tuple[nn.Module, Monitor]:
    """One epoch of SGD, stopped early if the loss explodes (Monitor.diverged)."""
    model = two_layer_net(hidden, seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    with Monitor(model) as mon:
        for step, (xb, yb) in enumerate(DataLoader((X, y), batch_size, shuffle=True, seed=0)):
            loss = model.loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            mon.before_step(loss)        # records the loss and each layer's gradient norm
            if show:
                fc1, fc2 = (s.grad_norm for s in mon.layer_stats())
                print(f"  step {step + 1:3d}   loss {loss.item():9.3f}   "
                      f"|grad fc1| {fc1:8.3f}   |grad fc2| {fc2:8.3f}")
            if mon.diverged():
                break
            if clip is not None:
                nn.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            mon.after_step()             # records each layer's update/weight ratio
            mon.reset()                  # layer_stats() above: this step only
    return model, mon


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lr", type=float, default=3.0, help="the too-high learning rate")
    parser.add_argument("--limit", type=int, default=10000, help="training images used")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--data", help="directory holding mnist/ (default: the usual places)")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds: --limit 960 unless given")
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(limit=960)
        args = parser.parse_args(argv)

    (X, y), (X_test, y_test) = load_mnist(args.data, normalize=True, flatten=True)
    X, y = X[:args.limit], y[:args.limit]

    print(f"1. SGD with lr = {args.lr:g}:")
    _, mon = train(X, y, args.lr, hidden=args.hidden, show=True)
    results = {"exploded": mon.diverged()}
    if mon.diverged():
        diagnosis = mon.explain_divergence(lr=args.lr)
        results["cause"], results["layer"] = diagnosis.cause, diagnosis.layer
        print("\n" + diagnosis.message)
    else:
        print(f"\nThe loss did not explode at lr = {args.lr:g}; try a larger --lr.")

    for key, lr, clip, title in (("smaller_lr", args.lr / 10, None, f"lr = {args.lr / 10:g}"),
                                 ("clipped", args.lr, 1.0,
                                  f"lr = {args.lr:g}, gradient norm clipped to 1")):
        print(f"\n2{'ab'[key == 'clipped']}. {title}: training one epoch...", flush=True)
        model, mon = train(X, y, lr, clip, hidden=args.hidden)
        acc = evaluate(model, X_test, y_test)
        results[key] = {"exploded": mon.diverged(), "test_acc": acc}
        outcome = "exploded again" if mon.diverged() else "trained"
        print(f"    {outcome}; one epoch on {len(X)} images gives {100 * acc:.2f}% test "
              f"accuracy.")
    return results


if __name__ == "__main__":
    main()
