"""The perceptron learns AND and OR but not XOR; a two-layer MLP learns XOR.

Rosenblatt's rule converges whenever a line separates the classes (the perceptron
convergence theorem). AND and OR are separable; XOR is not: no line puts (0, 1) and
(1, 0) on one side and (0, 0), (1, 1) on the other, so the rule cycles forever. A
hidden layer bends the space: two hidden units can compute OR and NAND, and the
output unit their AND, which is XOR.

    python examples/xor.py [--epochs 100] [--hidden 4] [--steps 500]
"""

from __future__ import annotations

import argparse

import numpy as np

import autograd_lite as al
import nn

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
GATES = {"AND": np.array([0, 0, 0, 1]), "OR": np.array([0, 1, 1, 1]),
         "XOR": np.array([0, 1, 1, 0])}


def perceptron(gate: str, epochs: int) -> dict:
    """Train Rosenblatt's perceptron on one gate."""
    p = nn.Perceptron(2).fit(X, GATES[gate], epochs=epochs)
    accuracy = float(np.mean(p.predict(X) == GATES[gate]))
    return {"converged": p.converged_, "epochs": len(p.errors_), "accuracy": accuracy,
            "mistakes": p.errors_}


def mlp_xor(hidden: int, steps: int, seed: int) -> dict:
    """Train a 2 -> hidden -> 1 tanh MLP on XOR with Adam and binary cross-entropy."""
    nn.manual_seed(seed)
    model = nn.MLP([2, hidden, 1], activation="tanh")
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    target = GATES["XOR"].astype(np.float32)[:, None]
    for _ in range(steps):
        loss = nn.functional.binary_cross_entropy_with_logits(model(X), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with al.no_grad():
        predicted = (model(X).data[:, 0] > 0).astype(int)
    return {"loss": loss.item(), "predicted": predicted.tolist(),
            "accuracy": float(np.mean(predicted == GATES["XOR"]))}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=100, help="perceptron passes at most")
    parser.add_argument("--hidden", type=int, default=4, help="hidden units of the MLP")
    parser.add_argument("--steps", type=int, default=500, help="Adam steps for the MLP")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    results = {}
    for gate in GATES:
        r = results[gate] = perceptron(gate, args.epochs)
        verdict = (f"converged after {r['epochs']} passes" if r["converged"] else
                   f"did NOT converge in {r['epochs']} passes (mistakes per pass: "
                   f"{r['mistakes'][:6]}...)")
        print(f"perceptron on {gate:<3}: {verdict}; accuracy {100 * r['accuracy']:.0f}%")
    r = results["MLP XOR"] = mlp_xor(args.hidden, args.steps, args.seed)
    print(f"MLP 2-{args.hidden}-1 on XOR: predictions {r['predicted']} (want "
          f"{GATES['XOR'].tolist()}), loss {r['loss']:.4f}, accuracy {100 * r['accuracy']:.0f}%")
    return results


if __name__ == "__main__":
    main()
