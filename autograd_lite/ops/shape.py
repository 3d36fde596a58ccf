"""Shape ops: reshape, transpose, swapaxes, broadcast_to, squeeze, expand_dims,
concatenate, stack, pad. Each VJP moves the cotangent back to the input's layout."""

from __future__ import annotations

import numpy as np

from .base import Op, constant, normalize_axis, plain, shape_arg


class _ShapeOp(Op):
    kind = "shape"
    jvp_rule = "linear"


class Reshape(_ShapeOp):
    """``out = reshape(x, shape)`` (one entry may be -1).

    Notes
    -----
    VJP::

        dx = reshape(g, x.shape)
    """
    name = "reshape"

    @classmethod
    def sample_inputs(cls, draw):
        # No size-0 inputs: there a -1 entry is ambiguous and NumPy refuses it.
        shape = draw.shape(min_side=1)
        new = draw.permutation(shape)
        if new and draw.booleans():
            new[draw.integers(0, len(new) - 1)] = -1
        if draw.booleans():
            new.append(1)
        return [shape], {"shape": tuple(new)}

    @staticmethod
    def forward(x, shape=None):
        try:
            return np.reshape(x, shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape an input of shape {x.shape} "
                             f"({x.size} elements) into shape {shape_arg(shape)}") from None

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

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape()
        axes = None
        if draw.booleans():  # an explicit permutation, some axes maybe negative
            axes = tuple(a - len(shape) if draw.booleans() else a
                         for a in draw.permutation(range(len(shape))))
        return [shape], {"axes": axes}

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

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(min_dims=1)
        return [shape], {"axis1": draw.axes(len(shape), single=True),
                         "axis2": draw.axes(len(shape), single=True)}

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

    @classmethod
    def sample_inputs(cls, draw):
        shape, other = draw.broadcastable_shapes(2)
        return [shape], {"shape": np.broadcast_shapes(shape, other)}

    @staticmethod
    def forward(x, shape=None):
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to "
                             f"{shape_arg(shape)}") from None

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

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(max_dims=4, min_side=1, max_side=2)  # sides of 1 are common
        ones = [i for i, n in enumerate(shape) if n == 1]
        axis = None
        if ones and draw.booleans():  # some of the size-1 axes, maybe negative
            axis = tuple(i - len(shape) if draw.booleans() else i
                         for i in draw.permutation(ones)[:draw.integers(0, len(ones))])
        return [shape], {"axis": axis}

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

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape()
        return [shape], {"axis": draw.integers(-len(shape) - 1, len(shape))}

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

    @classmethod
    def sample_inputs(cls, draw):
        base = list(draw.shape(min_dims=1))
        axis = draw.axes(len(base), single=True)
        shapes = []
        for _ in range(draw.integers(1, 3)):  # the inputs differ only along axis
            base[axis] = draw.integers(0, 4)
            shapes.append(tuple(base))
        return shapes, {"axis": axis}

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

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape()
        return [shape] * draw.integers(1, 3), {"axis": draw.integers(-len(shape) - 1, len(shape))}

    @staticmethod
    def forward(*xs, axis=0):
        if not xs:
            raise ValueError("stack: need at least one tensor")
        return np.stack(xs, axis=axis)

    @staticmethod
    def vjp(g, out, *xs, axis=0):
        ax = normalize_axis(axis, g.ndim, "stack")[0]
        return tuple(g[(slice(None),) * ax + (i,)] for i in range(len(xs)))


def _pad_widths(pad_width, shape):
    """``pad_width`` as one ``(before, after)`` pair of ints per axis of ``shape``, read
    as np.pad reads it: one int for every side; one pair, or ``(n,)``, for every axis;
    or one entry per axis (a pair, or ``(n,)`` for n on both sides)."""
    w = np.asarray(pad_width)
    if w.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {plain(pad_width)!r}")
    if w.ndim < 3 and w.size <= 2 and w.shape != (2, 1):
        w = w.reshape(-1)  # one width, or one (before, after) pair: the same for every axis
    try:
        w = np.broadcast_to(w, (len(shape), 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {plain(pad_width)!r} does not give a (before, after) "
                         f"width for each axis of an input of shape {shape}") from None
    if (w < 0).any():
        raise ValueError(f"pad: pad_width must not be negative, got {plain(pad_width)!r}")
    return tuple((int(b), int(a)) for b, a in w)


class Pad(_ShapeOp):
    """``out = pad(x, pad_width, constant_values=c)`` (constant padding only).

    Notes
    -----
    VJP::

        dx = g[before_0 : before_0 + n_0, before_1 : before_1 + n_1, ...]

    The padding constants are not inputs, so they get no gradient.
    """
    name = "pad"
    params = {"constant_values": (0.0, 1.5)}

    @classmethod
    def sample_inputs(cls, draw):
        shape = draw.shape(max_side=3)
        # Every spelling NumPy reads: one width for every side, (n,), one (before,
        # after) pair flat or nested, and per axis a pair or (n,).
        forms = ["int", "(n,)", "pair", "((b, a),)"]
        forms += ["per axis", "per axis (n,)"] if shape else []
        form, w = draw.sampled_from(forms), lambda: draw.integers(0, 2)  # noqa: E731
        if form == "int":
            widths = w()
        elif form == "(n,)":
            widths = (w(),)
        elif form == "pair":
            widths = (w(), w())
        elif form == "((b, a),)":
            widths = ((w(), w()),)
        elif form == "per axis":
            widths = tuple((w(), w()) for _ in shape)
        else:
            widths = tuple((w(),) for _ in shape)
        return [shape], {**draw.params(), "pad_width": widths}

    @staticmethod
    def forward(x, pad_width=0, mode="constant", constant_values=0):
        if mode != "constant":
            raise ValueError(f"pad: only mode='constant' is differentiable here, got {mode!r}")
        # A 0-d x has no axes, and np.pad reads () as no width at all: 0 instead.
        widths = _pad_widths(pad_width, x.shape) or 0
        return np.pad(x, widths, mode="constant",
                      constant_values=constant(constant_values, "pad", "constant_values"))

    @staticmethod
    def vjp(g, out, x, pad_width=0, mode="constant", constant_values=0):
        widths = _pad_widths(pad_width, x.shape)
        return (g[tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))],)

    @staticmethod
    def jvp(tangents, out, x, pad_width=0, mode="constant", constant_values=0):
        # Affine, not linear: the padding constants have no tangent.
        return Pad.dispatch(tangents[0], pad_width=pad_width, mode=mode, constant_values=0)
