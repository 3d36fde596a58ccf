"""How close is the engine to hand-written NumPy? Prints every figure of the
performance targets, measured in one process.

    python examples/benchmark.py            # full run (about a minute)
    python examples/benchmark.py --quick    # seconds: checks that it works, not the timings

1. The two-layer MNIST training step (784-128-10, ReLU, softmax cross-entropy, SGD,
   float32) written by hand in NumPy, against the same step through ``nn`` and the
   engine, at batch 128 and 16. Within a process the two run interleaved, so both see
   the same machine state, and the process reports its median ratio. That is done in
   several fresh processes, each of which first allocates a different number of bytes
   (up to 4 KiB) so that the allocator places the arrays made afterwards differently,
   and the figure is the median over the processes, with their spread. On a 2-core
   machine the same code's ratio moves by up to 0.2 from one such layout to another
   (how the arrays fall on cache sets and pages, how the two BLAS threads share their
   caches); a single process, or fresh processes that all allocate the same way, see
   only one layout and can be lucky or unlucky.
   ``nn.TwoLayerNet`` stores its first weight column-major, which makes OpenBLAS's
   forward and weight-gradient products faster than the row-major ones the lessons
   write by hand. So a second figure compares the engine with the hand-written step
   given that same layout: the engine's own overhead, with the layout's gain removed.
   A user's plain ``nn.Sequential(Linear, ReLU, Linear)`` is timed beside it.
2. Per-op overhead: ``y = y * 1.0001 + 0.0001`` on a (16,) float32 tensor, forward
   and backward, per op: on 10,000 and 100,000-op chains, and on 10,000 ops in a
   process that also holds 1,000,000 live lists (a busy notebook) or has imported
   PyTorch and matplotlib (a learner's notebook); PyTorch beside each.
3. Backward over deep chains (linear time), the graph's bytes per op and the memory
   released afterwards.
4. A training loop's peak memory after 200 and after 2,000 steps.
5. float32 end to end: every VJP output of the training step is float32.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any, Callable

import numpy as np

import autograd_lite as al
import nn


def load_batches(batch: int, n_batches: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Real MNIST batches when the files are available, else random ones of the same shape."""
    rng = np.random.default_rng(seed)
    try:
        data = nn.load_mnist(download=False, normalize=True, flatten=True)
        X, y = data.train.images, data.train.labels
    except Exception:
        X = rng.random((batch * n_batches, 784), dtype=np.float32)
        y = rng.integers(0, 10, batch * n_batches)
    idx = rng.permutation(len(X))[: batch * n_batches]
    return [(np.ascontiguousarray(X[idx[i * batch:(i + 1) * batch]]), y[idx[i * batch:(i + 1) * batch]])
            for i in range(n_batches)]


def init_params(hidden: int = 128, seed: int = 0, w1_order: str = "C") -> dict[str, np.ndarray]:
    # On 64-byte cache lines, as the engine's layers allocate theirs: with two BLAS
    # threads a misaligned weight slows the in-place update after the forward product
    # (about 7% of a step), and the floor should not pay for what the engine avoids.
    rng = np.random.default_rng(seed)
    p = {
        "W1": (rng.standard_normal((hidden, 784)) * np.sqrt(2 / 784)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "W2": (rng.standard_normal((10, hidden)) * np.sqrt(2 / hidden)).astype(np.float32),
        "b2": np.zeros(10, np.float32),
    }
    return {k: nn.module.aligned_array(v.shape, v.dtype, v, w1_order if k == "W1" else "C")
            for k, v in p.items()}


def numpy_step(p: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray, lr: float) -> float:
    """The floor: forward, backward and an in-place SGD step, all by hand. A
    column-major W1 (``init_params(w1_order="F")``, the layout ``nn.TwoLayerNet``
    gives its first layer) gets its gradient in that order too."""
    m = len(y)
    Z1 = X @ p["W1"].T + p["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ p["W2"].T + p["b2"]
    Z2 -= Z2.max(axis=1, keepdims=True)
    E = np.exp(Z2)
    S = E.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(S[:, 0]) - Z2[np.arange(m), y]))
    dZ2 = E / S
    dZ2[np.arange(m), y] -= 1
    dZ2 /= m
    dW2 = dZ2.T @ A1
    db2 = dZ2.sum(axis=0)
    dZ1 = (dZ2 @ p["W2"]) * (Z1 > 0)
    dW1 = (X.T @ dZ1).T if p["W1"].flags.f_contiguous else dZ1.T @ X
    db1 = dZ1.sum(axis=0)
    for k, g in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2)):
        p[k] -= lr * g
    return loss


