"""Rosenblatt's ``Perceptron``, trained by the perceptron rule."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from .._checks import check_int
from ..module import Module, Parameter, aligned_array

__all__ = ["Perceptron"]


class Perceptron(Module):
    """Rosenblatt's perceptron (1958): ``predict(x) = 1 if w . x + b > 0 else 0``.

    Trained by the perceptron rule, not by gradients: for each misclassified
    sample, ``w += lr * (y - y_hat) * x`` and ``b += lr * (y - y_hat)``. It
    converges on linearly separable data (AND, OR) and never on XOR.

    Parameters
    ----------
    n_inputs
        Number of input features.
    lr
        Step size of the rule (any positive value gives the same decisions from
        zero initial weights; it only scales w and b).
    """

    def __init__(self, n_inputs: int, lr: float = 1.0, dtype: Any = None) -> None:
        super().__init__()
        self.n_inputs = check_int(n_inputs, "n_inputs", "Perceptron")
        if not lr > 0:
            raise ValueError(f"Perceptron: lr must be > 0, got {lr!r}")
        self.lr = float(lr)
        dt = np.dtype(dtype or al.get_default_dtype())
        self.weight = Parameter(aligned_array(n_inputs, dt, 0), requires_grad=False)
        self.bias = Parameter(aligned_array(1, dt, 0), requires_grad=False)
        self.errors_: list[int] = []  # misclassifications per epoch of the last fit
        self.converged_ = False

    def _check_x(self, X: Any, fn: str) -> np.ndarray:
        x = np.asarray(X.data if isinstance(X, al.Tensor) else X, dtype=self.weight.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"Perceptron.{fn}: expected X of shape (N, {self.n_inputs}), got "
                             f"{x.shape}")
        return x

    def forward(self, X: Any) -> al.Tensor:
        """The scores ``X w + b`` (shape (N,))."""
        return al.Tensor(self._check_x(X, "forward")) @ self.weight + self.bias

    def predict(self, X: Any) -> np.ndarray:
        """Class labels 0/1 (int64) for the rows of ``X``."""
        x = self._check_x(X, "predict")
        return (x @ self.weight.data + self.bias.data > 0).astype(np.int64)

    def fit(self, X: Any, y: Any, epochs: int = 100) -> Perceptron:
        """Run the perceptron rule for up to ``epochs`` passes over the data in order,
        stopping after the first pass without a mistake. Records ``errors_`` (mistakes
        per pass) and ``converged_``. Returns self."""
        x = self._check_x(X, "fit")
        t = np.asarray(y.data if isinstance(y, al.Tensor) else y).reshape(-1)
        if t.shape != (x.shape[0],) or not np.all((t == 0) | (t == 1)):
            raise ValueError(f"Perceptron.fit: y must hold {x.shape[0]} labels in {{0, 1}}, got "
                             f"shape {np.shape(y)} with values {np.unique(t)[:5]}")
        w, b = self.weight.data, self.bias.data
        self.errors_, self.converged_ = [], False
        with al.no_grad():
            for _ in range(epochs):
                mistakes = 0
                for xi, ti in zip(x, t):
                    err = float(ti) - float(xi @ w + b[0] > 0)
                    if err:
                        # In place through the Tensors, so their version counters move.
                        self.weight.add_(xi, alpha=self.lr * err)
                        self.bias.add_(self.lr * err)
                        mistakes += 1
                self.errors_.append(mistakes)
                if mistakes == 0:
                    self.converged_ = True
                    break
        return self

    def extra_repr(self) -> str:
        return f"n_inputs={self.n_inputs}, lr={self.lr}"
