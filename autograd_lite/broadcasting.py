"""The one place where gradients are summed down to an input's shape."""

from __future__ import annotations

from typing import Any


def summed_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """Axes of ``grad_shape`` that summing down to ``shape`` reduces: the leading axes
    ``shape`` lacks and its size-1 axes that were stretched. ``()`` if none; ``None``
    if ``shape`` does not broadcast to ``grad_shape``."""
    lead = len(grad_shape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, grad_shape[lead:])):
        return None
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad_shape[lead + i] != 1)


def unbroadcast(grad: Any, shape: tuple[int, ...], op: str | None = None) -> Any:
    """Sum ``grad`` down to ``shape``: the VJP of ``np.broadcast_to(x, grad.shape)``.

    Broadcasting copies an input along new leading axes and along its size-1 axes,
    so every copy's cotangent must be added back: a sum over exactly those axes.
    Works on arrays and on Tensors (it only calls ``.sum`` and ``.reshape``).
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    axes = summed_axes(gshape, shape)
    if axes is None:
        if not (isinstance(shape, tuple) and all(isinstance(n, int) for n in shape)):
            raise TypeError(f"{op or 'unbroadcast'}: shape must be a tuple of ints, got {shape!r}")
        if op is None:
            raise ValueError(f"unbroadcast: a gradient of shape {gshape} cannot be summed down to "
                             f"shape {shape}, which does not broadcast to it")
        raise ValueError(f"{op}: its VJP returned a gradient of shape {gshape}, which cannot be "
                         f"summed down to the input's shape {shape}")
    return grad.sum(axis=axes, keepdims=True).reshape(shape)