def engine_stepper(p: dict[str, np.ndarray], lr: float,
                   model_kind: str = "twolayer") -> tuple[Callable, nn.Module]:
    """The engine's step, started from the same weights as the NumPy step, on the
    model the CLI trains (``"twolayer"``) or on a user's plain ``nn.Sequential`` built
    as the docs teach (``"sequential"``)."""
    hidden = p["b1"].shape[0]
    if model_kind == "twolayer":
        model = nn.TwoLayerNet(hidden=hidden)
        layers = (model.fc1, model.fc2)
    else:
        model = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
        layers = (model[0], model[2])
    for lin, w, b in zip(layers, ("W1", "W2"), ("b1", "b2")):
        lin.weight.data[...] = p[w]
        lin.bias.data[...] = p[b]
    opt = nn.optim.SGD(model.parameters(), lr=lr)

    # In the order the CLI's training loop uses: zero_grad right after step frees the
    # gradients before the next forward pass instead of keeping them through it.
    def step(X: np.ndarray, y: np.ndarray) -> float:
        loss = nn.functional.cross_entropy(model(al.Tensor(X)), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()

    return step, model


def bench_mnist_step(batch: int, repeats: int, steps: int) -> dict[str, float]:
    """The engine's step against the hand-written one (row-major weights, as in the
    lessons), and against the hand-written one with the engine's column-major W1:
    the second ratio is the engine's own overhead, with the layout's gain taken out."""
    batches = load_batches(batch, 16)
    lr = 0.05
    p_np, p_same = init_params(), init_params(w1_order="F")
    step, model = engine_stepper(init_params(), lr)
    seq, _ = engine_stepper(init_params(), lr, "sequential")
    # Same start, same batches: the four must agree before their times mean anything.
    for X, y in batches[:3]:
        a, a2 = numpy_step(p_np, X, y, lr), numpy_step(p_same, X, y, lr)
        for b in (step(X, y), seq(X, y)):
            assert abs(a - b) < 1e-4 * max(1, abs(a)), f"engine loss {b} != NumPy loss {a}"
            assert abs(a2 - b) < 1e-4 * max(1, abs(a)), f"engine loss {b} != NumPy loss {a2}"

    def run(fn: Callable) -> float:
        t0 = time.perf_counter()
        for i in range(steps):
            X, y = batches[i % len(batches)]
            fn(X, y)
        return (time.perf_counter() - t0) / steps

    ratios, same, seq_ratios, t_np, t_same, t_al, t_seq = [], [], [], [], [], [], []
    for _ in range(repeats):  # interleaved, so drifts in machine load hit all four
        a = run(lambda X, y: numpy_step(p_np, X, y, lr))
        a2 = run(lambda X, y: numpy_step(p_same, X, y, lr))
        b = run(step)
        c = run(seq)
        t_np.append(a)
        t_same.append(a2)
        t_al.append(b)
        t_seq.append(c)
        ratios.append(b / a)
        same.append(b / a2)
        seq_ratios.append(c / a)
    return {"numpy_ms": 1e3 * statistics.median(t_np), "engine_ms": 1e3 * statistics.median(t_al),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "numpy_same_layout_ms": 1e3 * statistics.median(t_same),
            "ratio_same_layout": statistics.median(same),
            "sequential_ms": 1e3 * statistics.median(t_seq),
            "ratio_sequential": statistics.median(seq_ratios)}


def busy_heap(n: int) -> list[list[Any]]:
    """``n`` live empty lists: objects the cyclic GC tracks, as a notebook that has
    imported a few libraries holds (each full collection scans them all)."""
    return [[] for _ in range(n)]


def bench_per_op(n_ops: int, repeats: int, busy: int = 0,
                 imports: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The chain's forward and backward per op, after importing ``imports`` (None if one
    is not installed): what else is alive in the process is what the cyclic GC scans."""
    try:
        modules = [importlib.import_module(m) for m in imports]  # noqa: F841 (kept alive)
    except ImportError:
        return None
    heap = busy_heap(busy)  # noqa: F841 (kept alive while the chains run)

    def once() -> tuple[float, float]:
        x = al.Tensor(np.ones(16, np.float32), requires_grad=True)
        t0 = time.perf_counter()
        y = x
        for _ in range(n_ops // 2):
            y = y * 1.0001 + 0.0001
        t1 = time.perf_counter()
        y.backward(np.ones(16, np.float32))
        t2 = time.perf_counter()
        assert x.grad.dtype == np.float32
        return (t1 - t0) / n_ops * 1e6, (t2 - t1) / n_ops * 1e6

    runs = [once() for _ in range(repeats)]
    totals = [f + b for f, b in runs]
    return {"forward_us": statistics.median(f for f, _ in runs),
            "backward_us": statistics.median(b for _, b in runs),
            "total_us": statistics.median(totals), "total_min": min(totals), "total_max": max(totals),
            "totals": totals}


def bench_per_op_torch(n_ops: int, repeats: int, busy: int = 0,
                       imports: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The same chain in PyTorch (CPU), for comparison; None if torch is not installed."""
    try:
        import torch
        modules = [importlib.import_module(m) for m in imports]  # noqa: F841 (kept alive)
    except ImportError:
        return None
    heap = busy_heap(busy)  # noqa: F841

    def once() -> float:
        x = torch.ones(16, dtype=torch.float32, requires_grad=True)
        t0 = time.perf_counter()
        y = x
        for _ in range(n_ops // 2):
            y = y * 1.0001 + 0.0001
        y.backward(torch.ones(16, dtype=torch.float32))
        return (time.perf_counter() - t0) / n_ops * 1e6

    once()  # warm-up: first-call costs
    totals = [once() for _ in range(repeats)]
    return {"total_us": statistics.median(totals), "total_min": min(totals), "total_max": max(totals),
            "totals": totals}


def _pooled(runs: list[dict[str, Any]], medians: tuple[str, ...]) -> dict[str, Any]:
    """Several processes' per-op runs as one: the median and spread of all their totals."""
    totals = [x for r in runs for x in r["totals"]]
    out = {k: statistics.median(r[k] for r in runs) for k in medians}
    # The mean too: a full collection lands on some chains only, so the median can miss it.
    out.update(total_us=statistics.median(totals), total_min=min(totals), total_max=max(totals),
               total_mean=statistics.mean(totals), totals=totals)
    return out


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_deep_chain(sizes: list[int], shape: tuple[int, ...] = ()) -> list[dict[str, float]]:
    out = []
    for n in sizes:
        gc.collect()
        before = rss_mb()
        x = al.Tensor(np.ones(shape, np.float32), requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.0
        built = rss_mb()
        t0 = time.perf_counter()
        y.backward(np.ones(shape, np.float32))
        secs = time.perf_counter() - t0
        del y
        gc.collect()
        out.append({"ops": n, "backward_s": secs, "graph_mb": built - before,
                    "bytes_per_op": (built - before) * 2**20 / n, "left_mb": rss_mb() - before})
    return out


def bench_memory(steps_a: int, steps_b: int) -> dict[str, float]:
    batches = load_batches(128, 8)
    step, _ = engine_stepper(init_params(), 0.05)
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # noqa: E731 (MB)
    for i in range(steps_a):
        step(*batches[i % len(batches)])
    a = peak()
    for i in range(steps_a, steps_b):
        step(*batches[i % len(batches)])
    b = peak()
    return {"peak_mb_a": a, "peak_mb_b": b, "growth": b / a - 1}


def check_float32() -> list[str]:
    """Names of ops whose VJP produced a non-float32 array in a float32 training step."""
    bad: list[str] = []

    def hook(node: al.Node, g: object, dxs: tuple) -> None:
        if any(d is not None and d.dtype != np.float32 for d in dxs):
            bad.append(node.op.name)

    _, model = engine_stepper(init_params(), 0.05)
    X, y = load_batches(32, 1)[0]
    handle = al.hooks.register_backward_hook(hook)
    try:  # the step's forward and backward (its zero_grad would drop the gradients)
        nn.functional.cross_entropy(model(al.Tensor(X)), y).backward()
    finally:
        handle.remove()
    bad += [n for n, p in model.named_parameters() if p.dtype != np.float32 or p.grad.dtype != np.float32]
    return bad


def isolated(name: str, *args: Any, pad: int = 0) -> Any:
    """Run one benchmark function in a fresh interpreter: peak RSS is per process,
    and the cyclic GC's cost depends on everything else alive in the heap. ``pad``
    bytes are allocated (and kept) first, which shifts the addresses of every array
    allocated afterwards: a different memory layout for the same code."""
    code = (f"import json, runpy, numpy; _pad = numpy.empty({pad}, numpy.uint8); "
            f"b = runpy.run_path({__file__!r}); "
            f"print(json.dumps(b[{name!r}](*{list(args)!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes: check it runs, ignore the figures")
    ap.add_argument("--processes", type=int, default=None,
                    help="fresh processes per MNIST step comparison (default 7; 1 with --quick)")
    args = ap.parse_args(argv)
    q = args.quick
    n_proc = args.processes or (1 if q else 7)
    if n_proc < 1:
        ap.error(f"--processes must be at least 1, got {n_proc}")
    results: dict[str, object] = {}
    # Both steps' matrix products use the BLAS threads, the engine's Python does not, so
    # the ratio (and how much it varies between repeats) depends on the thread count.
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    print(f"BLAS threads: {threads} (of {os.cpu_count()} CPUs); set OPENBLAS_NUM_THREADS=1 to compare single-threaded")

    for batch, steps in ((128, 40), (16, 300)):
        pads = [16 + 4096 * i // n_proc for i in range(n_proc)]  # spread over a page
        per = [isolated("bench_mnist_step", batch, 3 if q else 9, 3 if q else steps, pad=pad)
               for pad in pads]
        ratios = [p["ratio"] for p in per]
        same = [p["ratio_same_layout"] for p in per]
        r = {"numpy_ms": statistics.median(p["numpy_ms"] for p in per),
             "engine_ms": statistics.median(p["engine_ms"] for p in per),
             "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
             "numpy_same_layout_ms": statistics.median(p["numpy_same_layout_ms"] for p in per),
             "ratio_same_layout": statistics.median(same), "processes": per}
        results[f"mnist_step_b{batch}"] = r
        print(f"MNIST step, batch {batch:3d}: NumPy {r['numpy_ms']:.3f} ms, engine {r['engine_ms']:.3f} ms, "
              f"ratio {r['ratio']:.3f} (median of {n_proc} process{'es' if n_proc > 1 else ''}; "
              f"min {r['ratio_min']:.3f}, "
              f"max {r['ratio_max']:.3f})")
        print("  per process: " + ", ".join(f"{x:.3f}" for x in sorted(ratios)))
        seq = [p["ratio_sequential"] for p in per]
        r["ratio_sequential"] = statistics.median(seq)
        r["sequential_ms"] = statistics.median(p["sequential_ms"] for p in per)
        print(f"  a plain nn.Sequential(Linear, ReLU, Linear) ({r['sequential_ms']:.3f} ms): ratio "
              f"{r['ratio_sequential']:.3f} (min {min(seq):.3f}, max {max(seq):.3f})")
        print(f"  against NumPy with the engine's column-major W1 ({r['numpy_same_layout_ms']:.3f} ms): "
              f"ratio {r['ratio_same_layout']:.3f} (per process: "
              + ", ".join(f"{x:.3f}" for x in sorted(same)) + ")")

    # Each in a fresh process (the GC's cost depends on what else is alive), the engine's
    # and PyTorch's processes interleaved in rounds, so drifts in machine load hit both.
    # The last case is the issue's own: a process that has imported PyTorch and matplotlib,
    # as a learner's notebook has (the first wave's engine took twice as long per op there).
    for key, n_ops, busy, imports, what in (
            ("per_op", 10_000, 0, (), "10,000 ops"),
            ("per_op_100k", 100_000, 0, (), "100,000 ops"),
            ("per_op_busy", 10_000, 1_000_000, (), "10,000 ops beside 1,000,000 live lists"),
            ("per_op_imported", 10_000, 0, ("torch", "matplotlib.pyplot"),
             "10,000 ops after importing torch and matplotlib")):
        if q:
            n_ops, busy = 200, min(busy, 1000)
        rounds = [(isolated("bench_per_op", n_ops, 3 if q else 5, busy, imports),
                   isolated("bench_per_op_torch", n_ops, 3 if q else 5, busy, imports))
                  for _ in range(1 if q else 3)]
        if rounds[0][0] is None:
            print(f"per op, {what}: skipped ({', '.join(imports)} not all installed)")
            continue
        r = _pooled([e for e, _ in rounds], ("forward_us", "backward_us"))
        t = None if rounds[0][1] is None else _pooled([t for _, t in rounds], ())
        r["torch"] = t
        results[key] = r
        beside = ""
        if t is not None:
            r["ratio_torch"] = statistics.median(e["total_us"] / t["total_us"] for e, t in rounds)
            beside = (f"; PyTorch {t['total_us']:.2f} us ({t['total_min']:.2f}-{t['total_max']:.2f}, "
                      f"mean {t['total_mean']:.2f}); engine / PyTorch {r['ratio_torch']:.2f}")
        print(f"per op (16,) float32 chain, {what}: forward {r['forward_us']:.2f} us + backward "
              f"{r['backward_us']:.2f} us = {r['total_us']:.2f} us (min {r['total_min']:.2f}, max "
              f"{r['total_max']:.2f}, mean {r['total_mean']:.2f}){beside}")

    chain = isolated("bench_deep_chain", [1000, 4000] if q else [250_000, 1_000_000])
    results["deep_chain"] = chain
    for c in chain:
        print(f"backward over {c['ops']:>9,d} ops: {c['backward_s']:.2f} s; graph {c['graph_mb']:.0f} MB "
              f"({c['bytes_per_op']:.0f} bytes/op), left after release {c['left_mb']:.1f} MB")
    (c16,) = isolated("bench_deep_chain", [4000 if q else 1_000_000], [16])
    results["deep_chain_16"] = c16
    print(f"  the same chain of (16,) float32: graph {c16['graph_mb']:.0f} MB ({c16['bytes_per_op']:.0f} bytes/op)")
    a, b = chain
    print(f"  time ratio {b['backward_s'] / a['backward_s']:.2f} for {b['ops'] / a['ops']:.0f}x the ops (linear = "
          f"{b['ops'] / a['ops']:.0f})")

    m = isolated("bench_memory", *((20, 60) if q else (200, 2000)))
    results["memory"] = m
    print(f"training loop peak RSS: {m['peak_mb_a']:.1f} MB after {20 if q else 200} steps, {m['peak_mb_b']:.1f} MB "
          f"after {60 if q else 2000} ({100 * m['growth']:+.1f}%)")

    bad = check_float32()
    results["float32_violations"] = bad
    print("float32 end to end: " + ("yes" if not bad else f"NO: {bad}"))
    return results


if __name__ == "__main__":
    main()
