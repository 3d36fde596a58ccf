"""Lesson models: Rosenblatt's perceptron, the MLP builder, and XOR with every optimiser.

Run as a script for the XOR table over ten seeds:
    PYTHONPATH=. python tests/nn/test_models.py
"""

import statistics

import numpy as np
import pytest

import autograd_lite as al
import nn

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
AND, OR, XOR = np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1]), np.array([0, 1, 1, 0])


# ---- Perceptron -----------------------------------------------------------------
@pytest.mark.parametrize("y", [AND, OR], ids=["AND", "OR"])
def test_perceptron_learns_and_and_or_in_under_10_epochs(y):
    p = nn.Perceptron(2, lr=0.5).fit(X, y, epochs=10)
    assert p.converged_ and len(p.errors_) < 10 and p.errors_[-1] == 0
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.predict(X).dtype == np.int64


def test_perceptron_cannot_learn_xor():
    p = nn.Perceptron(2).fit(X, XOR, epochs=100)
    assert not p.converged_ and len(p.errors_) == 100 and min(p.errors_) >= 1
    # no line separates XOR: at most 3 of the 4 points can be right
    assert (p.predict(X) == XOR).sum() <= 3


def test_perceptron_update_is_rosenblatts_rule():
    p = nn.Perceptron(2, lr=0.5)
    p.fit(X[3:], np.array([1]), epochs=1)       # one mistake on x = (1, 1), y = 1
    np.testing.assert_array_equal(p.weight.data, [0.5, 0.5])
    np.testing.assert_array_equal(p.bias.data, [0.5])
    np.testing.assert_allclose(p(X).data, X @ [0.5, 0.5] + 0.5)
    assert list(p.state_dict()) == ["weight", "bias"]


def test_perceptron_errors():
    with pytest.raises(ValueError, match=r"Perceptron.fit: y must hold 4 labels in \{0, 1\}"):
        nn.Perceptron(2).fit(X, np.array([0, 2, 1, 0]))
    with pytest.raises(ValueError, match=r"Perceptron.predict: expected X of shape \(N, 2\), got \(4, 3\)"):
        nn.Perceptron(2).predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="Perceptron: lr must be > 0"):
        nn.Perceptron(2, lr=0)


# ---- MLP builder ------------------------------------------------------------------
def test_mlp_builds_linear_layers_with_activations_between():
    m = nn.MLP([2, 8, 4, 1], activation="tanh", output_activation="sigmoid", dropout=0.1)
    kinds = [type(layer).__name__ for layer in m]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear", "Sigmoid"]
    assert [(layer.in_features, layer.out_features) for layer in m if isinstance(layer, nn.Linear)] == \
        [(2, 8), (8, 4), (4, 1)]
    assert isinstance(m, nn.Sequential) and m(X).shape == (4, 1)
    assert repr(m).startswith("MLP(\n  sizes=[2, 8, 4, 1]\n  (0): Linear")
    m2 = nn.MLP([3, 5, 2], activation=lambda: nn.LeakyReLU(0.2), bias=False, dtype=np.float64)
    assert isinstance(m2[1], nn.LeakyReLU) and m2[0].bias is None and m2[0].weight.dtype == np.float64
    assert len(list(nn.MLP([3, 2]).parameters())) == 2


def test_mlp_errors():
    with pytest.raises(ValueError, match="MLP: sizes needs at least an input and an output size"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="MLP: unknown activation 'relu6'"):
        nn.MLP([2, 2, 1], activation="relu6")
    with pytest.raises(TypeError, match="the activation factory returned a int"):
        nn.MLP([2, 2, 1], activation=lambda: 3)


# ---- XOR with every optimiser ---------------------------------------------------------
XOR_OPTIMISERS = {
    "SGD": (nn.optim.SGD, dict(lr=0.5, momentum=0.9)),
    "Adagrad": (nn.optim.Adagrad, dict(lr=0.5)),
    "RMSprop": (nn.optim.RMSprop, dict(lr=0.05)),
    "Adam": (nn.optim.Adam, dict(lr=0.05)),
    "AdamW": (nn.optim.AdamW, dict(lr=0.05, weight_decay=1e-2)),
    "NAdam": (nn.optim.NAdam, dict(lr=0.05)),
    "Lion": (nn.optim.Lion, dict(lr=0.03)),
    "AdaBelief": (nn.optim.AdaBelief, dict(lr=0.05)),
}


def train_xor(name, seed=0, max_steps=1000):
    """Full-batch training of a 2-4-1 tanh MLP on XOR with BCE-with-logits until every
    point is right with loss < 0.1. Returns (accuracy, steps, loss)."""
    nn.manual_seed(seed)
    model = nn.MLP([2, 4, 1], activation="tanh")
    cls, hp = XOR_OPTIMISERS[name]
    opt = cls(model.parameters(), **hp)
    y = XOR.reshape(4, 1).astype(np.float32)
    for step in range(1, max_steps + 1):
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(X), y).backward()
        opt.step()
        with al.no_grad():
            out = model(X)
            loss = nn.functional.binary_cross_entropy_with_logits(out, y).item()
        acc = float(((out.data > 0) == (y > 0.5)).mean())
        if acc == 1.0 and loss < 0.1:
            break
    return acc, step, loss


@pytest.mark.parametrize("name", XOR_OPTIMISERS)
def test_a_2_4_1_mlp_learns_xor_with_every_optimiser(name):
    acc, steps, loss = train_xor(name)
    assert acc == 1.0 and loss < 0.1, f"{name}: accuracy {acc}, loss {loss} after {steps} steps"


if __name__ == "__main__":
    seeds = range(10)
    print(f"{'optimiser':10s} {'hyper-parameters':34s} seed 0 (acc, steps)   seeds 0-9: solved, median steps")
    for name, (_, hp) in XOR_OPTIMISERS.items():
        runs = [train_xor(name, s) for s in seeds]
        solved = [steps for acc, steps, loss in runs if acc == 1.0 and loss < 0.1]
        acc0, steps0, _ = runs[0]
        print(f"{name:10s} {str(hp):34s} {acc0:.0%} in {steps0:4d} steps      "
              f"{len(solved)}/{len(runs)}, {statistics.median(solved) if solved else '-'}")
