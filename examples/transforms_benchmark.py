"""What forward mode and checkpointing cost and save. Prints the figures quoted in
docs/transforms.md.

    python examples/transforms_benchmark.py            # full run (about a minute)
    python examples/transforms_benchmark.py --quick    # seconds: checks that it works

1. The JVP of the MNIST MLP (784-128-10, ReLU, batch 128, float32), as a multiple of
   "its forward pass", which is measured two ways:
   * ``forward``: ``logits(params, X)`` under ``al.no_grad()`` (nothing recorded);
   * ``recorded forward``: the same call with the parameters requiring grad, grad mode
     on: the forward pass a user runs before ``backward()`` (it records three nodes).
   The JVP with respect to the input batch, and with respect to all four parameters:
   * ``al.jvp`` as it runs now, the eager pass (forward_eager.py), under ``no_grad``
     and in grad mode;
   * ``al.jvp``'s recorded path (record f, then push the tangents through the nodes:
     what ``al.jvp`` did before, and still does when f nests a transform);
   * the transpose trick applied op by op (every op's JVP derived from its VJP), and
     applied to the whole function (two reverse passes: ``J v = d/du <vjp(u), v>``).
   Also the same by hand in NumPy, the floor. CPU times; every round runs each case
   once (``inner`` calls) in turn, so drifts in machine load hit every case; a ratio is
   taken within a round, and the figure is its median over the rounds, with the
   quartiles. Run with ``OPENBLAS_NUM_THREADS=1``.
2. Gradient checkpointing on a 20-layer MLP (width 256, batch 1024, ReLU, one SGD
   step): the peak memory the training step allocates (``tracemalloc``, above what
   was allocated before it: the model, the batch), with no checkpointing and with
   checkpoints every k layers, the gradients compared, and the step's CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from typing import Any, Callable

import numpy as np

import autograd_lite as al
import nn
from autograd_lite import graph
from autograd_lite.forward import _jvp   # the recorded path, for comparison
from autograd_lite.ops.base import Op


def load_batch(batch: int, seed: int = 0) -> np.ndarray:
    """A batch of real MNIST images when the files are available, else random pixels."""
    rng = np.random.default_rng(seed)
    try:
        images = nn.load_mnist(download=False, normalize=True, flatten=True).train.images
        return np.ascontiguousarray(images[rng.permutation(len(images))[:batch]])
    except Exception:
        return rng.random((batch, 784), dtype=np.float32)


def mlp_params(hidden: int = 128, seed: int = 0) -> dict[str, al.Tensor]:
    rng = np.random.default_rng(seed)
    shapes = {"W1": (hidden, 784), "b1": (hidden,), "W2": (10, hidden), "b2": (10,)}
    return {k: al.tensor((rng.standard_normal(s) * np.sqrt(2 / s[-1])).astype(np.float32))
            for k, s in shapes.items()}


def logits(p: dict[str, Any], X: Any) -> al.Tensor:
    """The MNIST MLP's forward pass, as nn.TwoLayerNet computes it."""
    return al.linear(al.relu(al.linear(X, p["W1"], p["b1"])), p["W2"], p["b2"])


def jvp_by_two_vjps(f: Callable, x: Any, v: Any) -> Any:
    """J v by the transpose trick on the whole function: the VJP is linear in its
    cotangent u, and the gradient of <vjp(u), v> in u is J v."""
    out, vjp_fn = al.vjp(f, x)
    u0 = al.tensor(np.zeros(out.shape, out.dtype))

    def pairing(u: al.Tensor) -> al.Tensor:
        (ct,) = vjp_fn(u)
        return sum((a * b).sum() for a, b in zip(al.pytree.tree_leaves(ct), al.pytree.tree_leaves(v)))

    return al.grad(pairing)(u0)


class per_op_transpose:
    """Within the block, every op's JVP comes from its VJP (the fallback rule)."""

    def __enter__(self) -> None:
        self.saved = {op: (op.__dict__.get("jvp"), op.__dict__.get("jvp_rule")) for op in Op.registry.values()}
        for op in Op.registry.values():
            op.jvp, op.jvp_rule = None, "transpose"

    def __exit__(self, *exc: Any) -> None:
        for op, (jvp, rule) in self.saved.items():
            for name, value in (("jvp", jvp), ("jvp_rule", rule)):
                if value is None:
                    delattr(op, name)
                else:
                    setattr(op, name, value)


def median_ms(fn: Callable[[], Any], repeats: int, inner: int) -> float:
    """Median CPU time of ``fn`` in ms: this process's CPU time, which other processes
    sharing the machine do not inflate as they do the wall clock (run with
    ``OPENBLAS_NUM_THREADS=1``, so that BLAS threads waiting for a core count nothing)."""
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(inner):
            fn()
        times.append((time.process_time() - t0) / inner)
    return 1e3 * statistics.median(times)


def recorded_jvp(f: Callable, primals: tuple, tangents: tuple) -> Any:
    """``al.jvp`` by its recorded path: f recorded, then the tangents pushed through the nodes."""
    return _jvp(f, primals, tangents, False, "jvp", eager=False)


