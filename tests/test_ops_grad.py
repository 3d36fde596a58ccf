"""Every registered op, property-tested with the public toolkit
(``autograd_lite.testing.check_op``): forward against a reference where one is
worth having, VJP and second derivative against central differences in float64,
over hypothesis-drawn calls (broadcasting, 0-d and size-0 included).

Registering an op is all it takes to be covered: the op list is the registry, and
how to draw a call is the op's own metadata (its kind, domain, params and, for
shape/index/custom ops, its ``sample_inputs``).
"""

from __future__ import annotations

import inspect
import math
import pickle

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.ops import Op
from autograd_lite.testing import check_op, missing_metadata

OPS = sorted(Op.registry.values(), key=lambda op: op.name)


def _softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _cross_entropy(logits, labels, reduction="mean"):
    losses = -np.log(_softmax(logits, axis=1)[np.arange(len(labels)), labels])
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](losses)


def _gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return x * 0.5 * (1 + np.vectorize(math.erf, otypes=[float])(x / math.sqrt(2)))


def _var(x, axis=None, ddof=0, keepdims=False):
    n = np.sum(np.ones_like(x), axis=axis, keepdims=keepdims)  # elements per output
    dev2 = (x - np.mean(x, axis=axis, keepdims=True)) ** 2
    return np.sum(dev2, axis=axis, keepdims=keepdims) / (n - ddof)


def _batch_norm(x, weight, bias, mean=None, var=None, eps=1e-5):
    axes, shape = (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
    if mean is None:
        if x.size == 0:
            return x.copy()
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape)
            + bias.reshape(shape))


# Textbook formulas for the ops whose forward is rewritten for stability or speed
# (values stay in [-3, 3], where the textbook forms are accurate). An op missing
# here is still fully gradient-checked; its forward is a single NumPy call.
REFERENCES = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "softplus": lambda x: np.log(1 + np.exp(x)),
    "logsumexp": lambda x, axis=None, keepdims=False: np.log(np.sum(np.exp(x), axis=axis,
                                                                    keepdims=keepdims)),
    "softmax": _softmax,
    "log_softmax": lambda x, axis=-1: np.log(_softmax(x, axis)),
    "cross_entropy": _cross_entropy,
    "gelu": _gelu,
    "erf": lambda x: np.vectorize(math.erf, otypes=[float])(x),
    "elu": lambda x, alpha=1.0: np.where(x > 0, x, alpha * (np.exp(x) - 1)),
    "leaky_relu": lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
    "var": _var,
    "batch_norm": _batch_norm,
    "percentile": lambda x, q=None, axis=None, keepdims=False, method="linear": np.percentile(
        x, q, axis=axis, keepdims=keepdims, method=method),
}


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_op_matches_reference_and_central_differences(op):
    check_op(op, reference=REFERENCES.get(op.name))


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_op_declares_what_the_checker_needs(op):
    assert missing_metadata(op) == []


def test_every_op_documents_its_vjp_and_is_exported():
    for op in OPS:
        assert op.__doc__ and "VJP::" in op.__doc__, f"{op.name} has no VJP:: block in its docstring"
        assert getattr(al, op.name).op is op, f"al.{op.name} is not the function of op {op.name}"


def test_every_reference_names_a_registered_op():
    assert set(REFERENCES) <= set(Op.registry)


def test_op_functions_read_like_numpy_functions():
    # Partials underneath (one Python frame fewer per call), functions to the reader.
    assert repr(al.exp) == "<function autograd_lite.exp>" and al.exp.__name__ == "exp"
    assert str(inspect.signature(al.clip)).startswith("(x, ")
    assert al.linear.__doc__ == al.ops.nnops.Linear.__doc__
    restored = pickle.loads(pickle.dumps(al.exp))
    assert restored.op is al.exp.op
    np.testing.assert_allclose(restored(np.zeros(2)).data, [1.0, 1.0])
