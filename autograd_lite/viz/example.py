"""The example network that ``autograd-lite graph`` and the docs draw: two layers
(784 -> hidden -> 10, ReLU, cross-entropy) written as user code on raw Tensors, with
public autograd_lite functions only.

It computes what ``nn.twolayer.TwoLayerNet`` computes (autograd_lite never imports
``nn``), with plain ``(in, out)`` weight matrices in place of ``nn.Linear`` modules,
a string scope per layer in place of module clusters, and He initialisation for
both layers (TwoLayerNet uses Xavier for ``fc2``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

import autograd_lite as al  # public names only, read when called

from .rendering import render
from .stats import record


def _he_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> al.Tensor:
    """A ``(fan_in, fan_out)`` weight drawn from N(0, 2 / fan_in): He initialisation."""
    w = rng.standard_normal((fan_in, fan_out), dtype=np.float32) * np.float32(np.sqrt(2 / fan_in))
    return al.Tensor(w, requires_grad=True)


def mlp_example(batch_size: int = 32, hidden: int = 64, *, seed: int = 0,
                x: Any = None, y: Any = None) -> tuple[al.Tensor, dict[str, al.Tensor]]:
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
    for name, value in (("batch_size", batch_size), ("hidden", hidden)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"mlp_example: {name} must be a positive int, got {value!r}")
    rng = np.random.default_rng(seed)
    if x is None:
        x = rng.random((batch_size, 784), dtype=np.float32)
    if y is None:
        y = rng.integers(0, 10, size=len(x))
    x = x if isinstance(x, al.Tensor) else al.Tensor(np.asarray(x, np.float32))
    y = y if isinstance(y, al.Tensor) else al.Tensor(y, dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"mlp_example: x must have shape (N, 784), got {x.shape}")
    if y.shape != (len(x),) or y.size and not 0 <= y.data.min() <= y.data.max() < 10:
        raise ValueError(f"mlp_example: y must be {len(x)} labels in 0..9 (one per row of x), "
                         f"got shape {y.shape}" + (f" and values in [{y.data.min()}, "
                                                    f"{y.data.max()}]" if y.size else ""))
    W1 = _he_normal(rng, 784, hidden)
    b1 = al.zeros(hidden, dtype=np.float32, requires_grad=True)
    W2 = _he_normal(rng, hidden, 10)
    b2 = al.zeros(10, dtype=np.float32, requires_grad=True)

    with al.scope("fc1"):
        h = x @ W1 + b1
    h = h.relu()
    with al.scope("fc2"):
        logits = h @ W2 + b2
    loss = al.cross_entropy(logits, y)
    return loss, {"x": x, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "loss": loss}


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
    if not isinstance(out_path, (str, os.PathLike)):
        raise TypeError(f"render_example: out_path must be a path, got {type(out_path).__name__}")
    loss, named = mlp_example(batch_size, hidden, seed=seed, x=x, y=y)
    rec = None
    if backward:
        with record() as rec:
            loss.backward()
    return render(loss, out_path, format, params=named, grads=rec, **draw_kwargs)
