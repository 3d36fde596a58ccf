"""Every registered op, property-tested: forward shape, VJP and second derivative
against central differences in float64, over hypothesis-drawn shapes (broadcasting,
0-d and size-0 included). Registering an op is all it takes to be covered."""

from __future__ import annotations

import numpy as np
import pytest
from checks import directional, second_order
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import op_cases

import autograd_lite as al
from autograd_lite.ops import Op

OPS = sorted(Op.registry.values(), key=lambda op: op.name)


def _finite_case(op, xs, params):
    try:
        with np.errstate(all="ignore"):
            out = op.forward(*xs, **params)
    except ValueError:
        # Only max/min of an empty selection may legitimately refuse.
        assert op.name in ("max", "min") and any(x.size == 0 for x in xs), op.name
        assume(False)
    assume(np.all(np.isfinite(out)))
    if op.name == "std":
        assume(np.all(np.abs(out) > 1e-2))
    if op.name == "var":
        assume(np.all(np.isfinite(out)))
    return out


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_vjp_matches_central_differences(op, data):
    xs, params = data.draw(op_cases(op), label="inputs, params")
    _finite_case(op, xs, params)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    directional(op, xs, params, rng)


@pytest.mark.parametrize("op", [op for op in OPS if op.differentiable_twice], ids=lambda op: op.name)
@given(data=st.data())
def test_second_derivative_matches_central_differences(op, data):
    xs, params = data.draw(op_cases(op), label="inputs, params")
    _finite_case(op, xs, params)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    second_order(op, xs, params, rng)


def test_every_op_documents_its_vjp_and_is_exported():
    for op in OPS:
        assert op.__doc__ and "VJP::" in op.__doc__, f"{op.name} has no VJP:: block in its docstring"
        assert getattr(al, op.name).op is op, f"al.{op.name} is not the function of op {op.name}"
