"""The public hypothesis strategies draw what they promise."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite.ops.base import Sampler
from autograd_lite.testing import strategies as alst

data_shapes = alst.shapes(max_dims=3, max_side=3)


@given(alst.tensors(data_shapes, elements="positive", requires_grad=True))
def test_tensors_follow_shape_dtype_domain_and_requires_grad(t):
    assert isinstance(t, al.Tensor) and t.requires_grad
    assert t.dtype == np.float64 and t.ndim <= 3 and all(n <= 3 for n in t.shape)
    assert np.all((t.data >= 0.1) & (t.data <= alst.BOUND))


@given(alst.tensors((2, 3), dtype=np.float32, elements=st.floats(-1, 1, width=32)))
def test_tensors_take_a_dtype_and_an_element_strategy(t):
    assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
    assert np.all(np.abs(t.data) <= 1)


@given(alst.arrays((5,), "real", dtype=np.float32))
def test_arrays_in_float32_stay_float32(a):
    assert a.dtype == np.float32


@given(alst.shapes(min_dims=1, max_dims=2, min_side=2, max_side=3))
def test_shapes_respect_their_bounds(shape):
    assert 1 <= len(shape) <= 2 and all(2 <= n <= 3 for n in shape)


@given(alst.broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)


@given(alst.matmul_shapes())
def test_matmul_shapes_multiply(shapes):
    np.matmul(np.zeros(shapes[0]), np.zeros(shapes[1]))


def test_shape_strategies_reach_zero_d_size_zero_and_broadcasting():
    assert find(alst.shapes(), lambda s: s == ()) == ()
    assert 0 in find(alst.shapes(), lambda s: 0 in s)
    a, b = find(alst.broadcastable_shapes(2), lambda p: len(p[0]) != len(p[1]) and 1 in p[1])
    assert np.broadcast_shapes(a, b)
    assert find(alst.matmul_shapes(), lambda p: len(p[0]) == 1)[0] != ()


@given(st.data())
def test_valid_axes_are_accepted_by_numpy(data):
    shape = data.draw(data_shapes)
    axis = data.draw(alst.valid_axes(len(shape)))
    np.sum(np.zeros(shape), axis=axis)
    if shape:
        assert isinstance(data.draw(alst.valid_axes(len(shape), single=True)), int)
        some = data.draw(alst.valid_axes(len(shape), allow_none=False, allow_empty=False))
        assert some not in (None, ())


def test_valid_axes_refuses_an_impossible_request():
    with pytest.raises(ValueError, match="no axis fits 0 dimensions"):
        alst.valid_axes(0, single=True)


@given(st.data())
def test_indices_index(data):
    shape = data.draw(alst.shapes(min_side=1, max_side=3))
    x = np.arange(int(np.prod(shape))).reshape(shape)
    x[data.draw(alst.basic_indices(shape))]
    x[data.draw(alst.advanced_indices(shape))]
    x[data.draw(alst.indices(shape))]


def test_advanced_indices_repeat_positions_and_mask():
    def repeats(idx):
        return isinstance(idx, tuple) and len(np.unique(idx[0])) < idx[0].size
    assert repeats(find(alst.advanced_indices((3,)), repeats))
    mask = find(alst.advanced_indices((3,)), lambda i: getattr(i, "dtype", None) == bool)
    assert mask.shape == (3,)
    # Integers cannot index an empty axis: only masks there.
    assert find(alst.advanced_indices((2, 0)), lambda i: True).dtype == bool
    # Unsigned index arrays (x[np.uint8([0, 0])]) repeat positions too.
    unsigned = find(alst.advanced_indices((3,)),
                    lambda i: isinstance(i, tuple) and i[0].dtype.kind == "u" and repeats(i))
    assert unsigned[0].dtype.kind == "u"


@given(alst.elements("nonzero"), alst.elements("unit"), alst.elements("smooth", kinks=(0.0, 1.0)))
def test_domain_elements(nonzero, unit, smooth):
    assert 0.2 <= abs(nonzero) <= alst.BOUND
    assert -1 < unit < 1
    assert abs(smooth) >= alst.MARGIN and abs(smooth - 1.0) >= alst.MARGIN


@given(alst.arrays(alst.shapes(max_side=4), "distinct"))
def test_distinct_arrays_keep_their_values_apart(x):
    gaps = np.diff(np.sort(x, axis=None))
    assert np.all(gaps >= alst.MARGIN * (1 - 1e-9))


def test_element_helpers_validate_their_arguments():
    with pytest.raises(ValueError, match="is empty"):
        alst.open_interval(0.0, 1e-4)
    with pytest.raises(ValueError, match="need 0 < low < high"):
        alst.positive(low=0.0)
    with pytest.raises(ValueError, match="needs the kinks"):
        alst.elements("smooth")
    with pytest.raises(ValueError, match="sample_inputs must draw them"):
        alst.elements("labels")


@given(alst.op_samples(al.Op.registry["maximum"]))
def test_op_samples_keep_distinct_inputs_apart_across_inputs(sample):
    x, y = sample.inputs
    assert np.all(np.abs(x - y) >= alst.MARGIN * (1 - 1e-9))


@given(alst.op_samples(al.Op.registry["cross_entropy"]))
def test_op_samples_use_arrays_a_sample_inputs_returns(sample):
    logits, labels = sample.inputs
    assert labels.dtype == np.int64 and labels.shape == logits.shape[:1]
    assert np.all((labels >= 0) & (labels < logits.shape[1]))
    if sample.params["reduction"] == "mean":
        assert len(labels) >= 1


def test_the_hypothesis_sampler_implements_the_sampler_protocol():
    # Op authors read Sampler; what they get at test time must match it.
    protocol = {n: f for n, f in vars(Sampler).items() if inspect.isfunction(f) and n[0] != "_"}
    impl = alst._HypothesisSampler
    assert protocol
    def params(f):  # names, kinds and defaults; annotations may be more specific
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]
    for name, f in protocol.items():
        assert params(getattr(impl, name)) == params(f), name
