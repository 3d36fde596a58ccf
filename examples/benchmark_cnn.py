"""How fast does the engine train a CNN, and in how much memory? Three parts, in one process:

* ``steps``: one float32 training step (forward, backward, SGD update) of three networks
  through ``nn``, against the same step in PyTorch (CPU, 2 threads) and written by hand
  in NumPy;
* ``layers``: forward + backward of single convolution and pooling layers through
  ``al.conv2d`` / ``al.max_pool2d``, against the same algorithm by hand, the textbook
  per-sample im2col, and PyTorch;
* ``memory``: a 1,000-step LeNet-5 training loop (with BatchNorm2d, Adam), its peak
  traced memory (``tracemalloc``) at steps 10, 100, 500 and 1,000.

    python examples/benchmark_cnn.py            # a few minutes on a quiet machine
    python examples/benchmark_cnn.py --quick    # seconds: checks that it runs, not the figures
    OPENBLAS_NUM_THREADS=1 python examples/benchmark_cnn.py --torch-threads 1   # one core each
    python examples/benchmark_cnn.py --keep-freed 256   # glibc keeps 256 MB of freed heap
    python examples/benchmark_cnn.py --parts steps --nets lenet5-bn            # one part, one net

On a machine shared with other work, two BLAS threads wait for each other whenever the
other core is busy, and the two-thread figures swing by 10x or more; one thread each
gives steadier ratios.

``--keep-freed MB`` asks glibc's malloc to keep that much freed memory (``mallopt(M_TOP_PAD)``,
the same as ``MALLOC_TOP_PAD_`` in the environment) instead of handing the top of its heap
back to the kernel after each step; the next step then reuses those pages rather than
taking fresh ones, each zero-filled by a page fault. The engine's convolutions allocate
tens of megabytes per step, PyTorch's far less, so this changes the engine's figures most.

Networks (input 1x28x28, softmax cross-entropy, SGD lr 0.01):

* ``lenet5``, batch 64: ``nn.models.LeNet()``: 5x5 conv 1->6 (padding 2), ReLU, 2x2 max
  pool, 5x5 conv 6->16, ReLU, 2x2 max pool, Linear 400->120->84->10 with ReLUs;
* ``lenet5-bn``, batch 64: ``nn.models.LeNet(batch_norm=True)``, what ``autograd-lite mnist
  --model cnn`` trains: the same with a BatchNorm2d after each (bias-free) convolution;
* ``wide``, batch 128: 3x3 conv 1->32 (padding 1), ReLU, 2x2 max pool, 3x3 conv 32->64
  (padding 1), ReLU, 2x2 max pool, Linear 3136->10.

Layers: ``lenet1`` (batch 64, 1 -> 6 channels, 5x5 on 28x28, no input gradient),
``lenet2`` (batch 64, 6 -> 16, 5x5 on 12x12), ``conv3x3`` (batch 128, 32 -> 64, 3x3 with
padding 1 on 14x14), ``maxpool`` (2x2 of lenet1's output, (64, 6, 24, 24)).

Contenders: ``engine`` (the nn model, ``al.cross_entropy``, ``nn.optim.SGD``; for layers
``al.conv2d`` then ``backward``); ``numpy``, the same computation written by hand with the
engine's convolution algorithm (im2col on a batch-last copy, one BLAS product; col2im by
strided adds) and no graph: the floor the engine's own overhead is measured against;
``numpy-ps`` (layers only), the textbook im2col with per-sample ``(N, C*kH*kW, Ho*Wo)``
columns and batched products; ``torch``, the same in PyTorch. All start from the same
weights and must give the same loss and updated weights (or outputs and gradients)
before any timing. Each repeat times a few steps of each contender in turn
(interleaved, so that changes in machine load hit all alike); the figures are medians
over repeats with the fastest and slowest repeat, and the engine's ratio to each other
contender is the median of the per-repeat ratios.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import time
import tracemalloc
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

import autograd_lite as al
import nn

LR = 0.01
Step = Callable[[], Any]
PARTS = ("steps", "layers", "memory")


# ---- the networks' layer lists: ("conv", out, k, pad[, bias]) | ("bn",) | ("pool",) | ("relu",)
#      | ("flatten",) | ("fc", out)

NETS = {
    "lenet5": (64, [("conv", 6, 5, 2), ("relu",), ("pool",), ("conv", 16, 5, 0), ("relu",),
                    ("pool",), ("flatten",), ("fc", 120), ("relu",), ("fc", 84), ("relu",),
                    ("fc", 10)]),
    "lenet5-bn": (64, [("conv", 6, 5, 2, False), ("bn",), ("relu",), ("pool",),
                       ("conv", 16, 5, 0, False), ("bn",), ("relu",), ("pool",), ("flatten",),
                       ("fc", 120), ("relu",), ("fc", 84), ("relu",), ("fc", 10)]),
    "wide": (128, [("conv", 32, 3, 1), ("relu",), ("pool",), ("conv", 64, 3, 1), ("relu",),
                   ("pool",), ("flatten",), ("fc", 10)]),
}


def build(lib: Any, spec: list[tuple]) -> Any:
    """The network of ``spec`` from ``lib`` (``nn`` or ``torch.nn``: the same names)."""
    layers: list[Any] = []
    c, size = 1, 28
    for kind, *a in spec:
        if kind == "conv":
            layers.append(lib.Conv2d(c, a[0], a[1], padding=a[2], bias=a[3] if len(a) > 3 else True))
            c, size = a[0], size + 2 * a[2] - a[1] + 1
        elif kind == "bn":
            layers.append(lib.BatchNorm2d(c))
        elif kind == "pool":
            layers.append(lib.MaxPool2d(2))
            size //= 2
        elif kind == "relu":
            layers.append(lib.ReLU())
        elif kind == "flatten":
            layers.append(lib.Flatten())
            c = c * size * size
        else:
            layers.append(lib.Linear(c, a[0]))
            c = a[0]
    return lib.Sequential(*layers)


def nn_model(spec: list[tuple]) -> nn.Module:
    if spec == NETS["lenet5"][1]:
        return nn.models.LeNet()
    if spec == NETS["lenet5-bn"][1]:
        return nn.models.LeNet(batch_norm=True)
    return build(nn, spec)


# ---- the step written by hand in NumPy -----------------------------------------------------

def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, pad: int) -> tuple[np.ndarray, Any]:
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
    if b is not None:
        out += b[:, None]
    out = np.ascontiguousarray(out.reshape(o, ho, wo, n).transpose(3, 0, 1, 2))
    return out, (cols, xt.shape, x.shape, pad)


def conv_backward(g: np.ndarray, w: np.ndarray, cache: Any, need_dx: bool) -> tuple:
    """(dx or None, dw, db) by the engine's algorithm: two products, k*k strided adds."""
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


