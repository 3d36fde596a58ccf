"""Hypothesis strategies for the engine's own tests, driven by op metadata."""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd_lite.ops import Op

MAX_SIDE = 4


def elements(domain: str, kinks: tuple[float, ...] = ()) -> st.SearchStrategy[float]:
    """Finite float64 values in an op's domain, kept 1e-3 away from its kinks."""
    if domain == "positive":
        base = st.floats(0.1, 3.0)
    elif domain == "nonzero":
        base = st.floats(0.2, 3.0).flatmap(lambda a: st.sampled_from([a, -a]))
    elif domain == "unit":
        base = st.floats(-0.9, 0.9)
    else:
        base = st.floats(-3.0, 3.0)
    if kinks:
        base = base.filter(lambda v: all(abs(v - k) > 1e-3 for k in kinks))
    return base


def arrays(shape: tuple[int, ...], domain: str = "real", kinks: tuple[float, ...] = ()) -> st.SearchStrategy:
    if domain == "bool":
        return hnp.arrays(np.bool_, shape)
    return hnp.arrays(np.float64, shape, elements=elements(domain, kinks))


def axes_for(ndim: int) -> st.SearchStrategy:
    """``axis`` values a reduction accepts: None, an int (maybe negative) or a tuple."""
    if ndim == 0:
        return st.sampled_from([None, ()])
    return st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple))


@st.composite
def op_cases(draw, op: type[Op]) -> tuple[list[np.ndarray], dict]:
    """Inputs and keyword params for one call of ``op``, from its metadata."""
    params = {k: draw(st.sampled_from(v)) for k, v in op.params.items()}
    if op.kind == "elementwise":
        n = op.arity or 2
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3,
                                                        max_side=MAX_SIDE)).input_shapes
        xs = [draw(arrays(s, d, op.kinks)) for s, d in zip(shapes, op.domain)]
        if "distinct" in op.domain and len(xs) == 2:
            assume(np.all(np.abs(xs[0] - xs[1]) > 1e-3))
        return xs, params
    if op.kind == "reduction":
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=MAX_SIDE))
        x = draw(arrays(shape, op.domain[0], op.kinks))
        if op.domain[0] == "distinct":
            assume(x.size < 2 or np.min(np.diff(np.sort(x, axis=None))) > 1e-3)
        if "keepdims" in op._param_names:
            params["axis"] = draw(axes_for(x.ndim))
        else:  # softmax-like: one axis, which must exist
            assume(x.ndim > 0)
            params["axis"] = draw(st.integers(-x.ndim, x.ndim - 1))
        return [x], params
    if op.kind == "matmul":
        shapes = draw(hnp.mutually_broadcastable_shapes(
            signature="(m?,n),(n,p?)->(m?,p?)", max_side=MAX_SIDE, max_dims=2)).input_shapes
        return [draw(arrays(s)) for s in shapes], params
    case = SPECIAL.get(op.name)
    if case is None:
        raise LookupError(f"no test strategy for op {op.name!r} of kind {op.kind!r}")
    return draw(case(params))


def _shape() -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=MAX_SIDE)


@st.composite
def _reshape(draw, params):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE))))
    shape = list(draw(st.permutations(list(x.shape))))
    if shape and draw(st.booleans()):
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    if draw(st.booleans()):
        shape = [*shape, 1]
    return [x], {"shape": tuple(shape)}


@st.composite
def _transpose(draw, params):
    x = draw(arrays(draw(_shape())))
    axes = draw(st.none() | st.permutations(range(x.ndim)).map(tuple))
    return [x], {"axes": axes}


@st.composite
def _swapaxes(draw, params):
    x = draw(arrays(draw(_shape())))
    return [x], {"axis1": draw(st.integers(-x.ndim, x.ndim - 1)),
                 "axis2": draw(st.integers(-x.ndim, x.ndim - 1))}


@st.composite
def _broadcast_to(draw, params):
    s = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_side=MAX_SIDE, min_dims=0, max_dims=3))
    x = draw(arrays(s.input_shapes[0]))
    return [x], {"shape": np.broadcast_shapes(x.shape, s.result_shape)}


@st.composite
def _squeeze(draw, params):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2))))
    ones = [i for i, n in enumerate(x.shape) if n == 1]
    axis = draw(st.none() | st.lists(st.sampled_from(ones), unique=True).map(tuple)) if ones else None
    return [x], {"axis": axis}


@st.composite
def _expand_dims(draw, params):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=MAX_SIDE))))
    return [x], {"axis": draw(st.integers(-x.ndim - 1, x.ndim))}


@st.composite
def _concatenate(draw, params):
    base = draw(_shape())
    axis = draw(st.integers(-len(base), len(base) - 1))
    n = draw(st.integers(1, 3))
    xs = []
    for _ in range(n):
        s = list(base)
        s[axis] = draw(st.integers(0, MAX_SIDE))
        xs.append(draw(arrays(tuple(s))))
    return xs, {"axis": axis}


@st.composite
def _stack(draw, params):
    base = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=MAX_SIDE))
    xs = [draw(arrays(base)) for _ in range(draw(st.integers(1, 3)))]
    return xs, {"axis": draw(st.integers(-len(base) - 1, len(base)))}


@st.composite
def _pad(draw, params):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))))
    widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(x.ndim)) or 0
    return [x], {"pad_width": widths, "constant_values": params.get("constant_values", 0.0)}


@st.composite
def indices(draw, shape: tuple[int, ...]):
    """A basic index, an integer-array index (with repeats) or a boolean mask."""
    kind = draw(st.sampled_from(["basic", "int", "bool"]))
    if kind == "basic" or not shape:
        return draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    if kind == "int":
        return draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2,
                                                                                   max_side=5)))
    return draw(hnp.arrays(np.bool_, shape))


@st.composite
def _getitem(draw, params):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE))))
    return [x], {"index": draw(indices(x.shape))}


@st.composite
def _scatter_add(draw, params):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE))
    index = draw(indices(shape))
    g = draw(arrays(np.zeros(shape)[index].shape))
    return [g], {"index": index, "shape": shape}


@st.composite
def _cross_entropy(draw, params):
    n, c = draw(st.integers(0, 5)), draw(st.integers(1, 5))
    logits = draw(arrays((n, c)))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    if n == 0 and params.get("reduction") == "mean":
        params = {**params, "reduction": "sum"}  # the mean of nothing is NaN
    return [logits, labels], params


@st.composite
def _linear(draw, params):
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return [draw(arrays(lead + (n_in,))), draw(arrays((n_out, n_in))), draw(arrays((n_out,)))], params


SPECIAL = {
    "linear": _linear,
    "reshape": _reshape, "transpose": _transpose, "swapaxes": _swapaxes,
    "broadcast_to": _broadcast_to, "squeeze": _squeeze, "expand_dims": _expand_dims,
    "concatenate": _concatenate, "stack": _stack, "pad": _pad, "getitem": _getitem,
    "scatter_add": _scatter_add, "cross_entropy": _cross_entropy,
}
