"""The lessons' two-layer network for MNIST: 784 -> H -> 10, ReLU, softmax cross-entropy.

>>> import numpy as np, nn
>>> from nn.models import TwoLayerNet
>>> _ = nn.manual_seed(0)
>>> net = TwoLayerNet(hidden=16)
>>> x = np.zeros((4, 784), np.float32); y = np.array([0, 1, 2, 3])
>>> loss = net.loss(net(x), y)
>>> loss.backward()
>>> net.fc1.weight.grad.shape
(16, 784)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

import autograd_lite as al

from .. import init as nn_init
from ..layers import BatchNorm1d, Dropout, Linear
from ..module import Module

__all__ = ["TwoLayerNet", "two_layer_net", "evaluate", "predict"]

Init = Literal["he", "xavier"]


class TwoLayerNet(Module):
    """``logits = fc2(relu(fc1(x)))``: the lessons' network, as an ``nn`` model.

    ``fc1`` maps the 784 pixels to ``hidden`` units, ``fc2`` the hidden units to the 10
    class scores (logits; the softmax lives in the loss, fused with the log for
    stability). Like any ``Linear`` whose first input needs no gradient, ``fc1``
    stores its weight column-major from its first call, which makes its products
    faster. Optionally ``BatchNorm1d`` between ``fc1`` and
    the ReLU and dropout after it, so that their effect can be measured on the same
    network.

    Parameters
    ----------
    hidden : int, default 128
        Hidden units H (the lessons' tiny configuration uses 10).
    in_features, num_classes : int
        784 and 10 for MNIST.
    init : {"he", "xavier"}, default "he"
        ``"he"``: He (Kaiming) normal for ``fc1``, whose output goes through a ReLU, and
        Xavier (Glorot) normal for ``fc2``, whose output feeds the softmax.
        ``"xavier"``: Xavier normal for both. Biases start at zero either way.
    batch_norm : bool, default False
        Insert ``BatchNorm1d(hidden)`` after ``fc1`` (``fc1`` then has no bias: the
        normalisation would cancel it).
    dropout : float, default 0.0
        Dropout probability on the hidden activations (0 disables it).
    dtype : dtype, optional
        Parameter dtype; default ``al.get_default_dtype()`` (float32).
    generator : numpy.random.Generator, optional
        Random source for initialisation and dropout; default the ``nn.manual_seed`` one.
    """

    def __init__(self, hidden: int = 128, *, in_features: int = 784, num_classes: int = 10,
                 init: Init = "he", batch_norm: bool = False, dropout: float = 0.0,
                 dtype: Any = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        for what, value in (("hidden", hidden), ("in_features", in_features),
                            ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"TwoLayerNet: {what} must be a positive int, got {value!r}")
        if init not in ("he", "xavier"):
            raise ValueError(f"TwoLayerNet: init must be 'he' or 'xavier', got {init!r}")
        if isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"TwoLayerNet: dropout must be in [0, 1), got {dropout!r}")
        self.hidden, self.init = int(hidden), init
        self.batch_norm, self.dropout = batch_norm, dropout
        # fc1's input (the images) never needs a gradient: its first call makes its weight
        # column-major, as any Linear fed data does (see Linear's order).
        self.fc1 = Linear(in_features, hidden, bias=not batch_norm, dtype=dtype,
                          generator=generator)
        self.bn1 = BatchNorm1d(hidden, dtype=dtype) if batch_norm else None
        self.drop = Dropout(dropout, generator=generator) if dropout > 0 else None
        self.fc2 = Linear(hidden, num_classes, dtype=dtype, generator=generator)
        if init == "he":
            nn_init.kaiming_normal_(self.fc1.weight, nonlinearity="relu", generator=generator)
        else:
            nn_init.xavier_normal_(self.fc1.weight, generator=generator)
        nn_init.xavier_normal_(self.fc2.weight, generator=generator)
        for layer in (self.fc1, self.fc2):
            if layer.bias is not None:
                nn_init.zeros_(layer.bias)

    def forward(self, x: Any) -> al.Tensor:
        """Logits of shape (N, num_classes) for images of shape (N, in_features)."""
        z1 = self.fc1(x)
        if self.bn1 is not None:
            z1 = self.bn1(z1)
        a1 = z1.relu()
        if self.drop is not None:
            a1 = self.drop(a1)
        return self.fc2(a1)

    @staticmethod
    def loss(logits: al.Tensor, labels: Any) -> al.Tensor:
        """Mean softmax cross-entropy of ``logits`` (N, C) against integer ``labels`` (N,)."""
        return al.cross_entropy(logits, labels)

    def extra_repr(self) -> str:
        extras = [f"hidden={self.hidden}", f"init={self.init!r}"]
        if self.batch_norm:
            extras.append("batch_norm=True")
        if self.dropout:
            extras.append(f"dropout={self.dropout}")
        return ", ".join(extras)


def two_layer_net(hidden: int = 128, *, seed: int | None = None, **kwargs: Any) -> TwoLayerNet:
    """Build a :class:`TwoLayerNet`, seeding its initialisation when ``seed`` is given.

    Parameters
    ----------
    hidden : int, default 128
        Hidden units.
    seed : int, optional
        Seed of a private generator for the initial weights (and dropout masks), so that
        the same seed gives the same network whatever else used ``nn.manual_seed``.
    **kwargs
        Passed to :class:`TwoLayerNet` (``init``, ``batch_norm``, ``dropout``, ``dtype``).
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise TypeError(f"two_layer_net: seed must be an int >= 0 or None, got {seed!r}")
    generator = np.random.default_rng(seed) if seed is not None else kwargs.pop("generator", None)
    return TwoLayerNet(hidden, generator=generator, **kwargs)


def _check_model(model: Any, batch_size: Any, fn: str) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{fn}: expected an nn.Module, got {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{fn}: batch_size must be a positive int, got {batch_size!r}")


def predict(model: Module, images: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """Predicted class of every row of ``images``, in evaluation mode and without a graph.

    The model's training/evaluation mode is restored afterwards.
    """
    _check_model(model, batch_size, "predict")
    was_training = model.training
    model.eval()
    out = []
    try:
        with al.no_grad():
            for start in range(0, len(images), batch_size):
                logits = model(images[start:start + batch_size])
                out.append(np.argmax(logits.data, axis=1))
    finally:
        model.train(was_training)
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def evaluate(model: Module, images: np.ndarray, labels: np.ndarray,
             batch_size: int = 2048) -> float:
    """Accuracy (fraction in [0, 1]) of ``model`` on ``images`` against ``labels``."""
    _check_model(model, batch_size, "evaluate")
    if len(images) != len(labels):
        raise ValueError(f"evaluate: {len(images)} images but {len(labels)} labels; "
                         f"expected equal counts")
    if len(labels) == 0:
        raise ValueError("evaluate: no samples to evaluate")
    return float(np.mean(predict(model, images, batch_size) == labels))
