"""How fast are the engine's convolutions? Forward + backward of single layers, float32,
through ``al.conv2d`` / ``al.max_pool2d`` against the same computation hand-written
in NumPy and against PyTorch (when importable, on 2 threads).

    python examples/conv_benchmark.py            # about a minute
    python examples/conv_benchmark.py --quick    # seconds: checks that it runs, not the timings
    OPENBLAS_NUM_THREADS=1 python examples/conv_benchmark.py --torch-threads 1   # one core each

On a machine shared with other work, two BLAS threads wait for each other whenever the
other core is busy, and the two-thread figures swing by 10x or more; one thread each
gives steadier ratios.

Layers:

* ``lenet1``: batch 64, 1 -> 6 channels, 5x5 kernel on 28x28 (the input is data: no
  gradient for it);
* ``lenet2``: batch 64, 6 -> 16 channels, 5x5 on 12x12;
* ``conv3x3``: batch 128, 32 -> 64 channels, 3x3 with padding 1 on 14x14;
* ``maxpool``: 2x2 max pooling of lenet1's output (64, 6, 24, 24).

Contenders, each a full forward and backward pass (gradients of the weight, the bias
and, except for lenet1, the input):

* ``engine``: ``al.conv2d(x, w, b, ...)`` then ``backward``;
* ``numpy``: the engine's algorithm written out by hand, with no graph: the floor
  the engine's own overhead is measured against;
* ``numpy-ps``: the textbook im2col, per-sample ``(N, C*kH*kW, Ho*Wo)`` columns and
  batched products (what the engine's channel-major, batch-last layout replaces);
  for max pooling, the reshape-and-max idiom;
* ``torch``: ``torch.nn.functional.conv2d`` and ``backward``, on 2 threads (``--torch-threads``).

Every contender first computes the same output and gradients (checked); then each
repeat times a few passes of each, interleaved so that drifts in machine load hit all
alike. Figures: the median over repeats of the time per pass, with the fastest and
slowest repeat, and the engine's ratio to each other contender (median of the
per-repeat ratios).
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

LAYERS = {  # name: (batch, in, size, out, kernel, padding, input needs a gradient)
    "lenet1": (64, 1, 28, 6, 5, 0, False),
    "lenet2": (64, 6, 12, 16, 5, 0, True),
    "conv3x3": (128, 32, 14, 64, 3, 1, True),
}
QUICK = {"lenet1": (4, 1, 12, 2, 5, 0, False), "lenet2": (4, 2, 8, 3, 5, 0, True),
         "conv3x3": (4, 3, 6, 4, 3, 1, True)}

Pass = Callable[[], tuple[np.ndarray, ...]]


# ---- the hand-written NumPy passes ---------------------------------------------------------

def numpy_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray, pad: int,
               need_dx: bool) -> tuple[np.ndarray, ...]:
    """Forward and backward of a stride-1 convolution, as the engine computes it: the
    input copied to (C, H, W, N), its windows copied into columns (C*k*k, Ho*Wo*N),
    one product; in backward two products and the k*k strided adds of col2im."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    ho, wo = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    xt = np.zeros((c, h + 2 * pad, wd + 2 * pad, n), x.dtype)
    xt[:, pad:pad + h, pad:pad + wd] = x.transpose(1, 2, 3, 0)
    s = xt.strides
    cols = as_strided(xt, (c, k, k, ho, wo, n), (s[0], s[1], s[2], s[1], s[2], s[3]))
    cols = cols.reshape(c * k * k, -1)
    w2 = w.reshape(o, -1)
    out = w2 @ cols
    out += b[:, None]
    out = np.ascontiguousarray(out.reshape(o, ho, wo, n).transpose(3, 0, 1, 2))
    gt = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).reshape(o, -1)
    db = gt.sum(axis=1)
    dw = (gt @ cols.T).reshape(w.shape)
    if not need_dx:
        return out, dw, db
    dcols = (w2.T @ gt).reshape(c, k, k, ho, wo, n)
    dxt = np.zeros_like(xt)
    for i in range(k):
        for j in range(k):
            dxt[:, i:i + ho, j:j + wo] += dcols[:, i, j]
    dx = np.ascontiguousarray(dxt[:, pad:pad + h, pad:pad + wd].transpose(3, 0, 1, 2))
    return out, dw, db, dx


def numpy_conv_per_sample(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray, pad: int,
                          need_dx: bool) -> tuple[np.ndarray, ...]:
    """The textbook im2col: columns (N, C*k*k, Ho*Wo) per sample, batched products."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    ho, wo = xp.shape[2] - k + 1, xp.shape[3] - k + 1
    s = xp.strides
    cols = as_strided(xp, (n, c, k, k, ho, wo), s[:2] + s[2:] + s[2:]).reshape(n, c * k * k, ho * wo)
    w2 = w.reshape(o, -1)
    out = (np.matmul(w2, cols) + b[:, None]).reshape(n, o, ho, wo)
    g3 = g.reshape(n, o, -1)
    db = g3.sum(axis=(0, 2))
    dw = np.matmul(g3, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    if not need_dx:
        return out, dw, db
    dcols = np.matmul(w2.T, g3).reshape(n, c, k, k, ho, wo)
    dxp = np.zeros(xp.shape, x.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + ho, j:j + wo] += dcols[:, :, i, j]
    return out, dw, db, dxp[:, :, pad:pad + h, pad:pad + wd]


def numpy_maxpool(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
    """2x2 max pooling and its gradient (to each window's first maximum) by reshaping."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    win = win.reshape(n, c, h // 2, w // 2, 4)
    arg = win.argmax(axis=-1)
    out = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    dwin = (arg[..., None] == np.arange(4)) * g[..., None]
    dx = dwin.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)
    return out, dx


