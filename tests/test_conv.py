"""conv2d and conv1d: PyTorch's values and gradients (first and second order) on a
grid of strides, paddings, dilations and groups; the error for each kind of bad
input; dtypes; the public functions. The property suite (test_ops_grad.py) checks
them, and conv2d_input / conv2d_weight, against central differences."""

from __future__ import annotations

import inspect
import itertools
import pickle
import re

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch


def _compare(al_fn, torch_fn, arrays, second_order=False, rtol=1e-10, atol=1e-10):
    """Forward, first-order gradients of every input, and (optionally) the gradient of
    <dL/dinputs, v> with respect to every input, autograd_lite against torch, float64."""
    torch = _torch()
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours = [al.Tensor(a, requires_grad=True) for a in arrays]
    want, got = torch_fn(*ts), al_fn(*ours)
    np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=rtol, atol=atol)
    g = rng.standard_normal(want.shape)
    want_d = torch.autograd.grad(want, ts, torch.tensor(g), create_graph=second_order)
    got_d = al.gradients(got, ours, g, create_graph=second_order)
    for a, b in zip(got_d, want_d):
        np.testing.assert_allclose(np.asarray(getattr(a, "data", a)), b.detach().numpy(),
                                   rtol=rtol, atol=atol)
    if second_order:
        vs = [rng.standard_normal(a.shape) for a in arrays]
        want2 = torch.autograd.grad(sum((d * torch.tensor(v)).sum() for d, v in zip(want_d, vs)), ts,
                                    allow_unused=True)
        got2 = al.gradients(sum((d * v).sum() for d, v in zip(got_d, vs)), ours)
        for a, b in zip(got2, want2):
            a = np.zeros(1) if a is None else np.asarray(a)
            b = np.zeros(1) if b is None else b.numpy()
            np.testing.assert_allclose(a, np.broadcast_to(b, a.shape), rtol=rtol, atol=atol)


# (stride, padding, dilation, groups) over a (2, 4, 7, 6) input, 3x2 kernels.
GRID = [s for s in itertools.product([1, 2, (2, 1)], [0, 1, (2, 0), "same", "valid"], [1, (1, 2)], [1, 2])
        if not (s[1] == "same" and s[0] != 1)]


