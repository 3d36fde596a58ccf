"""Where the engine's own time goes: cProfile's top entries for the two figures of
docs/performance.md that measure overhead rather than arithmetic.

    python examples/profile_engine.py              # both, top 12 entries each
    python examples/profile_engine.py --top 20 --what step

1. ``chain``: the per-op benchmark's chain, ``y = y * 1.0001 + 0.0001`` on a (16,)
   float32 tensor, 10,000 ops, forward and backward.
2. ``step``: a user's plain ``nn.Sequential(Linear(784, 128), ReLU(), Linear(128, 10))``
   trained with ``F.cross_entropy`` and ``SGD`` at batch 16, on random MNIST-shaped
   batches (200 steps).

Entries are sorted by own time (``tottime``), the time inside a function but not in
what it calls; a profiler's per-call cost inflates small functions, so read the order
and the call counts, not the absolute times (docs/performance.md has those). The
script uses only the public API that has existed since the first wave, so it runs
against an older checkout too (``PYTHONPATH=<old tree> python profile_engine.py``),
which is how the before-and-after tables in docs/performance.md were made.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
from typing import Callable

import numpy as np

import autograd_lite as al
import nn


def chain(n_ops: int = 10_000) -> Callable[[], None]:
    def run() -> None:
        x = al.Tensor(np.ones(16, np.float32), requires_grad=True)
        y = x
        for _ in range(n_ops // 2):
            y = y * 1.0001 + 0.0001
        y.backward(np.ones(16, np.float32))
    return run


def step(batch: int = 16, steps: int = 200) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = nn.optim.SGD(model.parameters(), lr=0.05)
    X = rng.random((batch * 8, 784), dtype=np.float32)
    y = rng.integers(0, 10, batch * 8)
    batches = [(X[i:i + batch], y[i:i + batch]) for i in range(0, len(X), batch)]

    def run() -> None:
        for i in range(steps):
            xb, yb = batches[i % len(batches)]
            loss = nn.functional.cross_entropy(model(al.Tensor(xb)), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
    run()  # the first call settles the first layer's layout
    return run


def profile(fn: Callable[[], None], top: int) -> tuple[str, int]:
    fn()  # warm
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    out = io.StringIO()
    stats = pstats.Stats(pr, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    here = os.path.dirname(os.path.dirname(os.path.abspath(al.__file__))) + os.sep
    text = out.getvalue().replace(here, "")
    return text, stats.total_calls  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--what", choices=("chain", "step", "both"), default="both")
    ap.add_argument("--top", type=int, default=12, help="entries to print per profile (default 12)")
    args = ap.parse_args(argv)
    if args.top < 1:
        ap.error(f"--top must be at least 1, got {args.top}")
    print(f"autograd_lite from {os.path.dirname(al.__file__)}")
    for name, make, per in (("chain", chain, ("op", 10_000)), ("step", step, ("step", 200))):
        if args.what not in (name, "both"):
            continue
        text, calls = profile(make(), args.top)
        print(f"\n== {name}: {calls / per[1]:.1f} Python-level calls per {per[0]} ==")
        lines = text.strip().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print("\n".join(lines[start:]))


if __name__ == "__main__":
    main()