# ---- the contenders, as passes over one layer --------------------------------------------------

def conv_passes(spec: tuple, torch: Any) -> dict[str, Pass]:
    n, c, size, o, k, pad, need_dx = spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    w = (rng.standard_normal((o, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    out_size = size + 2 * pad - k + 1
    g = rng.standard_normal((n, o, out_size, out_size), dtype=np.float32)
    X = al.Tensor(x, requires_grad=need_dx)
    W, B = al.Tensor(w, requires_grad=True), al.Tensor(b, requires_grad=True)

    def engine() -> tuple[np.ndarray, ...]:
        X.grad = W.grad = B.grad = None
        out = al.conv2d(X, W, B, padding=pad)
        out.backward(g)
        return (out.data, W.grad, B.grad) + ((X.grad,) if need_dx else ())

    passes = {"engine": engine,
              "numpy": lambda: numpy_conv(x, w, b, g, pad, need_dx),
              "numpy-ps": lambda: numpy_conv_per_sample(x, w, b, g, pad, need_dx)}
    if torch is not None:
        tx, tw, tb = (torch.tensor(a, requires_grad=r) for a, r in ((x, need_dx), (w, True), (b, True)))
        tg = torch.tensor(g)

        def torch_pass() -> tuple[np.ndarray, ...]:
            tx.grad = tw.grad = tb.grad = None
            out = torch.nn.functional.conv2d(tx, tw, tb, padding=pad)
            out.backward(tg)
            results = (out, tw.grad, tb.grad) + ((tx.grad,) if need_dx else ())
            return tuple(t.detach().numpy() for t in results)
        passes["torch"] = torch_pass
    return passes


def pool_passes(shape: tuple[int, ...], torch: Any) -> dict[str, Pass]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape, dtype=np.float32)
    g = rng.standard_normal(shape[:2] + (shape[2] // 2, shape[3] // 2), dtype=np.float32)
    X = al.Tensor(x, requires_grad=True)

    def engine() -> tuple[np.ndarray, ...]:
        X.grad = None
        out = al.max_pool2d(X, 2)
        out.backward(g)
        return out.data, X.grad

    passes = {"engine": engine, "numpy-ps": lambda: numpy_maxpool(x, g)}
    if torch is not None:
        tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g)

        def torch_pass() -> tuple[np.ndarray, ...]:
            tx.grad = None
            out = torch.nn.functional.max_pool2d(tx, 2)
            out.backward(tg)
            return out.detach().numpy(), tx.grad.numpy()
        passes["torch"] = torch_pass
    return passes


def measure(passes: dict[str, Pass], repeats: int, steps: int) -> dict[str, dict[str, float]]:
    """Check that every contender computes the same, then time them interleaved."""
    want = passes["engine"]()
    for name, fn in passes.items():
        for a, b in zip(fn(), want, strict=True):
            scale = float(np.abs(b).max(initial=1.0))
            if not np.allclose(a, b, rtol=1e-3, atol=1e-4 * scale):
                raise AssertionError(f"{name} disagrees with the engine (max difference "
                                     f"{float(np.abs(a - b).max())})")
        fn()  # warm up
    times: dict[str, list[float]] = {name: [] for name in passes}
    for _ in range(repeats):
        for name, fn in passes.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                fn()
            times[name].append((time.perf_counter() - t0) / steps * 1e3)
    res = {name: {"ms": statistics.median(t), "min": min(t), "max": max(t)} for name, t in times.items()}
    for name in passes:
        ratios = [e / t for e, t in zip(times["engine"], times[name])]
        res[name]["engine_ratio"] = statistics.median(ratios)
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes: check it runs, ignore the figures")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats per layer (default 15)")
    ap.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    ap.add_argument("--torch-threads", type=int, default=2, help="torch's intra-op threads (default 2)")
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
    print(f"float32; NumPy BLAS threads: {threads} (of {os.cpu_count()} CPUs); "
          + (f"torch: {args.torch_threads} threads" if torch is not None else "torch: not installed"))
    layers = QUICK if args.quick else LAYERS
    results: dict[str, Any] = {}
    jobs = [(name, conv_passes(spec, torch), spec) for name, spec in layers.items()]
    pool_shape = (4, 2, 8, 8) if args.quick else (64, 6, 24, 24)
    jobs.append(("maxpool", pool_passes(pool_shape, torch), pool_shape))
    for name, passes, spec in jobs:
        steps = 1 if args.quick else max(1, int(0.05 / max(1e-4, _one(passes["engine"]))))
        res = results[name] = measure(passes, repeats, steps)
        print(f"{name} {spec}: forward + backward, median (min-max) over {repeats} repeats of {steps}")
        for who, r in res.items():
            ratio = "" if who == "engine" else f"   engine / {who} = {r['engine_ratio']:.2f}"
            print(f"  {who:9s} {r['ms']:8.3f} ms ({r['min']:.3f}-{r['max']:.3f}){ratio}")
    return results


def _one(fn: Pass) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
