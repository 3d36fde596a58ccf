"""Pooling over (N, C, H, W): ``max_pool2d``, ``avg_pool2d`` and
``adaptive_avg_pool2d``, with PyTorch's arguments, defaults and output sizes.

Each window offset is one strided slice of the (padded) input, so a k x k pool is
k * k whole-array NumPy operations, and its VJP k * k strided writes: no Python loop
over windows, no scatter (until a VJP is recorded for a second derivative).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Op
from .conv import Conv2dInput, _ints, _is_int, _spell, output_size
from .index import ScatterAdd


def _check_input(op: str, x: Any) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: expected an input x of shape (N, C, H, W) (4 dimensions), got "
                         f"shape {tuple(x.shape)} ({x.ndim} dimensions)"
                         + ("; for one sample use x[None]" if x.ndim == 3 else ""))


class _Window:
    """A pool's checked arguments and sizes; ``buffer`` is the padded input's shape,
    wide enough for ceil_mode's last windows, which may reach past the padding."""

    def __init__(self, op: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: Any, half: str) -> None:
        _check_input(op, x)
        if kernel_size is None:
            raise TypeError(f"{op}: kernel_size is required")
        self.kernel = _ints(op, "kernel_size", kernel_size, 2, 1)
        # PyTorch's default stride is the kernel size (stride=None, or an empty list).
        default = stride is None or (isinstance(stride, (list, tuple)) and not stride)
        self.stride = self.kernel if default else _ints(op, "stride", stride, 2, 1)
        self.pad = _ints(op, "padding", padding, 2, 0)
        self.dilation = _ints(op, "dilation", dilation, 2, 1)
        if not isinstance(ceil_mode, (bool, np.bool_)):
            raise TypeError(f"{op}: ceil_mode must be a bool, got {ceil_mode!r}")
        self.reach = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))
        # PyTorch's rule: padding at most half the (effective) kernel, so that every
        # window holds an element of the input.
        limit = self.reach if half == "reach" else self.kernel
        if any(p > r // 2 for p, r in zip(self.pad, limit)):
            raise ValueError(f"{op}: padding {_pair(self.pad)} must be at most half of the "
                             f"{'effective ' if half == 'reach' else ''}kernel size "
                             f"{_pair(limit)}")
        self.size = tuple(x.shape[2:])
        self.out = output_size(op, self.size, self.kernel, self.stride,
                               tuple((p, p) for p in self.pad), self.dilation, bool(ceil_mode))
        self.buffer = tuple(x.shape[:2]) + tuple(
            max(n + 2 * p, (o - 1) * s + r)
            for n, p, o, s, r in zip(self.size, self.pad, self.out, self.stride, self.reach))

    def offsets(self) -> list[tuple[int, int, tuple[slice, ...]]]:
        """``(i, j, index)`` per kernel offset: ``padded[index]`` holds, at each output
        position, the window's element at offset (i, j)."""
        (sh, sw), (dh, dw), (ho, wo) = self.stride, self.dilation, self.out
        return [(i, j, (slice(None), slice(None), slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
                        slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)))
                for i in range(self.kernel[0]) for j in range(self.kernel[1])]

    def padded(self, x: np.ndarray, fill: float) -> np.ndarray:
        if self.buffer == x.shape:
            return x
        (ph, pw), (h, w) = self.pad, self.size
        xp = np.full(self.buffer, fill, x.dtype)
        xp[:, :, ph:ph + h, pw:pw + w] = x
        return xp

    def inside(self) -> list[np.ndarray | None]:
        """Per offset, which output positions read an element of x rather than padding
        ((Ho, Wo) booleans); None for every offset when nothing is padded."""
        if self.buffer[2:] == self.size:
            return [None] * (self.kernel[0] * self.kernel[1])
        (ph, pw), (h, w) = self.pad, self.size
        real = np.zeros(self.buffer[2:], bool)
        real[ph:ph + h, pw:pw + w] = True
        return [real[index[2:]] for _, _, index in self.offsets()]

    def crop(self, dxp: np.ndarray) -> np.ndarray:
        """The input's part of a gradient with respect to the padded input."""
        if self.buffer == dxp.shape[:2] + self.size:
            return dxp
        (ph, pw), (h, w) = self.pad, self.size
        return np.ascontiguousarray(dxp[:, :, ph:ph + h, pw:pw + w])

    def scatter(self, write: Any, dtype: np.dtype) -> np.ndarray:
        """The adjoint of reading the offsets' slices: ``write(t, dest, fresh)`` puts the
        cotangent of offset t's slice into ``dest``, that slice of the gradient, by
        assignment when ``fresh`` (no other offset wrote there) or else by adding."""
        # Windows that neither overlap nor leave gaps (a 2x2 pool, stride 2) are assigned
        # into an uninitialised gradient: no zero fill and no read-modify-write.
        disjoint = self.dilation == (1, 1) and all(s >= k for s, k in zip(self.stride, self.kernel))
        tiled = disjoint and self.stride == self.kernel and self.buffer[2:] == tuple(
            o * s for o, s in zip(self.out, self.stride))
        dxp = (np.empty if tiled else np.zeros)(self.buffer, dtype)
        for t, (_, _, index) in enumerate(self.offsets()):
            write(t, dxp[index], disjoint)
        return self.crop(dxp)


