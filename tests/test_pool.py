"""max_pool2d, avg_pool2d, adaptive_avg_pool2d: PyTorch's values and gradients on a
grid of kernel sizes, strides, paddings, dilations and ceil_mode; max_pool2d's tie
rule; the error for each kind of bad input; dtypes. The property suite
(test_ops_grad.py) checks them against central differences to second order."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import autograd_lite as al

from test_conv import _compare, _torch

rng = np.random.default_rng(1)
X = rng.standard_normal((2, 3, 7, 8))   # no ties


def _valid(kernel, padding, dilation=1):
    ks = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    reach = [dilation * (k - 1) + 1 for k in ks]
    return all(padding <= r // 2 for r in reach)


MAX_GRID = [s for s in itertools.product([2, 3, (2, 3)], [None, 1, 2, (1, 2)], [0, 1], [1, 2], [False, True])
            if _valid(s[0], s[2], s[3])]


@pytest.mark.parametrize("kernel_size,stride,padding,dilation,ceil_mode", MAX_GRID)
def test_max_pool2d_matches_torch(kernel_size, stride, padding, dilation, ceil_mode):
    torch = _torch()
    kw = dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    _compare(lambda x: al.max_pool2d(x, **kw), lambda x: torch.nn.functional.max_pool2d(x, **kw), [X])


AVG_GRID = [s for s in itertools.product([2, 3, (2, 3)], [None, 1, 2], [0, 1], [False, True], [True, False])
            if _valid(s[0], s[2])]


@pytest.mark.parametrize("kernel_size,stride,padding,ceil_mode,count_include_pad", AVG_GRID)
def test_avg_pool2d_matches_torch(kernel_size, stride, padding, ceil_mode, count_include_pad):
    torch = _torch()
    kw = dict(kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
              count_include_pad=count_include_pad)
    _compare(lambda x: al.avg_pool2d(x, **kw), lambda x: torch.nn.functional.avg_pool2d(x, **kw), [X])


def test_avg_pool2d_divisor_override_matches_torch():
    torch = _torch()
    kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=5)
    _compare(lambda x: al.avg_pool2d(x, **kw), lambda x: torch.nn.functional.avg_pool2d(x, **kw), [X])


@pytest.mark.parametrize("output_size", [1, 2, 3, (2, 5), (None, 3), (4, None), (7, 8), 9])
def test_adaptive_avg_pool2d_matches_torch(output_size):
    torch = _torch()
    _compare(lambda x: al.adaptive_avg_pool2d(x, output_size),
             lambda x: torch.nn.functional.adaptive_avg_pool2d(x, output_size), [X])


@pytest.mark.parametrize("name,kw", [
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True)),
    ("avg_pool2d", dict(kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("adaptive_avg_pool2d", dict(output_size=(3, 5))),
    ("adaptive_avg_pool2d", dict(output_size=1)),
])
def test_second_order_matches_torch(name, kw):
    torch = _torch()
    # Through a nonlinearity, so the second derivatives are not all zero.
    _compare(lambda x: al.tanh(getattr(al, name)(al.tanh(x), **kw)),
             lambda x: torch.tanh(getattr(torch.nn.functional, name)(torch.tanh(x), **kw)),
             [X], second_order=True)


# ---- max_pool2d's tie rule and NaN ---------------------------------------------------------------

def _grad(fn, x, create_graph=False):
    t = al.Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    out = fn(t)
    g, = al.gradients(out, [t], np.ones(out.shape), create_graph=create_graph)
    return np.asarray(getattr(g, "data", g))


@pytest.mark.parametrize("create_graph", [False, True])
def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum(create_graph):
    ones = np.ones((1, 1, 4, 4))
    # Non-overlapping 2x2 windows: each window's top-left element gets its whole gradient.
    want = np.zeros((4, 4))
    want[::2, ::2] = 1
    np.testing.assert_array_equal(_grad(lambda t: al.max_pool2d(t, 2), ones, create_graph)[0, 0], want)
    # Overlapping windows (stride 1): window (p, q) gives its gradient to (p, q).
    want = np.zeros((4, 4))
    want[:3, :3] = 1
    np.testing.assert_array_equal(_grad(lambda t: al.max_pool2d(t, 2, stride=1), ones, create_graph)[0, 0],
                                  want)
    # A tie after a smaller value: the first of the tied maxima.
    x = np.array([[[[0.0, 1.0, 1.0]]]])
    np.testing.assert_array_equal(
        _grad(lambda t: al.max_pool2d(t, (1, 2), stride=1), x, create_graph)[0, 0], [[0, 2, 0]])


def test_max_pool2d_ties_agree_with_torch():
    torch = _torch()
    x = rng.integers(0, 3, (2, 2, 6, 7)).astype(np.float64)   # many ties
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
               dict(kernel_size=2, stride=2, dilation=2, ceil_mode=True)):
        t = torch.tensor(x, requires_grad=True)
        torch.nn.functional.max_pool2d(t, **kw).sum().backward()
        np.testing.assert_array_equal(_grad(lambda a: al.max_pool2d(a, **kw), x), t.grad.numpy())


def test_max_pool2d_windows_of_minus_infinity_pass_the_gradient_to_the_input():
    torch = _torch()
    x = np.array([[[[-np.inf, -np.inf, 1.0], [-np.inf, -np.inf, 2.0], [3.0, 4.0, -np.inf]]]])
    for kw in (dict(kernel_size=2, stride=2, padding=1), dict(kernel_size=2, stride=2, ceil_mode=True)):
        t = torch.tensor(x, requires_grad=True)
        torch.nn.functional.max_pool2d(t, **kw).sum().backward()
        for create_graph in (False, True):
            np.testing.assert_array_equal(_grad(lambda a: al.max_pool2d(a, **kw), x, create_graph),
                                          t.grad.numpy())


def test_max_pool2d_propagates_nan():
    x = np.array([[[[1.0, np.nan], [3.0, 2.0]]]])
    assert np.isnan(al.max_pool2d(x, 2).item())
    np.testing.assert_array_equal(_grad(lambda t: al.max_pool2d(t, 2), x)[0, 0], [[0, 1], [0, 0]])


@pytest.mark.parametrize("fn,kw", [(al.max_pool2d, dict(kernel_size=3, stride=2, padding=1)),
                                   (al.avg_pool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                        count_include_pad=False)),
                                   (al.adaptive_avg_pool2d, dict(output_size=(2, 3))),
                                   (al.adaptive_avg_pool2d, dict(output_size=1))])
def test_float32_stays_float32(fn, kw):
    x = al.Tensor(X.astype(np.float32), requires_grad=True)
    seen = []
    with al.hooks.register_backward_hook(
            lambda node, g, dxs: seen.extend(d.dtype for d in dxs if d is not None)):
        out = fn(x, **kw)
        out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32 and set(seen) == {np.dtype(np.float32)}


def test_integer_inputs():
    x = np.arange(16).reshape(1, 1, 4, 4)
    assert al.max_pool2d(x, 2).dtype == x.dtype
    np.testing.assert_array_equal(al.max_pool2d(x, 2).data[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(al.avg_pool2d(x, 2).data[0, 0], [[2.5, 4.5], [10.5, 12.5]])


# ---- errors ---------------------------------------------------------------------------------------

def _raises(kind, pattern, fn, *args, **kwargs):
    with pytest.raises(kind) as info:
        fn(*args, **kwargs)
    assert re.search(pattern, str(info.value)), str(info.value)


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_window_errors(name):
    fn = getattr(al, name)
    _raises(ValueError, rf"{name}: expected an input x of shape \(N, C, H, W\) \(4 dimensions\), got shape "
            r"\(3, 7, 8\) \(3 dimensions\); for one sample use x\[None\]", fn, X[0], 2)
    _raises(TypeError, rf"{name}: kernel_size is required", fn, X)
    _raises(ValueError, rf"{name}: kernel_size must be positive, got 0", fn, X, 0)
    _raises(ValueError, rf"{name}: stride must be positive, got \(1, 0\)", fn, X, 2, (1, 0))
    _raises(TypeError, rf"{name}: stride must be an int or a tuple of 2 ints, got 1.5", fn, X, 2, 1.5)
    _raises(ValueError, rf"{name}: padding must be non-negative, got -1", fn, X, 2, padding=-1)
    _raises(ValueError, rf"{name}: padding 2 must be at most half of the .*kernel size 3", fn, X, 3,
            padding=2)
    _raises(TypeError, rf"{name}: ceil_mode must be a bool, got 1", fn, X, 2, ceil_mode=1)
    _raises(ValueError, rf"{name}: the output would be empty: input size \(7, 8\), kernel \(9, 3\), "
            r"stride \(9, 3\), padding \(0, 0\), dilation \(1, 1\) give .* = \(0, 2\): the kernel "
            r"\(spanning \(9, 3\).*\) is larger than the padded input \(\(7, 8\)\)", fn, X, (9, 3))


def test_max_pool2d_dilation_errors():
    _raises(ValueError, r"max_pool2d: dilation must be positive, got 0", al.max_pool2d, X, 2, dilation=0)
    _raises(ValueError, r"max_pool2d: the output would be empty: .*dilation \(3, 3\)", al.max_pool2d, X, 4,
            dilation=3)


def test_ceil_mode_keeps_a_window_that_starts_inside_the_input_as_torch_does():
    torch = _torch()
    x = rng.standard_normal((1, 1, 4, 4))
    for name in ("max_pool2d", "avg_pool2d"):
        out = getattr(al, name)(x, 5, stride=2, ceil_mode=True)
        want = getattr(torch.nn.functional, name)(torch.tensor(x), 5, stride=2, ceil_mode=True)
        assert out.shape == tuple(want.shape) == (1, 1, 1, 1)
        np.testing.assert_allclose(out.data, want.numpy(), rtol=1e-12)


def test_avg_pool2d_divisor_override_must_be_positive():
    _raises(ValueError, r"avg_pool2d: divisor_override must be None or a positive int, got 0",
            al.avg_pool2d, X, 2, divisor_override=0)


def test_adaptive_avg_pool2d_errors():
    _raises(ValueError, r"adaptive_avg_pool2d: expected an input x of shape \(N, C, H, W\)",
            al.adaptive_avg_pool2d, X[0], 2)
    _raises(TypeError, r"adaptive_avg_pool2d: output_size is required", al.adaptive_avg_pool2d, X)
    _raises(TypeError, r"adaptive_avg_pool2d: output_size must be an int or a pair of ints \(or None\), "
            r"got \(1, 2, 3\)", al.adaptive_avg_pool2d, X, (1, 2, 3))
    _raises(ValueError, r"adaptive_avg_pool2d: the output size \(0, 2\) must be positive and the input's "
            r"spatial size \(7, 8\) non-empty", al.adaptive_avg_pool2d, X, (0, 2))
    _raises(ValueError, r"spatial size \(0, 8\) non-empty", al.adaptive_avg_pool2d, np.zeros((1, 1, 0, 8)), 1)
