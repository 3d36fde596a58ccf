"""Shape ops: reshape, transpose, swapaxes, broadcast_to, squeeze, expand_dims,
concatenate, stack, pad. Each VJP moves the cotangent back to the input's layout."""

from __future__ import annotations

import numpy as np

from .base import Op, normalize_axis


class _ShapeOp(Op):
    kind = "shape"


class Reshape(_ShapeOp):
    """``out = reshape(x, shape)`` (one entry may be -1).

    Notes
    -----
    VJP::

        dx = reshape(g, x.shape)
    """
    name = "reshape"

    @staticmethod
    def forward(x, shape=None):
        try:
            return np.reshape(x, shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape an input of shape {x.shape} "
                             f"({x.size} elements) into shape {tuple(shape)}") from None

    @staticmethod
    def vjp(g, out, x, shape=None):
        return (g.reshape(x.shape),)


class Transpose(_ShapeOp):
    """``out = transpose(x, axes)``; ``axes=None`` reverses the axes.

    Notes
    -----
    VJP::

        dx = transpose(g, argsort(axes))     (the inverse permutation)
    """
    name = "transpose"

    @staticmethod
    def forward(x, axes=None):
        return np.transpose(x, axes)

    @staticmethod
    def vjp(g, out, x, axes=None):
        inv = None if axes is None else tuple(int(i) for i in np.argsort([a % x.ndim for a in axes]))
        return (np.transpose(g, inv),)


class Swapaxes(_ShapeOp):
    """``out = swapaxes(x, axis1, axis2)``.

    Notes
    -----
    VJP::

        dx = swapaxes(g, axis1, axis2)
    """
    name = "swapaxes"

    @staticmethod
    def forward(x, axis1=0, axis2=1):
        return np.swapaxes(x, axis1, axis2)

    @staticmethod
    def vjp(g, out, x, axis1=0, axis2=1):
        return (g.swapaxes(axis1, axis2),)


class BroadcastTo(_ShapeOp):
    """``out = broadcast_to(x, shape)`` (a read-only view, as in NumPy).

    Notes
    -----
    VJP::

        dx = g      (summed over the broadcast axes by the engine's unbroadcast)
    """
    name = "broadcast_to"

    @staticmethod
    def forward(x, shape=None):
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to "
                             f"{tuple(np.atleast_1d(shape))}") from None

    @staticmethod
    def vjp(g, out, x, shape=None):
        return (g,)


class Squeeze(_ShapeOp):
    """``out = squeeze(x, axis)``: remove size-1 axes (all of them when axis is None).

    Notes
    -----
    VJP::

        dx = reshape(g, x.shape)
    """
    name = "squeeze"

    @staticmethod
    def forward(x, axis=None):
        return np.squeeze(x, axis)

    @staticmethod
    def vjp(g, out, x, axis=None):
        return (g.reshape(x.shape),)


class ExpandDims(_ShapeOp):
    """``out = expand_dims(x, axis)``: insert size-1 axes.

    Notes
    -----
    VJP::

        dx = reshape(g, x.shape)
    """
    name = "expand_dims"

    @staticmethod
    def forward(x, axis=0):
        return np.expand_dims(x, axis)

    @staticmethod
    def vjp(g, out, x, axis=0):
        return (g.reshape(x.shape),)


class Concatenate(_ShapeOp):
    """``out = concatenate([x0, x1, ...], axis)``.

    Notes
    -----
    VJP::

        dx_i = g[..., start_i:end_i, ...]     (x_i's slice along axis)
    """
    name, arity = "concatenate", None
    domain = ("real",)

    @staticmethod
    def forward(*xs, axis=0):
        if not xs:
            raise ValueError("concatenate: need at least one tensor")
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def vjp(g, out, *xs, axis=0):
        ax = normalize_axis(axis, xs[0].ndim, "concatenate")[0]
        dxs, start = [], 0
        for x in xs:
            end = start + x.shape[ax]
            dxs.append(g[(slice(None),) * ax + (slice(start, end),)])
            start = end
        return tuple(dxs)


class Stack(_ShapeOp):
    """``out = stack([x0, x1, ...], axis)``: join along a new axis.

    Notes
    -----
    VJP::

        dx_i = g[..., i, ...]       (index i along the new axis)
    """
    name, arity = "stack", None
    domain = ("real",)

    @staticmethod
    def forward(*xs, axis=0):
        if not xs:
            raise ValueError("stack: need at least one tensor")
        return np.stack(xs, axis=axis)

    @staticmethod
    def vjp(g, out, *xs, axis=0):
        ax = normalize_axis(axis, g.ndim, "stack")[0]
        return tuple(g[(slice(None),) * ax + (i,)] for i in range(len(xs)))


def _pad_widths(pad_width, ndim):
    return np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2)
                           if np.ndim(pad_width) else np.asarray(pad_width), (ndim, 2))


class Pad(_ShapeOp):
    """``out = pad(x, pad_width, constant_values=c)`` (constant padding only).

    Notes
    -----
    VJP::

        dx = g[before_0 : before_0 + n_0, before_1 : before_1 + n_1, ...]

    The padding constants are not inputs, so they get no gradient.
    """
    name = "pad"
    params = {"pad_width": (1, ((1, 0),)), "constant_values": (0.0, 1.5)}

    @staticmethod
    def forward(x, pad_width=0, mode="constant", constant_values=0):
        if mode != "constant":
            raise ValueError(f"pad: only mode='constant' is differentiable here, got {mode!r}")
        return np.pad(x, pad_width, mode="constant", constant_values=constant_values)

    @staticmethod
    def vjp(g, out, x, pad_width=0, mode="constant", constant_values=0):
        widths = _pad_widths(pad_width, x.ndim)
        return (g[tuple(slice(int(b), int(b) + n) for (b, _), n in zip(widths, x.shape))],)