def _pair(t: tuple[int, ...]) -> str:
    return str(t[0]) if len(set(t)) == 1 else str(t)


def _sample_window(draw: Any, dilation: bool) -> tuple[tuple[int, ...], dict[str, Any]]:
    kernel = (draw.integers(1, 3), draw.integers(1, 3))
    dil = (draw.integers(1, 2), draw.integers(1, 2)) if dilation else (1, 1)
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dil)]
    limit = reach if dilation else kernel
    pad = tuple(draw.integers(0, r // 2) for r in limit)
    stride = None if draw.booleans() else (draw.integers(1, 3), draw.integers(1, 3))
    sizes = tuple(max(1, r - 2 * p) + draw.integers(0, 3) for r, p in zip(reach, pad))
    params = {"kernel_size": _spell(draw, kernel), "padding": _spell(draw, pad),
              "stride": stride if stride is None else _spell(draw, stride), "ceil_mode": draw.booleans()}
    if dilation:
        params["dilation"] = _spell(draw, dil)
    return (draw.integers(0, 2), draw.integers(1, 2)) + sizes, params


class MaxPool2d(Op):
    """``out[n, c, p, q] = max over i, j of xpad[n, c, p*sH + i*dH, q*sW + j*dW]``:
    ``torch.nn.functional.max_pool2d`` (``kernel_size``, ``stride`` = the kernel
    size by default, ``padding`` with -inf, at most half the effective kernel,
    ``dilation``, ``ceil_mode``), on (N, C, H, W).

    A NaN in a window makes its output NaN, as in PyTorch.

    Notes
    -----
    VJP::

        dx[n, c, argmax of the window] += g[n, c, p, q]      (for every window)

    The whole cotangent of a window goes to one element. Ties: the first maximum in
    row-major order within the window, PyTorch's rule (``[[1, 1], [1, 1]]`` sends it
    all to the top-left); a window with a NaN sends it to its first NaN. Overlapping
    windows add up.
    """
    name = "max_pool2d"
    kind = "custom"
    domain = ("distinct",)   # ties are kinks

    @classmethod
    def sample_inputs(cls, draw):
        shape, params = _sample_window(draw, dilation=True)
        return [shape], params

    @staticmethod
    def _window(x, kernel_size, stride, padding, dilation, ceil_mode) -> _Window:
        return _Window("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode, "reach")

    @staticmethod
    def forward(x, kernel_size=None, stride=None, padding=0, dilation=1, ceil_mode=False):
        win = MaxPool2d._window(x, kernel_size, stride, padding, dilation, ceil_mode)
        xp = win.padded(x, _lowest(x.dtype))
        offsets = win.offsets()
        out = xp[offsets[0][2]].copy()
        for _, _, index in offsets[1:]:
            np.maximum(out, xp[index], out=out)   # NaN wins, as in PyTorch
        return out

    @staticmethod
    def vjp(g, out, x, kernel_size=None, stride=None, padding=0, dilation=1, ceil_mode=False):
        # The winners are found again from x and out rather than saved by the forward:
        # a few boolean passes, and the forward stays one np.maximum per offset. (2x2
        # pool of 64x6x24x24 float32, forward + backward: 0.6 ms; with an argmax kept
        # by masked copies in the forward, 3.3 ms.)
        win = MaxPool2d._window(x, kernel_size, stride, padding, dilation, ceil_mode)
        if type(g) is np.ndarray and type(x) is np.ndarray:
            def write(t, dest, fresh):
                if fresh:
                    np.multiply(g, masks[t], out=dest)
                else:
                    dest += g * masks[t]
            masks = list(_winners(x, out, win))
            return (win.scatter(write, g.dtype),)
        # Tensors (recorded): a scatter-add of g to the winners' flat positions.
        arg = sum(t * mask for t, mask in enumerate(_winners(np.asarray(x), np.asarray(out), win)))
        return (ScatterAdd.dispatch(g.reshape(-1), index=_flat_positions(arg, win),
                                    shape=(int(np.prod(x.shape)),)).reshape(x.shape),)


def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _winners(x: np.ndarray, out: np.ndarray, win: _Window):
    """For each kernel offset, where it holds its window's maximum, the first one in
    row-major order (PyTorch's tie rule): exactly one offset per window. A NaN window's
    first NaN. Padding never wins: a window of -inf gives it to its first element of x,
    as PyTorch does."""
    xp = win.padded(x, _lowest(x.dtype))
    nan = x.dtype.kind == "f" and bool(np.isnan(out).any())   # a pass over the output only
    taken = np.zeros(out.shape, bool)
    for (_, _, index), inside in zip(win.offsets(), win.inside()):
        part = xp[index]
        mask = part == out
        if nan:
            mask |= part != part
        if inside is not None:
            mask &= inside
        np.greater(mask, taken, out=mask)   # and not taken by an earlier offset
        taken |= mask
        yield mask


def _flat_positions(arg: np.ndarray, win: _Window) -> np.ndarray:
    """The flat index into x of the element at offset ``arg`` of each window."""
    n, c, ho, wo = arg.shape
    (h, w), (sh, sw), (dh, dw), (ph, pw) = win.size, win.stride, win.dilation, win.pad
    i, j = np.divmod(arg, win.kernel[1])
    rows = np.arange(ho)[:, None] * sh + i * dh - ph
    cols = np.arange(wo)[None, :] * sw + j * dw - pw
    planes = np.arange(n * c).reshape(n, c, 1, 1)
    return ((planes * h + rows) * w + cols).reshape(-1)


class AvgPool2d(Op):
    """``out[n, c, p, q] = sum over i, j of xpad[n, c, p*sH + i, q*sW + j] / divisor``:
    ``torch.nn.functional.avg_pool2d`` (``kernel_size``, ``stride`` = the kernel size
    by default, zero ``padding`` of at most half the kernel, ``ceil_mode``,
    ``count_include_pad=True``, ``divisor_override``), on (N, C, H, W).

    The divisor is PyTorch's: ``divisor_override`` if given; else the window's size
    clipped to the padded input (``count_include_pad=True``) or the number of the
    input's own elements in it (``False``). A ceil_mode window past the padding
    counts only what it covers.

    Notes
    -----
    VJP::

        dxpad[n, c, p*sH + i, q*sW + j] += g[n, c, p, q] / divisor[p, q]   (for every i, j)

    that is, ``conv2d_input`` of ``g / divisor`` with a kernel of ones, one channel
    per group, which is how it is recorded for higher-order gradients.
    """
    name = "avg_pool2d"
    kind = "custom"
    params = {"count_include_pad": (True, False), "divisor_override": (None, 3)}

    @classmethod
    def sample_inputs(cls, draw):
        shape, params = _sample_window(draw, dilation=False)
        return [shape], {**params, **draw.params()}

    @staticmethod
    def _window(x, kernel_size, stride, padding, ceil_mode, divisor_override) -> _Window:
        win = _Window("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode, "kernel")
        if divisor_override is not None and (not _is_int(divisor_override) or divisor_override < 1):
            raise ValueError(f"avg_pool2d: divisor_override must be None or a positive int, "
                             f"got {divisor_override!r}")
        return win

    @staticmethod
    def _divisor(win: _Window, count_include_pad: bool, divisor_override: Any, dtype: np.dtype) -> Any:
        """The divisor of every output position: a number, or an (Ho, Wo) array."""
        if divisor_override is not None:
            return int(divisor_override)
        counts = []
        for n, p, k, s, o in zip(win.size, win.pad, win.kernel, win.stride, win.out):
            start = np.arange(o) * s - p
            end = np.minimum(start + k, n + p)
            if not count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, n)
            counts.append(end - start)
        div = counts[0][:, None] * counts[1][None, :]
        # A Python int when uniform: a NumPy integer would promote float32 to float64.
        return int(div.flat[0]) if div.size and (div == div.flat[0]).all() else div.astype(dtype)

    @staticmethod
    def forward(x, kernel_size=None, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        win = AvgPool2d._window(x, kernel_size, stride, padding, ceil_mode, divisor_override)
        xp = win.padded(x, 0)
        offsets = win.offsets()
        # Integers average to float64, as in np.mean; floats keep their precision.
        total = xp[offsets[0][2]].astype(x.dtype if x.dtype.kind == "f" else np.float64)
        for _, _, index in offsets[1:]:
            total += xp[index]
        total /= AvgPool2d._divisor(win, count_include_pad, divisor_override, total.dtype)
        return total

    @staticmethod
    def vjp(g, out, x, kernel_size=None, stride=None, padding=0, ceil_mode=False,
            count_include_pad=True, divisor_override=None):
        win = AvgPool2d._window(x, kernel_size, stride, padding, ceil_mode, divisor_override)
        scaled = g / AvgPool2d._divisor(win, count_include_pad, divisor_override, g.dtype)
        if type(g) is np.ndarray:
            def write(t, dest, fresh):
                if fresh:
                    dest[...] = scaled
                else:
                    dest += scaled
            return (win.scatter(write, scaled.dtype),)
        # Tensors (recorded): the same sum as a transposed convolution with a kernel of
        # ones, whose input is widened to the buffer's extent so ceil_mode's last
        # windows fit, then cut back.
        n, c, h, w = x.shape
        if c == 0:
            return (np.zeros(x.shape, g.dtype),)
        wide = (n, c) + tuple(b - 2 * p for b, p in zip(win.buffer[2:], win.pad))
        ones = np.ones((c, 1) + win.kernel, g.dtype)
        dx = Conv2dInput.dispatch(scaled, ones, input_shape=wide, stride=win.stride,
                                  padding=win.pad, groups=c)
        return (dx[:, :, :h, :w] if wide != tuple(x.shape) else dx,)


class AdaptiveAvgPool2d(Op):
    """``torch.nn.functional.adaptive_avg_pool2d``: the mean of each of
    ``output_size`` = (oh, ow) windows tiling (N, C, H, W), window ``i`` spanning
    rows ``floor(i H / oh)`` to ``ceil((i + 1) H / oh)`` (and columns alike).
    ``output_size`` is an int or a pair; None in it keeps that side's size.
    ``output_size=1`` is global average pooling.

    Notes
    -----
    VJP::

        dx = Ph^T g Pw      (per (n, c); Ph[i, h] = 1 / len(row window i) if h is in it, else 0;
                             Pw alike, and out = Ph x Pw^T)

    The windows' sizes multiply, so the pooling is separable: two matrix products,
    which is also how it is recorded for higher-order gradients.
    """
    name = "adaptive_avg_pool2d"
    kind = "custom"

    @classmethod
    def sample_inputs(cls, draw):
        shape = (draw.integers(0, 2), draw.integers(1, 2), draw.integers(1, 5), draw.integers(1, 5))
        form = draw.sampled_from(["int", "pair", "none"])
        size: Any = draw.integers(1, 4)
        if form != "int":
            size = (size, draw.integers(1, 4))
        if form == "none":
            size = (None, size[1]) if draw.booleans() else (size[0], None)
        return [shape], {"output_size": size}

    @staticmethod
    def _matrices(x, output_size) -> tuple[np.ndarray, np.ndarray]:
        op = "adaptive_avg_pool2d"
        _check_input(op, x)
        if output_size is None:
            raise TypeError(f"{op}: output_size is required")
        sizes = (output_size,) * 2 if _is_int(output_size) or output_size is None else output_size
        if not isinstance(sizes, (tuple, list)) or len(sizes) != 2 or not all(
                s is None or _is_int(s) for s in sizes):
            raise TypeError(f"{op}: output_size must be an int or a pair of ints (or None), "
                            f"got {output_size!r}")
        if any(s is not None and s < 1 for s in sizes) or 0 in x.shape[2:]:
            raise ValueError(f"{op}: the output size {tuple(sizes)} must be positive and the input's "
                             f"spatial size {tuple(x.shape[2:])} non-empty")
        dtype = np.result_type(x.dtype, np.float32)
        mats = []
        for n, o in zip(x.shape[2:], sizes):
            o = n if o is None else o
            m = np.zeros((o, n), dtype)
            for i in range(o):
                start, end = i * n // o, -(-(i + 1) * n // o)
                m[i, start:end] = 1 / (end - start)
            mats.append(m)
        return mats[0], mats[1]

    @staticmethod
    def forward(x, output_size=None):
        ph, pw = AdaptiveAvgPool2d._matrices(x, output_size)
        if ph.shape[0] == pw.shape[0] == 1:  # global pooling: one mean, no products
            return np.mean(x, axis=(2, 3), keepdims=True, dtype=ph.dtype)
        return _separable(x, ph, pw)

    @staticmethod
    def vjp(g, out, x, output_size=None):
        ph, pw = AdaptiveAvgPool2d._matrices(x, output_size)
        if ph.shape[0] == pw.shape[0] == 1:
            return (np.broadcast_to(g * (1 / (ph.shape[1] * pw.shape[1])), x.shape),)
        return (_separable(g, ph.T, pw.T),)


def _separable(a: Any, left: np.ndarray, right: np.ndarray) -> Any:
    """``left @ a[n, c] @ right.T`` for every (n, c), as two single matrix products
    (on arrays or, recorded, on Tensors)."""
    n, c, h, w = a.shape
    h2, w2 = left.shape[0], right.shape[0]
    y = a.reshape(n * c * h, w) @ right.T                             # (n c h, w2)
    y = y.reshape(n * c, h, w2).transpose(1, 0, 2).reshape(h, n * c * w2)
    z = left @ y                                                      # (h2, n c w2)
    return z.reshape(h2, n * c, w2).transpose(1, 0, 2).reshape(n, c, h2, w2)
