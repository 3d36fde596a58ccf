"""Convolutions: ``conv2d``, ``conv1d``, and the two ops their VJPs are made of,
``conv2d_input`` (the gradient with respect to the input, a transposed convolution)
and ``conv2d_weight`` (with respect to the kernel). The three are each other's
VJPs, so a convolution is differentiable to any order.

Shapes and arguments are PyTorch's: an input ``(N, C, H, W)``, a weight
``(out_channels, in_channels / groups, kH, kW)``, a bias ``(out_channels,)``; the
``stride``, ``padding`` (also ``'same'`` and ``'valid'``), ``dilation`` and ``groups``
of ``torch.nn.functional.conv2d``. Every spatial size follows

    out = floor((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1

and an output with no element is an error naming all of them.

How it is computed (im2col): the input is copied once into channel-major,
batch-last order ``(C, H, W, N)``. The windows are then a strided view of that
copy, which one copy turns into the column matrix ``(C * kH * kW, Ho * Wo * N)``,
and a single BLAS product per group with the ``(out, C * kH * kW)`` weight gives the
output. Batch-last makes every window offset's slice a run of ``Wo * N`` contiguous
values, so the im2col copy and the col2im adds of the VJP move long rows rather
than ``Wo``-element ones. Measured by ``examples/benchmark_cnn.py --parts layers`` (one
BLAS thread, forward + backward, float32) against per-sample ``(N, C * kH * kW, Ho * Wo)`` columns
and batched products: LeNet's 6->16 5x5 layer at batch 64 takes about 0.75x the
time, the 3x3 32->64 layer at batch 128 about 0.8x; LeNet's first layer, one input
channel and no input gradient, about 1.2x (its transposes cost more than they save).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .base import Op

_FORMULA = "floor((in + 2*padding - dilation*(kernel-1) - 1) / stride) + 1"


# ---- arguments -----------------------------------------------------------------------

def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _ints(op: str, name: str, value: Any, nd: int, minimum: int) -> tuple[int, ...]:
    """``value`` (an int, or a tuple of ``nd`` ints) as ``nd`` ints >= ``minimum``."""
    items = (value,) * nd if _is_int(value) else value
    if (not isinstance(items, (tuple, list)) or len(items) != nd
            or not all(_is_int(v) for v in items)):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {nd} ints, got {value!r}")
    if any(v < minimum for v in items):
        kind = "positive" if minimum > 0 else "non-negative"
        raise ValueError(f"{op}: {name} must be {kind}, got {value!r}")
    return tuple(int(v) for v in items)


def _spatial(nd: int) -> str:
    return "(N, C, L)" if nd == 1 else "(N, C, H, W)"


def output_size(op: str, size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                pads: tuple[tuple[int, int], ...], dilation: tuple[int, ...],
                ceil_mode: bool = False) -> tuple[int, ...]:
    """The output's spatial size, ``floor((in + 2P - D(F-1) - 1) / S) + 1`` per
    dimension (the ceiling with ``ceil_mode``, dropping a last window that would start
    in the right padding, as PyTorch's pooling does). Raises ValueError naming every
    argument when some dimension would have no element."""
    out = []
    for n, f, s, (before, after), d in zip(size, kernel, stride, pads, dilation):
        span = n + before + after - d * (f - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and o > 1 and (o - 1) * s >= n + before:
            o -= 1
        out.append(o)
    if min(out, default=1) < 1:
        padded = tuple(n + a + b for n, (a, b) in zip(size, pads))
        reach = tuple(d * (f - 1) + 1 for f, d in zip(kernel, dilation))
        pad = tuple(a if a == b else (a, b) for a, b in pads)
        # Only a kernel reaching past the padded input leaves no window.
        raise ValueError(
            f"{op}: the output would be empty: input size {_dims(size)}, kernel {_dims(kernel)}, "
            f"stride {_dims(stride)}, padding {_dims(pad)}, dilation {_dims(dilation)} give "
            f"{_FORMULA}{' (ceil_mode)' if ceil_mode else ''} = {_dims(tuple(out))}: the kernel "
            f"(spanning {_dims(reach)} with its dilation) is larger than the padded input "
            f"({_dims(padded)})")
    return tuple(out)


def _dims(t: tuple) -> str:
    return str(t[0]) if len(t) == 1 else "(" + ", ".join(map(str, t)) + ")"


class _Geometry(NamedTuple):
    """A 2-D convolution's sizes, checked (a 1-D one has a unit height)."""
    n: int
    c: int
    h: int
    w: int
    o: int
    kh: int
    kw: int
    groups: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int
    pb: int
    pl: int
    pr: int
    ho: int
    wo: int


def _conv_geometry(op: str, nd: int, x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                   stride: Any, padding: Any, dilation: Any, groups: Any) -> _Geometry:
    """Check a convolution's shapes and arguments (PyTorch's rules) and return its
    geometry; every error names ``op`` and the values involved."""
    if len(x_shape) != nd + 2:
        raise ValueError(f"{op}: expected an input x of shape {_spatial(nd)} ({nd + 2} dimensions), "
                         f"got shape {tuple(x_shape)} ({len(x_shape)} dimensions)"
                         + ("; for one sample use x[None]" if len(x_shape) == nd + 1 else ""))
    kernel_dims = "kL" if nd == 1 else "kH, kW"
    if len(w_shape) != nd + 2:
        raise ValueError(f"{op}: expected a weight of shape (out_channels, in_channels / groups, "
                         f"{kernel_dims}), got shape {tuple(w_shape)}")
    if not _is_int(groups):
        raise TypeError(f"{op}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{op}: groups must be positive, got {groups}")
    c, o, cg = x_shape[1], w_shape[0], w_shape[1]
    if c % groups or o % groups:
        raise ValueError(f"{op}: groups={groups} must divide both in_channels ({c}, the input's "
                         f"channels) and out_channels ({o}, weight.shape[0])")
    if cg * groups != c:
        raise ValueError(f"{op}: weight of shape {tuple(w_shape)} with groups={groups} expects "
                         f"in_channels = weight.shape[1] * groups = {cg * groups}, but the input "
                         f"of shape {tuple(x_shape)} has {c} channels")
    stride = _ints(op, "stride", stride, nd, 1)
    dilation = _ints(op, "dilation", dilation, nd, 1)
    kernel = tuple(w_shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' needs stride 1 (as in PyTorch), "
                                 f"got stride {_dims(stride)}")
            # The odd one out of an even total goes after, as in PyTorch.
            pads = tuple((d * (f - 1) // 2, d * (f - 1) - d * (f - 1) // 2)
                         for f, d in zip(kernel, dilation))
        else:
            raise ValueError(f"{op}: padding must be an int, a tuple of {nd} ints, 'same' or "
                             f"'valid', got {padding!r}")
    else:
        try:
            pads = tuple((p, p) for p in _ints(op, "padding", padding, nd, 0))
        except TypeError:
            raise TypeError(f"{op}: padding must be an int, a tuple of {nd} ints, 'same' or "
                            f"'valid', got {padding!r}") from None
    out = output_size(op, tuple(x_shape[2:]), kernel, stride, pads, dilation)
    if nd == 1:  # a unit height in front
        kernel, stride, dilation, pads, out = ((1,) + kernel, (1,) + stride, (1,) + dilation,
                                               ((0, 0),) + pads, (1,) + out)
        n, _, w = x_shape
        h = 1
    else:
        n, _, h, w = x_shape
    return _Geometry(n, c, h, w, o, kernel[0], kernel[1], groups, stride[0], stride[1],
                    dilation[0], dilation[1], pads[0][0], pads[0][1], pads[1][0], pads[1][1],
                    out[0], out[1])


# ---- the NumPy kernels (2-D; arrays only) ------------------------------------------------

def _im2col(x: np.ndarray, gm: _Geometry, dtype: np.dtype) -> np.ndarray:
    """The columns ``(groups, C/groups * kH * kW, Ho * Wo * N)`` of ``x`` (N, C, H, W):
    row ``(c, i, j)``, column ``(p, q, n)`` holds ``xpad[n, c, p*sh + i*dh, q*sw + j*dw]``."""
    hp, wp = gm.h + gm.pt + gm.pb, gm.w + gm.pl + gm.pr
    xt = (np.zeros if hp != gm.h or wp != gm.w else np.empty)((gm.c, hp, wp, gm.n), dtype)
    _transposing_copy(xt[:, gm.pt:gm.pt + gm.h, gm.pl:gm.pl + gm.w], x.transpose(1, 2, 3, 0))
    sc, sh, sw, sn = xt.strides
    windows = as_strided(xt, (gm.c, gm.kh, gm.kw, gm.ho, gm.wo, gm.n),
                         (sc, gm.dh * sh, gm.dw * sw, gm.sh * sh, gm.sw * sw, sn), writeable=False)
    # The one big copy: kH * kW times the input.
    return windows.reshape(gm.groups, gm.c // gm.groups * gm.kh * gm.kw, gm.ho * gm.wo * gm.n)


def _transposing_copy(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[...] = src`` where one side moves the batch axis (a transposed view), in
    blocks along the first axis small enough that the side read or written with a
    stride stays in cache. (64x6x24x24 float32 from (C, H, W, N) to (N, C, H, W):
    0.30 ms as one copy, 0.19 ms in blocks; 128x64x14x14: 4.9 ms, 2.8 ms.)"""
    per = max(1, _BLOCK // max(1, dst[0].size)) if len(dst) else 1
    for s in range(0, len(dst), per):
        dst[s:s + per] = src[s:s + per]


_BLOCK = 16384  # elements per block of a transposing copy (64 KiB of float32)


def _batch_last(g: np.ndarray, gm: _Geometry) -> np.ndarray:
    """A cotangent (N, O, Ho, Wo) as ``(groups, O/groups, Ho * Wo * N)``."""
    gt = np.empty((gm.o, gm.ho, gm.wo, gm.n), g.dtype)
    _transposing_copy(gt, g.transpose(1, 2, 3, 0))
    return gt.reshape(gm.groups, gm.o // gm.groups, gm.ho * gm.wo * gm.n)


def _batch_first(a: np.ndarray, gm: _Geometry) -> np.ndarray:
    """``(O, Ho * Wo * N)`` back to (N, O, Ho, Wo), C-contiguous."""
    out = np.empty((gm.n, a.shape[0], gm.ho, gm.wo), a.dtype)
    _transposing_copy(out.transpose(1, 0, 2, 3),
                      a.reshape(a.shape[0], gm.ho, gm.wo, gm.n).transpose(0, 3, 1, 2))
    return out


def _grouped(w: np.ndarray, gm: _Geometry, dtype: np.dtype) -> np.ndarray:
    return w.astype(dtype, copy=False).reshape(gm.groups, gm.o // gm.groups,
                                               gm.c // gm.groups * gm.kh * gm.kw)


def _forward(cols: np.ndarray, w: np.ndarray, b: np.ndarray, gm: _Geometry) -> np.ndarray:
    out = np.matmul(_grouped(w, gm, cols.dtype), cols).reshape(gm.o, cols.shape[2])
    out += b.astype(out.dtype, copy=False)[:, None]   # rows of the batch-last product
    return _batch_first(out, gm)


def _col2im(dcols: np.ndarray, gm: _Geometry) -> np.ndarray:
    """The adjoint of :func:`_im2col`: every column entry added back to the input
    position it was copied from, one strided slice per kernel offset (kH * kW adds of
    ``(C, Ho, Wo, N)`` blocks, no scatter), then the padding cropped."""
    d = dcols.reshape(gm.c, gm.kh, gm.kw, gm.ho, gm.wo, gm.n)
    hp, wp = gm.h + gm.pt + gm.pb, gm.w + gm.pl + gm.pr
    dxt = np.zeros((gm.c, hp, wp, gm.n), dcols.dtype)
    for i in range(gm.kh):
        rows = slice(i * gm.dh, i * gm.dh + gm.sh * (gm.ho - 1) + 1, gm.sh)
        for j in range(gm.kw):
            dxt[:, rows, j * gm.dw:j * gm.dw + gm.sw * (gm.wo - 1) + 1:gm.sw] += d[:, i, j]
    dx = np.empty((gm.n, gm.c, gm.h, gm.w), dxt.dtype)
    _transposing_copy(dx.transpose(1, 0, 2, 3),
                      dxt[:, gm.pt:gm.pt + gm.h, gm.pl:gm.pl + gm.w].transpose(0, 3, 1, 2))
    return dx


def _input_grad(gt: np.ndarray, w: np.ndarray, gm: _Geometry) -> np.ndarray:
    wg = _grouped(w, gm, np.result_type(gt.dtype, w.dtype))
    return _col2im(np.matmul(wg.transpose(0, 2, 1), gt), gm)


def _weight_grad(cols: np.ndarray, gt: np.ndarray, w_shape: tuple[int, ...]) -> np.ndarray:
    return np.matmul(gt, cols.transpose(0, 2, 1)).reshape(w_shape)


def _dtype(*arrays: np.ndarray) -> np.dtype:
    return np.result_type(*(a.dtype for a in arrays))


def _zeros_bias(w: Any) -> np.ndarray:
    return np.zeros(w.shape[:1], w.dtype)


def _or_zeros(bias: Any, weight: Any) -> Any:
    """``bias``, or for None a zero bias (a constant: an op's inputs are fixed)."""
    return _zeros_bias(weight if hasattr(weight, "shape") else np.asarray(weight)) if bias is None else bias


# ---- the ops -------------------------------------------------------------------------------

class _ConvOp(Op):
    kind = "custom"
    nd = 2  # spatial dimensions of the public op


def _spell(draw: Any, values: tuple[int, ...]) -> Any:
    """``values`` as PyTorch accepts them: a tuple, or one int when all are equal."""
    return values[0] if len(set(values)) == 1 and draw.booleans() else values


def _sample_conv(draw: Any, nd: int) -> tuple[list[Any], dict[str, Any], tuple[int, ...]]:
    """A small valid convolution: (x shape, weight shape), its params, its output shape.
    Strides, dilations, paddings ('same', 'valid', ints) and groups of 1 and 2."""
    groups = draw.integers(1, 2)
    c, o = groups * draw.integers(1, 2), groups * draw.integers(1, 2)
    kernel = tuple(draw.integers(1, 3) for _ in range(nd))
    form = draw.sampled_from(["ints", "same", "valid"])
    stride = (1,) * nd if form == "same" else tuple(draw.integers(1, 2) for _ in range(nd))
    dilation = tuple(draw.integers(1, 2) for _ in range(nd))
    pads = tuple(draw.integers(0, 2) for _ in range(nd)) if form == "ints" else (0,) * nd
    # A side the kernel fits (the padded input at least spans it), up to 3 more.
    sizes = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw.integers(0, 3)
                  for k, d, p in zip(kernel, dilation, pads))
    x_shape = (draw.integers(0, 2), c) + sizes
    w_shape = (o, c // groups) + kernel
    params = {"stride": _spell(draw, stride), "dilation": _spell(draw, dilation), "groups": groups,
              "padding": form if form != "ints" else _spell(draw, pads)}
    gm = _conv_geometry("conv", nd, x_shape, w_shape, **params)
    out = (x_shape[0], o) + ((gm.wo,) if nd == 1 else (gm.ho, gm.wo))
    return [x_shape, w_shape], params, out


class Conv2d(_ConvOp):
    """2-D convolution (a cross-correlation, as in every deep-learning library) of ``x``
    (N, C, H, W) with ``weight`` (O, C/groups, kH, kW), plus ``bias`` (O,) or None:
    ``torch.nn.functional.conv2d``, with its argument names, defaults and output sizes.

    ``out[n, o, p, q] = bias[o] + sum over c in o's group, i, j of
    weight[o, c, i, j] * xpad[n, c, p*sH + i*dH, q*sW + j*dW]``

    where ``xpad`` is ``x`` with ``padding`` zeros around it (``'same'``: the output as
    large as the input, stride 1 only; ``'valid'``: no padding). ``stride``,
    ``padding`` and ``dilation`` are an int or a pair (H, W).

    Notes
    -----
    VJP::

        dx      = conv2d_input(g, weight): a full correlation of g, dilated by the
                  stride, with the kernel flipped in space and in/out channels swapped:
                  dxpad[n, c, p*sH + i*dH, q*sW + j*dW] += sum_o weight[o, c, i, j] g[n, o, p, q]
        dweight = conv2d_weight(x, g): the correlation of the input with the cotangent:
                  dweight[o, c, i, j] = sum_{n,p,q} g[n, o, p, q] xpad[n, c, p*sH + i*dH, q*sW + j*dW]
        dbias   = sum_{n,p,q} g[n, o, p, q]

    Both are themselves ops, each the other's and this op's VJP, so gradients of
    any order are recorded. The forward keeps its column matrix for the VJP, which
    then needs two products and the kH * kW strided adds of col2im, no second im2col.
    """
    name, arity = "conv2d", 3
    read_for = ((1,), (0,), ())  # x for dweight, weight for dx, bias never

    @staticmethod
    def bind(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
             dilation: Any = 1, groups: int = 1) -> tuple[tuple, dict[str, Any]]:
        return (x, weight, _or_zeros(bias, weight)), dict(stride=stride, padding=padding,
                                                          dilation=dilation, groups=groups)

    @classmethod
    def sample_inputs(cls, draw):
        shapes, params, _ = _sample_conv(draw, cls.nd)
        return shapes + [(shapes[1][0],)], params

    @classmethod
    def _geometry(cls, x, weight, bias, stride, padding, dilation, groups) -> _Geometry:
        gm = _conv_geometry(cls.name, cls.nd, x.shape, weight.shape, stride, padding, dilation, groups)
        if bias.shape != (gm.o,):
            raise ValueError(f"{cls.name}: bias must have shape (out_channels,) = ({gm.o},) for a "
                             f"weight of shape {weight.shape}, got shape {bias.shape}")
        return gm

    @classmethod
    def _as_2d(cls, a: np.ndarray) -> np.ndarray:
        return a if cls.nd == 2 else a[:, :, None]

    @classmethod
    def _from_2d(cls, a: np.ndarray) -> np.ndarray:
        return a if cls.nd == 2 else a[:, :, 0]

    @classmethod
    def forward(cls, x, weight, bias, stride=1, padding=0, dilation=1, groups=1):
        return cls.forward_saving(x, weight, bias, stride, padding, dilation, groups)[0]

    @classmethod
    def forward_saving(cls, x, weight, bias, stride=1, padding=0, dilation=1, groups=1):
        """The output, and the column matrix the weight's gradient is a product with."""
        gm = cls._geometry(x, weight, bias, stride, padding, dilation, groups)
        cols = _im2col(cls._as_2d(x), gm, _dtype(x, weight))
        return cls._from_2d(_forward(cols, cls._as_2d(weight), bias, gm)), (cols, gm)

    @classmethod
    def vjp(cls, g, out, x, weight, bias, stride=1, padding=0, dilation=1, groups=1,
            needs=(True, True, True), saved=None):
        if saved is not None:  # arrays, and the forward's columns
            cols, gm = saved
            gt = _batch_last(cls._as_2d(g), gm)
            dx = cls._from_2d(_input_grad(gt, cls._as_2d(weight), gm)) if needs[0] else None
            dw = _weight_grad(cols, gt, weight.shape) if needs[1] else None
            db = np.add.reduce(gt.reshape(gm.o, gt.shape[2]), axis=1) if needs[2] else None
            return dx, dw, db
        # Tensors (recorded, for higher-order gradients), or arrays without the columns.
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return (Conv2dInput.dispatch(g, weight, input_shape=x.shape, **kw) if needs[0] else None,
                Conv2dWeight.dispatch(x, g, weight_shape=weight.shape, **kw) if needs[1] else None,
                g.sum(axis=(0,) + tuple(range(2, g.ndim))) if needs[2] else None)


class Conv2dInput(_ConvOp):
    """The gradient of :class:`Conv2d` with respect to its input, as an op:
    ``out = conv2d_input(g, weight, input_shape)`` is ``dL/dx`` for a cotangent ``g``
    (N, O, Ho, Wo) of ``conv2d(x, weight, ...)`` with ``x.shape == input_shape``
    (``torch.nn.grad.conv2d_input``, tensors first). It is the transposed convolution
    of ``g``; ``input_shape`` settles the size a stride leaves ambiguous.

    Notes
    -----
    VJP::

        dg      = conv2d(dout, weight)               (its adjoint: the convolution)
        dweight = conv2d_weight(dout, g)

    (``out`` is bilinear in ``g`` and ``weight``: ``<dout, out> = <conv2d(dout, weight), g>``.)
    """
    name, arity = "conv2d_input", 2

    @classmethod
    def sample_inputs(cls, draw):
        (x_shape, w_shape), params, out = _sample_conv(draw, 2)
        return [out, w_shape], {**params, "input_shape": x_shape}

    @staticmethod
    def forward(g, weight, input_shape=None, stride=1, padding=0, dilation=1, groups=1):
        gm = _adjoint_geometry("conv2d_input", input_shape, weight.shape, g, stride, padding,
                               dilation, groups)
        return _input_grad(_batch_last(g, gm), weight, gm)

    @staticmethod
    def vjp(dout, out, g, weight, input_shape=None, stride=1, padding=0, dilation=1, groups=1,
            needs=(True, True)):
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return (Conv2d.dispatch(dout, weight, _zeros_bias(weight), **kw) if needs[0] else None,
                Conv2dWeight.dispatch(dout, g, weight_shape=weight.shape, **kw) if needs[1] else None)


class Conv2dWeight(_ConvOp):
    """The gradient of :class:`Conv2d` with respect to its weight, as an op:
    ``out = conv2d_weight(x, g, weight_shape)`` is ``dL/dweight`` for a cotangent
    ``g`` (N, O, Ho, Wo) of ``conv2d(x, weight, ...)`` with
    ``weight.shape == weight_shape`` (``torch.nn.grad.conv2d_weight``, tensors first).

    Notes
    -----
    VJP::

        dx = conv2d_input(g, dout)
        dg = conv2d(x, dout)

    (``out`` is bilinear in ``x`` and ``g``: ``<dout, out> = <conv2d(x, dout), g>``.)
    """
    name, arity = "conv2d_weight", 2

    @classmethod
    def sample_inputs(cls, draw):
        (x_shape, w_shape), params, out = _sample_conv(draw, 2)
        return [x_shape, out], {**params, "weight_shape": w_shape}

    @staticmethod
    def forward(x, g, weight_shape=None, stride=1, padding=0, dilation=1, groups=1):
        gm = _adjoint_geometry("conv2d_weight", x.shape, weight_shape, g, stride, padding,
                               dilation, groups)
        cols = _im2col(x, gm, _dtype(x, g))
        return _weight_grad(cols, _batch_last(g, gm), tuple(weight_shape))

    @staticmethod
    def vjp(dout, out, x, g, weight_shape=None, stride=1, padding=0, dilation=1, groups=1,
            needs=(True, True)):
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return (Conv2dInput.dispatch(g, dout, input_shape=x.shape, **kw) if needs[0] else None,
                Conv2d.dispatch(x, dout, _zeros_bias(dout), **kw) if needs[1] else None)


def _check_cotangent(op: str, g: Any, gm: _Geometry) -> None:
    want = (gm.n, gm.o, gm.ho, gm.wo)
    if tuple(g.shape) != want:
        raise ValueError(f"{op}: the cotangent g must have the convolution's output shape {want}, "
                         f"got shape {tuple(g.shape)}")


def _adjoint_geometry(op: str, x_shape: Any, w_shape: Any, g: Any, *args: Any) -> _Geometry:
    """The checked geometry of the convolution whose gradient ``op`` computes from ``g``."""
    if x_shape is None or w_shape is None:
        raise TypeError(f"{op}: {'input_shape' if x_shape is None else 'weight_shape'} is required")
    gm = _conv_geometry(op, 2, tuple(x_shape), tuple(w_shape), *args)
    _check_cotangent(op, g, gm)
    return gm


class Conv1d(Conv2d):
    """1-D convolution of ``x`` (N, C, L) with ``weight`` (O, C/groups, kL), plus
    ``bias`` (O,) or None: ``torch.nn.functional.conv1d``, computed as a
    :class:`Conv2d` of unit height (the same kernels, no copy to get there).

    ``out[n, o, p] = bias[o] + sum over c in o's group, i of
    weight[o, c, i] * xpad[n, c, p*stride + i*dilation]``

    Notes
    -----
    VJP::

        dx      = conv2d_input(g, weight) of unit height (the flipped-kernel correlation)
                  dxpad[n, c, p*s + i*d] += sum_o weight[o, c, i] g[n, o, p]
        dweight = conv2d_weight(x, g) of unit height:
                  dweight[o, c, i] = sum_{n,p} g[n, o, p] xpad[n, c, p*s + i*d]
        dbias   = sum_{n,p} g[n, o, p]
    """
    name = "conv1d"
    nd = 1

    @staticmethod
    def bind(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
             dilation: Any = 1, groups: int = 1) -> tuple[tuple, dict[str, Any]]:
        return (x, weight, _or_zeros(bias, weight)), dict(stride=stride, padding=padding,
                                                          dilation=dilation, groups=groups)

    @classmethod
    def vjp(cls, g, out, x, weight, bias, stride=1, padding=0, dilation=1, groups=1,
            needs=(True, True, True), saved=None):
        if saved is not None:
            return super().vjp(g, out, x, weight, bias, stride, padding, dilation, groups,
                               needs=needs, saved=saved)
        # Recorded through the 2-D ops on unit-height views.
        kw = dict(stride=_lift(stride, 1), padding=_lift(padding, 0),
                  dilation=_lift(dilation, 1), groups=groups)
        g2, w2 = g[:, :, None], weight[:, :, None]
        x_shape = (x.shape[0], x.shape[1], 1, x.shape[2])
        return (Conv2dInput.dispatch(g2, w2, input_shape=x_shape, **kw)[:, :, 0] if needs[0] else None,
                Conv2dWeight.dispatch(x[:, :, None], g2, weight_shape=w2.shape, **kw)[:, :, 0]
                if needs[1] else None,
                g.sum(axis=(0, 2)) if needs[2] else None)


def _lift(value: Any, unit: int) -> Any:
    """A checked 1-D ``stride``, ``padding`` or ``dilation`` for the unit-height 2-D op."""
    if isinstance(value, str):
        return value
    return (unit, value if _is_int(value) else value[0])

