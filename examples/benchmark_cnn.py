"""How fast does the engine train a CNN? One float32 training step (forward, backward,
SGD update) of two networks, through ``nn`` and the engine, against the same step in
PyTorch (CPU, 2 threads) and written by hand in NumPy, measured in one process.

    python examples/benchmark_cnn.py            # about two minutes on a quiet machine
    python examples/benchmark_cnn.py --quick    # seconds: checks that it runs, not the timings
    OPENBLAS_NUM_THREADS=1 python examples/benchmark_cnn.py   # NumPy's BLAS on one thread

Networks (input 1x28x28, softmax cross-entropy, SGD lr 0.01):

* ``lenet5``, batch 64: ``nn.models.LeNet()``: 5x5 conv 1->6 (padding 2), ReLU, 2x2 max
  pool, 5x5 conv 6->16, ReLU, 2x2 max pool, Linear 400->120->84->10 with ReLUs;
* ``wide``, batch 128: 3x3 conv 1->32 (padding 1), ReLU, 2x2 max pool, 3x3 conv 32->64
  (padding 1), ReLU, 2x2 max pool, Linear 3136->10.

Contenders: ``engine`` (the nn model, ``al.cross_entropy``, ``nn.optim.SGD``); ``numpy``,
the same step written by hand with the engine's convolution algorithm (im2col on a
batch-last copy, one BLAS product; col2im by strided adds) and no graph: the floor the
engine's own overhead is measured against; ``torch``, the same network in PyTorch.
All three start from the same weights and must give the same loss and updated weights
(checked) before any timing. Each repeat times a few steps of each contender in turn
(interleaved, so that changes in machine load hit all alike); the figures are medians
over repeats with the fastest and slowest repeat, and the engine's ratio to each other
contender is the median of the per-repeat ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

import autograd_lite as al
import nn

LR = 0.01
Step = Callable[[], float]


# ---- the networks' layer lists: ("conv", out, k, pad) | ("pool",) | ("relu",) | ("fc", out)

NETS = {
    "lenet5": (64, [("conv", 6, 5, 2), ("relu",), ("pool",), ("conv", 16, 5, 0), ("relu",),
                    ("pool",), ("flatten",), ("fc", 120), ("relu",), ("fc", 84), ("relu",),
                    ("fc", 10)]),
    "wide": (128, [("conv", 32, 3, 1), ("relu",), ("pool",), ("conv", 64, 3, 1), ("relu",),
                   ("pool",), ("flatten",), ("fc", 10)]),
}


def nn_model(spec: list[tuple]) -> nn.Module:
    if spec == NETS["lenet5"][1]:
        return nn.models.LeNet()
    layers: list[nn.Module] = []
    c, size = 1, 28
    for kind, *a in spec:
        if kind == "conv":
            layers.append(nn.Conv2d(c, a[0], a[1], padding=a[2]))
            c, size = a[0], size + 2 * a[2] - a[1] + 1
        elif kind == "pool":
            layers.append(nn.MaxPool2d(2))
            size //= 2
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "flatten":
            layers.append(nn.Flatten())
            c = c * size * size
        else:
            layers.append(nn.Linear(c, a[0]))
            c = a[0]
    return nn.Sequential(*layers)


# ---- the step written by hand in NumPy -----------------------------------------------------

def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int) -> tuple[np.ndarray, Any]:
    """Stride-1 convolution: x copied once to (C, H, W, N), its windows to columns
    (C*k*k, Ho*Wo*N), one product; the output back to (N, O, Ho, Wo)."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    ho, wo = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    xt = np.zeros((c, h + 2 * pad, wd + 2 * pad, n), x.dtype)
    xt[:, pad:pad + h, pad:pad + wd] = x.transpose(1, 2, 3, 0)
    s = xt.strides
    cols = as_strided(xt, (c, k, k, ho, wo, n), (s[0], s[1], s[2], s[1], s[2], s[3]))
    cols = cols.reshape(c * k * k, -1)
    out = w.reshape(o, -1) @ cols
    out += b[:, None]
    out = np.ascontiguousarray(out.reshape(o, ho, wo, n).transpose(3, 0, 1, 2))
    return out, (cols, xt.shape, x.shape, pad)


