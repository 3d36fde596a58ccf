"""The convolution lesson's numbers, read off the layers themselves.

    python examples/conv_arithmetic.py

1. The output-size rule ``floor((W - F + 2P) / S) + 1``: for a few input widths W,
   kernel sizes F, paddings P and strides S, the formula's value next to the width of
   what ``nn.Conv2d`` actually returns, and (for an impossible combination) the error
   it raises.
2. The parameter count ``F * F * C_in * C_out + C_out``: a 3x3 convolution from 64 to
   128 channels has 73,856 parameters, counted from ``conv.parameters()``; against a
   fully connected layer between the same two 32x32 feature maps.
"""

from __future__ import annotations

import argparse
from typing import Sequence

import numpy as np

import nn

# (W, F, P, S): the lesson's examples (a 7x7 input, a 3x3 filter; 32x32 with 5x5) and a
# "same" convolution, a stride-2 downsampling and a kernel that does not fit.
CASES = [(7, 3, 0, 1), (7, 3, 0, 2), (7, 3, 1, 1), (32, 5, 0, 1), (32, 5, 2, 1), (28, 5, 2, 1),
         (227, 11, 0, 4), (224, 3, 1, 2), (5, 7, 0, 1)]


def output_sizes(cases: Sequence[tuple[int, int, int, int]] = CASES) -> list[dict]:
    """For each (W, F, P, S): the formula's size and the layer's (None where the layer
    refuses, with its message)."""
    rows = []
    for w, f, p, s in cases:
        formula = (w - f + 2 * p) // s + 1
        conv = nn.Conv2d(1, 1, f, stride=s, padding=p)
        try:
            got, error = conv(np.zeros((1, 1, w, w), np.float32)).shape[-1], None
        except ValueError as e:
            got, error = None, str(e)
        rows.append({"W": w, "F": f, "P": p, "S": s, "formula": formula, "layer": got,
                     "error": error})
    return rows


def parameter_count(k: int = 3, c_in: int = 64, c_out: int = 128) -> dict:
    conv = nn.Conv2d(c_in, c_out, k)
    counted = sum(p.size for p in conv.parameters())
    return {"counted": counted, "formula": k * k * c_in * c_out + c_out,
            "weight": tuple(conv.weight.shape), "bias": tuple(conv.bias.shape)}


def main(argv: Sequence[str] | None = None) -> dict:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    rows = output_sizes()
    print("Output size: floor((W - F + 2P) / S) + 1, and what nn.Conv2d returns")
    print(f"{'W':>5} {'F':>3} {'P':>3} {'S':>3} {'formula':>8} {'layer':>6}")
    for r in rows:
        layer = r["layer"] if r["layer"] is not None else "error"
        print(f"{r['W']:>5} {r['F']:>3} {r['P']:>3} {r['S']:>3} {r['formula']:>8} {layer:>6}")
    for r in rows:
        if r["error"]:
            print(f"\nW={r['W']}, F={r['F']}: {r['error'].split(' (input shapes')[0]}")
    c = parameter_count()
    print(f"\nParameters of Conv2d(64, 128, kernel_size=3): weight {c['weight']} + bias "
          f"{c['bias']} = {c['counted']:,} (3 * 3 * 64 * 128 + 128 = {c['formula']:,})")
    dense = (32 * 32 * 64) * (32 * 32 * 128) + 32 * 32 * 128
    print(f"A fully connected layer between the same 32x32 maps would have {dense:,}: "
          f"{dense // c['counted']:,} times as many (weight sharing, local connectivity).")
    return {"sizes": rows, "params": c}


if __name__ == "__main__":
    main()