def conv_per_sample(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray, pad: int,
                    need_dx: bool) -> tuple[np.ndarray, ...]:
    """The textbook im2col, forward and backward: columns (N, C*k*k, Ho*Wo) per sample,
    batched products."""
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


def bn_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-5) -> tuple:
    """Batch normalisation over (N, H, W) with the batch's statistics, as in textbooks."""
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    d = x - mean
    invstd = 1 / np.sqrt((d * d).mean(axis=(0, 2, 3), keepdims=True) + eps)
    xhat = d * invstd
    return xhat * w[:, None, None] + b[:, None, None], (xhat, invstd, w)


def bn_backward(g: np.ndarray, cache: Any) -> tuple:
    xhat, invstd, w = cache
    m = g.size // g.shape[1]
    db, dw = g.sum(axis=(0, 2, 3)), (g * xhat).sum(axis=(0, 2, 3))
    dx = (w[:, None, None] * invstd) * (g - db[:, None, None] / m - xhat * (dw[:, None, None] / m))
    return dx, dw, db


def numpy_step(spec: list[tuple], params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """One SGD step of the network by hand; updates ``params`` (in the model's order)."""
    caches, a, p = [], x, 0
    for kind, *arg in spec:
        if kind == "conv":
            bias = arg[3] if len(arg) > 3 else True
            a, cache = conv_forward(a, params[p], params[p + 1] if bias else None, arg[2])
            p += 1 + bias
        elif kind == "bn":
            a, cache = bn_forward(a, params[p], params[p + 1])
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
            bias = spec[i][4] if len(spec[i]) > 4 else True
            p -= 1 + bias
            g, dw, db = conv_backward(g, params[p], cache, need_dx=i > 0)
            grads += [(p, dw)] + ([(p + 1, db)] if bias else [])
        elif kind == "bn":
            p -= 2
            g, dw, db = bn_backward(g, cache)
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


# ---- steps: the three contenders -----------------------------------------------------------

def contenders(name: str, torch: Any, batch: int | None = None) -> dict[str, Step]:
    n, spec = NETS[name]
    n = batch or n
    rng = np.random.default_rng(0)
    x = rng.random((n, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n)
    nn.manual_seed(0)
    model = nn_model(spec)
    opt = nn.optim.SGD(model.parameters(), lr=LR)
    start = {k: np.array(v) for k, v in model.state_dict().items()}
    params = [p.data.copy() for p in model.parameters()]

    def engine() -> float:
        loss = al.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()

    steps = {"engine": engine, "numpy": lambda: numpy_step(spec, params, x, y)}
    if torch is not None:
        net = build(torch.nn, spec)
        # Our state dict under the torch Sequential's names (same order, same shapes).
        net.load_state_dict({k: torch.from_numpy(v) for k, v in zip(net.state_dict(), start.values())})
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


# ---- layers: one convolution or pooling layer, forward + backward --------------------------

LAYERS = {  # name: (batch, in, size, out, kernel, padding, input needs a gradient)
    "lenet1": (64, 1, 28, 6, 5, 0, False),
    "lenet2": (64, 6, 12, 16, 5, 0, True),
    "conv3x3": (128, 32, 14, 64, 3, 1, True),
}
QUICK_LAYERS = {"lenet1": (4, 1, 12, 2, 5, 0, False), "lenet2": (4, 2, 8, 3, 5, 0, True),
                "conv3x3": (4, 3, 6, 4, 3, 1, True)}


def conv_passes(spec: tuple, torch: Any) -> dict[str, Step]:
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

    def by_hand() -> tuple[np.ndarray, ...]:
        out, cache = conv_forward(x, w, b, pad)
        dx, dw, db = conv_backward(g, w, cache, need_dx)
        return (out, dw, db) + ((dx,) if need_dx else ())

    passes = {"engine": engine, "numpy": by_hand,
              "numpy-ps": lambda: conv_per_sample(x, w, b, g, pad, need_dx)}
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


def pool_passes(shape: tuple[int, ...], torch: Any) -> dict[str, Step]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape, dtype=np.float32)
    g = rng.standard_normal(shape[:2] + (shape[2] // 2, shape[3] // 2), dtype=np.float32)
    X = al.Tensor(x, requires_grad=True)

    def engine() -> tuple[np.ndarray, ...]:
        X.grad = None
        out = al.max_pool2d(X, 2)
        out.backward(g)
        return out.data, X.grad

    def by_hand() -> tuple[np.ndarray, ...]:
        out, cache = pool_forward(x)
        return out, pool_backward(g, cache)

    passes = {"engine": engine, "numpy": by_hand}
    if torch is not None:
        tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g)

        def torch_pass() -> tuple[np.ndarray, ...]:
            tx.grad = None
            out = torch.nn.functional.max_pool2d(tx, 2)
            out.backward(tg)
            return out.detach().numpy(), tx.grad.numpy()
        passes["torch"] = torch_pass
    return passes


def check_passes(passes: dict[str, Step]) -> None:
    """Every contender computes the engine's output and gradients."""
    want = passes["engine"]()
    for name, fn in passes.items():
        for a, b in zip(fn(), want, strict=True):
            scale = float(np.abs(b).max(initial=1.0))
            if not np.allclose(a, b, rtol=1e-3, atol=1e-4 * scale):
                raise AssertionError(f"{name} disagrees with the engine (max difference "
                                     f"{float(np.abs(a - b).max())})")


# ---- timing, interleaved --------------------------------------------------------------------

def measure(fns: dict[str, Step], repeats: int, per: int) -> dict[str, dict[str, float]]:
    """Each repeat times ``per`` calls of each contender in turn: median ms per call,
    fastest and slowest repeat, and the median per-repeat ratio engine / contender."""
    timed = {k: f for k, f in fns.items() if not k.startswith("_")}
    for f in timed.values():  # warm up
        f()
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


def _per(fn: Step, budget: float) -> int:
    """How many calls of ``fn`` fill about ``budget`` seconds (at least one)."""
    t0 = time.perf_counter()
    fn()
    return max(1, int(budget / max(1e-4, time.perf_counter() - t0)))


def _print(title: str, res: dict[str, dict[str, float]]) -> None:
    print(title)
    for who, r in res.items():
        ratio = "" if who == "engine" else f"   engine / {who} = {r['engine_ratio']:.2f}"
        print(f"  {who:9s} {r['ms']:8.2f} ms ({r['min']:.2f}-{r['max']:.2f}){ratio}")


# ---- memory: a long training loop --------------------------------------------------------------

def memory_loop(steps: int = 1000, batch: int = 64,
                marks: tuple[int, ...] = (10, 100, 500, 1000)) -> dict[int, dict[str, float]]:
    """Train ``LeNet(batch_norm=True)`` with Adam for ``steps`` steps on a cycle of eight
    random batches, tracing allocations: at each mark, the peak traced memory since the
    previous mark, what is still allocated (after a garbage collection), and the
    process's peak resident size so far (all MB). A loop that keeps something per step
    (a graph, a list of losses as Tensors) shows as a peak growing from mark to mark."""
    rng = np.random.default_rng(0)
    data = [(rng.random((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch))
            for _ in range(8)]
    nn.manual_seed(0)
    model = nn.models.LeNet(batch_norm=True)
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    report: dict[int, dict[str, float]] = {}
    tracemalloc.start()
    try:
        for i in range(1, steps + 1):
            x, y = data[i % len(data)]
            loss = al.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            del loss
            if i in marks or i == steps:
                peak = tracemalloc.get_traced_memory()[1]
                gc.collect()  # cyclic garbage not yet collected is not kept memory
                current = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
                report[i] = {"peak": peak / 2**20, "current": current / 2**20, "max_rss": rss}
    finally:
        tracemalloc.stop()
    return report


def keep_freed(nbytes: int) -> bool:
    """glibc's ``mallopt(M_TOP_PAD, nbytes)`` for this process; False where there is none."""
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(-2, nbytes) == 1  # -2 is M_TOP_PAD in <malloc.h>


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, two repeats: check it runs")
    ap.add_argument("--parts", default=",".join(PARTS),
                    help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all)")
    ap.add_argument("--nets", default=",".join(NETS),
                    help=f"comma-separated networks for steps, of {', '.join(NETS)} (default: all)")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats (default 15)")
    ap.add_argument("--memory-steps", type=int, default=None,
                    help="steps of the memory loop (default 1000; 20 with --quick)")
    ap.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    ap.add_argument("--torch-threads", type=int, default=2, help="torch's threads (default 2)")
    ap.add_argument("--keep-freed", type=int, default=0, metavar="MB",
                    help="ask glibc's malloc to keep MB of freed heap (M_TOP_PAD; default: "
                         "malloc's own setting)")
    args = ap.parse_args(argv)
    kept = keep_freed(args.keep_freed * 2**20) if args.keep_freed else None
    parts, nets = args.parts.split(","), args.nets.split(",")
    for given, known, what in ((parts, PARTS, "--parts"), (nets, tuple(NETS), "--nets")):
        if not set(given) <= set(known):
            ap.error(f"{what}: unknown {sorted(set(given) - set(known))}; choose from {', '.join(known)}")
    repeats = args.repeats or (2 if args.quick else 15)
    torch = None
    if not args.no_torch and parts != ["memory"]:
        try:
            import torch
            torch.set_num_threads(args.torch_threads)
        except ImportError:
            pass
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"float32; NumPy BLAS threads: {threads} (of {os.cpu_count()} CPUs); "
          + (f"torch: {args.torch_threads} threads" if torch is not None else "torch: not used")
          + f"; load average {load:.1f}"
          + ("" if kept is None else f"; malloc keeps {args.keep_freed} MB freed"
             + ("" if kept else " (refused: not glibc?)")))
    results: dict[str, Any] = {}
    if "steps" in parts:
        for name in nets:
            batch = 4 if args.quick else None
            steps = contenders(name, torch, batch)
            check(steps)
            per = 1 if args.quick else _per(steps["engine"], 0.25)
            res = results[name] = measure(steps, repeats, per)
            _print(f"{name} (batch {batch or NETS[name][0]}): training step, ms, median (min-max) "
                   f"over {repeats} repeats of {per}", res)
    if "layers" in parts:
        jobs = [(name, conv_passes(spec, torch), spec)
                for name, spec in (QUICK_LAYERS if args.quick else LAYERS).items()]
        pool_shape = (4, 2, 8, 8) if args.quick else (64, 6, 24, 24)
        jobs.append(("maxpool", pool_passes(pool_shape, torch), pool_shape))
        for name, passes, spec in jobs:
            check_passes(passes)
            per = 1 if args.quick else _per(passes["engine"], 0.05)
            res = results[name] = measure(passes, repeats, per)
            _print(f"{name} {spec}: forward + backward, ms, median (min-max) over {repeats} "
                   f"repeats of {per}", res)
    if "memory" in parts:
        n = args.memory_steps or (20 if args.quick else 1000)
        batch = 8 if args.quick else 64
        t0 = time.perf_counter()
        mem = results["memory"] = memory_loop(n, batch)
        print(f"memory: LeNet-5 with BatchNorm2d, Adam, batch {batch}, {n} steps traced "
              f"({time.perf_counter() - t0:.0f} s); MB")
        for i, m in mem.items():
            print(f"  step {i:5d}: peak since the last mark {m['peak']:7.2f}, allocated "
                  f"{m['current']:6.2f}, process max RSS {m['max_rss']:7.1f}")
    return results


if __name__ == "__main__":
    main()
