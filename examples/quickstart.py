"""Fit a line with raw tensors: the forward pass, backward, and a hand-written SGD step.

    python examples/quickstart.py
"""

import numpy as np

import autograd_lite as al


def main(steps: int = 200, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (64, 1)).astype(np.float32)
    y = 3 * x - 0.5 + 0.05 * rng.standard_normal((64, 1)).astype(np.float32)
    w = al.zeros((1, 1), requires_grad=True)
    b = al.zeros(1, requires_grad=True)
    for step in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        w.grad = b.grad = None
        loss.backward()
        with al.no_grad():           # the update is not part of the graph
            w.sub_(0.1 * w.grad)
            b.sub_(0.1 * b.grad)
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.5f}  w {w.item():+.3f}  b {b.item():+.3f}")
    return loss.item()


if __name__ == "__main__":
    main()
