"""The ``MLP`` builder: ``Linear`` layers with an activation between them."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..containers import Sequential
from ..layers import ACTIVATIONS, Dropout, Linear
from ..module import Module

__all__ = ["MLP"]


class MLP(Sequential):
    """A multi-layer perceptron: ``Linear`` layers of the given sizes with an
    activation between them (and optional dropout after each activation).

    ``MLP([2, 4, 1], activation='tanh')`` is ``Linear(2, 4), Tanh(), Linear(4, 1)``.

    Parameters
    ----------
    sizes
        Input size, hidden sizes..., output size (at least two numbers).
    activation
        A name from ``nn.layers.ACTIVATIONS`` (``'relu'``, ``'tanh'``, ...) or a
        zero-argument callable returning a Module (e.g. ``nn.ReLU``).
    output_activation
        The same, applied after the last layer; None for raw outputs (logits).
    bias, dropout
        Whether the layers have biases; dropout probability after hidden activations.
    """

    def __init__(self, sizes: Sequence[int], activation: str | Callable[[], Module] = "relu",
                 output_activation: str | Callable[[], Module] | None = None, bias: bool = True,
                 dropout: float = 0.0, dtype: Any = None) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        if isinstance(activation, str) and activation not in ACTIVATIONS:
            # Checked even without hidden layers, where it would go unused: a typo is a typo.
            raise ValueError(f"MLP: unknown activation {activation!r}; expected one of "
                             f"{sorted(ACTIVATIONS)}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"MLP: dropout must be a number in [0, 1), got {dropout!r}")
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            layers.append(Linear(n_in, n_out, bias=bias, dtype=dtype))
            last = i == len(sizes) - 2
            act = output_activation if last else activation
            if act is not None:
                layers.append(_make_activation(act))
            if not last and dropout > 0:
                layers.append(Dropout(dropout))
        super().__init__(*layers)
        self.sizes = sizes

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"


def _make_activation(act: str | Callable[[], Module]) -> Module:
    if isinstance(act, str):
        if act not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {act!r}; expected one of {sorted(ACTIVATIONS)}")
        return ACTIVATIONS[act]()
    m = act()
    if not isinstance(m, Module):
        raise TypeError(f"MLP: the activation factory returned a {type(m).__name__}, not a Module")
    return m