def conv_backward(g: np.ndarray, w: np.ndarray, cache: Any, need_dx: bool) -> tuple:
    cols, xt_shape, x_shape, pad = cache
    o, c, k, _ = w.shape
    n, _, ho, wo = g.shape
    gt = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).reshape(o, -1)
    db = gt.sum(axis=1)
    dw = (gt @ cols.T).reshape(w.shape)
    if not need_dx:
        return None, dw, db
    dcols = (w.reshape(o, -1).T @ gt).reshape(c, k, k, ho, wo, n)
    dxt = np.zeros(xt_shape, g.dtype)
    for i in range(k):
        for j in range(k):
            dxt[:, i:i + ho, j:j + wo] += dcols[:, i, j]
    h, wd = x_shape[2:]
    return np.ascontiguousarray(dxt[:, pad:pad + h, pad:pad + wd].transpose(3, 0, 1, 2)), dw, db


def pool_forward(x: np.ndarray) -> tuple[np.ndarray, Any]:
    """2x2 max pooling by reshaping; the gradient goes to each window's first maximum."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        n, c, h // 2, w // 2, 4)
    arg = win.argmax(axis=-1)
    return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], (arg, x.shape)


def pool_backward(g: np.ndarray, cache: Any) -> np.ndarray:
    arg, (n, c, h, w) = cache
    dwin = (arg[..., None] == np.arange(4)) * g[..., None]
    return dwin.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def numpy_step(spec: list[tuple], params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """One SGD step of the network by hand; updates ``params`` (weight, bias per layer)."""
    caches, a, p = [], x, 0
    for kind, *arg in spec:
        if kind == "conv":
            a, cache = conv_forward(a, params[p], params[p + 1], arg[2])
            p += 2
        elif kind == "fc":
            cache = a
            a = a @ params[p].T + params[p + 1]
            p += 2
        elif kind == "relu":
            cache = a > 0
            a = a * cache
        elif kind == "pool":
            a, cache = pool_forward(a)
        else:
            cache = a.shape
            a = a.reshape(a.shape[0], -1)
        caches.append(cache)
    shifted = a - a.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    m = len(y)
    loss = -float(logp[np.arange(m), y].mean())
    g = np.exp(logp)
    g[np.arange(m), y] -= 1
    g /= m
    grads = []
    for i in range(len(spec) - 1, -1, -1):
        kind, cache = spec[i][0], caches[i]
        if kind == "conv":
            p -= 2
            g, dw, db = conv_backward(g, params[p], cache, need_dx=i > 0)
            grads += [(p, dw), (p + 1, db)]
        elif kind == "fc":
            p -= 2
            grads += [(p, g.T @ cache), (p + 1, g.sum(axis=0))]
            g = g @ params[p]
        elif kind == "relu":
            g = g * cache
        elif kind == "pool":
            g = pool_backward(g, cache)
        else:
            g = g.reshape(cache)
    for j, d in grads:
        params[j] -= LR * d
    return loss


# ---- the three contenders -------------------------------------------------------------------

def contenders(name: str, torch: Any, batch: int | None = None) -> dict[str, Step]:
    n, spec = NETS[name]
    n = batch or n
    rng = np.random.default_rng(0)
    x = rng.random((n, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n)
    nn.manual_seed(0)
    model = nn_model(spec)
    opt = nn.optim.SGD(model.parameters(), lr=LR)
    start = {k: v.copy() for k, v in model.state_dict().items()}
    params = [p.data.copy() for p in model.parameters()]

    def engine() -> float:
        loss = al.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()

    steps = {"engine": engine, "numpy": lambda: numpy_step(spec, params, x, y)}
    if torch is not None:
        net = torch_model(torch, spec)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in _torch_names(start, net).items()})
        topt = torch.optim.SGD(net.parameters(), lr=LR)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step() -> float:
            loss = torch.nn.functional.cross_entropy(net(tx), ty)
            topt.zero_grad()
            loss.backward()
            topt.step()
            return loss.item()
        steps["torch"] = torch_step
        steps["_torch_params"] = lambda: [p.detach().numpy() for p in net.parameters()]
    steps["_engine_params"] = lambda: [p.data for p in model.parameters()]
    steps["_numpy_params"] = lambda: params
    return steps


def torch_model(torch: Any, spec: list[tuple]) -> Any:
    tnn, layers, c, size = torch.nn, [], 1, 28
    for kind, *a in spec:
        if kind == "conv":
            layers.append(tnn.Conv2d(c, a[0], a[1], padding=a[2]))
            c, size = a[0], size + 2 * a[2] - a[1] + 1
        elif kind == "pool":
            layers.append(tnn.MaxPool2d(2))
            size //= 2
        elif kind == "relu":
            layers.append(tnn.ReLU())
        elif kind == "flatten":
            layers.append(tnn.Flatten())
            c = c * size * size
        else:
            layers.append(tnn.Linear(c, a[0]))
            c = a[0]
    return tnn.Sequential(*layers)


def _torch_names(state: dict[str, np.ndarray], net: Any) -> dict[str, np.ndarray]:
    """Our state dict under the torch Sequential's names (same order, same shapes)."""
    return dict(zip(net.state_dict(), state.values()))


