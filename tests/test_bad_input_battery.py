"""Bad input over the whole public surface: every public function and class of
autograd_lite (ops, transforms, viz, testing, hooks) and nn (layers, functional,
init, optim, schedulers, data, datasets, models, diagnostics, checkpoints), and every
flag of the ``autograd-lite`` command, gets at least three bad inputs. Each must
raise a specific, natural exception type (a KeyError only for a missing key; never
an AttributeError, a ZeroDivisionError or a bare NumPy error) whose message names the
function, class or argument involved; a bad flag must end the command with status 2
and a message, no traceback. ``test_every_public_name_and_flag_has_three_cases``
keeps the battery complete as the surface grows."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.cli as cli
import nn.functional as F
from nn import init
from nn.optim import lr_scheduler as sched

CASES: list[Any] = []


def case(owner: str, exc: type[BaseException] | tuple[type[BaseException], ...], pattern: str,
         call: Callable[[], Any]) -> None:
    """A bad call of ``owner``: it must raise ``exc`` with a message matching ``pattern``."""
    n = sum(1 for c in CASES if c.values[0] == owner)
    CASES.append(pytest.param(owner, call, exc, pattern, id=f"{owner}#{n}"))


def A(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    return np.arange(np.prod(shape, dtype=int), dtype=dtype).reshape(shape) + 1.0


def T(*shape: int, grad: bool = True) -> al.Tensor:
    return al.Tensor(A(*shape), requires_grad=grad)


RAGGED = [[1.0], [2.0, 3.0]]
UNWRITABLE = __file__ + "/sub"  # a "directory" inside a file: nothing can be created there
COMPLEX = np.array([1j, 2.0])
OBJECTS = np.array([None, 1.0], dtype=object)

# ==================================================================== autograd_lite ops

UNARY = ["abs", "cos", "erf", "exp", "log", "negative", "positive", "relu", "sigmoid", "sin",
         "softplus", "sqrt", "tanh", "absolute", "arccos", "arcsin", "arctan", "ceil", "cosh",
         "expm1", "floor", "log10", "log1p", "log2", "round", "sign", "sinh"]
for name in UNARY:
    f = getattr(al, name)
    op = "abs" if name == "absolute" else name
    case(f"al.{name}", TypeError, rf"^{op}: .*from str", lambda f=f: f("a"))
    case(f"al.{name}", TypeError, rf"^{op}: .*complex", lambda f=f: f(COMPLEX))
    case(f"al.{name}", TypeError, rf"^{op}: .*object", lambda f=f: f(OBJECTS))
    case(f"al.{name}", ValueError, rf"^{op}: .*inhomogeneous", lambda f=f: f(RAGGED))

BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "matmul",
          "arctan2", "hypot", "logaddexp", "dot", "inner"]
for name in BINARY:
    f = getattr(al, name)
    other = T(2, 3) if name == "matmul" else T(4)
    case(f"al.{name}", ValueError, rf"^{name}: .*\(2, 3\)", lambda f=f, o=other: f(T(2, 3), o))
    case(f"al.{name}", TypeError, rf"^{name}: input 1: .*str", lambda f=f: f(T(2, 3), "a"))
    case(f"al.{name}", TypeError, rf"^{name}: .*complex", lambda f=f: f(T(3), COMPLEX[:1]))

REDUCTIONS = ["sum", "mean", "max", "min", "var", "std", "logsumexp", "amax", "amin", "prod",
              "median", "norm", "cumsum", "cumprod", "flip", "sort"]
for name in REDUCTIONS:
    f = getattr(al, name)
    op = {"amax": "max", "amin": "min"}.get(name, name)
    case(f"al.{name}", ValueError, rf"^{op}: .*axis 5", lambda f=f: f(T(2, 3), axis=5))
    case(f"al.{name}", TypeError, rf"^{op}: .*axis", lambda f=f: f(T(2, 3), axis="a"))
    case(f"al.{name}", TypeError, rf"^{op}: .*axis", lambda f=f: f(T(2, 3), axis=1.5))
    case(f"al.{name}", TypeError, rf"^{op}: .*from str", lambda f=f: f("abc"))
for name in ("var", "std"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: .*ddof", lambda f=f: f(T(3), ddof="a"))

for name in ("softmax", "log_softmax"):
    f = getattr(al, name)
    case(f"al.{name}", ValueError, rf"^{name}: .*axis 5", lambda f=f: f(T(2, 3), axis=5))
    case(f"al.{name}", TypeError, rf"^{name}: .*axis", lambda f=f: f(T(2, 3), axis="a"))
    case(f"al.{name}", TypeError, rf"^{name}: .*from str", lambda f=f: f("a"))

case("al.reshape", ValueError, r"^reshape: .*\(2, 3\) \(6 elements\) into shape \(4,\)", lambda: al.reshape(T(2, 3), (4,)))
case("al.reshape", TypeError, r"^reshape: ", lambda: al.reshape(T(2, 3), "a"))
case("al.reshape", ValueError, r"^reshape: ", lambda: al.reshape(T(2, 3), (-1, -1)))
case("al.transpose", ValueError, r"^transpose: repeated axis", lambda: al.transpose(T(2, 3), (0, 0)))
case("al.transpose", ValueError, r"^transpose: .*axes", lambda: al.transpose(T(2, 3), (0,)))
case("al.transpose", TypeError, r"^transpose: ", lambda: al.transpose(T(2, 3), "a"))
case("al.swapaxes", ValueError, r"^swapaxes: .*axis", lambda: al.swapaxes(T(2, 3), 0, 5))
case("al.swapaxes", TypeError, r"^swapaxes: ", lambda: al.swapaxes(T(2, 3), "a", 1))
case("al.swapaxes", TypeError, r"^swapaxes: ", lambda: al.swapaxes(T(2, 3), 0, 1.5))
case("al.squeeze", ValueError, r"^squeeze: .*size", lambda: al.squeeze(T(2, 3), axis=0))
case("al.squeeze", ValueError, r"^squeeze: .*axis", lambda: al.squeeze(T(1, 3), axis=5))
case("al.squeeze", TypeError, r"^squeeze: ", lambda: al.squeeze(T(1, 3), axis="a"))
case("al.expand_dims", ValueError, r"^expand_dims: .*axis", lambda: al.expand_dims(T(2, 3), 5))
case("al.expand_dims", TypeError, r"^expand_dims: ", lambda: al.expand_dims(T(2, 3), "a"))
case("al.expand_dims", TypeError, r"^expand_dims: ", lambda: al.expand_dims(T(2, 3), 1.5))
case("al.broadcast_to", ValueError, r"^broadcast_to: .*\(2, 3\)", lambda: al.broadcast_to(T(2, 3), (3,)))
case("al.broadcast_to", TypeError, r"^broadcast_to: ", lambda: al.broadcast_to(T(2, 3), "a"))
case("al.broadcast_to", ValueError, r"^broadcast_to: ", lambda: al.broadcast_to(T(3), (-1,)))
for name in ("concatenate", "stack"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: expected a sequence", lambda f=f: f(T(2, 3)))
    case(f"al.{name}", ValueError, rf"^{name}: .*\(2, 3\)", lambda f=f: f([T(2, 3), T(3, 2)]))
    case(f"al.{name}", ValueError, rf"^{name}: .*axis", lambda f=f: f([T(2, 3), T(2, 3)], axis=5))
    case(f"al.{name}", ValueError, rf"^{name}: ", lambda f=f: f([]))
case("al.pad", ValueError, r"^pad: ", lambda: al.pad(T(2, 3), -1))
case("al.pad", ValueError, r"^pad: .*mode", lambda: al.pad(T(2, 3), 1, mode="weird"))
case("al.pad", TypeError, r"^pad: ", lambda: al.pad(T(2, 3), "a"))
case("al.getitem", IndexError, r"^getitem: .*out of bounds", lambda: al.getitem(T(2, 3), 5))
case("al.getitem", IndexError, r"^getitem: ", lambda: al.getitem(T(2, 3), "a"))
case("al.getitem", IndexError, r"^getitem: ", lambda: al.getitem(T(2, 3), 1.5))
case("al.getitem", IndexError, r"^getitem: .*too many", lambda: T(2, 3)[0, 0, 0])
case("al.scatter_add", (IndexError, ValueError), r"^scatter_add: ",
     lambda: al.scatter_add(T(2), index=np.array([5, 6]), shape=(3,)))
case("al.scatter_add", ValueError, r"^scatter_add: ",
     lambda: al.scatter_add(T(2), index=np.array([0, 1, 2]), shape=(3,)))
case("al.scatter_add", TypeError, r"^scatter_add: ",
     lambda: al.scatter_add(T(2), index=np.array([0, 1]), shape="a"))
case("al.where", ValueError, r"^where: .*\(2, 3\)", lambda: al.where(np.ones(4, bool), T(2, 3), 0.0))
case("al.where", TypeError, r"^where: input 1: .*str", lambda: al.where([True], "a", 0.0))
case("al.where", TypeError, r"^where: .*complex", lambda: al.where([True], COMPLEX[:1], 0.0))
case("al.clip", TypeError, r"^clip: ", lambda: al.clip(T(3), a_min="a"))
case("al.clip", TypeError, r"^clip: .*from str", lambda: al.clip("a", 0, 1))
case("al.clip", TypeError, r"^clip: .*complex", lambda: al.clip(COMPLEX, 0, 1))
case("al.astype", TypeError, r"^astype: ", lambda: al.astype(T(3), "floaty"))
case("al.astype", TypeError, r"^astype: .*complex", lambda: al.astype(T(3), np.complex64))
case("al.astype", TypeError, r"^astype: .*object", lambda: al.astype(T(3), object))
for name, param in (("elu", "alpha"), ("leaky_relu", "negative_slope")):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: ", lambda f=f, p=param: f(T(3), **{p: "a"}))
    case(f"al.{name}", TypeError, rf"^{name}: .*from str", lambda f=f: f("a"))
    case(f"al.{name}", TypeError, rf"^{name}: .*complex", lambda f=f: f(COMPLEX))
case("al.gelu", ValueError, r"^gelu: .*approximate", lambda: al.gelu(T(3), approximate="fast"))
case("al.gelu", TypeError, r"^gelu: .*from str", lambda: al.gelu("a"))
case("al.gelu", TypeError, r"^gelu: .*complex", lambda: al.gelu(COMPLEX))
case("al.linear", ValueError, r"^linear: .*got x \(2, 3\), weight \(4, 2\)", lambda: al.linear(T(2, 3), T(4, 2), T(4)))
case("al.linear", ValueError, r"^linear: .*bias", lambda: al.linear(T(2, 3), T(4, 3), T(5)))
case("al.linear", TypeError, r"^linear: input 1: .*str", lambda: al.linear(T(2, 3), "w", T(4)))
case("al.cross_entropy", ValueError, r"^cross_entropy: labels must lie in \[0, 3\)",
     lambda: al.cross_entropy(T(2, 3), [0, 3]))
case("al.cross_entropy", ValueError, r"^cross_entropy: .*reduction",
     lambda: al.cross_entropy(T(2, 3), [0, 1], reduction="avg"))
case("al.cross_entropy", ValueError, r"^cross_entropy: logits must have shape \(N, C\)",
     lambda: al.cross_entropy(T(3), [0, 1, 2]))
case("al.cross_entropy", TypeError, r"^cross_entropy: input 1: .*dtype <U1",
     lambda: al.cross_entropy(T(2, 3), ["a", "b"]))
case("al.cross_entropy", ValueError, r"^cross_entropy: labels must be integers .*dtype float64",
     lambda: al.cross_entropy(T(2, 3), [0.5, 1.0]))

case("al.outer", TypeError, r"^outer: input 1: .*str", lambda: al.outer(T(3), "a"))
case("al.outer", TypeError, r"^outer: .*complex", lambda: al.outer(T(2), COMPLEX))
case("al.outer", ValueError, r"^outer: .*inhomogeneous", lambda: al.outer(T(2), RAGGED))
case("al.percentile", ValueError, r"^percentile: q must lie in \[0, 100\], got 150", lambda: al.percentile(T(5), 150))
case("al.percentile", TypeError, r"^percentile: missing the 'q' argument", lambda: al.percentile(T(5)))
case("al.percentile", ValueError, r"^percentile: only method='linear'", lambda: al.percentile(T(5), 50, method="weird"))
case("al.percentile", np.exceptions.AxisError, r"^percentile: axis 5", lambda: al.percentile(T(5), 50, axis=5))
case("al.norm", ValueError, r"^norm: invalid ord 'fro2' for a matrix norm", lambda: al.norm(T(2, 3), ord="fro2"))
case("al.norm", ValueError, r"^norm: ord='nuc' is a matrix norm", lambda: al.norm(T(3), ord="nuc"))
case("al.sort", ValueError, r"^sort: sort kind must be one of", lambda: al.sort(T(3), kind="bogo"))
for name in ("det", "inv", "cholesky", "slogdet"):
    f = getattr(al, name)
    case(f"al.{name}", ValueError, rf"^{name}: expected square matrices .* got shape \(3,\)", lambda f=f: f(T(3)))
    case(f"al.{name}", ValueError, rf"^{name}: expected square matrices .* got shape \(2, 3\)", lambda f=f: f(T(2, 3)))
    case(f"al.{name}", TypeError, rf"^{name}: .*from str", lambda f=f: f("abc"))
# NumPy's LinAlgError is a ValueError: the natural type, named by the op.
case("al.inv", np.linalg.LinAlgError, r"^inv: Singular matrix", lambda: al.inv(al.Tensor(np.ones((2, 2)))))
case("al.cholesky", np.linalg.LinAlgError, r"^cholesky: Matrix is not positive definite",
     lambda: al.cholesky(al.Tensor(-np.eye(2))))
case("al.solve", ValueError, r"^solve: .*\(2, 2\), \(3,\)", lambda: al.solve(T(2, 2), T(3)))
case("al.solve", ValueError, r"^solve: expected square matrices .* got shape \(2, 3\)", lambda: al.solve(T(2, 3), T(2)))
case("al.solve", np.linalg.LinAlgError, r"^solve: Singular matrix", lambda: al.solve(al.Tensor(np.ones((2, 2))), T(2)))
case("al.solve", TypeError, r"^solve: input 1: .*str", lambda: al.solve(T(2, 2), "a"))
case("al.SlogdetResult", TypeError, r"SlogdetResult", lambda: al.SlogdetResult())
case("al.SlogdetResult", TypeError, r"SlogdetResult", lambda: al.SlogdetResult(1, 2, 3))
case("al.SlogdetResult", TypeError, r"SlogdetResult", lambda: al.SlogdetResult(bogus=1))
for name in ("diag", "tril", "triu"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: k must be an int, got 'a'", lambda f=f: f(T(3, 3), k="a"))
    case(f"al.{name}", TypeError, rf"^{name}: k must be an int, got 1.5", lambda f=f: f(T(3, 3), k=1.5))
    case(f"al.{name}", TypeError, rf"^{name}: .*from str", lambda f=f: f("abc"))
case("al.diag", ValueError, r"^diag: input must be 1-D or 2-D, got shape \(2, 2, 2\)", lambda: al.diag(T(2, 2, 2)))
for name in ("diagonal", "trace"):
    f = getattr(al, name)
    case(f"al.{name}", ValueError, rf"^{name}: .*at least two dimensions", lambda f=f: f(T(3)))
    case(f"al.{name}", np.exceptions.AxisError, rf"^{name}: axis2: axis 5", lambda f=f: f(T(2, 3), axis1=0, axis2=5))
    case(f"al.{name}", ValueError, rf"^{name}: axis1 and axis2 cannot be the same", lambda f=f: f(T(2, 3), axis1=0, axis2=0))
case("al.moveaxis", np.exceptions.AxisError, r"^moveaxis: destination: axis 5", lambda: al.moveaxis(T(2, 3), 0, 5))
case("al.moveaxis", TypeError, r"^moveaxis: missing the 'source' or 'destination' argument", lambda: al.moveaxis(T(2, 3)))
case("al.moveaxis", ValueError, r"^moveaxis: `source` and `destination` .* same number", lambda: al.moveaxis(T(2, 3), (0, 1), (0,)))
for name, param in (("repeat", "repeats"), ("tile", "reps"), ("roll", "shift")):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: missing the '{param}' argument", lambda f=f: f(T(3)))
    case(f"al.{name}", TypeError, rf"^{name}: .*from str", lambda f=f: f("abc", 2))
case("al.repeat", ValueError, r"^repeat: negative dimensions", lambda: al.repeat(T(3), -1))
case("al.repeat", np.exceptions.AxisError, r"^repeat: axis 4", lambda: al.repeat(T(3), 2, axis=4))
case("al.tile", ValueError, r"^tile: negative dimensions", lambda: al.tile(T(3), -1))
case("al.roll", np.exceptions.AxisError, r"^roll: axis 3", lambda: al.roll(T(3), 1, axis=3))
case("al.take_along_axis", TypeError, r"^take_along_axis: indices must be integers, got dtype float64",
     lambda: al.take_along_axis(T(2, 3), np.zeros((2, 1)), axis=1))
case("al.take_along_axis", IndexError, r"^take_along_axis: index 5 is out of bounds for axis 1 with size 3",
     lambda: al.take_along_axis(T(2, 3), np.array([[5], [0]]), axis=1))
case("al.take_along_axis", ValueError, r"^take_along_axis: .*same number of dimensions",
     lambda: al.take_along_axis(T(2, 3), np.array([0]), axis=1))
case("al.tensordot", ValueError, r"^tensordot: shape-mismatch .*\(2, 3\), \(4, 5\)", lambda: al.tensordot(T(2, 3), T(4, 5), axes=1))
case("al.tensordot", TypeError, r"^tensordot: input 1: .*str", lambda: al.tensordot(T(3), "a", axes=0))
case("al.tensordot", TypeError, r"^tensordot: .*complex", lambda: al.tensordot(T(2), COMPLEX, axes=1))
case("al.einsum", ValueError, r"^einsum: the subscripts 'ij,jk->ik' name 2 operands, got 1", lambda: al.einsum("ij,jk->ik", T(2, 3)))
case("al.einsum", ValueError, r"^einsum: invalid subscript '\$'", lambda: al.einsum("i$", T(2)))
case("al.einsum", TypeError, r"^einsum: subscripts must be a string", lambda: al.einsum(T(2), T(2)))
case("al.einsum", ValueError, r"^einsum: .*\(2, 3\), \(4, 5\)", lambda: al.einsum("ij,jk->ik", T(2, 3), T(4, 5)))

# ---- autograd_lite: convolution and pooling ops ----------------------------------------

for name, x, w in (("conv1d", T(1, 3, 5), T(4, 2, 3)), ("conv2d", T(1, 3, 5, 5), T(4, 2, 3, 3))):
    f = getattr(al, name)
    case(f"al.{name}", ValueError, rf"^{name}: weight of shape .* expects in_channels = .* 2, but the input .* has 3 channels",
         lambda f=f, x=x, w=w: f(x, w))
    case(f"al.{name}", ValueError, rf"^{name}: stride must be positive, got 0",
         lambda f=f, x=x, w=w: f(x, al.Tensor(np.ones((4, 3) + w.shape[2:])), stride=0))
    case(f"al.{name}", ValueError, rf"^{name}: padding must be an int, a tuple of .* 'same' or 'valid', got 'a'",
         lambda f=f, x=x, w=w: f(x, al.Tensor(np.ones((4, 3) + w.shape[2:])), padding="a"))
case("al.conv2d", ValueError, r"^conv2d: expected an input x of shape \(N, C, H, W\) .* got shape \(3, 5, 5\)",
     lambda: al.conv2d(T(3, 5, 5), T(4, 3, 3, 3)))
case("al.conv2d", ValueError, r"^conv2d: the output would be empty", lambda: al.conv2d(T(1, 3, 2, 2), T(4, 3, 3, 3)))
case("al.conv2d", ValueError, r"^conv2d: groups=2 must divide both in_channels", lambda: al.conv2d(T(1, 3, 5, 5), T(4, 3, 3, 3), groups=2))
case("al.conv2d", ValueError, r"^conv2d: bias must have shape \(out_channels,\) = \(4,\) .* got shape \(5,\)",
     lambda: al.conv2d(T(1, 3, 5, 5), T(4, 3, 3, 3), T(5)))
case("al.conv2d", TypeError, r"^conv2d: input 0: .*str", lambda: al.conv2d("x", T(4, 3, 3, 3)))
case("al.conv2d_input", TypeError, r"^conv2d_input: input_shape is required", lambda: al.conv2d_input(T(1, 4, 3, 3), T(4, 3, 3, 3)))
case("al.conv2d_input", ValueError, r"^conv2d_input: the cotangent g must have the convolution's output shape \(1, 4, 7, 7\), got shape \(1, 4, 3, 3\)",
     lambda: al.conv2d_input(T(1, 4, 3, 3), T(4, 3, 3, 3), (1, 3, 9, 9)))
case("al.conv2d_input", ValueError, r"^conv2d_input: stride must be positive, got 0",
     lambda: al.conv2d_input(T(1, 4, 3, 3), T(4, 3, 3, 3), (1, 3, 5, 5), stride=0))
case("al.conv2d_weight", TypeError, r"^conv2d_weight: weight_shape is required", lambda: al.conv2d_weight(T(1, 3, 5, 5), T(1, 4, 3, 3)))
case("al.conv2d_weight", ValueError, r"^conv2d_weight: the cotangent g must have the convolution's output shape \(1, 4, 4, 4\)",
     lambda: al.conv2d_weight(T(1, 3, 5, 5), T(1, 4, 3, 3), (4, 3, 2, 2)))
case("al.conv2d_weight", ValueError, r"^conv2d_weight: stride must be positive, got 0",
     lambda: al.conv2d_weight(T(1, 3, 5, 5), T(1, 4, 3, 3), (4, 3, 3, 3), stride=0))
case("al.batch_norm", ValueError, r"^batch_norm: expected an input x of shape \(N, C, \.\.\.\) .* got shape \(5,\)",
     lambda: al.batch_norm(T(5)))
case("al.batch_norm", ValueError, r"^batch_norm: weight must have shape \(3,\), one value per channel of the input of shape \(2, 3, 4\); got shape \(4,\)",
     lambda: al.batch_norm(T(2, 3, 4), T(4), T(3)))
case("al.batch_norm", ValueError, r"^batch_norm: give both mean and var", lambda: al.batch_norm(T(2, 3), mean=np.zeros(3)))
case("al.batch_norm", ValueError, r"^batch_norm: eps must be >= 0, got -1", lambda: al.batch_norm(T(2, 3), eps=-1))
case("al.batch_norm", TypeError, r"^batch_norm: mean is a Tensor that requires grad",
     lambda: al.batch_norm(T(2, 3), mean=al.Tensor(np.zeros(3), requires_grad=True), var=np.ones(3)))
for name in ("max_pool2d", "avg_pool2d"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: kernel_size is required", lambda f=f: f(T(1, 1, 4, 4)))
    case(f"al.{name}", ValueError, rf"^{name}: kernel_size must be positive, got 0", lambda f=f: f(T(1, 1, 4, 4), 0))
    case(f"al.{name}", ValueError, rf"^{name}: the output would be empty: input size \(2, 2\), kernel \(3, 3\)",
         lambda f=f: f(T(1, 1, 2, 2), 3))
    case(f"al.{name}", ValueError, rf"^{name}: padding 2 must be at most half of the .*kernel size 2",
         lambda f=f: f(T(1, 1, 4, 4), 2, padding=2))
    case(f"al.{name}", ValueError, rf"^{name}: expected an input x of shape \(N, C, H, W\) .* got shape \(4, 4\)",
         lambda f=f: f(T(4, 4), 2))
    case(f"al.{name}", TypeError, rf"^{name}: kernel_size must be an int or a tuple of 2 ints, got 'a'",
         lambda f=f: f(T(1, 1, 4, 4), "a"))
case("al.avg_pool2d", ValueError, r"^avg_pool2d: divisor_override must be None or a positive int, got 0",
     lambda: al.avg_pool2d(T(1, 1, 4, 4), 2, divisor_override=0))
case("al.adaptive_avg_pool2d", TypeError, r"^adaptive_avg_pool2d: output_size is required", lambda: al.adaptive_avg_pool2d(T(1, 1, 4, 4)))
case("al.adaptive_avg_pool2d", ValueError, r"^adaptive_avg_pool2d: the output size \(-1, 2\) must be positive",
     lambda: al.adaptive_avg_pool2d(T(1, 1, 4, 4), (-1, 2)))
case("al.adaptive_avg_pool2d", ValueError, r"^adaptive_avg_pool2d: expected an input x of shape \(N, C, H, W\)",
     lambda: al.adaptive_avg_pool2d(T(4), 2))
case("al.adaptive_avg_pool2d", TypeError, r"^adaptive_avg_pool2d: output_size must be an int or a pair of ints",
     lambda: al.adaptive_avg_pool2d(T(1, 1, 4, 4), "a"))

# ---- autograd_lite: tensors and the rest of the top level ---------------------------

for name in ("Tensor", "tensor"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, r"^Tensor: unsupported dtype complex", lambda f=f: f(A(2), dtype=complex))
    case(f"al.{name}", ValueError, r"^Tensor: .*inhomogeneous", lambda f=f: f(RAGGED))
    case(f"al.{name}", TypeError, r"^Tensor: only floating-point tensors can require grad",
         lambda f=f: f([1, 2], requires_grad=True, dtype=np.int64))
    case(f"al.{name}", TypeError, r"^Tensor: cannot make a tensor from str", lambda f=f: f("abc"))
for name in ("zeros", "ones"):
    f = getattr(al, name)
    case(f"al.{name}", ValueError, rf"^{name}: .*negative", lambda f=f: f(-1))
    case(f"al.{name}", TypeError, rf"^{name}: ", lambda f=f: f("a"))
    case(f"al.{name}", TypeError, rf"^{name}: .*complex", lambda f=f: f(3, dtype=complex))
for name in ("zeros_like", "ones_like"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: .*dtype <U3", lambda f=f: f("abc"))
    case(f"al.{name}", TypeError, rf"^{name}: .*complex", lambda f=f: f(COMPLEX))
    case(f"al.{name}", ValueError, rf"^{name}: .*inhomogeneous", lambda f=f: f(RAGGED))
for name in ("flatten", "ravel"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, r"^reshape: .*from str|^flatten: ", lambda f=f: f("abc"))
    case(f"al.{name}", TypeError, r"complex", lambda f=f: f(COMPLEX))
    case(f"al.{name}", ValueError, r"inhomogeneous", lambda f=f: f(RAGGED))
case("al.split", ValueError, r"^split: .*does not divide into 4", lambda: al.split(T(6), 4))
case("al.split", np.exceptions.AxisError, r"^split: axis 3", lambda: al.split(T(6), 2, axis=3))
case("al.split", TypeError, r"^split: ", lambda: al.split(T(6), "a"))
case("al.split", ValueError, r"^split: ", lambda: al.split(T(6), 0))
for name in ("no_grad", "enable_grad"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"{name}", lambda f=f: f(True))
    case(f"al.{name}", TypeError, rf"{name}", lambda f=f: f(mode=False))
    case(f"al.{name}", TypeError, rf"{name}", lambda f=f: f(1, 2))
case("al.set_grad_enabled", TypeError, r"^set_grad_enabled: .*bool", lambda: al.set_grad_enabled("no"))
case("al.set_grad_enabled", TypeError, r"^set_grad_enabled: .*bool", lambda: al.set_grad_enabled(None))
case("al.set_grad_enabled", TypeError, r"^set_grad_enabled: .*bool", lambda: al.set_grad_enabled(np.ones(2)))
case("al.is_grad_enabled", TypeError, r"is_grad_enabled", lambda: al.is_grad_enabled(True))
case("al.is_grad_enabled", TypeError, r"is_grad_enabled", lambda: al.is_grad_enabled(1, 2))
case("al.is_grad_enabled", TypeError, r"is_grad_enabled", lambda: al.is_grad_enabled(x=1))
case("al.scope", TypeError, r"scope.*owner", lambda: al.scope())
case("al.scope", TypeError, r"scope", lambda: al.scope(1, 2))
case("al.scope", TypeError, r"scope.*ownr", lambda: al.scope(ownr=1))
case("al.enter_scope", TypeError, r"enter_scope.*owner", lambda: al.enter_scope())
case("al.enter_scope", TypeError, r"enter_scope", lambda: al.enter_scope(1, 2))
case("al.enter_scope", TypeError, r"enter_scope.*ownr", lambda: al.enter_scope(ownr=1))
case("al.exit_scope", TypeError, r"^exit_scope: ", lambda: al.exit_scope("token"))
case("al.exit_scope", TypeError, r"^exit_scope: ", lambda: al.exit_scope(None))
case("al.exit_scope", TypeError, r"^exit_scope: ", lambda: al.exit_scope(42))
case("al.current_scope", TypeError, r"current_scope", lambda: al.current_scope(1))
case("al.current_scope", TypeError, r"current_scope", lambda: al.current_scope(None))
case("al.current_scope", TypeError, r"current_scope", lambda: al.current_scope(x=1))
case("al.increment_version", TypeError, r"^increment_version: ", lambda: al.increment_version("a"))
case("al.increment_version", TypeError, r"^increment_version: ", lambda: al.increment_version([T(2), 3]))
case("al.increment_version", TypeError, r"^increment_version: ", lambda: al.increment_version(A(2)))
case("al.increment_version", TypeError, r"^increment_version: expected a Tensor or an iterable of Tensors, got int",
     lambda: al.increment_version(3))
case("al.toposort", TypeError, r"^toposort: ", lambda: al.toposort("a"))
case("al.toposort", TypeError, r"^toposort: ", lambda: al.toposort([T(2), 1]))
case("al.toposort", TypeError, r"^toposort: ", lambda: al.toposort(A(2)))
case("al.grad", TypeError, r"^grad: argnums", lambda: al.grad(lambda x: x.sum(), argnums="0"))
case("al.grad", TypeError, r"^grad: .*argnums=3", lambda: al.grad(lambda x: x.sum(), 3)(T(2)))
case("al.grad", TypeError, r"^grad: the function must return a one-element Tensor",
     lambda: al.grad(lambda x: x * 2)(T(2)))
case("al.grad", TypeError, r"^grad: f must be callable", lambda: al.grad(42))
case("al.value_and_grad", TypeError, r"^value_and_grad: argnums", lambda: al.value_and_grad(lambda x: x.sum(), (0, "1")))
case("al.value_and_grad", TypeError, r"^value_and_grad: the function must return a one-element Tensor",
     lambda: al.value_and_grad(lambda x: 3.0)(T(2)))
case("al.value_and_grad", TypeError, r"^value_and_grad: f must be callable", lambda: al.value_and_grad("f"))
case("al.gradients", TypeError, r"^gradients: the gradient must hold real numbers",
     lambda: al.gradients(T(2) * 2, [], grad_outputs=np.array(["a", "b"])))
case("al.gradients", TypeError, r"^gradients: outputs must be Tensors", lambda: al.gradients("y", T(2)))
case("al.gradients", TypeError, r"^gradients: inputs must be Tensors",
     lambda: (lambda x: al.gradients(x.sum(), [x, "b"]))(T(2)))
case("al.gradients", ValueError, r"^gradients: .*grad_outputs",
     lambda: al.gradients([T(2) * 2, T(2) * 3], T(2), grad_outputs=[np.ones(2)]))
SQ = lambda x: (x * x).sum()  # noqa: E731
case("al.vjp", TypeError, r"^vjp: f must be callable, got int", lambda: al.vjp(42, T(2)))
case("al.vjp", TypeError, r"^vjp: with has_aux=True the function must return a pair", lambda: al.vjp(SQ, T(2), has_aux=True))
case("al.vjp", TypeError, r"^vjp: the function must return floating Tensors .* got a str", lambda: al.vjp(lambda x: "y", T(2)))
case("al.vjp", ValueError, r"grad_output has shape \(3,\), output has shape \(2,\)",
     lambda: al.vjp(lambda x: x * 2, T(2))[1](np.ones(3)))
case("al.jvp", TypeError, r"^jvp: f must be callable, got int", lambda: al.jvp(42, (A(2),), (A(2),)))
case("al.jvp", ValueError, r"^jvp: tangent 0 has shape \(3,\), but its primal has shape \(2,\)",
     lambda: al.jvp(SQ, (A(2),), (np.ones(3),)))
case("al.jvp", TypeError, r"^jvp: primals and tangents must be tuples .* got ndarray and ndarray",
     lambda: al.jvp(SQ, A(2), np.ones(2)))
case("al.jvp", TypeError, r"^jvp: tangent 0 has dtype <U1; expected numbers", lambda: al.jvp(SQ, (A(2),), ("a",)))
for name in ("jacobian", "hessian", "elementwise_grad"):
    f = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: f must be callable, got int", lambda f=f: f(42))
    case(f"al.{name}", TypeError, rf"^{name}: argnums must be an int or a non-empty sequence of ints, got '0'",
         lambda f=f: f(SQ, argnums="0"))
    case(f"al.{name}", TypeError, rf"^{name}: differentiating with respect to argnums=3 needs at least 4 positional",
         lambda f=f: f(SQ, 3)(A(2)))
case("al.jacobian", ValueError, r"^jacobian: mode must be 'auto', 'forward' or 'reverse', got 'sideways'",
     lambda: al.jacobian(SQ, mode="sideways"))
case("al.hessian", TypeError, r"^hessian: the function must return Tensors .* got str", lambda: al.hessian(lambda x: "y")(A(2)))
case("al.elementwise_grad", TypeError, r"^elementwise_grad: the function must return a Tensor, got str",
     lambda: al.elementwise_grad(lambda x: "y")(A(2)))
case("al.hvp", TypeError, r"^hvp: f must be callable, got NoneType", lambda: al.hvp(None))
case("al.hvp", ValueError, r"^hvp: tangent 0 has shape \(3,\), but its primal has shape \(2,\)", lambda: al.hvp(SQ)(A(2), np.ones(3)))
case("al.hvp", TypeError, r"^hvp: the function must return a one-element Tensor, got Tensor of shape \(2,\)",
     lambda: al.hvp(lambda x: x * 2)(A(2), np.ones(2)))
case("al.hvp", TypeError, r"^hvp: tangent 0 has dtype <U1", lambda: al.hvp(SQ)(A(2), np.array(["a", "b"])))
case("al.checkpoint", TypeError, r"^checkpoint: fn must be callable, got NoneType", lambda: al.checkpoint(None))
case("al.checkpoint", TypeError, r"^checkpoint: fn must be callable, got str", lambda: al.checkpoint("block"))
case("al.checkpoint", TypeError, r"^checkpoint: the function must return one Tensor, got str",
     lambda: al.checkpoint(lambda x: "y")(T(2)))
case("al.modifying", TypeError, r"^modifying: expected Tensors, got str", lambda: al.modifying("a"))
case("al.modifying", TypeError, r"^modifying: expected Tensors, got int", lambda: al.modifying([T(2), 3]))
case("al.modifying", TypeError, r"^modifying: expected a Tensor or an iterable of Tensors, got NoneType",
     lambda: al.modifying(None))
case("al.function", TypeError, r"^function: ", lambda: al.function(42))
case("al.function", TypeError, r"^function: ", lambda: al.function("exp"))
case("al.function", TypeError, r"^function: ", lambda: al.function(None))
case("al.unbroadcast", ValueError, r"^unbroadcast: ", lambda: al.unbroadcast(A(2, 3), (4,)))
case("al.unbroadcast", TypeError, r"^unbroadcast: ", lambda: al.unbroadcast(A(2, 3), "a"))
case("al.unbroadcast", ValueError, r"^unbroadcast: ", lambda: al.unbroadcast(A(3), (2, 3)))
case("al.set_default_dtype", TypeError, r"^set_default_dtype: expected a floating dtype, got int64",
     lambda: al.set_default_dtype(np.int64))
case("al.set_default_dtype", TypeError, r"^set_default_dtype: ", lambda: al.set_default_dtype("floaty"))
case("al.set_default_dtype", TypeError, r"^set_default_dtype: .*complex", lambda: al.set_default_dtype(complex))
case("al.get_default_dtype", TypeError, r"get_default_dtype", lambda: al.get_default_dtype(1))
case("al.get_default_dtype", TypeError, r"get_default_dtype", lambda: al.get_default_dtype(np.float64))
case("al.get_default_dtype", TypeError, r"get_default_dtype", lambda: al.get_default_dtype(x=1))
case("al.set_flush_denormal", TypeError, r"^set_flush_denormal: .*bool", lambda: al.set_flush_denormal("on"))
case("al.set_flush_denormal", TypeError, r"^set_flush_denormal: .*bool", lambda: al.set_flush_denormal(None))
case("al.set_flush_denormal", TypeError, r"^set_flush_denormal: .*bool", lambda: al.set_flush_denormal(2.5))
case("al.detect_anomaly", TypeError, r"^detect_anomaly: check_nan must be a bool",
     lambda: al.detect_anomaly(check_nan="yes"))
case("al.detect_anomaly", TypeError, r"^detect_anomaly: check_nan must be a bool",
     lambda: al.detect_anomaly(None))
case("al.detect_anomaly", TypeError, r"detect_anomaly", lambda: al.detect_anomaly(True, 1))
case("al.Node", TypeError, r"Node", lambda: al.Node(1, 2, 3))
case("al.Node", TypeError, r"Node", lambda: al.Node(op="x"))
case("al.Node", TypeError, r"Node", lambda: al.Node(None, None))


def _bad_op(**attrs: Any) -> Callable[[], Any]:
    def make() -> Any:
        return type("BadOp", (al.Op,), {"name": "bad_op_x", "arity": 1,
                                         "forward": staticmethod(lambda x: x),
                                         "vjp": staticmethod(lambda g, out, x: (g,)), **attrs})
    return make


case("al.Op", ValueError, r"op 'bad_op_x': unknown domain", _bad_op(domain=("imaginary",)))
case("al.Op", ValueError, r"op 'bad_op_x': domain has 3 entries", _bad_op(domain=("real",) * 3))
case("al.Op", TypeError, r"op 'bad_op_x' must define a static method vjp", _bad_op(vjp=None))
case("al.Op", ValueError, r"an op named 'exp' is already registered",
     lambda: type("Exp2", (al.Op,), {"name": "exp", "forward": staticmethod(lambda x: x),
                                     "vjp": staticmethod(lambda g, out, x: (g,))}))
case("al.Op", TypeError, r"^exp.apply: expected at least one Tensor", lambda: al.Op.registry["exp"].apply(A(2)))
case("al.Op", TypeError, r"^exp: takes 1 inputs", lambda: al.Op.registry["exp"].apply(T(2), 1, 2))


# ---- hooks -----------------------------------------------------------------------

for name in ("register_forward_hook", "register_backward_hook"):
    f = getattr(al.hooks, name)
    case(f"al.hooks.{name}", TypeError, rf"^{name}: .*callable", lambda f=f: f(42))
    case(f"al.hooks.{name}", TypeError, rf"^{name}: .*callable", lambda f=f: f("print"))
    case(f"al.hooks.{name}", TypeError, rf"^{name}: .*callable", lambda f=f: f(None))
for name in ("forward_hooks", "backward_hooks"):
    f = getattr(al.hooks, name)
    case(f"al.hooks.{name}", TypeError, rf"{name}", lambda f=f: f(1))
    case(f"al.hooks.{name}", TypeError, rf"{name}", lambda f=f: f(None))
    case(f"al.hooks.{name}", TypeError, rf"{name}", lambda f=f: f(x=1))
case("al.hooks.RemovableHandle", TypeError, r"RemovableHandle", lambda: al.hooks.RemovableHandle())
case("al.hooks.RemovableHandle", TypeError, r"RemovableHandle", lambda: al.hooks.RemovableHandle(1, 2, 3))
case("al.hooks.RemovableHandle", TypeError, r"RemovableHandle", lambda: al.hooks.RemovableHandle(x=1))
case("al.hooks.tensor_hooks", TypeError, r"^tensor_hooks: expected a Tensor, got int", lambda: al.hooks.tensor_hooks(1))
case("al.hooks.tensor_hooks", TypeError, r"^tensor_hooks: expected a Tensor, got ndarray", lambda: al.hooks.tensor_hooks(A(2)))
case("al.hooks.tensor_hooks", TypeError, r"^tensor_hooks: expected a Tensor, got NoneType", lambda: al.hooks.tensor_hooks(None))
case("al.hooks.has_tensor_hooks", TypeError, r"^has_tensor_hooks: expected a Tensor, got int", lambda: al.hooks.has_tensor_hooks(1))
case("al.hooks.has_tensor_hooks", TypeError, r"^has_tensor_hooks: expected a Tensor, got ndarray",
     lambda: al.hooks.has_tensor_hooks(A(2)))
case("al.hooks.has_tensor_hooks", TypeError, r"^has_tensor_hooks: expected a Tensor, got NoneType",
     lambda: al.hooks.has_tensor_hooks(None))
case("al.Tensor", TypeError, r"^register_hook: expected a callable, got int", lambda: T(2).register_hook(1))
case("al.Tensor", RuntimeError, r"^register_hook: cannot register a hook on a tensor that does not require grad",
     lambda: T(2, grad=False).register_hook(lambda g: g))
case("al.Tensor", RuntimeError, r"^retain_grad: this tensor does not require grad", lambda: T(2, grad=False).retain_grad())


# ---- viz ---------------------------------------------------------------------------

def _loss() -> al.Tensor:
    w = T(3)
    return (w * w).sum()


for name in ("draw", "to_dot"):
    f = getattr(al.viz, name)
    case(f"al.viz.{name}", TypeError, r"^draw: expected at least one Tensor", lambda f=f: f())
    case(f"al.viz.{name}", TypeError, r"^draw: expected Tensors, got ndarray", lambda f=f: f(A(2)))
    case(f"al.viz.{name}", ValueError, r"^draw: collapse must be None or an int >= 0",
         lambda f=f: f(_loss(), collapse=-1))
    case(f"al.viz.{name}", ValueError, r"^draw: need 0 <= vanishing < exploding",
         lambda f=f: f(_loss(), vanishing=1.0, exploding=0.5))
    case(f"al.viz.{name}", TypeError, r"^draw: params must", lambda f=f: f(_loss(), params={"w": 3}))
case("al.viz.to_dot", ValueError, r"^to_dot: rankdir must be one of", lambda: al.viz.to_dot(_loss(), rankdir="up"))
case("al.viz.render", ValueError, r"^render: unsupported format 'jpeg'",
     lambda: al.viz.render(_loss(), UNWRITABLE + "/g.jpeg"))
case("al.viz.render", TypeError, r"^render: options \['collapse'\] apply when drawing",
     lambda: al.viz.render(al.viz.draw(_loss()), "g.svg", collapse=1))
case("al.viz.render", TypeError, r"^draw: expected Tensors, got str", lambda: al.viz.render("loss", "g.svg"))
case("al.viz.render", NotADirectoryError, r"render: cannot write .*/sub/g.dot: Not a directory",
     lambda: al.viz.render(_loss(), UNWRITABLE + "/g.dot"))
case("al.viz.render", ValueError, r"^render: the graph has 3 nodes, more than max_nodes=2",
     lambda: al.viz.render(_loss(), "g.svg", max_nodes=2))
case("al.viz.render_script", FileNotFoundError, r"^render_script: no script at '/nonexistent.py'",
     lambda: al.viz.render_script("/nonexistent.py", "loss", "g.svg"))
case("al.viz.render_script", TypeError, r"^render_script: script_path must be a path",
     lambda: al.viz.render_script(None, "loss", "g.svg"))
case("al.viz.render_script", TypeError, r"^render_script: tensor_name must be",
     lambda: al.viz.render_script(SCRIPT, 3, "g.svg"))
case("al.viz.mlp_example", ValueError, r"^mlp_example: batch_size must be a positive int",
     lambda: al.viz.mlp_example(batch_size=0))
case("al.viz.mlp_example", ValueError, r"^mlp_example: hidden must be a positive int",
     lambda: al.viz.mlp_example(hidden="64"))
case("al.viz.mlp_example", ValueError, r"^mlp_example: x must have shape \(N, 784\)",
     lambda: al.viz.mlp_example(x=A(2, 3)))
case("al.viz.mlp_example", ValueError, r"^mlp_example: y must",
     lambda: al.viz.mlp_example(batch_size=2, y=np.array([0, 11])))
case("al.viz.render_example", ValueError, r"^render: unsupported format 'bmp'",
     lambda: al.viz.render_example("g.bmp"))
case("al.viz.render_example", ValueError, r"^mlp_example: batch_size must be a positive int",
     lambda: al.viz.render_example("g.dot", batch_size=-2))
case("al.viz.render_example", TypeError, r"^render_example: out_path must be a path",
     lambda: al.viz.render_example(None))
case("al.viz.record", TypeError, r"record", lambda: al.viz.record(1))
case("al.viz.record", TypeError, r"record", lambda: al.viz.record(grads=True))
case("al.viz.record", TypeError, r"^GradRecord.stats: expected a Node", lambda: al.viz.record().stats(T(2)))
case("al.viz.GradStats", TypeError, r"GradStats", lambda: al.viz.GradStats(1.0))
case("al.viz.GradStats", TypeError, r"^GradStats.from_array: ", lambda: al.viz.GradStats.from_array("a"))
case("al.viz.GradStats", TypeError, r"^GradStats.from_array: .*complex",
     lambda: al.viz.GradStats.from_array(COMPLEX))
case("al.viz.GradRecord", TypeError, r"GradRecord", lambda: al.viz.GradRecord(1))
case("al.viz.GradRecord", TypeError, r"^GradRecord.stats: expected a Node .*str", lambda: al.viz.GradRecord().stats("w"))
case("al.viz.GradRecord", TypeError, r"^GradRecord.summed_axes: expected a Node",
     lambda: al.viz.GradRecord().summed_axes(3, 0))
case("al.viz.Graph", TypeError, r"Graph", lambda: al.viz.Graph([]))
case("al.viz.Graph", KeyError, r"no node labelled 'x'", lambda: al.viz.draw(_loss()).node("x"))
case("al.viz.Graph", ValueError, r"^render: unsupported format 'gif'",
     lambda: al.viz.draw(_loss()).render("g.gif"))
for name in ("DrawnNode", "DrawnEdge", "Cluster"):
    cls = getattr(al.viz, name)
    case(f"al.viz.{name}", TypeError, name, lambda cls=cls: cls())
    case(f"al.viz.{name}", TypeError, name, lambda cls=cls: cls(*range(9)))
    case(f"al.viz.{name}", TypeError, name, lambda cls=cls: cls(bogus=1))

case("al.viz.trace", TypeError, r"trace", lambda: al.viz.trace(1))
case("al.viz.trace", TypeError, r"trace", lambda: al.viz.trace(grads=True))
case("al.viz.trace", TypeError, r"^GradRecord.stats: expected a Node", lambda: al.viz.trace().stats(T(2)))
case("al.viz.Trace", TypeError, r"Trace", lambda: al.viz.Trace(1))
case("al.viz.Trace", TypeError, r"Trace", lambda: al.viz.Trace(x=1))
case("al.viz.Trace", TypeError, r"^GradRecord.summed_axes: expected a Node", lambda: al.viz.Trace().summed_axes(3, 0))
case("al.viz.Summary", TypeError, r"Summary", lambda: al.viz.Summary())
case("al.viz.Summary", TypeError, r"Summary", lambda: al.viz.Summary(1))
case("al.viz.Summary", TypeError, r"Summary", lambda: al.viz.Summary(bogus=1))
case("al.viz.explore", TypeError, r"^draw: expected Tensors, got ndarray", lambda: al.viz.explore(A(2)))
case("al.viz.explore", ValueError, r"^draw: collapse must be None or an int >= 0", lambda: al.viz.explore(_loss(), collapse=-1))
case("al.viz.explore", ValueError, r"^draw: need 0 <= vanishing < exploding",
     lambda: al.viz.explore(_loss(), vanishing=1.0, exploding=0.5))
case("al.viz.explore", TypeError, r"^explore: compare must be an Explorer of one snapshot .* got str",
     lambda: al.viz.explore(_loss(), compare="x"))
case("al.viz.explore", ValueError, r"^explore: max_nodes must be None or an int >= 1, got 0",
     lambda: al.viz.explore(_loss(), max_nodes=0))
case("al.viz.explore", NotADirectoryError, r"Explorer.save: cannot write .*/sub/g.html: Not a directory",
     lambda: al.viz.explore(_loss(), UNWRITABLE + "/g.html"))
case("al.viz.explore_script", FileNotFoundError, r"^explore_script: no script at '/nonexistent.py'",
     lambda: al.viz.explore_script("/nonexistent.py", "loss", "g.html"))
case("al.viz.explore_script", TypeError, r"^explore_script: script_path must be a path",
     lambda: al.viz.explore_script(None, "loss", "g.html"))
case("al.viz.explore_script", TypeError, r"^explore_script: tensor_name must be",
     lambda: al.viz.explore_script(SCRIPT, 3, "g.html"))
case("al.viz.Explorer", TypeError, r"Explorer", lambda: al.viz.Explorer())
case("al.viz.Explorer", TypeError, r"^Explorer.save: path must be a path, got NoneType",
     lambda: al.viz.explore(_loss()).save(None))
case("al.viz.Explorer", NotADirectoryError, r"Explorer.save: cannot write .*/sub/x.html: Not a directory",
     lambda: al.viz.explore(_loss()).save(UNWRITABLE + "/x.html"))

# ---- testing -------------------------------------------------------------------------

case("al.testing.check_op", TypeError, r"^check_op: expected an Op subclass or its function",
     lambda: al.testing.check_op(42))
case("al.testing.check_op", TypeError, r"^check_op: expected an Op subclass", lambda: al.testing.check_op(np.exp))
case("al.testing.check_op", ValueError, r"^check_op: cannot check op 'exp':\n- .*unknown domain 'complex'",
     lambda: al.testing.check_op(al.exp, domain="complex"))
case("al.testing.check_op", ValueError, r"^check_op: max_examples must be", lambda: al.testing.check_op(al.exp, max_examples=0))
for name in ("gradcheck", "gradgradcheck"):
    f = getattr(al.testing, name)
    case(f"al.testing.{name}", ValueError, rf"^{name}: no input to differentiate", lambda f=f: f(al.exp, np.arange(2)))
    case(f"al.testing.{name}", TypeError, rf"^{name}: fn must be callable", lambda f=f: f("exp", A(2)))
    case(f"al.testing.{name}", ValueError, rf"^{name}: eps must be a positive", lambda f=f: f(al.exp, A(2), eps=0))
    case(f"al.testing.{name}", TypeError, rf"^{name}: atol must be a number", lambda f=f: f(al.exp, A(2), atol="0"))
    case(f"al.testing.{name}", TypeError, r"gradcheck: fn must return a Tensor", lambda f=f: f(lambda x: "y", A(2)))
case("al.testing.missing_metadata", TypeError, r"^missing_metadata: expected an Op subclass",
     lambda: al.testing.missing_metadata(al.exp))
case("al.testing.missing_metadata", TypeError, r"^missing_metadata: expected an Op subclass",
     lambda: al.testing.missing_metadata("exp"))
case("al.testing.missing_metadata", TypeError, r"^missing_metadata: expected an Op subclass",
     lambda: al.testing.missing_metadata(None))
case("al.testing.temporary_registry", TypeError, r"temporary_registry", lambda: al.testing.temporary_registry(1))
case("al.testing.temporary_registry", TypeError, r"temporary_registry", lambda: al.testing.temporary_registry(x=1))
case("al.testing.temporary_registry", TypeError, r"temporary_registry",
     lambda: al.testing.temporary_registry({}))


# ============================================================================== nn

X23 = A(2, 3, dtype=np.float32)


def _lin() -> nn.Linear:
    return nn.Linear(3, 2)


# ---- module system -------------------------------------------------------------------

case("nn.Module", NotImplementedError, r"Module.*forward", lambda: nn.Module()(X23))
case("nn.Module", TypeError, r"register_buffer: 'b' is a Parameter",
     lambda: nn.Module().register_buffer("b", nn.Parameter(A(2))))
case("nn.Module", TypeError, r"register_parameter: 'w' must be a Parameter or None",
     lambda: nn.Module().register_parameter("w", A(2)))
case("nn.Module", RuntimeError, r"^Linear.load_state_dict: the state does not match.*\n.*missing keys: weight, bias",
     lambda: _lin().load_state_dict({}))
case("nn.Module", TypeError, r"^Linear.load_state_dict: expected a mapping", lambda: _lin().load_state_dict([1]))
# A Parameter is a Tensor: the Tensor's errors name it.
case("nn.Parameter", TypeError, r"^Tensor: cannot make a tensor from str", lambda: nn.Parameter("abc"))
case("nn.Parameter", ValueError, r"^Tensor: .*inhomogeneous", lambda: nn.Parameter(RAGGED))
case("nn.Parameter", TypeError, r"^Tensor: unsupported dtype complex", lambda: nn.Parameter(COMPLEX))
case("nn.Sequential", TypeError, r"Sequential", lambda: nn.Sequential(3))
case("nn.Sequential", TypeError, r"Sequential", lambda: nn.Sequential(nn.ReLU(), "relu"))
case("nn.Sequential", IndexError, r"Sequential.*index 5", lambda: nn.Sequential(nn.ReLU())[5])
case("nn.ModuleList", TypeError, r"ModuleList", lambda: nn.ModuleList([1, 2]))
case("nn.ModuleList", TypeError, r"ModuleList", lambda: nn.ModuleList(3))
case("nn.ModuleList", IndexError, r"ModuleList.*index 3", lambda: nn.ModuleList([nn.ReLU()])[3])
case("nn.ModuleDict", TypeError, r"ModuleDict", lambda: nn.ModuleDict({"a": 1}))
case("nn.ModuleDict", TypeError, r"ModuleDict", lambda: nn.ModuleDict({1: nn.ReLU()}))
case("nn.ModuleDict", KeyError, r"ModuleDict.*'b'", lambda: nn.ModuleDict({"a": nn.ReLU()})["b"])
case("nn.IncompatibleKeys", TypeError, r"IncompatibleKeys", lambda: nn.IncompatibleKeys())
case("nn.IncompatibleKeys", TypeError, r"IncompatibleKeys", lambda: nn.IncompatibleKeys([], [], []))
case("nn.IncompatibleKeys", TypeError, r"IncompatibleKeys", lambda: nn.IncompatibleKeys(missing=[]))
for method in ("register_forward_pre_hook", "register_forward_hook", "register_full_backward_hook"):
    case("nn.Module", TypeError, rf"^Linear.{method}: the hook must be callable, got int",
         lambda m=method: getattr(_lin(), m)(1))

# ---- layers --------------------------------------------------------------------------

case("nn.Linear", ValueError, r"^Linear: in_features must be a positive int, got 0", lambda: nn.Linear(0, 3))
case("nn.Linear", ValueError, r"^Linear: out_features must be a positive int, got '3'", lambda: nn.Linear(3, "3"))
case("nn.Linear", ValueError, r"^Linear\(in_features=3, out_features=2\): expected input whose last "
     r"dimension is 3, got shape \(2, 4\)", lambda: _lin()(A(2, 4, dtype=np.float32)))
case("nn.Linear", TypeError, r"^Linear: .*dtype", lambda: nn.Linear(3, 2, dtype=np.int64))
case("nn.Dropout", ValueError, r"^Dropout: probability p must be in \[0, 1\], got 1.5", lambda: nn.Dropout(1.5))
case("nn.Dropout", TypeError, r"^Dropout: p must be a number", lambda: nn.Dropout("0.5"))
case("nn.Dropout", TypeError, r"Generator", lambda: nn.Dropout(0.5, generator=42))
case("nn.BatchNorm1d", ValueError, r"^BatchNorm1d: num_features must be a positive int", lambda: nn.BatchNorm1d(0))
case("nn.BatchNorm1d", ValueError, r"^BatchNorm1d\(4\): expected input of shape \(N, 4\) or \(N, 4, L\), "
     r"got \(2, 3\)", lambda: nn.BatchNorm1d(4)(X23))
case("nn.BatchNorm1d", ValueError, r"^BatchNorm1d: eps must be", lambda: nn.BatchNorm1d(3, eps=-1.0))
case("nn.LayerNorm", ValueError, r"^LayerNorm: normalized_shape must be a positive int", lambda: nn.LayerNorm(0))
case("nn.LayerNorm", ValueError, r"LayerNorm.*\(2, 3\)|layer_norm: .*\(2, 3\)", lambda: nn.LayerNorm(4)(X23))
case("nn.LayerNorm", ValueError, r"^LayerNorm: eps must be", lambda: nn.LayerNorm(3, eps=-1.0))
case("nn.Flatten", TypeError, r"^Flatten: start_dim must be an int", lambda: nn.Flatten(start_dim="1"))
case("nn.Flatten", ValueError, r"^Flatten\(start_dim=5, end_dim=-1\): invalid for input of shape \(2, 3\)",
     lambda: nn.Flatten(start_dim=5)(X23))
case("nn.Flatten", ValueError, r"^Flatten\(start_dim=1, end_dim=0\): invalid", lambda: nn.Flatten(start_dim=1, end_dim=0)(X23))
case("nn.Identity", TypeError, r"forward", lambda: nn.Identity()(X23, X23))
case("nn.Identity", TypeError, r"forward", lambda: nn.Identity()())
case("nn.Identity", TypeError, r"forward", lambda: nn.Identity()(x=X23))

# ---- sequence layers and attention -------------------------------------------------------

F32 = np.float32
SEQ = np.ones((5, 2, 4), F32)  # (L, N, H_in)


def _cell_args(gates: int, state: Any) -> list[Any]:
    return [np.ones((2, 3)), state, np.ones((gates * 4, 3)), np.ones((gates * 4, 4)),
            np.ones(gates * 4), np.ones(gates * 4)]


for name, gates, state in (("rnn_tanh_cell", 1, np.ones((2, 4))), ("lstm_cell", 4, np.ones((2, 2, 4))),
                           ("gru_cell", 3, np.ones((2, 4)))):
    fn = getattr(al, name)
    case(f"al.{name}", TypeError, rf"^{name}: input 0: .*str", lambda fn=fn, g=gates, h=state:
         fn("x", *_cell_args(g, h)[1:]))
    case(f"al.{name}", ValueError, rf"^{name}: expected x \(N, I\)", lambda fn=fn, g=gates, h=state:
         fn(*_cell_args(g, h)[:2], np.ones((g * 4 - 1, 3)), *_cell_args(g, h)[3:]))
    case(f"al.{name}", TypeError, rf"^{name}: input 0: .*complex", lambda fn=fn, g=gates, h=state:
         fn(np.ones((2, 3)) * 1j, *_cell_args(g, h)[1:]))
case("al.register_library", TypeError, r"^register_library: expected a module or a directory, got int",
     lambda: al.register_library(42))
case("al.register_library", TypeError, r"^register_library: .*NoneType", lambda: al.register_library(None))
case("al.register_library", TypeError, r"^register_library: .*list", lambda: al.register_library([1]))

case("nn.Embedding", ValueError, r"^Embedding: num_embeddings must be a positive int, got 0",
     lambda: nn.Embedding(0, 3))
case("nn.Embedding", TypeError, r"^Embedding\(4, 3\): indices must be integers .*float64",
     lambda: nn.Embedding(4, 3)(np.array([1.5])))
case("nn.Embedding", IndexError, r"^Embedding\(4, 3\): index 4 is out of range for num_embeddings=4",
     lambda: nn.Embedding(4, 3)(np.array([4])))
case("nn.Embedding", ValueError, r"^Embedding: padding_idx must be an int in \[-4, 4\)",
     lambda: nn.Embedding(4, 3, padding_idx=7))
case("nn.functional.embedding", IndexError, r"^embedding: index 9 is out of range for num_embeddings=4",
     lambda: F.embedding(np.array([9]), np.ones((4, 3))))
case("nn.functional.embedding", TypeError, r"^embedding: indices must be integers .*<U1",
     lambda: F.embedding("a", np.ones((4, 3))))
case("nn.functional.embedding", ValueError, r"^embedding: weight must have shape \(num_embeddings, "
     r"embedding_dim\), got \(4,\)", lambda: F.embedding(np.array([0]), np.ones(4)))
case("nn.functional.embedding", TypeError, r"^embedding: weight: .*str",
     lambda: F.embedding(np.array([0]), "w"))
for name in ("RNN", "LSTM", "GRU"):
    cls = getattr(nn, name)
    h0 = np.ones((1, 3, 3), F32)
    case(f"nn.{name}", ValueError, rf"^{name}\(4, 3\): expected input of shape \(L, N, H_in\) with H_in = 4",
         lambda cls=cls: cls(4, 3)(np.ones((5, 2, 3), F32)))
    case(f"nn.{name}", ValueError, rf"^{name}: hidden_size must be a positive int, got 0",
         lambda cls=cls: cls(4, 0))
    case(f"nn.{name}", ValueError, rf"^{name}\(4, 3\): expected h_0 of shape \(D \* num_layers, N, H_out\) "
         r"= \(1, 2, 3\), got \(1, 3, 3\)",
         lambda cls=cls, h=(h0, h0) if name == "LSTM" else h0: cls(4, 3)(SEQ, h))
    case(f"nn.{name}", ValueError, rf"^{name}: dropout must be a number in \[0, 1\], got 1.5",
         lambda cls=cls: cls(4, 3, dropout=1.5))
for name in ("RNNCell", "LSTMCell", "GRUCell"):
    cls = getattr(nn, name)
    h = np.ones((2, 5), F32)
    case(f"nn.{name}", ValueError, rf"^{name}\(4, 3\): expected input of shape \(N, 4\) or \(4,\), got \(2, 5\)",
         lambda cls=cls: cls(4, 3)(np.ones((2, 5), F32)))
    case(f"nn.{name}", ValueError, rf"^{name}: input_size must be an int >= 0, got -1", lambda cls=cls: cls(-1, 3))
    case(f"nn.{name}", ValueError, rf"^{name}\(4, 3\): expected (hx|h) of shape \(2, 3\)",
         lambda cls=cls, h=(h, h) if name == "LSTMCell" else h: cls(4, 3)(np.ones((2, 4), F32), h))
case("nn.MultiheadAttention", ValueError, r"^MultiheadAttention: embed_dim \(10\) must be divisible by "
     r"num_heads \(3\)", lambda: nn.MultiheadAttention(10, 3))
case("nn.MultiheadAttention", ValueError, r"^MultiheadAttention: num_heads must be a positive int, got 0",
     lambda: nn.MultiheadAttention(8, 0))
case("nn.MultiheadAttention", ValueError, r"^MultiheadAttention\(embed_dim=8, num_heads=2\): expected "
     r"key_padding_mask of shape \(N, S\) = \(2, 4\), got \(2, 3\)",
     lambda: nn.MultiheadAttention(8, 2)(*[np.ones((4, 2, 8), F32)] * 3, key_padding_mask=np.ones((2, 3), bool)))
case("nn.MultiheadAttention", TypeError, r"^MultiheadAttention\(embed_dim=8, num_heads=2\): attn_mask "
     r"must be bool or floating point, got dtype <U1",
     lambda: nn.MultiheadAttention(8, 2)(*[np.ones((4, 2, 8), F32)] * 3, attn_mask=np.full((4, 4), "a")))
case("nn.DotProductAttention", TypeError, r"^DotProductAttention: scaled must be a bool, got 'x'",
     lambda: nn.DotProductAttention(scaled="x"))
case("nn.DotProductAttention", ValueError, r"^DotProductAttention\(scaled=False\): query and key must "
     r"have the same size", lambda: nn.DotProductAttention()(np.ones((2, 4), F32), np.ones((2, 3, 5), F32)))
case("nn.DotProductAttention", ValueError, r"^DotProductAttention\(scaled=False\): key_padding_mask must "
     r"be a bool array of shape \(N, S\) = \(2, 3\)",
     lambda: nn.DotProductAttention()(np.ones((2, 4), F32), *[np.ones((2, 3, 4), F32)] * 2,
                                      key_padding_mask=np.ones((2, 5), bool)))
case("nn.AdditiveAttention", ValueError, r"^AdditiveAttention: query_size must be a positive int, got 0",
     lambda: nn.AdditiveAttention(0, 4, 4))
case("nn.AdditiveAttention", ValueError, r"^AdditiveAttention\(4, 4, 4\): expected query of shape "
     r"\(N, 4\) or \(N, L, 4\), got \(2, 3\)",
     lambda: nn.AdditiveAttention(4, 4, 4)(np.ones((2, 3), F32), *[np.ones((2, 3, 4), F32)] * 2))
case("nn.AdditiveAttention", ValueError, r"^AdditiveAttention\(4, 4, 4\): key_padding_mask must be a bool "
     r"array of shape \(N, S\) = \(2, 3\)",
     lambda: nn.AdditiveAttention(4, 4, 4)(np.ones((2, 4), F32), *[np.ones((2, 3, 4), F32)] * 2,
                                           key_padding_mask=np.ones((2, 5), bool)))
QKV = [np.ones((2, 5, 4))] * 2
case("nn.functional.scaled_dot_product_attention", ValueError, r"^scaled_dot_product_attention: expected "
     r"query \(\.\.\., L, E\), key \(\.\.\., S, E\)",
     lambda: F.scaled_dot_product_attention(np.ones((2, 3, 4)), np.ones((2, 5, 6)), np.ones((2, 5, 4))))
case("nn.functional.scaled_dot_product_attention", ValueError, r"^scaled_dot_product_attention: attn_mask "
     r"of shape \(3, 4\) does not broadcast",
     lambda: F.scaled_dot_product_attention(np.ones((2, 3, 4)), *QKV, attn_mask=np.ones((3, 4), bool)))
case("nn.functional.scaled_dot_product_attention", TypeError, r"^scaled_dot_product_attention: query: .*str",
     lambda: F.scaled_dot_product_attention("q", *QKV))
case("nn.functional.scaled_dot_product_attention", TypeError, r"^scaled_dot_product_attention: dropout_p "
     r"must be a number", lambda: F.scaled_dot_product_attention(np.ones((2, 3, 4)), *QKV, dropout_p="x"))

# ---- activations -----------------------------------------------------------------------

for name in ("ReLU", "Sigmoid", "Tanh", "SiLU", "Swish", "Mish"):
    cls = getattr(nn, name)
    case(f"nn.{name}", TypeError, r": .*from str|: .*dtype <U", lambda cls=cls: cls()("abc"))
    case(f"nn.{name}", TypeError, r"complex", lambda cls=cls: cls()(COMPLEX))
    if name == "Swish":  # Swish(1) is beta=1
        case("nn.Swish", TypeError, r"^Swish: beta must be a number, got '1'", lambda: nn.Swish("1"))
    else:
        case(f"nn.{name}", TypeError, rf"^{name}: takes no arguments, got 1", lambda cls=cls: cls(1))
case("nn.LeakyReLU", TypeError, r"^LeakyReLU: negative_slope must be a number", lambda: nn.LeakyReLU("0.1"))
case("nn.LeakyReLU", TypeError, r"complex", lambda: nn.LeakyReLU()(COMPLEX))
case("nn.LeakyReLU", TypeError, r"from str|dtype <U", lambda: nn.LeakyReLU()("x"))
case("nn.ELU", TypeError, r"^ELU: alpha must be a number", lambda: nn.ELU("1"))
case("nn.ELU", TypeError, r"complex", lambda: nn.ELU()(COMPLEX))
case("nn.ELU", TypeError, r"from str|dtype <U", lambda: nn.ELU()("x"))
case("nn.PReLU", ValueError, r"^PReLU: num_parameters must be a positive int", lambda: nn.PReLU(0))
case("nn.PReLU", ValueError, r"prelu: .*\(2, 3\)", lambda: nn.PReLU(4)(X23))
case("nn.PReLU", TypeError, r"^PReLU: init must be a number", lambda: nn.PReLU(init="0.25"))
case("nn.Softplus", ValueError, r"^Softplus: beta must be", lambda: nn.Softplus(beta=0))
case("nn.Softplus", TypeError, r"^Softplus: threshold must be a number", lambda: nn.Softplus(threshold="20"))
case("nn.Softplus", TypeError, r"complex", lambda: nn.Softplus()(COMPLEX))
case("nn.GELU", ValueError, r"^GELU: approximate must be 'none' or 'tanh'", lambda: nn.GELU("fast"))
case("nn.GELU", TypeError, r"complex", lambda: nn.GELU()(COMPLEX))
case("nn.GELU", TypeError, r"from str|dtype <U", lambda: nn.GELU()("x"))
for name in ("Softmax", "LogSoftmax"):
    cls = getattr(nn, name)
    case(f"nn.{name}", TypeError, rf"^{name}: dim must be an int", lambda cls=cls: cls(dim="1"))
    case(f"nn.{name}", ValueError, r"axis 5", lambda cls=cls: cls(dim=5)(X23))
    case(f"nn.{name}", TypeError, r"complex", lambda cls=cls: cls()(COMPLEX))

# ---- losses: classes and functions -------------------------------------------------------

PAIR_LOSSES = {"MSELoss": "mse_loss", "L1Loss": "l1_loss", "HuberLoss": "huber_loss",
               "SmoothL1Loss": "smooth_l1_loss", "LogCoshLoss": "log_cosh_loss",
               "QuantileLoss": "quantile_loss", "BCELoss": "binary_cross_entropy",
               "BCEWithLogitsLoss": "binary_cross_entropy_with_logits", "HingeLoss": "hinge_loss",
               "SquaredHingeLoss": "squared_hinge_loss", "KLDivLoss": "kl_div",
               "FocalLoss": "focal_loss", "DiceLoss": "dice_loss"}
P = np.full((2, 3), 0.5, np.float32)
for cls_name, fn_name in PAIR_LOSSES.items():
    cls, fn = getattr(nn, cls_name), getattr(F, fn_name)
    case(f"nn.{cls_name}", ValueError, rf"^{cls_name}: reduction must be one of|reduction",
         lambda cls=cls: cls(reduction="avg"))
    case(f"nn.{cls_name}", ValueError, rf"{fn_name}: .*\(2, 3\).*\(3, 2\)|\(3, 2\).*\(2, 3\)",
         lambda cls=cls: cls()(al.Tensor(P, requires_grad=True), P.T.copy()))
    case(f"nn.{cls_name}", TypeError, rf"{fn_name}: .*(str|<U)",
         lambda cls=cls: cls()(al.Tensor(P, requires_grad=True), np.full((2, 3), "a")))
    case(f"nn.functional.{fn_name}", ValueError, rf"^{fn_name}: .*reduction",
         lambda fn=fn: fn(al.Tensor(P, requires_grad=True), P, reduction="avg"))
    case(f"nn.functional.{fn_name}", ValueError, rf"{fn_name}: .*\(2, 3\).*\(3, 2\)|\(3, 2\).*\(2, 3\)",
         lambda fn=fn: fn(al.Tensor(P, requires_grad=True), P.T.copy()))
    case(f"nn.functional.{fn_name}", TypeError, rf"{fn_name}: .*complex",
         lambda fn=fn: fn(al.Tensor(P, requires_grad=True), P.astype(np.complex64)))
# As in PyTorch, a loss module's options are checked when it is called.
case("nn.HuberLoss", ValueError, r"^huber_loss: delta must be > 0, got 0", lambda: nn.HuberLoss(delta=0)(P, P))
case("nn.QuantileLoss", ValueError, r"^QuantileLoss: quantile must be in", lambda: nn.QuantileLoss(1.5))
case("nn.FocalLoss", ValueError, r"^focal_loss: gamma must be >= 0, got -1", lambda: nn.FocalLoss(gamma=-1)(P, P))
LOGITS = al.Tensor(A(2, 3, dtype=np.float32), requires_grad=True)
for cls_name, fn_name in (("CrossEntropyLoss", "cross_entropy"), ("NLLLoss", "nll_loss")):
    cls, fn = getattr(nn, cls_name), getattr(F, fn_name)
    case(f"nn.{cls_name}", ValueError, rf"{fn_name}: .*\[0, 3\)|{fn_name}: .*out of range|{fn_name}: .*3",
         lambda cls=cls: cls()(LOGITS, np.array([0, 3])))
    case(f"nn.{cls_name}", ValueError, r"reduction", lambda cls=cls: cls(reduction="avg"))
    case(f"nn.{cls_name}", ValueError, rf"{fn_name}: .*weight", lambda cls=cls: cls(weight=np.ones(5))(LOGITS, np.array([0, 1])))
    case(f"nn.functional.{fn_name}", ValueError, rf"^{fn_name}: .*\[0, 3\)|^{fn_name}: .*out of range|^{fn_name}: .*3",
         lambda fn=fn: fn(LOGITS, np.array([0, 3])))
    case(f"nn.functional.{fn_name}", TypeError, rf"^{fn_name}: target must be", lambda fn=fn: fn(LOGITS, np.array(["a", "b"])))
    case(f"nn.functional.{fn_name}", ValueError, rf"^{fn_name}: .*reduction", lambda fn=fn: fn(LOGITS, np.array([0, 1]), reduction="x"))
case("nn.CrossEntropyLoss", ValueError, r"label_smoothing", lambda: nn.CrossEntropyLoss(label_smoothing=2.0))
for name in ("ContrastiveLoss", "TripletMarginLoss"):
    cls = getattr(nn, name)
    case(f"nn.{name}", ValueError, r"reduction", lambda cls=cls: cls(reduction="avg"))
    third = np.ones(2, np.float32) if name == "ContrastiveLoss" else P
    case(f"nn.{name}", TypeError, r"margin", lambda cls=cls, t=third: cls(margin="1")(al.Tensor(P), P, t))
    case(f"nn.{name}", ValueError, r"\(2, 3\).*\(3, 2\)|\(3, 2\).*\(2, 3\)",
         lambda cls=cls: cls()(al.Tensor(P), P.T.copy(), np.ones(2, np.float32)))
case("nn.functional.contrastive_loss", ValueError, r"^contrastive_loss: .*\(2, 3\)",
     lambda: F.contrastive_loss(al.Tensor(P), P.T.copy(), np.ones(2, np.float32)))
case("nn.functional.contrastive_loss", ValueError, r"^contrastive_loss: .*reduction",
     lambda: F.contrastive_loss(al.Tensor(P), P, np.ones(2, np.float32), reduction="x"))
case("nn.functional.contrastive_loss", ValueError, r"^contrastive_loss: .*target",
     lambda: F.contrastive_loss(al.Tensor(P), P, np.ones(5, np.float32)))
case("nn.functional.triplet_margin_loss", ValueError, r"^triplet_margin_loss: .*\(2, 3\)",
     lambda: F.triplet_margin_loss(al.Tensor(P), P, P.T.copy()))
case("nn.functional.triplet_margin_loss", ValueError, r"^triplet_margin_loss: .*reduction",
     lambda: F.triplet_margin_loss(al.Tensor(P), P, P, reduction="x"))
case("nn.functional.triplet_margin_loss", ValueError, r"^pairwise_distance: p must be > 0, got 0",
     lambda: F.triplet_margin_loss(al.Tensor(P), P, P, p=0))
case("nn.functional.pairwise_distance", ValueError, r"^pairwise_distance: .*\(2, 3\)",
     lambda: F.pairwise_distance(al.Tensor(P), P.T.copy()))
case("nn.functional.pairwise_distance", ValueError, r"^pairwise_distance: p must be",
     lambda: F.pairwise_distance(al.Tensor(P), P, p=-1))
case("nn.functional.pairwise_distance", TypeError, r"^pairwise_distance: .*complex",
     lambda: F.pairwise_distance(al.Tensor(P), P.astype(np.complex64)))

# ---- functional: layers and activations ------------------------------------------------

for name in ("relu", "sigmoid", "tanh", "silu", "swish", "mish", "softplus", "gelu", "leaky_relu", "elu"):
    fn = getattr(F, name)
    case(f"nn.functional.{name}", TypeError, r"from str|dtype <U", lambda fn=fn: fn("abc"))
    case(f"nn.functional.{name}", TypeError, r"complex", lambda fn=fn: fn(COMPLEX))
    case(f"nn.functional.{name}", ValueError, r"inhomogeneous", lambda fn=fn: fn(RAGGED))
for name in ("softmax", "log_softmax"):
    fn = getattr(F, name)
    case(f"nn.functional.{name}", ValueError, r"axis 5", lambda fn=fn: fn(X23, dim=5))
    case(f"nn.functional.{name}", TypeError, r"axis|dim", lambda fn=fn: fn(X23, dim="1"))
    case(f"nn.functional.{name}", TypeError, r"complex", lambda fn=fn: fn(COMPLEX))
case("nn.functional.linear", ValueError, r"^linear: .*\(2, 3\)", lambda: F.linear(X23, A(4, 2, dtype=np.float32)))
case("nn.functional.linear", TypeError, r"^linear: .*str", lambda: F.linear(X23, "w"))
case("nn.functional.linear", ValueError, r"^linear: .*bias", lambda: F.linear(X23, A(4, 3), A(5)))
case("nn.functional.dropout", ValueError, r"^dropout: probability p must be in \[0, 1\]", lambda: F.dropout(X23, 1.5))
case("nn.functional.dropout", TypeError, r"^dropout: p must be a number", lambda: F.dropout(X23, "0.5"))
case("nn.functional.dropout", TypeError, r"Generator", lambda: F.dropout(X23, 0.5, generator=3))
case("nn.functional.batch_norm", ValueError, r"^batch_norm: .*\(2, 3\)",
     lambda: F.batch_norm(X23, np.zeros(4), np.ones(4)))
case("nn.functional.batch_norm", ValueError, r"^batch_norm: .*eps",
     lambda: F.batch_norm(X23, np.zeros(3), np.ones(3), eps=-1))
case("nn.functional.batch_norm", TypeError, r"^batch_norm: .*complex",
     lambda: F.batch_norm(COMPLEX[None], np.zeros(2), np.ones(2)))
case("nn.functional.layer_norm", ValueError, r"^layer_norm: .*\(2, 3\)", lambda: F.layer_norm(X23, 4))
case("nn.functional.layer_norm", ValueError, r"^layer_norm: .*normalized_shape", lambda: F.layer_norm(X23, 0))
case("nn.functional.layer_norm", TypeError, r"^layer_norm: .*complex", lambda: F.layer_norm(COMPLEX, 2))
case("nn.functional.prelu", ValueError, r"^prelu: .*\(2, 3\)", lambda: F.prelu(X23, np.ones(4, np.float32)))
case("nn.functional.prelu", TypeError, r"^prelu: .*complex", lambda: F.prelu(COMPLEX, np.ones(1)))
case("nn.functional.prelu", TypeError, r"^prelu: .*str", lambda: F.prelu(X23, "w"))

# ---- init -------------------------------------------------------------------------------

W = lambda: nn.Parameter(A(4, 3, dtype=np.float32))  # noqa: E731
case("nn.init.calculate_gain", ValueError, r"^calculate_gain: unsupported nonlinearity 'swishy'",
     lambda: init.calculate_gain("swishy"))
case("nn.init.calculate_gain", TypeError, r"^calculate_gain: param .*must be a number",
     lambda: init.calculate_gain("leaky_relu", "0.1"))
case("nn.init.calculate_gain", TypeError, r"^calculate_gain: nonlinearity must be", lambda: init.calculate_gain(3))
case("nn.init.calculate_fan_in_and_fan_out", ValueError, r"^calculate_fan_in_and_fan_out: .*2",
     lambda: init.calculate_fan_in_and_fan_out(A(3)))
case("nn.init.calculate_fan_in_and_fan_out", TypeError, r"^calculate_fan_in_and_fan_out: expected a floating Tensor or ndarray, got str",
     lambda: init.calculate_fan_in_and_fan_out("w"))
case("nn.init.calculate_fan_in_and_fan_out", TypeError, r"^calculate_fan_in_and_fan_out: expected",
     lambda: init.calculate_fan_in_and_fan_out(None))
for name in ("zeros_", "ones_", "constant_", "uniform_", "normal_", "xavier_uniform_", "xavier_normal_",
             "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "glorot_uniform_", "glorot_normal_",
             "he_uniform_", "he_normal_"):
    fn = getattr(init, name)
    extra = {"constant_": (0.5,)}.get(name, ())
    own = fn.__name__  # glorot_* and he_* are xavier_* and kaiming_* under another name
    case(f"nn.init.{name}", TypeError, rf"^{own}: expected a floating Tensor or ndarray, got ndarray of dtype int64",
         lambda fn=fn, e=extra: fn(np.zeros((4, 3), np.int64), *e))
    case(f"nn.init.{name}", TypeError, rf"^{own}: expected a floating Tensor or ndarray, got str",
         lambda fn=fn, e=extra: fn("w", *e))
    case(f"nn.init.{name}", TypeError, rf"^{own}: expected a floating Tensor or ndarray, got Tensor of dtype int64",
         lambda fn=fn, e=extra: fn(al.Tensor(np.zeros((4, 3), np.int64), dtype=np.int64), *e))
case("nn.init.constant_", TypeError, r"^constant_: val must be a number", lambda: init.constant_(W(), "1"))
case("nn.init.uniform_", ValueError, r"^uniform_: need a <= b", lambda: init.uniform_(W(), 1.0, 0.0))
case("nn.init.normal_", ValueError, r"^normal_: std must be >= 0", lambda: init.normal_(W(), 0.0, -1.0))
for name in ("xavier_uniform_", "xavier_normal_", "glorot_uniform_", "glorot_normal_", "orthogonal_"):
    fn = getattr(init, name)
    own = fn.__name__
    case(f"nn.init.{name}", ValueError, rf"^{own}: need a tensor with at least 2 dimensions",
         lambda fn=fn: fn(nn.Parameter(A(3, dtype=np.float32))))
    case(f"nn.init.{name}", TypeError, rf"^{own}: gain must be a number", lambda fn=fn: fn(W(), gain="1"))
for name in ("kaiming_uniform_", "kaiming_normal_", "he_uniform_", "he_normal_"):
    fn = getattr(init, name)
    case(f"nn.init.{name}", ValueError, rf"^{fn.__name__}: mode must be 'fan_in' or 'fan_out'",
         lambda fn=fn: fn(W(), mode="fan"))
    case(f"nn.init.{name}", ValueError, r"^calculate_gain: unsupported nonlinearity 'swishy'",
         lambda fn=fn: fn(W(), nonlinearity="swishy"))

# ---- optimisers ----------------------------------------------------------------------------

def _params() -> list[al.Tensor]:
    return list(_lin().parameters())


OPTIMIZERS = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "Lion", "AdaBelief", "Adamax",
              "RAdam", "Adafactor", "LAMB", "LARS"]
for name in OPTIMIZERS:
    cls = getattr(nn.optim, name)
    case(f"nn.optim.{name}", TypeError, rf"^{name}: params must be the parameters, not the Linear",
         lambda cls=cls: cls(_lin()))
    case(f"nn.optim.{name}", ValueError, rf"^{name}: invalid lr -1", lambda cls=cls: cls(_params(), lr=-1))
    case(f"nn.optim.{name}", ValueError, rf"^{name}: invalid lr inf", lambda cls=cls: cls(_params(), lr=float("inf")))
    case(f"nn.optim.{name}", TypeError, rf"^{name}: params must be an iterable", lambda cls=cls: cls(None))
    case(f"nn.optim.{name}", ValueError, rf"^{name}.load_state_dict: expected a dict",
         lambda cls=cls: cls(_params()).load_state_dict([]))
    case(f"nn.optim.{name}", ValueError, rf"^{name}.step: a parameter of shape \(2, 3\) has a gradient of shape \(3,\)",
         lambda cls=cls: _step_with_bad_grad(cls))
for name in ("Adam", "AdamW", "NAdam", "Lion", "AdaBelief", "Adamax", "RAdam", "LAMB"):
    cls = getattr(nn.optim, name)
    case(f"nn.optim.{name}", ValueError, rf"^{name}: invalid betas", lambda cls=cls: cls(_params(), betas=(0.9, 1.0)))
for name in ("Adamax", "RAdam", "Adafactor", "LAMB", "LARS"):
    cls = getattr(nn.optim, name)
    case(f"nn.optim.{name}", ValueError, rf"^{name}: invalid weight_decay -1; expected >= 0",
         lambda cls=cls: cls(_params(), weight_decay=-1))
case("nn.optim.Adafactor", ValueError, r"^Adafactor: invalid beta2_decay 0.5; expected <= 0",
     lambda: nn.optim.Adafactor(_params(), beta2_decay=0.5))
case("nn.optim.Adafactor", ValueError, r"^Adafactor: invalid eps \(None, -1\)", lambda: nn.optim.Adafactor(_params(), eps=(None, -1)))
case("nn.optim.Adafactor", ValueError, r"^Adafactor: invalid d 0; expected >= 1", lambda: nn.optim.Adafactor(_params(), d=0))
case("nn.optim.LARS", ValueError, r"^LARS: invalid momentum -1; expected a number in \[0, 1\)",
     lambda: nn.optim.LARS(_params(), momentum=-1))
case("nn.optim.LARS", ValueError, r"^LARS: invalid trust_coefficient 0; expected > 0",
     lambda: nn.optim.LARS(_params(), trust_coefficient=0))
LOADER = [(A(4, 3, dtype=np.float32), np.array([0, 1, 0, 1]))]
case("nn.optim.lr_finder", TypeError, r"^lr_finder: model must be an nn.Module, got str",
     lambda: nn.optim.lr_finder("model", F.cross_entropy, LOADER))
case("nn.optim.lr_finder", TypeError, r"^lr_finder: loss_fn must be callable, got int",
     lambda: nn.optim.lr_finder(_lin(), 42, LOADER))
case("nn.optim.lr_finder", TypeError, r"^lr_finder: loader must be an iterable of \(input, target\) batches, got int",
     lambda: nn.optim.lr_finder(_lin(), F.cross_entropy, 42))
case("nn.optim.lr_finder", ValueError, r"^lr_finder: end_lr must be a number > start_lr \(1.0\), got 0.1",
     lambda: nn.optim.lr_finder(_lin(), F.cross_entropy, LOADER, start_lr=1.0, end_lr=0.1))
case("nn.optim.lr_finder", ValueError, r"^lr_finder: num_iter must be an int >= 3, got 0",
     lambda: nn.optim.lr_finder(_lin(), F.cross_entropy, LOADER, num_iter=0))
case("nn.optim.lr_finder", ValueError, r"^lr_finder: the loader yielded no batches",
     lambda: nn.optim.lr_finder(_lin(), F.cross_entropy, []))
case("nn.optim.lr_finder", TypeError, r"^lr_finder: optimizer must be an nn.optim Optimizer, got str",
     lambda: nn.optim.lr_finder(_lin(), F.cross_entropy, LOADER, "sgd"))
case("nn.optim.LRFinderResult", TypeError, r"LRFinderResult", lambda: nn.optim.LRFinderResult())
case("nn.optim.LRFinderResult", TypeError, r"LRFinderResult", lambda: nn.optim.LRFinderResult(*range(7)))
case("nn.optim.LRFinderResult", TypeError, r"LRFinderResult", lambda: nn.optim.LRFinderResult(bogus=1))
case("nn.optim.SGD", ValueError, r"^SGD: Nesterov momentum needs", lambda: nn.optim.SGD(_params(), lr=0.1, nesterov=True))
case("nn.optim.RMSprop", ValueError, r"^RMSprop: invalid alpha 2", lambda: nn.optim.RMSprop(_params(), alpha=2))
case("nn.optim.Optimizer", TypeError, r"^Optimizer: params must be an iterable", lambda: nn.optim.Optimizer(3, {"lr": 0.1}))
case("nn.optim.Optimizer", ValueError, r"^Optimizer: got an empty parameter list", lambda: nn.optim.Optimizer([], {"lr": 0.1}))
case("nn.optim.Optimizer", TypeError, r"^Optimizer: can only optimise Tensors",
     lambda: nn.optim.Optimizer([np.ones(2)], {"lr": 0.1}))
case("nn.optim.Optimizer", ValueError, r"^Optimizer: can only optimise leaf Tensors",
     lambda: nn.optim.Optimizer([T(2) * 2], {"lr": 0.1}))
case("nn.optim.make_optimizer", ValueError, r"^make_optimizer: unknown optimizer 'adamax'",
     lambda: nn.optim.make_optimizer("adamax", _params()))
case("nn.optim.make_optimizer", ValueError, r"invalid lr -1", lambda: nn.optim.make_optimizer("sgd", _params(), lr=-1))
case("nn.optim.make_optimizer", TypeError, r"params must be the parameters", lambda: nn.optim.make_optimizer("sgd", _lin()))
case("nn.optim.make_scheduler", ValueError, r"^make_scheduler: unknown schedule 'linear'",
     lambda: nn.optim.make_scheduler("linear", nn.optim.SGD(_params()), 10))
case("nn.optim.make_scheduler", ValueError, r"^make_scheduler: total_steps must be a positive int",
     lambda: nn.optim.make_scheduler("cosine", nn.optim.SGD(_params()), 0))
case("nn.optim.make_scheduler", TypeError, r"expected an nn.optim Optimizer",
     lambda: nn.optim.make_scheduler("cosine", "sgd", 10))


def _step_with_bad_grad(cls: type) -> None:
    lin = _lin()
    opt = cls(lin.parameters())
    lin.weight.grad = np.ones(3, np.float32)
    opt.step()


# ---- schedulers -------------------------------------------------------------------------------

def _sgd() -> nn.optim.SGD:
    return nn.optim.SGD(_params(), lr=0.1)


SCHEDULERS = {
    "LRScheduler": lambda o, **k: sched.LRScheduler(o, **k),
    "LambdaLR": lambda o, **k: sched.LambdaLR(o, k.pop("lr_lambda", lambda e: 1.0), **k),
    "StepLR": lambda o, **k: sched.StepLR(o, k.pop("step_size", 2), **k),
    "MultiStepLR": lambda o, **k: sched.MultiStepLR(o, k.pop("milestones", [2]), **k),
    "ExponentialLR": lambda o, **k: sched.ExponentialLR(o, k.pop("gamma", 0.9), **k),
    "LinearLR": lambda o, **k: sched.LinearLR(o, **k),
    "CosineAnnealingLR": lambda o, **k: sched.CosineAnnealingLR(o, k.pop("T_max", 10), **k),
    "CosineAnnealingWarmRestarts": lambda o, **k: sched.CosineAnnealingWarmRestarts(o, k.pop("T_0", 5), **k),
    "OneCycleLR": lambda o, **k: sched.OneCycleLR(o, k.pop("max_lr", 1.0), k.pop("total_steps", 10), **k),
    "ReduceLROnPlateau": lambda o, **k: sched.ReduceLROnPlateau(o, **k),
    "WarmupCosine": lambda o, **k: sched.WarmupCosine(o, k.pop("warmup_iters", 2), k.pop("total_iters", 10), **k),
}
for name, make in SCHEDULERS.items():
    if name == "LRScheduler":
        continue
    case(f"nn.optim.lr_scheduler.{name}", TypeError, rf"^{name}: expected an nn.optim Optimizer",
         lambda make=make: make("sgd"))
    case(f"nn.optim.lr_scheduler.{name}", TypeError, rf"^{name}.load_state_dict: expected a dict",
         lambda make=make: make(_sgd()).load_state_dict(None))
    case(f"nn.optim.lr_scheduler.{name}", ValueError, rf"^{name}.load_state_dict: unexpected keys \['bogus'\]",
         lambda make=make: make(_sgd()).load_state_dict({"bogus": 1}))
case("nn.optim.lr_scheduler.WarmupCosine", ValueError, r"^WarmupCosine: total_iters \(10\) must be larger than warmup_iters \(20\)",
     lambda: sched.WarmupCosine(_sgd(), 20, 10))
case("nn.optim.lr_scheduler.WarmupCosine", ValueError, r"^WarmupCosine: warmup_iters must be an int >= 0, got '2'",
     lambda: sched.WarmupCosine(_sgd(), "2", 10))
case("nn.optim.lr_scheduler.WarmupCosine", ValueError, r"^WarmupCosine: start_factor must be a number in \[0, 1\], got 2.0",
     lambda: sched.WarmupCosine(_sgd(), 2, 10, start_factor=2.0))
case("nn.optim.lr_scheduler.LRScheduler", TypeError, r"^LRScheduler: expected an nn.optim Optimizer",
     lambda: sched.LRScheduler(None))
case("nn.optim.lr_scheduler.LRScheduler", NotImplementedError, r"LRScheduler must implement get_lr\(\) or lr_at\(\)",
     lambda: sched.LRScheduler(_sgd()))
case("nn.optim.lr_scheduler.LRScheduler", TypeError, r"LRScheduler", lambda: sched.LRScheduler())
case("nn.optim.lr_scheduler.LambdaLR", ValueError, r"^LambdaLR: expected one function or 1 functions",
     lambda: sched.LambdaLR(_sgd(), [len, len]))
case("nn.optim.lr_scheduler.StepLR", ValueError, r"^StepLR: step_size must be a positive int", lambda: sched.StepLR(_sgd(), 0))
case("nn.optim.lr_scheduler.LinearLR", ValueError, r"^LinearLR: need 0 <= start_factor <= 1",
     lambda: sched.LinearLR(_sgd(), start_factor=1.5))
case("nn.optim.lr_scheduler.LinearLR", TypeError, r"^LinearLR: end_factor must be a number",
     lambda: sched.LinearLR(_sgd(), end_factor="1"))
case("nn.optim.lr_scheduler.CosineAnnealingWarmRestarts", ValueError, r"^CosineAnnealingWarmRestarts: T_mult must be",
     lambda: sched.CosineAnnealingWarmRestarts(_sgd(), 5, T_mult=0))
case("nn.optim.lr_scheduler.OneCycleLR", ValueError, r"^OneCycleLR: anneal_strategy must be",
     lambda: sched.OneCycleLR(_sgd(), 1.0, 10, anneal_strategy="exp"))
case("nn.optim.lr_scheduler.OneCycleLR", ValueError, r"^OneCycleLR: step\(\) called 11 times, but total_steps is 10",
     lambda: _step_n(sched.OneCycleLR(_sgd(), 1.0, 10), 11))
case("nn.optim.lr_scheduler.ReduceLROnPlateau", ValueError, r"^ReduceLROnPlateau: mode must be 'min' or 'max'",
     lambda: sched.ReduceLROnPlateau(_sgd(), mode="lowest"))
case("nn.optim.lr_scheduler.ReduceLROnPlateau", TypeError, r"^ReduceLROnPlateau.step: metrics must be a number",
     lambda: sched.ReduceLROnPlateau(_sgd()).step([1.0, 2.0]))
for name in ("SequentialLR", "ChainedScheduler"):
    make = (lambda ss, o=None: sched.SequentialLR(o or ss[0].optimizer, ss, [2] * (len(ss) - 1))) \
        if name == "SequentialLR" else (lambda ss, o=None: sched.ChainedScheduler(ss, o))
    case(f"nn.optim.lr_scheduler.{name}", ValueError, rf"^{name}: expected at least one scheduler|^{name}: expected len",
         lambda make=make: make([], _sgd()))
    case(f"nn.optim.lr_scheduler.{name}", TypeError, rf"^{name}: scheduler 0 is a str",
         lambda make=make: make(["step"], _sgd()))
    case(f"nn.optim.lr_scheduler.{name}", ValueError, rf"^{name}: scheduler 1 \(StepLR\) belongs to another optimiser",
         lambda make=make: (lambda o: make([sched.StepLR(o, 2), sched.StepLR(_sgd(), 2)], o))(_sgd()))
    case(f"nn.optim.lr_scheduler.{name}", TypeError, rf"^{name}.load_state_dict: expected a dict",
         lambda make=make: (lambda o: make([sched.StepLR(o, 2), sched.StepLR(o, 3)], o))(_sgd()).load_state_dict(5))


def _step_n(s: Any, n: int) -> None:
    for _ in range(n):
        s.step()


# ---- data, datasets, models, diagnostics, utils, checkpoints ------------------------------------

case("nn.DataLoader", ValueError, r"^DataLoader: batch_size must be at least 1", lambda: nn.DataLoader(A(4, 2), batch_size=0))
case("nn.DataLoader", TypeError, r"^DataLoader: batch_size must be an int", lambda: nn.DataLoader(A(4, 2), batch_size=2.5))
case("nn.DataLoader", ValueError, r"^DataLoader: all arrays must have the same first dimension .*\(4, 2\), #1: \(3,\)",
     lambda: nn.DataLoader((A(4, 2), A(3))))
case("nn.DataLoader", TypeError, r"^DataLoader: ", lambda: nn.DataLoader(42))
case("nn.one_hot", ValueError, r"^one_hot: label out of range: expected 0 <= label < 3, found 3",
     lambda: nn.one_hot(np.array([0, 3]), 3))
case("nn.one_hot", TypeError, r"^one_hot: needs integer labels, got dtype float64", lambda: nn.one_hot(np.array([0.5, 1.0])))
case("nn.one_hot", ValueError, r"^one_hot: label out of range: .*found -1", lambda: nn.one_hot(np.array([-1, 1])))
case("nn.one_hot", ValueError, r"^one_hot: num_classes must be non-negative", lambda: nn.one_hot(np.array([0, 1]), -2))
case("nn.load_mnist", ValueError, r"unknown dataset 'kmnist'",
     lambda: nn.load_mnist(name="kmnist"))
case("nn.load_mnist", ValueError, r"checksums must be a mapping, 'published' or None",
     lambda: nn.load_mnist(UNWRITABLE, checksums="sha256"))
case("nn.load_mnist", ValueError, r"checksums has unknown keys",
     lambda: nn.load_mnist(UNWRITABLE, checksums={"train.gz": "00"}))
case("nn.load_mnist", ValueError, r"^load_mnist: timeout must be a positive number",
     lambda: nn.load_mnist(UNWRITABLE, timeout=-1))
case("nn.load_mnist", nn.DatasetError, r"MNIST files not found", lambda: nn.load_mnist(UNWRITABLE, download=False))
case("nn.read_idx", nn.DatasetError, r"cannot read file|No such file", lambda: nn.read_idx("/nonexistent/file"))
case("nn.read_idx", nn.DatasetError, r"IDX|magic|too short", lambda: nn.read_idx(__file__))
case("nn.read_idx", TypeError, r"^read_idx: ", lambda: nn.read_idx(None))
case("nn.to_float", TypeError, r"^to_float: expected pixel values \(numbers\), got dtype <U3", lambda: nn.to_float("abc"))
case("nn.to_float", ValueError, r"^to_float: flatten needs images of shape \(N, H, W\), got \(3,\)",
     lambda: nn.to_float(np.zeros(3, np.uint8), flatten=True))
case("nn.to_float", TypeError, r"^to_float: .*complex", lambda: nn.to_float(COMPLEX))
case("nn.Checksum", ValueError, r"^Checksum: unknown hash algorithm 'sha7'", lambda: nn.Checksum("00", "sha7"))
case("nn.Checksum", TypeError, r"^Checksum: digest must be a str", lambda: nn.Checksum(123))
case("nn.Checksum", ValueError, r"^Checksum: digest must be hexadecimal", lambda: nn.Checksum("xyz"))
for name, n in (("MNISTData", 2), ("Split", 2)):
    cls = getattr(nn, name)
    case(f"nn.{name}", TypeError, name, lambda cls=cls: cls())
    case(f"nn.{name}", TypeError, name, lambda cls=cls, n=n: cls(*range(n + 1)))
    case(f"nn.{name}", TypeError, name, lambda cls=cls: cls(bogus=1))
case("nn.Perceptron", ValueError, r"^Perceptron: n_inputs must be a positive int", lambda: nn.Perceptron(0))
case("nn.Perceptron", ValueError, r"^Perceptron: lr must be > 0", lambda: nn.Perceptron(2, lr=0))
case("nn.Perceptron", ValueError, r"^Perceptron.predict: expected X of shape \(N, 2\)", lambda: nn.Perceptron(2).predict(X23))
case("nn.Perceptron", ValueError, r"^Perceptron.fit: y must hold 2 labels in \{0, 1\}",
     lambda: nn.Perceptron(3).fit(X23, np.array([0, 2])))
case("nn.MLP", ValueError, r"^MLP: sizes needs at least an input and an output size", lambda: nn.MLP([3]))
case("nn.MLP", ValueError, r"^MLP: unknown activation 'relux'", lambda: nn.MLP([3, 2], activation="relux"))
case("nn.MLP", ValueError, r"^Linear: out_features must be a positive int, got 0", lambda: nn.MLP([3, 0, 2]))
case("nn.MLP", ValueError, r"^MLP: dropout must be a number in \[0, 1\), got 2.0", lambda: nn.MLP([3, 2], dropout=2.0))
for name in ("TwoLayerNet", "two_layer_net"):
    f = getattr(nn, name)
    case(f"nn.{name}", ValueError, r"^TwoLayerNet: hidden must be a positive int", lambda f=f: f(0))
    case(f"nn.{name}", ValueError, r"^TwoLayerNet: init must be 'he' or 'xavier'", lambda f=f: f(8, init="glorot"))
    case(f"nn.{name}", ValueError, r"^TwoLayerNet: dropout must be in \[0, 1\)", lambda f=f: f(8, dropout=1.0))
case("nn.two_layer_net", TypeError, r"^two_layer_net: seed must be an int >= 0 or None, got '0'",
     lambda: nn.two_layer_net(8, seed="0"))
case("nn.predict", TypeError, r"^predict: expected an nn.Module", lambda: nn.predict("model", X23))
case("nn.predict", ValueError, r"^Linear\(in_features=784, out_features=8\): expected input whose last dimension is 784",
     lambda: nn.predict(nn.two_layer_net(8), X23))
case("nn.predict", ValueError, r"^predict: batch_size must be a positive int", lambda: nn.predict(nn.two_layer_net(8), X23, 0))
case("nn.evaluate", ValueError, r"^evaluate: 2 images but 3 labels",
     lambda: nn.evaluate(nn.two_layer_net(8), A(2, 784, dtype=np.float32), np.array([0, 1, 2])))
case("nn.evaluate", ValueError, r"^evaluate: no samples to evaluate",
     lambda: nn.evaluate(nn.two_layer_net(8), np.zeros((0, 784), np.float32), np.zeros(0, int)))
case("nn.evaluate", TypeError, r"^evaluate: expected an nn.Module", lambda: nn.evaluate(None, X23, np.zeros(2)))
case("nn.Monitor", TypeError, r"^Monitor: expected an nn.Module, got str", lambda: nn.Monitor("model"))
case("nn.Monitor", ValueError, r"^Monitor: history must be an int >= 2", lambda: nn.Monitor(_lin(), history=1))
case("nn.Monitor", ValueError, r"^Monitor: history must be an int >= 2, got '20'", lambda: nn.Monitor(_lin(), history="20"))
for name in ("LayerStats", "ReluStats", "Divergence"):
    cls = getattr(nn.diagnostics, name)
    case(f"nn.diagnostics.{name}", TypeError, name, lambda cls=cls: cls())
    case(f"nn.diagnostics.{name}", TypeError, name, lambda cls=cls: cls(*range(9)))
    case(f"nn.diagnostics.{name}", TypeError, name, lambda cls=cls: cls(bogus=1))
case("nn.get_rng_state", TypeError, r"get_rng_state", lambda: nn.get_rng_state(1))
case("nn.get_rng_state", TypeError, r"get_rng_state", lambda: nn.get_rng_state(None))
case("nn.get_rng_state", TypeError, r"get_rng_state", lambda: nn.get_rng_state(x=1))
case("nn.set_rng_state", ValueError, r"^set_rng_state: expected a dict from nn.get_rng_state\(\) .* got 'a'",
     lambda: nn.set_rng_state("a"))
case("nn.set_rng_state", ValueError, r"^set_rng_state: expected a dict .* got \{\}", lambda: nn.set_rng_state({}))
case("nn.set_rng_state", ValueError, r"^set_rng_state: expected a dict .* got \{'bit_generator': 'x'",
     lambda: nn.set_rng_state({**nn.get_rng_state(), "bit_generator": "x"}))
case("nn.utils.grad_array", TypeError, r"^grad_array: expected a Tensor, got str", lambda: nn.utils.grad_array("w"))
case("nn.utils.grad_array", TypeError, r"^grad_array: expected a Tensor, got ndarray", lambda: nn.utils.grad_array(A(2)))
case("nn.utils.grad_array", TypeError, r"^grad_array: expected a Tensor, got NoneType", lambda: nn.utils.grad_array(None))
X13 = np.ones((1, 3), np.float32)
case("nn.export_onnx", TypeError, r"^export_onnx: model must be an nn.Module, got str", lambda: nn.export_onnx("m", X13))
case("nn.export_onnx", ValueError, r"^Linear\(in_features=3, out_features=2\): expected input whose last dimension is 3, got shape \(1, 4\)",
     lambda: nn.export_onnx(_lin(), np.ones((1, 4), np.float32)))
case("nn.export_onnx", TypeError, r"^export_onnx: example_input has dtype float64 but the model's parameters are float32",
     lambda: nn.export_onnx(_lin(), A(1, 3)))
case("nn.export_onnx", TypeError, r"^export_onnx: example_input must be a floating array, got dtype <U1",
     lambda: nn.export_onnx(_lin(), "x"))
case("nn.export_onnx", ValueError, r"^export_onnx: opset_version must be an int from 17 to .*, got 5",
     lambda: nn.export_onnx(_lin(), X13, opset_version=5))
case("nn.export_onnx", TypeError, r"^export_onnx: input_name must be a non-empty str or a sequence of them, got 3",
     lambda: nn.export_onnx(_lin(), X13, input_name=3))
case("nn.export_onnx", NotADirectoryError, r"export_onnx: cannot write .*/sub/m.onnx: Not a directory",
     lambda: nn.export_onnx(_lin(), X13, UNWRITABLE + "/m.onnx"))
case("nn.manual_seed", TypeError, r"^manual_seed: seed must be an int, got str", lambda: nn.manual_seed("0"))
case("nn.manual_seed", TypeError, r"^manual_seed: seed must be an int", lambda: nn.manual_seed(1.5))
case("nn.manual_seed", ValueError, r"^manual_seed: seed must be >= 0", lambda: nn.manual_seed(-1))
for name in ("clip_grad_norm_", "clip_grad_value_"):
    f = getattr(nn, name)
    arg = "max_norm" if name == "clip_grad_norm_" else "clip_value"
    case(f"nn.{name}", TypeError, rf"^{name}: expected Tensors, got a str", lambda f=f: f(["w"], 1.0))
    case(f"nn.{name}", ValueError, rf"^{name}: {arg} must be >= 0", lambda f=f: f(_params(), -1.0))
    case(f"nn.{name}", TypeError, rf"^{name}: {arg} must be a number", lambda f=f: f(_params(), "1"))
case("nn.clip_grad_norm_", ValueError, r"^clip_grad_norm_: norm_type must be > 0", lambda: nn.clip_grad_norm_(_params(), 1.0, 0))
case("nn.save", TypeError, r"^save: cannot save a set at a", lambda: nn.save({"a": {1}}, "x.npz"))
case("nn.save", TypeError, r"^save: dict keys must be str or int", lambda: nn.save({(1, 2): 1}, "x.npz"))
case("nn.save", NotADirectoryError, r"cannot write .*/sub/x.npz: Not a directory",
     lambda: nn.save({"a": 1}, UNWRITABLE + "/x.npz"))
case("nn.save", TypeError, r"^save: path must be", lambda: nn.save({"a": 1}, None))
case("nn.load", FileNotFoundError, r"^load: no such file: '/nonexistent.npz'", lambda: nn.load("/nonexistent.npz"))
case("nn.load", nn.CheckpointError, r"^load: '.*' is not a valid nn checkpoint: it is not an .npz", lambda: nn.load(__file__))
case("nn.load", TypeError, r"^load: path must be", lambda: nn.load(None))


# ---- convolution and pooling ---------------------------------------------------------

X4 = A(2, 3, 8, 8, dtype=np.float32)  # (N, C, H, W)
X3 = A(2, 3, 8, dtype=np.float32)  # (N, C, L)
case("nn.Conv1d", ValueError, r"^Conv1d: in_channels must be a positive int, got 0", lambda: nn.Conv1d(0, 2, 3))
case("nn.Conv1d", ValueError, r"^Conv1d: stride must be positive, got 0", lambda: nn.Conv1d(3, 2, 3, stride=0))
case("nn.Conv1d", ValueError, r"^Conv1d\(3, 2, kernel_size=\(3,\), stride=\(1,\)\): expected 3 input channels "
     r"\(in_channels=3\), got input of shape \(2, 4, 8\)", lambda: nn.Conv1d(3, 2, 3)(A(2, 4, 8, dtype=np.float32)))
case("nn.Conv1d", ValueError, r"^Conv1d\(3, 2, .*\): expected input of shape \(N, C, L\) .*got shape \(2, 3\)",
     lambda: nn.Conv1d(3, 2, 3)(X23))
case("nn.Conv2d", TypeError, r"^Conv2d: kernel_size must be an int or a tuple of 2 ints, got '3'",
     lambda: nn.Conv2d(3, 2, "3"))
case("nn.Conv2d", ValueError, r"^Conv2d: groups=2 must divide both in_channels \(3\) and out_channels \(2\)",
     lambda: nn.Conv2d(3, 2, 3, groups=2))
case("nn.Conv2d", ValueError, r"^Conv2d: padding must be an int, a tuple of 2 ints, 'same' or 'valid', got 'bogus'",
     lambda: nn.Conv2d(3, 2, 3, padding="bogus"))
case("nn.Conv2d", ValueError, r"^Conv2d\(3, 2, .*\): expected input of shape \(N, C, H, W\) .*got shape \(2, 3, 8\)",
     lambda: nn.Conv2d(3, 2, 3)(X3))
case("nn.Conv2d", ValueError, r"^Conv2d\(3, 2, kernel_size=\(5, 5\), .*\): conv2d: the output would be empty: "
     r"input size \(2, 2\), kernel \(5, 5\)", lambda: nn.Conv2d(3, 2, 5)(A(1, 3, 2, 2, dtype=np.float32)))
for name in ("MaxPool2d", "AvgPool2d"):
    C = getattr(nn, name)
    case(f"nn.{name}", ValueError, rf"^{name}: kernel_size must be positive, got 0", lambda C=C: C(0))
    case(f"nn.{name}", TypeError, rf"^{name}: kernel_size must be an int or a tuple of 2 ints, got '2'", lambda C=C: C("2"))
    case(f"nn.{name}", ValueError, rf"^{name}: stride must be positive, got 0", lambda C=C: C(2, stride=0))
    case(f"nn.{name}", ValueError, rf"^{name}\(kernel_size=2, .*\): expected input of shape \(N, C, H, W\), got "
         r"shape \(2, 3\)", lambda C=C: C(2)(X23))
    case(f"nn.{name}", ValueError, rf"^{name}\(kernel_size=3, .*\): {name.lower()[:3]}_pool2d: the output would be empty",
         lambda C=C: C(3)(A(1, 1, 2, 2, dtype=np.float32)))
case("nn.AdaptiveAvgPool2d", ValueError, r"^AdaptiveAvgPool2d: output_size must be a positive int or a pair of them "
     r"\(or None\), got 0", lambda: nn.AdaptiveAvgPool2d(0))
case("nn.AdaptiveAvgPool2d", ValueError, r"^AdaptiveAvgPool2d: output_size .*, got '2'", lambda: nn.AdaptiveAvgPool2d("2"))
case("nn.AdaptiveAvgPool2d", ValueError, r"^AdaptiveAvgPool2d\(output_size=2\): expected input of shape \(N, C, H, W\), "
     r"got shape \(2, 3\)", lambda: nn.AdaptiveAvgPool2d(2)(X23))
case("nn.BatchNorm2d", ValueError, r"^BatchNorm2d: num_features must be a positive int, got 0", lambda: nn.BatchNorm2d(0))
case("nn.BatchNorm2d", ValueError, r"^BatchNorm2d\(4\): expected input of shape \(N, 4, H, W\), got \(2, 3, 8, 8\)",
     lambda: nn.BatchNorm2d(4)(X4))
case("nn.BatchNorm2d", ValueError, r"^BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\), got \(2, 3\)",
     lambda: nn.BatchNorm2d(3)(X23))
case("nn.BatchNorm2d", ValueError, r"^BatchNorm2d: momentum must be in \[0, 1\] or None, got 2.0",
     lambda: nn.BatchNorm2d(3, momentum=2.0))
case("nn.Dropout2d", ValueError, r"^Dropout2d: probability p must be in \[0, 1\], got 1.5", lambda: nn.Dropout2d(1.5))
case("nn.Dropout2d", TypeError, r"^Dropout2d: p must be a number, got '0.5'", lambda: nn.Dropout2d("0.5"))
case("nn.Dropout2d", TypeError, r"^Dropout2d: generator must be a numpy.random.Generator .*got int",
     lambda: nn.Dropout2d(0.5, generator=3))
case("nn.Dropout2d", ValueError, r"^Dropout2d\(p=0.5\): expected input of shape \(N, C, H, W\) or \(C, H, W\), got "
     r"shape \(2, 3\)", lambda: nn.Dropout2d(0.5)(X23))
case("nn.Unflatten", TypeError, r"^Unflatten: dim must be an int .*got dim='1'", lambda: nn.Unflatten("1", (3, 1)))
case("nn.Unflatten", TypeError, r"^Unflatten: .*unflattened_size=\(-2, 3\)", lambda: nn.Unflatten(1, (-2, 3)))
case("nn.Unflatten", ValueError, r"^Unflatten\(dim=1, unflattened_size=\(2, 2\)\): input of shape \(2, 3\) has 3 "
     r"elements along dim 1, which cannot be split into \(2, 2\)", lambda: nn.Unflatten(1, (2, 2))(X23))
case("nn.Unflatten", ValueError, r"^Unflatten\(dim=5, .*\): dim out of range for input of shape \(2, 3\)",
     lambda: nn.Unflatten(5, (1, 3))(X23))

for name, x, w in (("conv1d", X3, A(2, 3, 3, dtype=np.float32)), ("conv2d", X4, A(2, 3, 3, 3, dtype=np.float32))):
    f = getattr(F, name)
    more = (2, 4) + w.shape[2:]
    case(f"nn.functional.{name}", ValueError, rf"^{name}: weight of shape \({more[0]}, 4, .*expects in_channels = "
         rf"weight.shape\[1\] \* groups = 4, but the input of shape .* has 3 channels",
         lambda f=f, x=x, m=more: f(x, A(*m, dtype=np.float32)))
    case(f"nn.functional.{name}", ValueError, rf"^{name}: expected an input x of shape \(N, C, .*got shape \(2, 3\)",
         lambda f=f, w=w: f(X23, w))
    case(f"nn.functional.{name}", ValueError, rf"^{name}: bias must have shape \(out_channels,\) = \(2,\) .*got shape \(5,\)",
         lambda f=f, x=x, w=w: f(x, w, A(5, dtype=np.float32)))
    case(f"nn.functional.{name}", ValueError, rf"^{name}: stride must be positive, got 0", lambda f=f, x=x, w=w: f(x, w, stride=0))
    case(f"nn.functional.{name}", TypeError, rf"^{name}: input 0: .*from str", lambda f=f, w=w: f("a", w))
for name in ("max_pool2d", "avg_pool2d"):
    f = getattr(F, name)
    case(f"nn.functional.{name}", ValueError, rf"^{name}: expected an input x of shape \(N, C, H, W\) \(4 dimensions\), "
         r"got shape \(2, 3\)", lambda f=f: f(X23, 2))
    case(f"nn.functional.{name}", TypeError, rf"^{name}: kernel_size must be an int or a tuple of 2 ints, got '2'",
         lambda f=f: f(X4, "2"))
    case(f"nn.functional.{name}", ValueError, rf"^{name}: padding 3 must be at most half of the .*kernel size 2",
         lambda f=f: f(X4, 2, padding=3))
    case(f"nn.functional.{name}", ValueError, rf"^{name}: the output would be empty: input size \(2, 2\), kernel \(3, 3\)",
         lambda f=f: f(A(1, 1, 2, 2, dtype=np.float32), 3))
case("nn.functional.adaptive_avg_pool2d", ValueError, r"^adaptive_avg_pool2d: expected an input x of shape "
     r"\(N, C, H, W\) \(4 dimensions\), got shape \(2, 3\)", lambda: F.adaptive_avg_pool2d(X23, 2))
case("nn.functional.adaptive_avg_pool2d", ValueError, r"^adaptive_avg_pool2d: the output size \(0, 0\) must be positive",
     lambda: F.adaptive_avg_pool2d(X4, 0))
case("nn.functional.adaptive_avg_pool2d", TypeError, r"^adaptive_avg_pool2d: output_size must be an int or a pair "
     r"of ints \(or None\), got '2'", lambda: F.adaptive_avg_pool2d(X4, "2"))
case("nn.functional.dropout2d", ValueError, r"^dropout2d: probability p must be in \[0, 1\], got 1.5",
     lambda: F.dropout2d(X4, 1.5))
case("nn.functional.dropout2d", TypeError, r"^dropout2d: p must be a number, got '0.5'", lambda: F.dropout2d(X4, "0.5"))
case("nn.functional.dropout2d", TypeError, r"^dropout2d: generator must be a numpy.random.Generator .*got int",
     lambda: F.dropout2d(X4, 0.5, generator=3))
case("nn.functional.dropout2d", ValueError, r"^dropout2d: expected input of shape \(N, C, H, W\) or \(C, H, W\), "
     r"got shape \(2, 3\)", lambda: F.dropout2d(X23, 0.5))

case("nn.models.LeNet", ValueError, r"^LeNet: num_classes must be a positive int, got 0", lambda: nn.models.LeNet(0))
case("nn.models.LeNet", ValueError, r"^LeNet: num_classes must be a positive int, got '10'",
     lambda: nn.models.LeNet(num_classes="10"))
case("nn.models.LeNet", ValueError, r"^LeNet: channels must be a pair of positive ints, got \(6,\)",
     lambda: nn.models.LeNet(channels=(6,)))
case("nn.models.LeNet", ValueError, r"^LeNet: hidden must be a positive int, got 0", lambda: nn.models.LeNet(hidden=(0, 84)))
case("nn.models.LeNet", ValueError, r"^LeNet: expected images of shape \(N, 1, 28, 28\) or rows of shape \(N, 784\), "
     r"got \(2, 3, 28, 28\)", lambda: nn.models.LeNet()(A(2, 3, 28, 28, dtype=np.float32)))
case("nn.models.LeNet", ValueError, r"^LeNet: expected images .*, got \(2, 1, 14, 14\)",
     lambda: nn.models.LeNet()(A(2, 1, 14, 14, dtype=np.float32)))

# ---- explain -------------------------------------------------------------------------

import nn.explain as E  # noqa: E402


def _lenet() -> nn.models.LeNet:
    return nn.models.LeNet().eval()


IMG = A(1, 1, 28, 28, dtype=np.float32) / 784
for name in ("grad_cam", "grad_cam_steps"):
    f = getattr(E, name)
    case(f"nn.explain.{name}", TypeError, r"^grad_cam: model must be an nn.Module, got str",
         lambda f=f: f("model", nn.Conv2d(1, 2, 3), IMG))
    case(f"nn.explain.{name}", ValueError, r"^grad_cam: layer Conv2d is not a submodule of the model LeNet",
         lambda f=f: f(_lenet(), nn.Conv2d(1, 2, 3), IMG))
    case(f"nn.explain.{name}", ValueError, r"^grad_cam: layer Linear must produce \(N, K, h, w\) feature maps .*got \(1, 10\)",
         lambda f=f: (lambda m: f(m, m.fc3, IMG))(_lenet()))
    case(f"nn.explain.{name}", ValueError, r"^grad_cam: x must be a float batch of shape \(N, C, H, W\), got shape \(28, 28\)",
         lambda f=f: (lambda m: f(m, m.conv2[0], IMG[0, 0]))(_lenet()))
    case(f"nn.explain.{name}", IndexError, r"^grad_cam: target 10 out of range for 10 classes",
         lambda f=f: (lambda m: f(m, m.conv2[0], IMG, target=10))(_lenet()))
    case(f"nn.explain.{name}", TypeError, r"^grad_cam: target must be a class \(an int\) or one per image, got 'a'",
         lambda f=f: (lambda m: f(m, m.conv2[0], IMG, target="a"))(_lenet()))
    case(f"nn.explain.{name}", ValueError, r"^grad_cam: target must be one class or one per image \(1\), got shape \(3,\)",
         lambda f=f: (lambda m: f(m, m.conv2[0], IMG, target=[1, 2, 3]))(_lenet()))
case("nn.explain.overlay", ValueError, r"^overlay: heatmap shape \(14, 14\) does not match the image's \(H, W\) \(28, 28\)",
     lambda: E.overlay(IMG[0, 0], np.zeros((14, 14))))
case("nn.explain.overlay", ValueError, r"^overlay: alpha must be in \[0, 1\], got 2.0",
     lambda: E.overlay(IMG[0, 0], np.zeros((28, 28)), alpha=2.0))
case("nn.explain.overlay", TypeError, r"^overlay: alpha must be a number, got 'a'",
     lambda: E.overlay(IMG[0, 0], np.zeros((28, 28)), alpha="a"))
case("nn.explain.overlay", TypeError, r"^overlay: x must be one real image \(C, H, W\) or \(H, W\), got shape \(\) dtype <U",
     lambda: E.overlay("a", np.zeros((28, 28))))
case("nn.explain.overlay", TypeError, r"^overlay: x must be one real image .*got shape \(1, 1, 28, 28\)",
     lambda: E.overlay(IMG, np.zeros((28, 28))))
case("nn.explain.colormap", TypeError, r"^colormap: expected real values in \[0, 1\], got dtype <U1", lambda: E.colormap("a"))
case("nn.explain.colormap", TypeError, r"^colormap: .*got dtype complex128", lambda: E.colormap(COMPLEX))
case("nn.explain.colormap", TypeError, r"^colormap: .*got dtype object", lambda: E.colormap(OBJECTS))
case("nn.explain.filters", ValueError, r"^filters: expected a conv layer with a 4-D weight \(out, in, kh, kw\), got Linear "
     r"with weight shape \(2, 3\)", lambda: E.filters(_lin()))
case("nn.explain.filters", ValueError, r"^filters: expected a conv layer .*got str with weight shape None",
     lambda: E.filters("conv1"))
case("nn.explain.filters", ValueError, r"^filters: scale must be a positive int, got 0", lambda: E.filters(nn.Conv2d(1, 2, 3), 0))
case("nn.explain.filters", ValueError, r"^filters: scale must be a positive int, got '2'",
     lambda: E.filters(nn.Conv2d(1, 2, 3), "2"))
case("nn.explain.activation_maps", TypeError, r"^activation_maps: model must be an nn.Module, got NoneType",
     lambda: E.activation_maps(None, nn.Conv2d(1, 2, 3), IMG))
case("nn.explain.activation_maps", ValueError, r"^activation_maps: layer str is not a submodule of the model LeNet",
     lambda: E.activation_maps(_lenet(), "conv1", IMG))
case("nn.explain.activation_maps", IndexError, r"^activation_maps: index 5 out of range for 1 images",
     lambda: (lambda m: E.activation_maps(m, m.conv1[0], IMG, index=5))(_lenet()))
case("nn.explain.maximize_activation", IndexError, r"^maximize_activation: unit 99 out of range for Conv2d output "
     r"of shape \(1, 16, 10, 10\)", lambda: (lambda m: E.maximize_activation(m, m.conv2[0], 99, steps=1))(_lenet()))
case("nn.explain.maximize_activation", ValueError, r"^maximize_activation: steps must be an int >= 1, got 0",
     lambda: (lambda m: E.maximize_activation(m, m.conv2[0], 0, steps=0))(_lenet()))
case("nn.explain.maximize_activation", TypeError, r"^maximize_activation: lr must be a number, got 'a'",
     lambda: (lambda m: E.maximize_activation(m, m.conv2[0], 0, steps=1, lr="a"))(_lenet()))
case("nn.explain.maximize_activation", ValueError, r"^maximize_activation: layer Conv2d is not a submodule",
     lambda: E.maximize_activation(_lenet(), nn.Conv2d(1, 2, 3), 0, steps=1))
case("nn.explain.conv_layers", TypeError, r"^conv_layers: model must be an nn.Module, got str", lambda: E.conv_layers("m"))
case("nn.explain.conv_layers", TypeError, r"^conv_layers: model must be an nn.Module, got NoneType",
     lambda: E.conv_layers(None))
case("nn.explain.conv_layers", TypeError, r"^conv_layers: model must be an nn.Module, got OrderedDict",
     lambda: E.conv_layers(_lenet().state_dict()))
for name, n in (("GradCAM", 7), ("ActivationMaximum", 3)):
    C = getattr(E, name)
    case(f"nn.explain.{name}", TypeError, rf"{name}.*missing {n} required", lambda C=C: C())
    case(f"nn.explain.{name}", TypeError, rf"{name}.*positional arguments? but", lambda C=C, n=n: C(*range(n + 1)))
    case(f"nn.explain.{name}", TypeError, rf"{name}.*unexpected keyword argument 'x'", lambda C=C: C(x=1))

# ================================================================= the command line

class CliError(Exception):
    """``autograd-lite`` ended with status 2 and this message, without a traceback."""


def run_cli(*argv: str) -> None:
    """Run ``autograd-lite argv``; a refusal (exit 2) becomes :class:`CliError`."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = cli.main(list(argv))
        except SystemExit as e:  # argparse's errors
            status = e.code
    text = err.getvalue()
    if status == 2 and text and "Traceback" not in text:
        raise CliError(text)
    raise AssertionError(f"autograd-lite {' '.join(argv)}: status {status}, stderr {text!r}")