def quartiles(xs: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return q[0], statistics.median(xs), q[2]


def bench_jvp(batch: int, repeats: int, inner: int) -> dict[str, Any]:
    """Per case: the median ms, and its ratios to the two forward passes (quartiles)."""
    X = al.tensor(load_batch(batch))
    p = mlp_params()
    rng = np.random.default_rng(1)
    V = al.tensor(rng.standard_normal(X.shape).astype(np.float32))
    tp = {k: al.tensor(rng.standard_normal(v.shape).astype(np.float32)) for k, v in p.items()}
    p_rec = {k: al.tensor(v.data, requires_grad=True) for k, v in p.items()}

    x, v, w1, b1, w2, b2 = X.data, V.data, p["W1"].data, p["b1"].data, p["W2"].data, p["b2"].data

    def numpy_forward() -> Any:
        return np.maximum(x @ w1.T + b1, 0) @ w2.T + b2

    def numpy_jvp() -> Any:   # by hand: the floor for J v with the output
        z = x @ w1.T + b1
        return np.maximum(z, 0) @ w2.T + b2, ((v @ w1.T) * (z > 0)) @ w2.T

    tw1, tb1, tw2, tb2 = tp["W1"].data, tp["b1"].data, tp["W2"].data, tp["b2"].data

    def numpy_jvp_params() -> Any:   # by hand, w.r.t. the four parameters
        z = x @ w1.T + b1
        h = np.maximum(z, 0)
        th = (x @ tw1.T + tb1) * (z > 0)
        return h @ w2.T + b2, th @ w2.T + h @ tw2.T + tb2

    def no_grad(fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with al.no_grad():
                return fn()
        return run

    f_in, f_par = (lambda x: logits(p, x)), (lambda q: logits(q, X))
    cases: dict[str, Callable[[], Any]] = {
        "numpy_forward": numpy_forward,
        "numpy_jvp": numpy_jvp,
        "numpy_jvp_params": numpy_jvp_params,
        "forward": no_grad(lambda: logits(p, X)),
        "forward_recorded": lambda: logits(p_rec, X),
        "jvp_input": no_grad(lambda: al.jvp(f_in, (X,), (V,))),
        "jvp_params": no_grad(lambda: al.jvp(f_par, (p,), (tp,))),
        "jvp_grad_mode_input": lambda: al.jvp(f_in, (X,), (V,)),
        "jvp_grad_mode_params": lambda: al.jvp(f_par, (p,), (tp,)),
        "recorded_path_input": no_grad(lambda: recorded_jvp(f_in, (X,), (V,))),
        "recorded_path_params": no_grad(lambda: recorded_jvp(f_par, (p,), (tp,))),
        "two_vjps_input": lambda: jvp_by_two_vjps(f_in, X, V),
        "two_vjps_params": lambda: jvp_by_two_vjps(f_par, p, tp),
    }
    # The answers agree before their times mean anything, and the eager pass records nothing.
    want = recorded_jvp(f_in, (X,), (V,))[1].data
    seq = graph._next_seq()
    got = al.jvp(f_in, (X,), (V,))[1].data
    assert graph._next_seq() == seq + 1, "the eager pass recorded nodes"
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    want_p = recorded_jvp(f_par, (p,), (tp,))[1].data
    np.testing.assert_allclose(al.jvp(f_par, (p,), (tp,))[1].data, want_p, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(jvp_by_two_vjps(f_in, X, V).data, want, rtol=1e-3, atol=1e-3)
    with per_op_transpose():
        np.testing.assert_allclose(al.jvp(f_in, (X,), (V,))[1].data, want, rtol=1e-4, atol=1e-4)
    times: dict[str, list[float]] = {k: [] for k in list(cases) + ["per_op_transpose_input", "per_op_transpose_params"]}
    for _ in range(repeats):   # interleaved: drifts in machine load hit every case
        for k, fn in cases.items():
            times[k].append(median_ms(fn, 1, inner))
        with per_op_transpose():
            times["per_op_transpose_input"].append(median_ms(cases["jvp_input"], 1, inner))
            times["per_op_transpose_params"].append(median_ms(cases["jvp_params"], 1, inner))
    res: dict[str, Any] = {"ms": {k: statistics.median(t) for k, t in times.items()}, "ratio": {}, "ratio_recorded": {}, "numpy_own": {}}
    for k, t in times.items():
        res["ratio"][k] = quartiles([a / b for a, b in zip(t, times["forward"])])
        res["ratio_recorded"][k] = quartiles([a / b for a, b in zip(t, times["forward_recorded"])])
    for k in ("numpy_jvp", "numpy_jvp_params"):
        res["numpy_own"][k] = quartiles([a / b for a, b in zip(times[k], times["numpy_forward"])])
    return res


def deep_mlp(depth: int, width: int, seed: int = 0) -> nn.Sequential:
    nn.manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers)


def train_step(model: nn.Sequential, X: np.ndarray, segment: int | None, lr: float = 1e-3) -> None:
    """Forward (checkpointing every ``segment`` layers), loss, backward, SGD."""
    h = al.tensor(X)
    n = len(model)
    step = 2 * (segment or n)   # two modules (Linear, ReLU) per layer
    for i in range(0, n, step):
        block = model[i:i + step]
        h = al.checkpoint(block)(h) if segment else block(h)
    loss = (h * h).mean()
    loss.backward()
    with al.no_grad():
        for prm in model.parameters():
            prm -= lr * prm.grad


def bench_checkpoint(depth: int, width: int, batch: int, segments: list[int | None],
                     repeats: int) -> list[dict[str, Any]]:
    """Per segment size: the step's peak memory and, unless ``repeats`` is 0, its time."""
    X = np.random.default_rng(0).standard_normal((batch, width)).astype(np.float32)
    rows, grads0 = [], None
    for seg in segments:
        model = deep_mlp(depth, width)
        model.zero_grad()
        tracemalloc.start()
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        train_step(model, X, seg, lr=0.0)   # lr 0: the gradients are compared afterwards
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        grads = [prm.grad.copy() for prm in model.parameters()]
        same = grads0 is None or all(np.array_equal(a, b) for a, b in zip(grads, grads0))
        grads0 = grads0 or grads
        ms = median_ms(lambda: train_step(model, X, seg, lr=0.0), repeats, 1) if repeats else float("nan")
        rows.append({"segment": seg, "peak_mb": peak / 2**20, "step_ms": ms, "identical_grads": same})
    for r in rows:
        r["peak_ratio"] = rows[0]["peak_mb"] / r["peak_mb"]
        r["time_ratio"] = r["step_ms"] / rows[0]["step_ms"]
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs")
    args = ap.parse_args(argv)
    batch = 8 if args.quick else 128
    if args.quick:
        jvp = bench_jvp(batch=batch, repeats=1, inner=1)
        ckpt = bench_checkpoint(depth=4, width=16, batch=32, segments=[None, 1, 2], repeats=1)
    else:
        jvp = bench_jvp(batch=batch, repeats=15, inner=20)
        ckpt = bench_checkpoint(depth=20, width=256, batch=1024, segments=[None, 1, 2, 4, 5, 10],
                                repeats=5)
    ms, rf, rr = jvp["ms"], jvp["ratio"], jvp["ratio_recorded"]

    def fmt(q: tuple[float, float, float]) -> str:
        return f"{q[1]:5.2f}x ({q[0]:.2f}-{q[2]:.2f})"

    print(f"1. JVP of the MNIST MLP (784-128-10, batch {batch}, float32): median ms, and median multiple "
          f"(quartiles) of the forward pass in the same round")
    print(f"   forward: no_grad {ms['forward']:.3f} ms; recorded (parameters require grad, as before "
          f"backward) {ms['forward_recorded']:.3f} ms = {fmt(rf['forward_recorded'])} the no_grad one")
    print(f"   by hand in NumPy: forward {ms['numpy_forward']:.3f} ms")
    for key, wrt in (("numpy_jvp", "input"), ("numpy_jvp_params", "params")):
        print(f"   by hand in NumPy, forward and J v      w.r.t. {wrt:6s}: {ms[key]:7.3f} ms = "
              f"{fmt(jvp['numpy_own'][key])} the NumPy forward, {fmt(rf[key])} al's forward")
    rows = [("al.jvp (eager pass), under no_grad", "jvp_input", "input"),
            ("al.jvp (eager pass), under no_grad", "jvp_params", "params"),
            ("al.jvp (eager pass), grad mode on", "jvp_grad_mode_input", "input"),
            ("al.jvp (eager pass), grad mode on", "jvp_grad_mode_params", "params"),
            ("al.jvp's recorded path (record, then push)", "recorded_path_input", "input"),
            ("al.jvp's recorded path (record, then push)", "recorded_path_params", "params"),
            ("transpose trick per op (eager pass)", "per_op_transpose_input", "input"),
            ("transpose trick per op (eager pass)", "per_op_transpose_params", "params"),
            ("transpose trick, whole function (2 VJPs)", "two_vjps_input", "input"),
            ("transpose trick, whole function (2 VJPs)", "two_vjps_params", "params")]
    for label, key, wrt in rows:
        print(f"   {label:43s} w.r.t. {wrt:6s}: {ms[key]:7.3f} ms = {fmt(rf[key])} forward, "
              f"{fmt(rr[key])} recorded forward")
    print("2. Checkpointing: one training step of a deep MLP, peak memory allocated by the step (tracemalloc)")
    for r in ckpt:
        seg = "none" if r["segment"] is None else f"every {r['segment']} layers"
        print(f"   checkpoints {seg:16s}: peak {r['peak_mb']:7.2f} MB ({r['peak_ratio']:4.2f}x less), "
              f"step {r['step_ms']:7.2f} ms ({r['time_ratio']:4.2f}x), identical gradients: {r['identical_grads']}")
    return {"jvp": jvp, "checkpoint": ckpt}


if __name__ == "__main__":
    main()