@pytest.mark.parametrize("stride,padding,dilation,groups", GRID)
def test_conv2d_matches_torch(stride, padding, dilation, groups):
    torch = _torch()
    x, w, b = (rng.standard_normal(s) for s in ((2, 4, 7, 6), (6, 4 // groups, 3, 2), (6,)))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    _compare(lambda x, w, b: al.conv2d(x, w, b, **kw),
             lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kw), [x, w, b])


@pytest.mark.parametrize("stride,padding,dilation,groups",
                         [(1, 0, 1, 1), (2, 1, 1, 2), (1, "same", 2, 1), ((2, 1), (0, 2), (2, 1), 2)])
def test_conv2d_second_order_matches_torch(stride, padding, dilation, groups):
    torch = _torch()
    x, w, b = (rng.standard_normal(s) for s in ((2, 4, 6, 7), (4, 4 // groups, 2, 3), (4,)))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    _compare(lambda x, w, b: al.conv2d(x, w, b, **kw),
             lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kw), [x, w, b], second_order=True)


@pytest.mark.parametrize("stride,padding,dilation,groups",
                         [(1, 0, 1, 1), (2, 1, 1, 2), (1, "same", 2, 1), (3, (2,), 2, 2),
                          ((2,), "valid", (3,), 1)])
def test_conv1d_matches_torch_to_second_order(stride, padding, dilation, groups):
    torch = _torch()
    x, w, b = (rng.standard_normal(s) for s in ((3, 4, 11), (6, 4 // groups, 3), (6,)))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    _compare(lambda x, w, b: al.conv1d(x, w, b, **kw),
             lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **kw), [x, w, b], second_order=True)


def test_even_kernel_same_padding_puts_the_extra_zero_after_as_torch_does():
    torch = _torch()
    x, w = rng.standard_normal((1, 1, 5, 6)), rng.standard_normal((1, 1, 2, 4))
    out = al.conv2d(x, w, padding="same")
    assert out.shape == (1, 1, 5, 6)
    np.testing.assert_allclose(out.data, torch.nn.functional.conv2d(
        torch.tensor(x), torch.tensor(w), padding="same").numpy(), rtol=1e-12)


def test_gradcheck_and_gradgradcheck_with_every_argument():
    x, w, b = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((4, 2, 2, 3)), rng.standard_normal(4)

    def fn(x, w, b):
        return al.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    assert gradcheck(fn, x, w, b)
    assert gradgradcheck(fn, x, w, b)


def test_third_order_matches_torch():
    # Every VJP recorded as convolution ops, three times over, through a nonlinearity.
    torch = _torch()
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    u, v = rng.standard_normal(x.shape), rng.standard_normal(w.shape)

    def third(lib, conv, tanh, grad, x, w):
        dx, = grad(tanh(conv(x, w, stride=2, padding=1)).sum(), [x])
        dw, = grad((dx * lib(u)).sum(), [w])
        return grad((dw * lib(v)).sum(), [x, w])

    t_grad = lambda out, ins: torch.autograd.grad(out, ins, create_graph=True)  # noqa: E731
    a_grad = lambda out, ins: al.gradients(out, ins, create_graph=True)  # noqa: E731
    want = third(torch.tensor, torch.nn.functional.conv2d, torch.tanh, t_grad,
                 *(torch.tensor(a, requires_grad=True) for a in (x, w)))
    got = third(al.Tensor, al.conv2d, al.tanh, a_grad, *(al.Tensor(a, requires_grad=True) for a in (x, w)))
    for a, b in zip(got, want):
        assert np.abs(b.detach().numpy()).max() > 1e-3   # not trivially zero
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_no_bias_equals_a_zero_bias_and_gets_no_gradient_slot():
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    np.testing.assert_array_equal(al.conv2d(x, w, padding=1).data,
                                  al.conv2d(x, w, np.zeros(4), padding=1).data)
    wt = al.Tensor(w, requires_grad=True)
    al.conv2d(x, wt).sum().backward()
    assert wt.grad.shape == w.shape
    assert al.conv1d(x[:, :, 0], w[:, :, 0]).shape == (2, 4, 4)


def test_public_functions_read_like_torch():
    assert list(inspect.signature(al.conv2d).parameters) == [
        "x", "weight", "bias", "stride", "padding", "dilation", "groups"]
    assert inspect.signature(al.conv2d).parameters["bias"].default is None
    assert al.conv2d.__doc__ == al.ops.conv.Conv2d.__doc__ and al.conv1d.op is al.ops.conv.Conv1d
    assert pickle.loads(pickle.dumps(al.conv2d)) is al.conv2d
    # positional params after the tensors, as in torch
    x, w = rng.standard_normal((1, 1, 5, 5)), rng.standard_normal((1, 1, 3, 3))
    np.testing.assert_array_equal(al.conv2d(x, w, None, 2, 1).data,
                                  al.conv2d(x, w, stride=2, padding=1).data)


@pytest.mark.parametrize("fn", [al.conv2d, al.conv1d])
def test_float32_stays_float32(fn):
    nd = 2 if fn is al.conv2d else 1
    x = al.Tensor(rng.standard_normal((2, 4) + (6,) * nd).astype(np.float32), requires_grad=True)
    w = al.Tensor(rng.standard_normal((4, 2) + (3,) * nd).astype(np.float32), requires_grad=True)
    b = al.Tensor(np.zeros(4, np.float32), requires_grad=True)
    seen = []
    with al.hooks.register_backward_hook(
            lambda node, g, dxs: seen.extend(d.dtype for d in dxs if d is not None)):
        out = fn(x, w, b, padding=1, groups=2)
        out.sum().backward()
    assert out.dtype == np.float32 and seen and set(seen) == {np.dtype(np.float32)}
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_non_contiguous_inputs():
    x = rng.standard_normal((6, 5, 3, 2)).transpose(3, 2, 1, 0)   # (2, 3, 5, 6), not contiguous
    w = rng.standard_normal((3, 3, 2, 4))[:, :, ::-1]
    np.testing.assert_allclose(al.conv2d(x, w, stride=2).data,
                               al.conv2d(x.copy(), w.copy(), stride=2).data, rtol=1e-13)


def test_empty_batch_and_channels():
    out = al.conv2d(np.zeros((0, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(3))
    assert out.shape == (0, 3, 3, 3)
    w = al.Tensor(np.ones((3, 2, 3, 3)), requires_grad=True)
    al.conv2d(np.zeros((0, 2, 5, 5)), w).sum().backward()
    np.testing.assert_array_equal(w.grad, 0)


def test_vjp_math_against_a_direct_loop():
    # Independent of torch: out, dx, dw and db from the definitions, by loops.
    x, w, b = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((2, 1, 2, 2)), rng.standard_normal(2)
    s, p, d, groups = 2, 1, 2, 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ho, wo = (5 + 2 * p - d - 1) // s + 1, (4 + 2 * p - d - 1) // s + 1
    want = np.zeros((2, 2, ho, wo))
    for n, o, i, j in itertools.product(range(2), range(2), range(ho), range(wo)):
        c = o  # groups == channels: channel o sees input channel o only
        want[n, o, i, j] = b[o] + np.sum(w[o, 0] * xp[n, c, i * s:i * s + 2 * d:d, j * s:j * s + 2 * d:d])
    ts = [al.Tensor(a, requires_grad=True) for a in (x, w, b)]
    out = al.conv2d(*ts, stride=s, padding=p, dilation=d, groups=groups)
    np.testing.assert_allclose(out.data, want, rtol=1e-12)
    g = rng.standard_normal(want.shape)
    dx, dw, db = al.gradients(out, ts, g)
    dxp, dw_want = np.zeros_like(xp), np.zeros_like(w)
    for n, o, i, j in itertools.product(range(2), range(2), range(ho), range(wo)):
        window = (n, o, slice(i * s, i * s + 2 * d, d), slice(j * s, j * s + 2 * d, d))
        dxp[window] += g[n, o, i, j] * w[o, 0]
        dw_want[o, 0] += g[n, o, i, j] * xp[window]
    np.testing.assert_allclose(dx, dxp[:, :, p:-p, p:-p], rtol=1e-12)
    np.testing.assert_allclose(dw, dw_want, rtol=1e-12)
    np.testing.assert_allclose(db, g.sum(axis=(0, 2, 3)), rtol=1e-12)


# ---- errors -----------------------------------------------------------------------------------

def _raises(kind, pattern, fn, *args, **kwargs):
    with pytest.raises(kind) as info:
        fn(*args, **kwargs)
    assert re.search(pattern, str(info.value)), str(info.value)
    return str(info.value)


X, W = np.zeros((2, 3, 8, 8)), np.zeros((4, 3, 3, 3))


def test_a_batch_without_channels_names_the_expected_layout():
    msg = _raises(ValueError, r"conv2d: expected an input x of shape \(N, C, H, W\) \(4 dimensions\), "
                  r"got shape \(2, 8, 8\)", al.conv2d, np.zeros((2, 8, 8)), W)
    assert "x[None]" in msg
    _raises(ValueError, r"conv1d: expected an input x of shape \(N, C, L\)", al.conv1d, np.zeros((3, 8)),
            np.zeros((2, 3, 3)))
    _raises(ValueError, r"conv2d: expected a weight of shape \(out_channels, in_channels / groups, "
            r"kH, kW\), got shape \(4, 3, 3\)", al.conv2d, X, np.zeros((4, 3, 3)))


def test_channel_mismatch_names_in_channels_and_the_inputs_channels():
    _raises(ValueError, r"conv2d: weight of shape \(4, 2, 3, 3\) with groups=1 expects in_channels = "
            r"weight.shape\[1\] \* groups = 2, but the input of shape \(2, 3, 8, 8\) has 3 channels",
            al.conv2d, X, np.zeros((4, 2, 3, 3)))


def test_groups_must_divide_the_channels():
    _raises(ValueError, r"conv2d: groups=2 must divide both in_channels \(3, the input's channels\) "
            r"and out_channels \(4", al.conv2d, X, np.zeros((4, 1, 3, 3)), groups=2)
    _raises(ValueError, r"conv2d: groups=2 must divide .* out_channels \(3", al.conv2d,
            np.zeros((2, 4, 8, 8)), np.zeros((3, 2, 3, 3)), groups=2)
    _raises(ValueError, r"conv2d: groups must be positive, got 0", al.conv2d, X, W, groups=0)
    _raises(TypeError, r"conv2d: groups must be an int, got 1.0", al.conv2d, X, W, groups=1.0)


def test_a_kernel_larger_than_the_padded_input_shows_the_formula():
    msg = _raises(ValueError, r"conv2d: the output would be empty: input size \(4, 4\), kernel \(5, 5\), "
                  r"stride \(1, 1\), padding \(0, 0\), dilation \(1, 1\) give "
                  r"floor\(\(in \+ 2\*padding - dilation\*\(kernel-1\) - 1\) / stride\) \+ 1 = \(0, 0\)",
                  al.conv2d, np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 5, 5)))
    assert "larger than the padded input ((4, 4))" in msg
    # Dilation widens the kernel: 3 taps 3 apart span 7 > 4 (and the formula goes negative).
    _raises(ValueError, r"input size \(4, 9\), kernel \(3, 3\), stride \(1, 1\), padding \(0, 0\), "
            r"dilation \(3, 3\) give .* = \(-2, 3\): the kernel \(spanning \(7, 7\) with its "
            r"dilation\) is larger than the padded input \(\(4, 9\)\)", al.conv2d,
            np.zeros((1, 1, 4, 9)), np.zeros((1, 1, 3, 3)), dilation=3)
    _raises(ValueError, r"conv1d: the output would be empty: input size 2, kernel 3, stride 2, "
            r"padding 0, dilation 1 give .* = 0", al.conv1d, np.zeros((1, 1, 2)), np.zeros((1, 1, 3)),
            stride=2)


@pytest.mark.parametrize("name", ["stride", "dilation"])
def test_stride_and_dilation_must_be_positive_ints(name):
    _raises(ValueError, rf"conv2d: {name} must be positive, got 0", al.conv2d, X, W, **{name: 0})
    _raises(ValueError, rf"conv2d: {name} must be positive, got \(1, -2\)", al.conv2d, X, W,
            **{name: (1, -2)})
    _raises(TypeError, rf"conv2d: {name} must be an int or a tuple of 2 ints, got 1.5", al.conv2d, X, W,
            **{name: 1.5})
    _raises(TypeError, rf"conv2d: {name} must be an int or a tuple of 2 ints, got \(1, 1, 1\)", al.conv2d,
            X, W, **{name: (1, 1, 1)})
    _raises(TypeError, rf"conv2d: {name} must be an int or a tuple of 2 ints, got True", al.conv2d, X, W,
            **{name: True})
    _raises(TypeError, rf"conv1d: {name} must be an int or a tuple of 1 ints, got \(2, 2\)", al.conv1d,
            X[:, :, 0], W[:, :, 0], **{name: (2, 2)})


def test_padding_must_be_non_negative_ints_or_same_or_valid():
    _raises(ValueError, r"conv2d: padding must be non-negative, got -1", al.conv2d, X, W, padding=-1)
    _raises(TypeError, r"conv2d: padding must be an int, a tuple of 2 ints, 'same' or 'valid', got 0.5",
            al.conv2d, X, W, padding=0.5)
    _raises(ValueError, r"conv2d: padding must be .* got 'full'", al.conv2d, X, W, padding="full")
    _raises(ValueError, r"conv2d: padding='same' needs stride 1 \(as in PyTorch\), got stride \(2, 1\)",
            al.conv2d, X, W, padding="same", stride=(2, 1))


def test_bias_shape():
    _raises(ValueError, r"conv2d: bias must have shape \(out_channels,\) = \(4,\) for a weight of shape "
            r"\(4, 3, 3, 3\), got shape \(3,\)", al.conv2d, X, W, np.zeros(3))


def test_gradient_ops_check_their_shapes():
    _raises(ValueError, r"conv2d_input: the cotangent g must have the convolution's output shape "
            r"\(2, 4, 6, 6\), got shape \(2, 4, 5, 5\)", al.conv2d_input, np.zeros((2, 4, 5, 5)), W,
            input_shape=X.shape)
    _raises(TypeError, r"conv2d_input: input_shape is required", al.conv2d_input, np.zeros((2, 4, 6, 6)), W)
    _raises(TypeError, r"conv2d_weight: weight_shape is required", al.conv2d_weight, X,
            np.zeros((2, 4, 6, 6)))


def test_conv2d_input_and_weight_are_the_gradients():
    x, w = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2))
    kw = dict(stride=2, padding=1, dilation=(2, 1), groups=2)
    ts = [al.Tensor(a, requires_grad=True) for a in (x, w)]
    out = al.conv2d(*ts, **kw)
    g = rng.standard_normal(out.shape)
    dx, dw = al.gradients(out, ts, g)
    np.testing.assert_allclose(al.conv2d_input(g, w, input_shape=x.shape, **kw).data, dx, rtol=1e-12)
    np.testing.assert_allclose(al.conv2d_weight(x, g, weight_shape=w.shape, **kw).data, dw, rtol=1e-12)
