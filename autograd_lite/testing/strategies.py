"""Hypothesis strategies for property-testing ops: tensors, shapes, axes, indices,
domain-aware elements, and whole op calls drawn from an op's metadata.

Built on :mod:`hypothesis.extra.numpy` wherever it already does the job, so
failures shrink to minimal shapes and simple values. This is the one module of
autograd_lite that imports hypothesis at the top (a test dependency, not a
runtime one).

Values stay in ``[-3, 3]`` by default: large enough to exercise every branch,
small enough that ``exp`` and powers keep central differences accurate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..ops.base import Op
from ..tensor import Tensor
from .samples import sample_inputs_for

#: Default largest side of a drawn shape: small, so numerical Jacobians stay cheap.
MAX_SIDE = 4
#: Default bound on the magnitude of drawn values.
BOUND = 3.0
#: How far drawn values keep from kinks and from each other ("distinct"); far
#: larger than a central-difference step, so no step crosses a kink.
MARGIN = 1e-3

__all__ = [
    "MAX_SIDE", "BOUND", "MARGIN", "OpSample", "advanced_indices", "arrays", "away_from",
    "basic_indices", "broadcastable_shapes", "elements", "indices", "matmul_shapes",
    "op_samples", "open_interval", "positive", "shapes", "tensors", "valid_axes",
]


# ---- elements ----------------------------------------------------------------

def open_interval(low: float, high: float, *, margin: float = MARGIN,
                  width: int = 64) -> st.SearchStrategy[float]:
    """Floats inside ``(low, high)``, at least ``margin`` from either end."""
    if not high - low > 2 * margin:
        raise ValueError(f"open_interval: ({low}, {high}) is empty with margin {margin}")
    return st.floats(low + margin, high - margin, width=width)


def positive(high: float = BOUND, *, low: float = 0.1, width: int = 64) -> st.SearchStrategy[float]:
    """Floats in ``[low, high]``, ``low > 0``: 0.1 by default, since near 0 the
    derivatives of ``log``, ``sqrt`` and ``x**y`` blow up."""
    if not 0 < low < high:
        raise ValueError(f"positive: need 0 < low < high, got low={low}, high={high}")
    return st.floats(low, high, width=width)


def away_from(points: Sequence[float], *, margin: float = MARGIN, low: float = -BOUND,
              high: float = BOUND, width: int = 64) -> st.SearchStrategy[float]:
    """Floats in ``[low, high]`` at least ``margin`` away from every one of ``points``
    (an op's kinks, where the derivative jumps)."""
    pts = tuple(float(p) for p in points)
    return st.floats(low, high, width=width).filter(
        lambda v: all(abs(v - p) >= margin for p in pts))


def _lattice(slot: int = 0, slots: int = 1, width: int = 64) -> st.SearchStrategy[float]:
    # Multiples of MARGIN, input ``slot`` of ``slots`` taking every slots-th one:
    # values of one input are MARGIN apart once unique, and never equal another's.
    n = int(BOUND / MARGIN) // slots
    to_float = (lambda k: float(np.float32((slots * k + slot) * MARGIN))) if width == 32 \
        else (lambda k: (slots * k + slot) * MARGIN)
    return st.integers(-n, n).map(to_float)


def elements(domain: str = "real", *, kinks: Sequence[float] = (),
             width: int = 64) -> st.SearchStrategy[Any]:
    """Values for one element of an input in ``domain`` (see ``autograd_lite.ops.base.DOMAINS``).

    ``real``: [-3, 3]; ``positive``: [0.1, 3]; ``nonzero``: 0.2 <= |x| <= 3;
    ``unit``: [-0.9, 0.9]; ``smooth``: [-3, 3] at least :data:`MARGIN` from every
    kink; ``distinct``: multiples of :data:`MARGIN` (draw arrays with
    ``unique=True``, as :func:`arrays` does); ``bool``: booleans. ``labels`` depend
    on another input, so an op with labels draws them in its ``sample_inputs``.
    """
    if domain == "real":
        return st.floats(-BOUND, BOUND, width=width)
    if domain == "positive":
        return positive(width=width)
    if domain == "nonzero":
        return st.tuples(st.floats(0.2, BOUND, width=width), st.booleans()).map(
            lambda t: -t[0] if t[1] else t[0])
    if domain == "unit":
        return open_interval(-1.0, 1.0, margin=0.1, width=width)
    if domain == "smooth":
        if not kinks:
            raise ValueError("elements: domain 'smooth' needs the kinks to keep away from")
        return away_from(kinks, width=width)
    if domain == "distinct":
        return _lattice(width=width)
    if domain == "bool":
        return st.booleans()
    raise ValueError(f"elements: no strategy for domain {domain!r}"
                     + ("; labels index another input, so the op's sample_inputs must draw them"
                        if domain == "labels" else ""))


def arrays(shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]], domain: str = "real", *,
           kinks: Sequence[float] = (), dtype: Any = np.float64) -> st.SearchStrategy[np.ndarray]:
    """ndarrays of ``shape`` with elements in ``domain`` (``distinct``: all different)."""
    if domain == "bool":
        return hnp.arrays(np.bool_, shape)
    width = 32 if np.dtype(dtype) == np.float32 else 64
    return hnp.arrays(dtype, shape, elements=elements(domain, kinks=kinks, width=width),
                      unique=domain == "distinct")


