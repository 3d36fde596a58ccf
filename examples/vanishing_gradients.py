"""The vanishing gradient, in numbers: how much does the input at step t still move the
state 50 steps later, in a vanilla RNN, an LSTM and a GRU?

Each layer (nn.RNN, nn.LSTM, nn.GRU, same sizes, PyTorch's initialisation) reads a
batch of random sequences; the loss is the sum of the last state, L = sum(h_T), and
backward gives dL/dx_t for every step. Its norm (mean over the batch) against t, on a
log scale:

* the vanilla RNN: dh_T/dh_t is a product of T - t factors W_hh^T diag(1 - h^2), so
  the gradient shrinks roughly like rho^(T-t), rho the spectral radius of W_hh (about
  0.6 at PyTorch's initialisation): W_hh^50 is about 0, and what happened more than
  ~10 steps ago no longer moves the state.
* the LSTM: along the cell state C_t = f_t C_{t-1} + i_t C~_t the gradient is only
  multiplied by the forget gates. Freshly initialised, f = sigmoid(~0) = 1/2 and it
  forgets nearly as fast; with the forget-gate bias at +3 (f = 0.95) the highway is
  open and the gradient from 50 steps back is still of the order of the last step's.
* the GRU: h_t = (1 - z) h~ + z h_{t-1} carries h forward with the update gate z.

The right panel changes only the vanilla RNN's W_hh, rescaled to spectral radius rho:
below 1 the gradient vanishes like rho^(T-t) (dotted), above 1 it explodes.

    python examples/vanishing_gradients.py [--steps 50] [--hidden 64] [--out runs/examples]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import autograd_lite as al
import nn

SHOW = (1, 10, 25, 50)  # the steps the table prints (1-based), when the sequence is that long


def gradient_norms(layer: nn.Module, x: np.ndarray) -> np.ndarray:
    """``||dL/dx_t||`` for t = 1..T (mean over the batch), L = sum(h_T) of ``layer``."""
    xs = al.tensor(x, requires_grad=True)
    out, _ = layer(xs)
    out[-1].sum().backward()
    return np.linalg.norm(xs.grad, axis=2).mean(axis=1)


def spectral_radius(w: np.ndarray) -> float:
    return float(np.abs(np.linalg.eigvals(w)).max())


def memory(norms: np.ndarray, factor: float = 1e3) -> int:
    """Steps back from the last one until the gradient is ``factor`` times smaller
    (the sequence length when it never is)."""
    small = np.nonzero(norms[::-1] < norms[-1] / factor)[0]
    return int(small[0]) if small.size else len(norms)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="sequence length T")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--input", type=int, default=16, help="features per step")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--forget-bias", type=float, default=3.0,
                        help="added to the LSTM's forget-gate bias for the 'open highway' run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/examples", help="where the plot goes")
    parser.add_argument("--quick", action="store_true", help="20 steps, 16 units")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.hidden, args.batch = 20, 16, 8
    T, H = args.steps, args.hidden
    x = np.random.default_rng(args.seed).standard_normal((T, args.batch, args.input))

    def layer(cls: type, **kw) -> nn.Module:
        return cls(args.input, H, generator=np.random.default_rng(args.seed), **kw).double()

    lstm_open = layer(nn.LSTM)
    with al.no_grad():  # gates i, f, g, o: the second quarter is the forget gate's
        lstm_open.bias_ih_l0.data[H:2 * H] += args.forget_bias
    cells = {"RNN (tanh)": layer(nn.RNN), "LSTM": layer(nn.LSTM), "GRU": layer(nn.GRU),
             f"LSTM, forget bias +{args.forget_bias:g}": lstm_open}
    norms = {name: gradient_norms(m, x) for name, m in cells.items()}
    rho0 = spectral_radius(cells["RNN (tanh)"].weight_hh_l0.data)

    steps = [t for t in SHOW if t <= T] if T >= 50 else [1, T // 4, T // 2, T]
    print(f"||dL/dx_t||, L = sum(h_{T}), mean over {args.batch} random sequences "
          f"(input {args.input}, hidden {H}, PyTorch's initialisation)")
    print(f"{'':<24}" + "".join(f"{'t = ' + str(t):>11}" for t in steps) + "   1000x smaller after")
    for name, v in norms.items():
        back = memory(v)
        print(f"{name:<24}" + "".join(f"{v[t - 1]:>11.2e}" for t in steps)
              + (f"   {back} steps back" if back < T else "   never"))
    print(f"\nvanilla RNN: W_hh has spectral radius {rho0:.3f} and norm "
          f"{np.linalg.norm(cells['RNN (tanh)'].weight_hh_l0.data, 2):.3f}; "
          f"rho^{T - 1} = {rho0 ** (T - 1):.1e}")

    rhos = sorted({0.5, round(rho0, 2), 0.9, 1.0, 1.5, 2.0})
    sweep = {}
    for rho in rhos:
        m = layer(nn.RNN)
        with al.no_grad():
            m.weight_hh_l0.data *= rho / spectral_radius(m.weight_hh_l0.data)
        sweep[rho] = gradient_norms(m, x)
    print("\nvanilla RNN with W_hh rescaled to spectral radius rho:")
    for rho, v in sweep.items():
        print(f"  rho {rho:<5g}" + "".join(f"{v[t - 1]:>11.2e}" for t in steps))

    fig = Figure(figsize=(12, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    t = np.arange(1, T + 1)
    for (name, v), style in zip(norms.items(), ["o-", "s-", "^-", "s--"]):
        left.semilogy(t, v, style, ms=3, label=f"{name} ({memory(v)} steps to 1000x smaller)"
                      if memory(v) < T else f"{name} (never 1000x smaller)")
    left.axhline(norms["RNN (tanh)"][-1] / 1e3, color="grey", lw=0.8, ls=":",
                 label="1000x below the RNN's last step")
    left.set(xlabel="step t", ylabel=f"||dL/dx_t||,  L = sum(h_{T})",
             title="How much step t still moves the last state")
    left.legend(fontsize=8)
    for k, (rho, v) in enumerate(sweep.items()):
        label = f"ρ = {rho:g}" + (" (PyTorch's init)" if rho == round(rho0, 2) else "")
        right.semilogy(t, v, "-", color=f"C{k}", label=label)
        if rho < 1:
            right.semilogy(t, v[-1] * rho ** (T - t), ":", color=f"C{k}")
    right.set(xlabel="step t", title="Vanilla RNN, W_hh rescaled to spectral radius ρ")
    right.text(0.02, 0.02, "dotted: ρ^(T-t), the decay W_hh alone gives;\n"
               "tanh' < 1 makes the real one faster", transform=right.transAxes, fontsize=8)
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(f"Gradient reaching each of {T} steps: vanilla RNN, LSTM, GRU "
                 f"(hidden {H}, PyTorch's initialisation)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "vanishing_gradients.png", dpi=100)
    print(f"\nPlot: {out / 'vanishing_gradients.png'}")
    return {"norms": norms, "rho": rho0, "sweep": sweep}


if __name__ == "__main__":
    main()
