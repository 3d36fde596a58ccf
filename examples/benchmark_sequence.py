"""How fast are nn.LSTM, nn.GRU and nn.MultiheadAttention? Forward + backward, against
PyTorch on the CPU (2 threads) and, for the LSTM, against the same network written by
hand in NumPy (forward and backpropagation through time, no graph).

Every contender runs once per round, rounds interleaved, so that a slow moment of a
shared machine hits them all alike; the table gives the median over rounds with the
25th-75th percentile spread, and each median's ratio to PyTorch's.

    python examples/benchmark_sequence.py [--rounds 30] [--threads 2] [--quick]

NumPy's BLAS threads are set before NumPy starts, by the environment:
``OPENBLAS_NUM_THREADS=1 python examples/benchmark_sequence.py --threads 1`` compares
one thread with one thread.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Callable

import numpy as np

import autograd_lite as al
import nn


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def numpy_lstm(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray,
               b_hh: np.ndarray, g_out: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """A one-layer LSTM by hand: the outputs (T, N, H) for x (T, N, I) from zero states,
    and the gradients of ``sum(g_out * outputs)`` for w_ih, w_hh, b_ih, b_hh.

    Forward: a_t = x_t W_ih^T + h_{t-1} W_hh^T + b; [i, f, g, o] = sigma, sigma, tanh,
    sigma of a_t's quarters; c_t = f c_{t-1} + i g; h_t = o tanh(c_t). Backward walks t
    from T-1 to 0 carrying dh and dc (backpropagation through time).
    """
    T, N, _ = x.shape
    H = w_hh.shape[1]
    hs = np.zeros((T + 1, N, H), x.dtype)
    cs = np.zeros((T + 1, N, H), x.dtype)
    acts = np.empty((T, N, 4 * H), x.dtype)
    tcs = np.empty((T, N, H), x.dtype)
    b = b_ih + b_hh
    for t in range(T):
        a = x[t] @ w_ih.T + hs[t] @ w_hh.T + b
        a[:, :2 * H] = _sigmoid(a[:, :2 * H])
        a[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
        a[:, 3 * H:] = _sigmoid(a[:, 3 * H:])
        i, f, gg, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        cs[t + 1] = f * cs[t] + i * gg
        tcs[t] = np.tanh(cs[t + 1])
        hs[t + 1] = o * tcs[t]
        acts[t] = a
    dw_ih, dw_hh, db = np.zeros_like(w_ih), np.zeros_like(w_hh), np.zeros_like(b)
    dh, dc = np.zeros((N, H), x.dtype), np.zeros((N, H), x.dtype)
    da = np.empty((N, 4 * H), x.dtype)
    for t in range(T - 1, -1, -1):
        a = acts[t]
        i, f, gg, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        dh = dh + g_out[t]
        dc = dc + dh * o * (1 - tcs[t] ** 2)
        da[:, :H] = dc * gg * i * (1 - i)
        da[:, H:2 * H] = dc * cs[t] * f * (1 - f)
        da[:, 2 * H:3 * H] = dc * i * (1 - gg ** 2)
        da[:, 3 * H:] = dh * tcs[t] * o * (1 - o)
        dw_ih += da.T @ x[t]
        dw_hh += da.T @ hs[t]
        db += da.sum(axis=0)
        dh = da @ w_hh
        dc = dc * f
    return hs[1:], [dw_ih, dw_hh, db, db.copy()]


def _rounds(contenders: dict[str, Callable[[], None]], rounds: int) -> dict[str, np.ndarray]:
    for fn in contenders.values():  # warm up: first calls allocate and fill caches
        fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: np.array(v) * 1e3 for name, v in times.items()}


def _report(title: str, results: dict[str, np.ndarray], baseline: str | None) -> None:
    print(f"\n{title}")
    print(f"  {'':<36}{'median ms':>10}{'p25-p75 ms':>16}{'min ms':>9}{'vs torch':>10}")
    base = np.median(results[baseline]) if baseline in results else None
    for name, v in results.items():
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        ratio = f"{med / base:>9.2f}x" if base else f"{'-':>10}"
        print(f"  {name:<36}{med:>10.2f}{q1:>8.2f}-{q3:<7.2f}{v.min():>9.2f}{ratio}")


def recurrent(kind: str, T: int, N: int, I: int, H: int, rounds: int,
              torch) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    g = rng.standard_normal((T, N, H)).astype(np.float32)
    ours = getattr(nn, kind)(I, H)

    def engine() -> None:
        out, _ = ours(x)
        out.backward(g)

    contenders = {f"autograd_lite nn.{kind}": engine}
    if kind == "LSTM":
        w = [p.data for p in ours.parameters()]
        contenders["NumPy by hand"] = lambda: numpy_lstm(x, *w, g)
    if torch is not None:
        theirs = getattr(torch.nn, kind)(I, H)
        xt, gt = torch.from_numpy(x), torch.from_numpy(g)

        def pytorch() -> None:
            out, _ = theirs(xt)
            out.backward(gt)
        contenders[f"torch.nn.{kind}"] = pytorch
    results = _rounds(contenders, rounds)
    _report(f"{kind}: T={T}, N={N}, input {I}, hidden {H}, float32, forward + backward",
            results, f"torch.nn.{kind}")
    return results


def attention(N: int, L: int, E: int, heads: int, rounds: int, torch) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, L, E)).astype(np.float32)
    g = rng.standard_normal((N, L, E)).astype(np.float32)
    ours = nn.MultiheadAttention(E, heads, batch_first=True)
    contenders: dict[str, Callable[[], None]] = {}
    for need in (True, False):
        def engine(need: bool = need) -> None:
            xa = al.tensor(x, requires_grad=True)
            out, _ = ours(xa, xa, xa, need_weights=need)
            out.backward(g)
        contenders[f"autograd_lite need_weights={need}"] = engine
        if torch is not None:
            theirs = torch.nn.MultiheadAttention(E, heads, batch_first=True)
            gt = torch.from_numpy(g)

            def pytorch(need: bool = need, theirs=theirs) -> None:
                xt = torch.from_numpy(x).requires_grad_()
                out, _ = theirs(xt, xt, xt, need_weights=need)
                out.backward(gt)
            contenders[f"torch need_weights={need}"] = pytorch
    results = _rounds(contenders, rounds)
    title = f"MultiheadAttention: N={N}, L={L}, E={E}, {heads} heads, self-attention, float32"
    for need in (True, False):
        _report(f"{title}, need_weights={need}",
                {k: v for k, v in results.items() if k.endswith(str(need))},
                f"torch need_weights={need}")
    return results


def main(argv: list[str] | None = None) -> dict[str, dict[str, np.ndarray]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds per table")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's CPU threads")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check it runs")
    args = parser.parse_args(argv)
    # PyTorch's OpenMP threads otherwise spin for a while after each op, taking the
    # cores from the NumPy code timed next in this process (on the shared 2-core
    # machine the NumPy LSTM took 0.8-1 s instead of ~0.1 s). Read when torch loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print("PyTorch is not installed: no comparison with it")
    blas = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    print(f"threads: PyTorch {args.threads if torch else '-'}, NumPy's BLAS {blas} "
          f"(of {os.cpu_count()} CPUs); load average {os.getloadavg()[0]:.1f}")
    rounds = 2 if args.quick else args.rounds
    T, N, I, H = (4, 3, 5, 6) if args.quick else (50, 32, 64, 128)
    results = {kind: recurrent(kind, T, N, I, H, rounds, torch) for kind in ("LSTM", "GRU")}
    n, L, E, h = (2, 3, 8, 2) if args.quick else (32, 64, 128, 8)
    results["MultiheadAttention"] = attention(n, L, E, h, rounds, torch)
    return results


if __name__ == "__main__":
    main()