NODATA = ("--no-download", "--data", "/nonexistent-dir")
SCRIPT = str(Path(__file__).parent / "nn" / "conftest.py")  # a small script with a str global
BAD_FLAGS: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "mnist --hidden": [(("--hidden", "0"), "argument --hidden: expected a positive integer, got 0"),
                       (("--hidden", "-3"), "expected a positive integer, got -3"),
                       (("--hidden", "wide"), "expected a positive integer, got 'wide'")],
    "mnist --batch-size": [(("--batch-size", "0"), "argument --batch-size: expected a positive integer"),
                           (("--batch-size", "1.5"), "got '1.5'"), (("--batch-size", "x"), "got 'x'")],
    "mnist --optimizer": [(("--optimizer", "adamax"), "argument --optimizer: invalid choice: 'adamax'"),
                          (("--optimizer", "SGD"), "invalid choice: 'SGD'"),
                          (("--optimizer", ""), "invalid choice: ''")],
    "mnist --lr": [(("--lr", "-1"), "argument --lr: expected a finite number >= 0, got -1"),
                   (("--lr", "inf"), "expected a finite number >= 0, got inf"),
                   (("--lr", "nan"), "got nan"), (("--lr", "fast"), "expected a number, got 'fast'")],
    "mnist --schedule": [(("--schedule", "linear"), "argument --schedule: invalid choice: 'linear'"),
                         (("--schedule", "Cosine"), "invalid choice"), (("--schedule", ""), "invalid choice")],
    "mnist --weight-decay": [(("--weight-decay", "-0.1"), "argument --weight-decay: expected a finite number >= 0"),
                             (("--weight-decay", "inf"), "got inf"), (("--weight-decay", "x"), "expected a number")],
    "mnist --seed": [(("--seed", "-1"), "argument --seed: expected a seed >= 0, got -1"),
                     (("--seed", "1.5"), "expected an integer seed, got '1.5'"), (("--seed", "x"), "integer seed")],
    "mnist --limit": [(("--limit", "0"), "argument --limit: expected a positive integer"),
                      (("--limit", "-5"), "got -5"), (("--limit", "all"), "got 'all'")],
    "mnist --epochs": [(("--epochs", "0"), "argument --epochs: expected a positive integer, got 0"),
                       (("--epochs", "-1"), "got -1"), (("--epochs", "many"), "got 'many'")],
    "mnist --out": [(("--out", __file__, *NODATA), r"^--out: .* is a file, not a directory"),
                    (("--out", __file__ + "/run", *NODATA), r"^--out: .* is a file, not a directory"),
                    (("--out", "", *NODATA), r"^--out: expected a directory, got an empty path")],
    "mnist --resume": [(("--resume", "/nonexistent.npz", *NODATA), r"^--resume: no checkpoint at /nonexistent.npz"),
                       (("--resume", __file__, *NODATA), r"^--resume: load: .* is not a valid nn checkpoint"),
                       (("--resume", "/", *NODATA), r"^--resume: load: '/' is not a valid nn checkpoint"),
                       (("--resume", "--out", "/nonexistent-run", *NODATA),
                        r"^--resume: no checkpoint at /nonexistent-run/checkpoint\.(safetensors|npz)")],
    "mnist --overwrite": [(("--overwrite=yes",), "argument --overwrite: ignored explicit argument 'yes'"),
                          (("--overwrite", "always"), "unrecognized arguments: always"),
                          (("--overwrite=",), "ignored explicit argument ''")],
    "mnist --diagnose": [(("--diagnose=1",), "argument --diagnose: ignored explicit argument '1'"),
                         (("--diagnose", "all"), "unrecognized arguments: all"),
                         (("--diagnose=no",), "ignored explicit argument 'no'")],
    "mnist --no-progress": [(("--no-progress=1",), "argument --no-progress: ignored explicit argument"),
                            (("--no-progress", "x"), "unrecognized arguments: x"),
                            (("--no",), "ambiguous option: --no could match --no-progress, --no-download")],
    "mnist --no-download": [(("--no-download=1",), "argument --no-download: ignored explicit argument"),
                            (("--no-download", "x"), "unrecognized arguments: x"),
                            (("--no-download=",), "ignored explicit argument ''")],
    "mnist --data": [(("--data", "/nonexistent-dir", "--no-download", "--out", "/nonexistent-run"),
                      r"^autograd-lite mnist: cannot load MNIST \(--dataset mnist\)\.\nMNIST files not found"),
                     (("--data", __file__, "--no-download", "--out", "/nonexistent-run"), r"cannot load MNIST"),
                     (("--data",), "argument --data: expected one argument")],
    "mnist --threads": [(("--threads", "0"), "argument --threads: expected a positive integer, got 0"),
                        (("--threads", "-1"), "got -1"), (("--threads", "all"), "got 'all'")],
    "graph --checkpoint": [(("--checkpoint", "/nonexistent.safetensors", "-o", "g.dot"),
                            r"^graph: no checkpoint at /nonexistent.safetensors"),
                           (("--checkpoint", __file__, "-o", "g.dot"), r"^graph: load: .* is not a valid nn checkpoint"),
                           (("--checkpoint", __file__, "--hidden", "3"), r"^graph: --hidden sets the size of a new network")],
    "graph --data": [(("--data", "/nonexistent-dir", "-o", "g.dot"), r"^graph: --data and --no-download say where"),
                     (("--data", "", "-o", "g.dot"), r"without --checkpoint a random batch is drawn"),
                     (("--data",), "argument --data: expected one argument")],
    "graph --no-download": [(("--no-download=1",), "argument --no-download: ignored explicit argument"),
                            (("--no-download", "-o", "g.dot"), r"^graph: --data and --no-download say where"),
                            (("--no-download=",), "ignored explicit argument ''")],
    "graph --output": [(("-o", ""), r"^graph: -o: expected a file name, got ''"),
                       (("-o", "graph.jpeg"), r"^graph: -o graph.jpeg: unsupported format 'jpeg'"),
                       (("-o", __file__ + "/g.svg"), r"^graph: cannot create directory"),
                       (("-o",), "argument -o/--output: expected one argument")],
    "graph --format": [(("--format", "bmp"), "argument --format: invalid choice: 'bmp'"),
                       (("--format", "SVG"), "invalid choice: 'SVG'"), (("--format", ""), "invalid choice")],
    "graph --hidden": [(("--hidden", "0"), "argument --hidden: expected a positive integer, got 0"),
                       (("--hidden", "-1"), "got -1"), (("--hidden", "x"), "got 'x'")],
    "graph --batch-size": [(("--batch-size", "0"), "argument --batch-size: expected a positive integer"),
                           (("--batch-size", "2.5"), "got '2.5'"), (("--batch-size", "x"), "got 'x'")],
    "graph --no-backward": [(("--no-backward=1",), "argument --no-backward: ignored explicit argument"),
                            (("--no-backward=",), "ignored explicit argument ''"),
                            (("--no-backward=yes",), "ignored explicit argument 'yes'")],
    "graph --html": [(("--html=1",), "argument --html: ignored explicit argument '1'"),
                     (("--html", "--format", "svg"), r"^graph: --html writes an HTML page; --format is for pictures"),
                     (("--html", "-o", ""), r"^graph: -o: expected a file name, got ''")],
    "export --checkpoint": [(("--checkpoint", "/nonexistent.npz"), r"^export: no checkpoint at /nonexistent.npz"),
                            (("--checkpoint", __file__), r"^export: load: .* is not a valid nn checkpoint"),
                            (("--checkpoint", "/"), r"^export: load: '/' is not a valid nn checkpoint"),
                            (("--checkpoint",), "argument --checkpoint: expected one argument")],
    "export --output": [(("--checkpoint", "CKPT", "-o", ""), r"^export: -o: expected a file name, got ''"),
                        (("--checkpoint", "CKPT", "-o", "."), r"^export: -o: expected a file name, got '.'"),
                        (("--checkpoint", "CKPT", "-o", __file__ + "/m.onnx"),
                         r"^export: cannot create directory .*: a file is in the way"),
                        (("-o",), "argument -o/--output: expected one argument")],
    "export --opset": [(("--opset", "5"), "argument --opset: expected an ONNX opset >= 17, got 5"),
                       (("--opset", "x"), "argument --opset: expected an integer, got 'x'"),
                       (("--opset", "17.5"), "expected an integer, got '17.5'"),
                       (("--checkpoint", "CKPT", "--opset", "999"),
                        r"^export: export_onnx: opset_version must be an int from 17 to \d+ .*, got 999")],
    "mnist --model": [(("--model", "lenet"), r"argument --model: invalid choice: 'lenet' \(choose from 'mlp', 'cnn'\)"),
                      (("--model", "CNN"), "invalid choice: 'CNN'"), (("--model",), "argument --model: expected one argument")],
    "mnist --dataset": [(("--dataset", "cifar10"), r"argument --dataset: invalid choice: 'cifar10' \(choose from 'mnist', "
                                                   r"'fashion-mnist'\)"),
                        (("--dataset", "fashion_mnist"), "invalid choice: 'fashion_mnist'"),
                        (("--dataset", ""), "invalid choice: ''")],
    "graph --model": [(("--model", "lenet"), r"argument --model: invalid choice: 'lenet' \(choose from 'mlp', 'cnn'\)"),
                      (("--model", "CNN"), "invalid choice: 'CNN'"), (("--model",), "argument --model: expected one argument")],
    "explain --checkpoint": [((), "the following arguments are required: --checkpoint"),
                             (("--checkpoint", "/nonexistent.safetensors"), r"^explain: no checkpoint at /nonexistent.safetensors"),
                             (("--checkpoint", __file__), r"^explain: load: .* is not a valid nn checkpoint"),
                             (("--checkpoint", "CKPT"), r"^explain: ckpt.npz is not an 'autograd-lite mnist' checkpoint")],
    "explain --index": [(("--checkpoint", "CNN_CKPT", "--index", "x"), "argument --index: invalid int value: 'x'"),
                        (("--checkpoint", "CNN_CKPT", "--index", "1.5"), "invalid int value: '1.5'"),
                        (("--checkpoint", "CNN_CKPT", "--index"), "argument --index: expected one argument")],
    "explain --output": [(("--checkpoint", "CNN_CKPT", "-o", __file__, *NODATA), r"^explain: -o .*: .* is a file, not a directory"),
                         (("--checkpoint", "CNN_CKPT", "-o", __file__ + "/pics", *NODATA),
                          r"^explain: -o .*/pics: .*\.py is a file, not a directory"),
                         (("--checkpoint", "CNN_CKPT", "-o", "", *NODATA), r"^explain: -o: expected a directory, got an empty path")],
    "explain --data": [(("--checkpoint", "CNN_CKPT", *NODATA), r"^explain: cannot load the mnist test set: MNIST files not found"),
                       (("--checkpoint", "CNN_CKPT", "--data", __file__, "--no-download"), r"^explain: cannot load the mnist test set"),
                       (("--checkpoint", "CNN_CKPT", "--data"), "argument --data: expected one argument")],
    "explain --no-download": [(("--checkpoint", "CNN_CKPT", "--no-download=1"), "argument --no-download: ignored explicit argument '1'"),
                              (("--checkpoint", "CNN_CKPT", "--no-download", "x"), "unrecognized arguments: x"),
                              (("--checkpoint", "CNN_CKPT", "--no-download="), "ignored explicit argument ''")],
    "graph --script": [(("--script", "/nonexistent.py", "--tensor", "loss", "-o", "g.dot"),
                        r"^graph: render_script: no script at '/nonexistent.py'"),
                       (("--script", "/", "--tensor", "loss", "-o", "g.dot"), r"^graph: render_script: no script at '/'"),
                       (("--script", SCRIPT, "-o", "g.dot"), r"^graph: --script needs --tensor NAME")],
    "graph --tensor": [(("--tensor", "loss", "-o", "g.dot"), r"^graph: --tensor names a tensor of a --script"),
                       (("--script", SCRIPT, "--tensor", "nothing_here", "-o", "g.dot"),
                        r"^graph: render_script: .* defines no global 'nothing_here'"),
                       (("--script", SCRIPT, "--tensor", "_here", "-o", "g.dot"),
                        r"^graph: render_script: .* has a str, not a Tensor, in the global '_here'")],
    "graph --collapse": [(("--collapse", "-1"), "argument --collapse: expected an integer >= 0, got -1"),
                         (("--collapse", "1.5"), "expected an integer, got '1.5'"),
                         (("--collapse", "all"), "expected an integer, got 'all'")],
    "graph script_args": [(("extra",), r"^graph: unexpected arguments 'extra': arguments after the options go to a --script"),
                          (("--", "--epochs", "1"), r"^graph: unexpected arguments '--epochs 1'"),
                          (("a", "b"), r"^graph: unexpected arguments 'a b'")],
}
def _checkpoint() -> str:
    """A TwoLayerNet state_dict saved in the current (temporary) directory."""
    nn.save(nn.two_layer_net(8).state_dict(), "ckpt.npz")
    return "ckpt.npz"


