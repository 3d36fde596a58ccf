"""The two-layer network's backward pass derived by hand, next to the engine's.

The lessons write samples as columns: X is (784, m), Y the one-hot labels (10, m).

    Z1 = W1 X + b1        A1 = ReLU(Z1)
    Z2 = W2 A1 + b2       A2 = softmax(Z2)          loss = -mean(sum(Y * log A2))

    dZ2 = A2 - Y                      dW2 = dZ2 A1^T / m     db2 = sum(dZ2) / m
    dZ1 = W2^T dZ2 * [Z1 > 0]         dW1 = dZ1 X^T  / m     db1 = sum(dZ1) / m

The engine never sees these formulas: it differentiates TwoLayerNet op by op. Both
must agree to float32 rounding.

    python examples/backprop_by_hand.py [--batch 64] [--hidden 128]
"""

from __future__ import annotations

import argparse

import numpy as np

from nn.datasets import DatasetError, load_mnist
from nn.models import two_layer_net


def mnist_batch(m: int, data: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """m MNIST images (rows, float32 in [0, 1]) and labels; random pixels if MNIST is absent."""
    try:
        (X, y), _ = load_mnist(data, download=False, normalize=True, flatten=True)
        return X[:m], y[:m], "MNIST"
    except DatasetError:
        rng = np.random.default_rng(0)
        return rng.random((m, 784), dtype=np.float32), rng.integers(0, 10, m), "random pixels"


def backward_by_hand(W1, b1, W2, b2, X, Y):
    """The lessons' formulas, samples as columns. Returns the loss and the gradients."""
    m = X.shape[1]
    Z1 = W1 @ X + b1[:, None]
    A1 = np.maximum(Z1, 0)
    Z2 = W2 @ A1 + b2[:, None]
    E = np.exp(Z2 - Z2.max(axis=0))            # shift for stability; softmax is unchanged
    A2 = E / E.sum(axis=0)
    loss = -np.mean(np.sum(Y * np.log(A2), axis=0))

    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = dZ2.sum(axis=1) / m
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = dZ1.sum(axis=1) / m
    return loss, {"fc1.weight": dW1, "fc1.bias": db1, "fc2.weight": dW2, "fc2.bias": db2}


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Compare the two; returns the largest relative difference per parameter."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=64, help="samples m")
    parser.add_argument("--hidden", type=int, default=128, help="hidden units H")
    parser.add_argument("--data", help="directory holding mnist/ (default: the usual places)")
    args = parser.parse_args(argv)

    x, labels, source = mnist_batch(args.batch, args.data)
    net = two_layer_net(args.hidden, seed=0)

    # The engine: rows are samples, nn.Linear keeps W as (out, in) like the lessons.
    loss = net.loss(net(x), labels)
    loss.backward()

    # By hand, on the same weights, with the lessons' column layout.
    W1, b1, W2, b2 = (p.data for p in net.parameters())
    Y = np.eye(10, dtype=np.float32)[labels].T
    hand_loss, grads = backward_by_hand(W1, b1, W2, b2, x.T, Y)

    print(f"{args.batch} samples of {source}, H = {args.hidden}")
    print(f"loss: engine {loss.item():.6f}   by hand {hand_loss:.6f}")
    print(f"{'gradient':<12}{'shape':>12}{'max |engine|':>15}{'max |diff|':>13}{'rel. diff':>12}")
    worst = {}
    for name, p in net.named_parameters():
        diff = np.abs(p.grad - grads[name]).max()
        scale = np.abs(grads[name]).max()
        worst[name] = float(diff / scale) if scale else float(diff)
        print(f"{name:<12}{str(p.shape):>12}{scale:>15.3e}{diff:>13.2e}{worst[name]:>12.1e}")
    worst["loss"] = abs(loss.item() - hand_loss) / abs(hand_loss)
    print("They agree to float32 rounding." if max(worst.values()) < 1e-4 else
          "They DISAGREE: look at the rows above.")
    return worst


if __name__ == "__main__":
    main()