def tensors(shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]], dtype: Any = np.float64,
            elements: st.SearchStrategy[Any] | str | None = None,
            requires_grad: bool = False) -> st.SearchStrategy[Tensor]:
    """:class:`~autograd_lite.Tensor` s of ``shape`` (a tuple or a strategy such as :func:`shapes`).

    Parameters
    ----------
    shape
        A shape, or a strategy drawing one.
    dtype
        A floating dtype; float64 unless you are testing precision handling.
    elements
        A strategy for the values, or a domain name (see :func:`elements`);
        ``"real"`` by default.
    requires_grad
        Passed to the Tensor.
    """
    if elements is None or isinstance(elements, str):
        base = arrays(shape, elements or "real", dtype=dtype)
    else:
        base = hnp.arrays(dtype, shape, elements=elements)
    return base.map(lambda a: Tensor(a, requires_grad=requires_grad))


# ---- shapes, axes, indices -----------------------------------------------------

def shapes(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
           max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes; 0-d and size-0 ones included by default."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(n: int, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
                         max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``n`` shapes that broadcast together (size-1 and missing axes included)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda b: b.input_shapes)


def matmul_shapes(*, max_batch_dims: int = 2, min_side: int = 0,
                  max_side: int = MAX_SIDE
                  ) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs of shapes ``np.matmul`` accepts: 1-D or 2-D cores, broadcast batch axes."""
    return hnp.mutually_broadcastable_shapes(
        signature="(m?,n),(n,p?)->(m?,p?)", max_dims=max_batch_dims, min_side=min_side,
        max_side=max_side).map(lambda b: b.input_shapes)


def valid_axes(ndim: int, *, single: bool = False, allow_none: bool = True,
               allow_empty: bool = True) -> st.SearchStrategy[int | tuple[int, ...] | None]:
    """``axis`` arguments valid for ``ndim`` dimensions: None, an int (negative
    ones too) or a tuple of distinct ints; only ints when ``single``."""
    options: list[st.SearchStrategy[Any]] = [st.none()] if allow_none and not single else []
    if ndim > 0:
        options.append(st.integers(-ndim, ndim - 1))
    if not single and (ndim > 0 or allow_empty):
        options.append(hnp.valid_tuple_axes(ndim, min_size=0 if allow_empty else 1))
    if not options:
        raise ValueError(f"valid_axes: no axis fits {ndim} dimensions with single={single}, "
                         f"allow_none={allow_none}, allow_empty={allow_empty}")
    return st.one_of(options)


def basic_indices(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """Basic indices into ``shape``: ints, slices (any step), None and Ellipsis."""
    return hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True)


def advanced_indices(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """Advanced indices into ``shape``: a tuple of integer arrays, signed or unsigned
    (positions may repeat, which is what makes the backward a scatter-*add*), or a
    boolean mask."""
    mask = hnp.arrays(np.bool_, shape)
    if not shape or 0 in shape:  # no integer can index a 0-d or empty axis
        return mask
    unsigned = np.uint8 if max(shape) <= 256 else np.uintp
    ints = st.sampled_from([np.intp, unsigned]).flatmap(lambda dtype: hnp.integer_array_indices(
        shape, result_shape=hnp.array_shapes(max_dims=2, max_side=5), dtype=np.dtype(dtype)))
    return st.one_of(ints, mask)


def indices(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """A basic or an advanced index into ``shape``."""
    return st.one_of(basic_indices(shape), advanced_indices(shape))


# ---- whole op calls --------------------------------------------------------------

class _HypothesisSampler:
    """The :class:`~autograd_lite.ops.base.Sampler` an op's ``sample_inputs`` sees,
    each choice a hypothesis draw (so it shrinks)."""

    def __init__(self, draw: Any, params: Mapping[str, Sequence[Any]]) -> None:
        self._draw = draw
        self._params = params

    def integers(self, min_value: int, max_value: int) -> int:
        return self._draw(st.integers(min_value, max_value))

    def booleans(self) -> bool:
        return self._draw(st.booleans())

    def sampled_from(self, values: Sequence[Any]) -> Any:
        return self._draw(st.sampled_from(list(values)))

    def permutation(self, values: Sequence[Any]) -> list[Any]:
        return list(self._draw(st.permutations(list(values))))

    def shape(self, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
              max_side: int = MAX_SIDE) -> tuple[int, ...]:
        return self._draw(shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                 max_side=max_side))

    def broadcastable_shapes(self, n: int, *, min_dims: int = 0, max_dims: int = 3,
                             min_side: int = 0, max_side: int = MAX_SIDE) -> list[tuple[int, ...]]:
        return list(self._draw(broadcastable_shapes(n, min_dims=min_dims, max_dims=max_dims,
                                                    min_side=min_side, max_side=max_side)))

    def matmul_shapes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return self._draw(matmul_shapes())

    def axes(self, ndim: int, *, single: bool = False, allow_none: bool = True,
             allow_empty: bool = True) -> int | tuple[int, ...] | None:
        return self._draw(valid_axes(ndim, single=single, allow_none=allow_none,
                                     allow_empty=allow_empty))

    def index(self, shape: tuple[int, ...], kind: str = "any") -> Any:
        strategies = {"basic": basic_indices, "advanced": advanced_indices, "any": indices}
        if kind not in strategies:
            raise ValueError(f"index: kind must be one of {sorted(strategies)}, got {kind!r}")
        return self._draw(strategies[kind](shape))

    def params(self) -> dict[str, Any]:
        return {k: self.sampled_from(v) for k, v in self._params.items()}


@dataclass
class OpSample:
    """One drawn call of an op: ``op.forward(*inputs, **params)``."""

    op: type[Op]
    inputs: list[np.ndarray]
    params: dict[str, Any]

    def __repr__(self) -> str:
        return f"OpSample(op={self.op.name!r}, inputs={self.values()}, params={self.params!r})"

    def values(self) -> str:
        """The inputs, exactly (17 digits), so a failing call can be replayed."""
        return "[" + ", ".join(np.array_repr(x, precision=17) for x in self.inputs) + "]"

    def describe(self) -> str:
        """Shapes, dtypes and params in one line."""
        shapes_ = ", ".join(f"{x.shape} {x.dtype}" for x in self.inputs)
        return f"{self.op.name}(inputs: {shapes_}; params: {self.params!r})"


def op_samples(op: type[Op], *, domain: str | Sequence[str] | None = None,
               params: Mapping[str, Sequence[Any]] | None = None) -> st.SearchStrategy[OpSample]:
    """Calls of ``op`` drawn from its metadata: the shapes and params its
    ``sample_inputs`` (or its kind's default) draws, values from its ``domain``.

    Parameters
    ----------
    op
        An op class.
    domain
        Overrides ``op.domain``: one name for every input, or one per input.
    params
        Overrides ``op.params``: sample values per keyword (what ``draw.params()``
        samples from; params a ``sample_inputs`` derives from the shapes, such as
        a reshape's target, stay its own).
    """
    sample_fn = sample_inputs_for(op)
    table = dict(op.params if params is None else params)
    doms = (domain,) if isinstance(domain, str) else tuple(op.domain if domain is None else domain)

    @st.composite
    def draw_sample(draw: Any) -> OpSample:
        specs, kw = sample_fn(_HypothesisSampler(draw, table))
        dom = [doms[i] if len(doms) > 1 else doms[0] for i in range(len(specs))]
        n_distinct = dom.count("distinct")
        inputs, slot = [], 0
        for spec, d in zip(specs, dom):
            if isinstance(spec, np.ndarray):
                inputs.append(spec)
            elif d == "distinct":  # distinct within the array and from the other inputs
                inputs.append(draw(hnp.arrays(np.float64, tuple(spec), unique=True,
                                              elements=_lattice(slot, n_distinct))))
                slot += 1
            else:
                inputs.append(draw(arrays(tuple(spec), d, kinks=op.kinks)))
        return OpSample(op, inputs, kw)

    return draw_sample()