def _cnn_checkpoint() -> str:
    """An 'autograd-lite mnist --model cnn' checkpoint of an untrained LeNet, saved likewise."""
    from nn.cli.train import FORMAT
    nn.save({"format": FORMAT, "version": 1, "epoch": 1, "config": {"model": "cnn", "dataset": "mnist"},
             "model": nn.models.LeNet().state_dict()}, "cnn.npz")
    return "cnn.npz"


for flag, bad in BAD_FLAGS.items():
    command = flag.split()[0]
    for argv, pattern in bad:
        # "CKPT", "CNN_CKPT": a valid (CNN) checkpoint, so that the flag under test is what is wrong
        case(f"cli {flag}", CliError, pattern, lambda argv=(command, *argv): run_cli(
            *({"CKPT": _checkpoint, "CNN_CKPT": _cnn_checkpoint}[a]() if a in ("CKPT", "CNN_CKPT") else a for a in argv)))
case("cli", CliError, r"invalid choice: 'train'", lambda: run_cli("train"))
case("cli", CliError, r"autograd-lite: error: unrecognized arguments: --version", lambda: run_cli("--version"))
case("cli", CliError, r"^autograd-lite: error: a command is required: one of mnist, graph, export, explain", lambda: run_cli())


@pytest.fixture(autouse=True, scope="module")
def _in_a_temporary_directory(tmp_path_factory):
    """Bad output paths are relative ones: should a case write anyway, not into the repo."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("battery"))
        yield


@pytest.mark.parametrize("owner, call, exc, pattern", CASES)
def test_bad_input(owner, call, exc, pattern):
    # A bad call that is wrongly accepted must not leak global state into later cases.
    state = al.is_grad_enabled(), al.get_default_dtype(), al.current_scope()
    hooks = al.hooks.forward_hooks(), al.hooks.backward_hooks()
    try:
        with pytest.raises(exc) as info:
            call()
    finally:
        al.set_grad_enabled(state[0])
        al.set_default_dtype(state[1])
        al.exit_scope(state[2])
        if (al.hooks.forward_hooks(), al.hooks.backward_hooks()) != hooks:
            from autograd_lite import graph  # remove what the call registered
            graph.forward_hooks[:], graph.backward_hooks[:] = hooks
    message = str(info.value)
    assert re.search(pattern, message), f"{owner}: {type(info.value).__name__}: {message}"


# ------------------------------------------------------------------- completeness

NAMESPACES = ["al", "al.viz", "al.testing", "al.hooks", "nn", "nn.functional", "nn.init", "nn.optim",
              "nn.optim.lr_scheduler", "nn.diagnostics", "nn.models", "nn.datasets", "nn.data", "nn.utils",
              "nn.explain"]


def _public_names() -> dict[str, str]:
    """Every public function and class (not modules, exceptions or constants), by its
    first name in NAMESPACES: an object with several names needs cases under one."""
    import nn.data, nn.datasets, nn.diagnostics, nn.explain, nn.models, nn.utils  # noqa: E401, F401
    found: dict[int, str] = {}
    for space in NAMESPACES:
        module = eval(space, {"al": al, "nn": nn})
        names = getattr(module, "__all__", None) or [
            n for n, v in vars(module).items() if not n.startswith("_")
            and getattr(v, "__module__", None) == module.__name__]
        for n in names:
            obj = getattr(module, n)
            if inspect.ismodule(obj) or not callable(obj) or (
                    isinstance(obj, type) and issubclass(obj, (BaseException, Warning))):
                continue
            found.setdefault(id(obj), f"{space}.{n}")
    return {name: name for name in found.values()}


def _flags() -> list[str]:
    flags = []
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for command, parser in sub.choices.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            name = max(action.option_strings, key=len) if action.option_strings else action.dest
            flags.append(f"cli {command} {name}")
    return flags


def test_every_public_name_and_flag_has_three_cases():
    counts = Counter(c.values[0] for c in CASES)
    required = [*_public_names(), *_flags()]
    assert len(required) > 250  # the surface really was found
    missing = {name: counts[name] for name in required if counts[name] < 3}
    assert missing == {}
    assert len(CASES) >= 3 * len(required)
