"""The one place where gradients are summed down to an input's shape."""

from __future__ import annotations

from typing import Any


def unbroadcast(grad: Any, shape: tuple[int, ...], op: str = "?") -> Any:
    """Sum ``grad`` down to ``shape``: the VJP of ``np.broadcast_to(x, grad.shape)``.

    Broadcasting copies an input along new leading axes and along its size-1 axes,
    so every copy's cotangent must be added back: a sum over exactly those axes.
    Works on arrays and on Tensors (it only calls ``.sum`` and ``.reshape``).
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, gshape[lead:])):
        raise ValueError(f"{op}: its VJP returned a gradient of shape {gshape}, which cannot be "
                         f"summed down to the input's shape {shape}")
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    return grad.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)