def check(steps: dict[str, Step]) -> None:
    """One step of each from the same weights: the same loss and the same new weights."""
    losses = {k: f() for k, f in steps.items() if not k.startswith("_")}
    for k, v in losses.items():
        if not np.isclose(v, losses["engine"], rtol=1e-4):
            raise AssertionError(f"{k}'s loss {v} differs from the engine's {losses['engine']}")
    ours = steps["_engine_params"]()
    for k in ("numpy", "torch"):
        if f"_{k}_params" in steps:
            for a, b in zip(steps[f"_{k}_params"](), ours, strict=True):
                if not np.allclose(a, b, rtol=1e-3, atol=1e-5):
                    raise AssertionError(f"{k}'s updated weights differ from the engine's "
                                         f"(max difference {float(np.abs(a - b).max())})")


def measure(steps: dict[str, Step], repeats: int, per: int) -> dict[str, dict[str, float]]:
    timed = {k: f for k, f in steps.items() if not k.startswith("_")}
    times: dict[str, list[float]] = {k: [] for k in timed}
    for _ in range(repeats):
        for k, f in timed.items():
            t0 = time.perf_counter()
            for _ in range(per):
                f()
            times[k].append((time.perf_counter() - t0) / per * 1e3)
    res = {k: {"ms": statistics.median(t), "min": min(t), "max": max(t)} for k, t in times.items()}
    for k in timed:
        res[k]["engine_ratio"] = statistics.median(e / t for e, t in zip(times["engine"], times[k]))
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny batches, two repeats: check it runs")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats (default 15)")
    ap.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    ap.add_argument("--torch-threads", type=int, default=2, help="torch's threads (default 2)")
    args = ap.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 15)
    torch = None
    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(args.torch_threads)
        except ImportError:
            pass
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"float32 training step; NumPy BLAS threads: {threads} (of {os.cpu_count()} CPUs); "
          + (f"torch: {args.torch_threads} threads" if torch is not None else "torch: not installed")
          + f"; load average {load:.1f}")
    results: dict[str, Any] = {}
    for name in NETS:
        batch = 4 if args.quick else None
        steps = contenders(name, torch, batch)
        check(steps)
        for k, f in steps.items():  # warm up
            if not k.startswith("_"):
                f()
        t0 = time.perf_counter()
        steps["engine"]()
        per = 1 if args.quick else max(1, int(0.25 / (time.perf_counter() - t0)))
        res = results[name] = measure(steps, repeats, per)
        print(f"{name} (batch {batch or NETS[name][0]}): ms per step, median (min-max) over "
              f"{repeats} repeats of {per}")
        for who, r in res.items():
            ratio = "" if who == "engine" else f"   engine / {who} = {r['engine_ratio']:.2f}"
            print(f"  {who:7s} {r['ms']:8.2f} ms ({r['min']:.2f}-{r['max']:.2f}){ratio}")
    return results


if __name__ == "__main__":
    main()
