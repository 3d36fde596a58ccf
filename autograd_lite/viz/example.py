"""The example network that ``autograd-lite graph`` and the docs draw."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..tensor import Tensor
from .rendering import render
from .stats import record


def mlp_example(batch_size: int = 32, hidden: int = 64, *, seed: int = 0,
                x: Any = None, y: Any = None) -> tuple[Tensor, dict[str, Tensor]]:
    """The two-layer MNIST network (784 -> ``hidden`` -> 10, ReLU, cross-entropy) on raw
    Tensors, as drawn by ``autograd-lite graph`` and the docs.

    The layers run inside ``al.scope('fc1')`` and ``al.scope('fc2')`` so the drawing
    shows one cluster per layer. Without ``x``/``y`` the batch is random pixels in
    [0, 1) and random labels (the graph's structure is the same as on real MNIST).

    Returns
    -------
    (loss, tensors)
        The scalar loss (not yet backpropagated) and ``{name: tensor}`` for
        ``x, y, W1, b1, W2, b2, loss``, to pass as ``params=``.
    """
    from ..engine import scope
    from ..functions import OP_FUNCTIONS

    rng = np.random.default_rng(seed)
    xa = rng.random((batch_size, 784), dtype=np.float32) if x is None else x
    ya = rng.integers(0, 10, size=len(xa)) if y is None else y
    xt = xa if isinstance(xa, Tensor) else Tensor(np.asarray(xa, np.float32))
    yt = ya if isinstance(ya, Tensor) else Tensor(ya, dtype=np.int64)
    w = {"W1": Tensor(rng.standard_normal((784, hidden), dtype=np.float32) * np.float32(
             np.sqrt(2 / 784)), requires_grad=True),
         "b1": Tensor(np.zeros(hidden, np.float32), requires_grad=True),
         "W2": Tensor(rng.standard_normal((hidden, 10), dtype=np.float32) * np.float32(
             np.sqrt(2 / hidden)), requires_grad=True),
         "b2": Tensor(np.zeros(10, np.float32), requires_grad=True)}
    with scope("fc1"):
        h = xt @ w["W1"] + w["b1"]
    h = h.relu()
    with scope("fc2"):
        logits = h @ w["W2"] + w["b2"]
    loss = OP_FUNCTIONS["cross_entropy"](logits, yt)
    return loss, {"x": xt, "y": yt, **w, "loss": loss}


def render_example(out_path: str | os.PathLike, format: str | None = None, *,
                   backward: bool = True, batch_size: int = 32, hidden: int = 64, seed: int = 0,
                   x: Any = None, y: Any = None, **draw_kwargs: Any) -> Path:
    """Render the two-layer network of :func:`mlp_example`, after one backward pass
    unless ``backward=False``: what ``autograd-lite graph`` draws without a script.

    ``x``/``y`` (e.g. a real MNIST batch) replace the random batch; ``**draw_kwargs``
    are ``collapse``, ``vanishing`` and ``exploding`` (see :func:`draw`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    loss, named = mlp_example(batch_size, hidden, seed=seed, x=x, y=y)
    rec = None
    if backward:
        with record() as rec:
            loss.backward()
    return render(loss, out_path, format, params=named, grads=rec, **draw_kwargs)
