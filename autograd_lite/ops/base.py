"""The op base class and registry.

An op is one small class: a NumPy ``forward``, its ``vjp`` and plain-data metadata
that the property tests read. Subclassing :class:`Op` with a ``name`` registers it;
nothing else is needed for the engine, the graph renderer and the test suite to
know about it.

This module never imports :class:`~autograd_lite.Tensor`: :meth:`Op.apply` asks a
Tensor among the inputs to record the op (``Tensor._record``), which is how
:meth:`Op.dispatch` can run the same rule on arrays (plain NumPy) and on Tensors
(recorded, for higher-order gradients).
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable, ClassVar, Protocol, Sequence, TypeVar

import numpy as np

_T = TypeVar("_T")

#: Domains an input can declare; the testing toolkit maps each to a strategy.
#: ``real``: any finite value; ``positive``: > 0; ``nonzero``: away from 0;
#: ``smooth``: away from the op's kinks (listed in ``Op.kinks``);
#: ``unit``: inside (-1, 1); ``distinct``: no two values tie (ties are kinks, as in
#: max and maximum); ``bool``: a boolean condition; ``labels``: class indices.
DOMAINS = ("real", "positive", "nonzero", "smooth", "unit", "distinct", "bool", "labels")

class OpRedefinedWarning(UserWarning):
    """An op class replaced the registered op of the same name.

    Only the same class defined again does this: the same ``name``, module and
    qualified name, as when a notebook cell or a reloaded module runs its ``class``
    statement a second time. Two different classes claiming one name still raise.
    """


#: Called as ``hook(old, new)`` when ``new`` replaces ``old`` in :attr:`Op.registry`, so
#: that what was made from ``old`` (its public function) follows (see numpy_api).
_redefinition_hooks: list[Callable[[type[Op], type[Op]], None]] = []

#: Kinds tell the property tests how to draw shapes for an op's inputs. The first
#: three have a default way (``autograd_lite.testing.samples``); an op of the other
#: kinds must say how in its own ``sample_inputs``.
KINDS = ("elementwise", "reduction", "matmul", "shape", "index", "custom")

#: How forward mode (``al.jvp``) pushes a tangent through an op that defines no ``jvp``:
#: ``diagonal``: elementwise after broadcasting, so each input's Jacobian is diagonal,
#: its own transpose, and ``J t`` is the VJP with the tangent as cotangent;
#: ``linear``: linear in its differentiable inputs together, ``J t = forward(t, ...)``;
#: ``multilinear``: linear in each input separately (``x * y``, ``x @ y``), so ``J t``
#: sums ``forward`` with one input at a time replaced by its tangent;
#: ``transpose``: derived from the VJP, which is linear in its cotangent ``u``: ``J t``
#: is the gradient of ``<vjp(u), t>`` in ``u``. Right for any op whose VJP runs on
#: Tensors, at about two VJPs' cost.
JVP_RULES = ("diagonal", "linear", "multilinear", "transpose")


class Sampler(Protocol):
    """What an op's ``sample_inputs`` may draw from (see :attr:`Op.sample_inputs`).

    A small, hypothesis-free vocabulary, so that ops never import hypothesis. The
    testing toolkit passes an implementation backed by hypothesis, so every choice
    made through it shrinks when a property fails.
    """

    def integers(self, min_value: int, max_value: int) -> int:
        """An int in the closed interval ``[min_value, max_value]``."""

    def booleans(self) -> bool:
        """True or False."""

    def sampled_from(self, values: Sequence[_T]) -> _T:
        """One of ``values``."""

    def permutation(self, values: Sequence[_T]) -> list[_T]:
        """``values`` in some order."""

    def shape(self, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
              max_side: int = 4) -> tuple[int, ...]:
        """An array shape."""

    def broadcastable_shapes(self, n: int, *, min_dims: int = 0, max_dims: int = 3,
                             min_side: int = 0, max_side: int = 4) -> list[tuple[int, ...]]:
        """``n`` shapes that broadcast together."""

    def matmul_shapes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Two shapes ``np.matmul`` accepts: 1-D or 2-D cores, broadcast batch axes."""

    def axes(self, ndim: int, *, single: bool = False, allow_none: bool = True,
             allow_empty: bool = True) -> int | tuple[int, ...] | None:
        """An ``axis`` argument valid for ``ndim`` dimensions: None, an int (maybe
        negative) or a tuple of distinct ints; only an int when ``single``."""

    def index(self, shape: tuple[int, ...], kind: str = "any") -> Any:
        """An index into an array of ``shape``: ``kind`` is ``"basic"`` (ints,
        slices, None, Ellipsis), ``"advanced"`` (integer arrays, with repeats, or a
        boolean mask) or ``"any"``."""

    def params(self) -> dict[str, Any]:
        """One value for every entry of the op's ``params`` (or the overrides the
        checker was given)."""


class Op:
    """A differentiable primitive: a NumPy ``forward`` and its ``vjp``.

    Notation in every VJP docstring: ``g`` = dL/d(out), ``dx`` = dL/dx.

    Subclasses set:

    ``name``
        the NumPy spelling. Registering a second op with the same name raises a
        ValueError, unless it is the same class defined again (same module and
        qualified name: a re-run notebook cell, a reloaded module): that replaces
        the old class everywhere, with an :class:`OpRedefinedWarning`.
    ``forward(*xs, **params) -> out``
        pure NumPy, no side effects on its inputs.
    ``vjp(g, out, *xs, **params) -> tuple``
        one entry per input, each either ``None`` (no gradient) or an array of the
        *broadcast* shape: the engine sums it down to the input's shape. It may
        accept a keyword ``needs`` (a tuple of bools, one per input) to skip work
        for inputs that need no gradient. Written against the NumPy API so that it
        also runs on Tensors when higher-order gradients are requested.
    ``forward_saving(*xs, **params) -> (out, saved)`` (optional)
        used instead of ``forward`` when the op is recorded for backward: ``saved``
        is anything the forward computed that the VJP would otherwise recompute
        (a softmax, say). The VJP then receives it as the keyword ``saved``, which
        is None when it is not available (on the recorded path of higher-order
        gradients), so the VJP must be able to recompute it.
    metadata
        ``arity`` (``None`` for a sequence of inputs), ``kind``, ``domain`` (one
        entry per input), ``params`` (sample values per keyword, read by the
        property tests), ``kinks`` (points where the derivative jumps),
        ``nondiff`` (indices of inputs that never get a gradient, e.g. a condition),
        ``differentiable_twice`` (False when the VJP is not itself differentiable),
        ``jvp_rule`` (how forward mode gets the op's JVP when it has no ``jvp``),
        ``read_for`` (below).
    ``read_for`` (optional)
        one tuple per input: the inputs whose gradients the VJP computes from this
        input's array, on either path (arrays, or Tensors when differentiating
        twice). Linear's is ``((1,), (0,), ())``: ``x`` is read for the weight's
        gradient, the weight for ``x``'s, the bias never. While a node lives, the
        arrays of its leaf and constant inputs are read-only (``locks.py``), so that
        plain NumPy cannot change them under it; an array the VJP will not read for
        the gradients asked needs no lock, as PyTorch saves for backward only what
        its backward uses (a first layer's weight and every bias: 3 of the 6 locks of
        an MLP's step, 2.6 us of a tiny one's 68). None, the default: every input is
        read. Not for an op whose output can be a view of an input (reshape,
        getitem): a later op may read that output in backward, so the input it views
        must stay locked. ``check_op`` writes into every input array left unlocked and
        checks that neither the output nor any gradient changes.
    ``jvp(tangents, out, *xs, **params) -> tangent`` (optional)
        the Jacobian-vector product, for forward mode: ``tangents`` has one entry
        per input, ``None`` where the input carries no tangent; the result is the
        tangent of ``out`` (its shape, or one that broadcasts to it). Written against
        the NumPy API like the VJP, so it also runs on Tensors. Without it, forward
        mode follows ``jvp_rule`` (one of :data:`JVP_RULES`, ``"transpose"`` by default).
    ``sample_inputs(draw) -> (inputs, params)``
        optional classmethod telling the property tests how to draw one valid call,
        from a :class:`Sampler` ``draw``: ``inputs`` has one entry per input, a
        shape (values are then drawn from the input's ``domain``) or a ready array
        (e.g. class labels that must index the logits); ``params`` the keyword
        arguments. Required for kinds ``shape``, ``index`` and ``custom``, whose
        valid calls only the op knows (a reshape's target shape, an index); ops of
        the other kinds may declare one to narrow the default (e.g. max of a
        non-empty selection).
    ``bind`` (optional)
        a static method with the signature of the op's public function (``al.<name>``)
        that returns ``(inputs, params)`` for ``apply``, for a call whose arguments are
        not just the inputs and params: ``conv2d``'s ``bias=None`` supplies a zero bias.
    """

    name: ClassVar[str]
    arity: ClassVar[int | None] = 1
    kind: ClassVar[str] = "elementwise"
    domain: ClassVar[tuple[str, ...]] = ("real",)
    params: ClassVar[dict[str, tuple[Any, ...]]] = {}
    kinks: ClassVar[tuple[float, ...]] = ()
    nondiff: ClassVar[tuple[int, ...]] = ()
    differentiable_twice: ClassVar[bool] = True
    jvp_rule: ClassVar[str] = "transpose"
    read_for: ClassVar[tuple[tuple[int, ...], ...] | None] = None
    jvp: ClassVar[Callable[..., Any] | None] = None
    sample_inputs: ClassVar[Callable[[Sampler], tuple[list[Any], dict[str, Any]]] | None] = None

    registry: ClassVar[dict[str, type[Op]]] = {}
    # Filled in by __init_subclass__ from the signatures, so the hot path never inspects.
    _param_names: ClassVar[tuple[str, ...]] = ()
    _wants_needs: ClassVar[bool] = False
    _wants_saved: ClassVar[bool] = False
    forward_saving: ClassVar[Callable[..., Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:  # an abstract helper class, not an op
            return
        for attr in ("forward", "vjp"):
            if not callable(getattr(cls, attr, None)):
                raise TypeError(f"op {cls.name!r} must define a static method {attr}()")
        sig = inspect.signature(cls.forward)
        cls._param_names = tuple(
            p.name for p in sig.parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is not p.empty)
        vjp_params = inspect.signature(cls.vjp).parameters
        cls._wants_needs = "needs" in vjp_params
        cls._wants_saved = "saved" in vjp_params
        if (cls.forward_saving is None) == cls._wants_saved:
            raise TypeError(f"op {cls.name!r}: forward_saving() and a VJP keyword 'saved' go together")
        if cls.arity is not None and len(cls.domain) != cls.arity:
            if len(cls.domain) == 1:
                cls.domain = cls.domain * cls.arity
            else:
                raise ValueError(f"op {cls.name!r}: domain has {len(cls.domain)} entries "
                                 f"for arity {cls.arity}")
        rf = cls.read_for
        if rf is not None and not (
                cls.arity is not None and isinstance(rf, tuple) and len(rf) == cls.arity
                and all(isinstance(js, tuple) and all(type(j) is int and 0 <= j < cls.arity for j in js)
                        for js in rf)):
            raise ValueError(f"op {cls.name!r}: read_for must be a tuple of one tuple of input "
                             f"indices per input ({cls.arity}), got {rf!r}")
        if cls.jvp_rule not in JVP_RULES:
            raise ValueError(f"op {cls.name!r}: unknown jvp_rule {cls.jvp_rule!r}; expected one of {JVP_RULES}")
        unknown = set(cls.domain) - set(DOMAINS)
        if unknown or cls.kind not in KINDS:
            raise ValueError(f"op {cls.name!r}: unknown domain {sorted(unknown)} or "
                             f"kind {cls.kind!r}; expected domains from {DOMAINS}, kinds from {KINDS}")
        old = Op.registry.get(cls.name)
        if old is not None and _where(old) != _where(cls):
            raise ValueError(f"an op named {cls.name!r} is already registered ({_where(old)}); "
                             f"{_where(cls)} needs another name")
        Op.registry[cls.name] = cls
        if old is not None:
            for hook in _redefinition_hooks:
                hook(old, cls)
            # stacklevel 2: the class statement (type.__new__ adds no Python frame).
            warnings.warn(f"op {cls.name!r} redefined: this {_where(cls)} replaces the one "
                          f"defined before, in the registry and in al.function({cls.__name__})",
                          OpRedefinedWarning, stacklevel=2)

    forward: ClassVar[Callable[..., Any]]
    vjp: ClassVar[Callable[..., Any]]

    @classmethod
    def apply(cls, *args: Any, **params: Any) -> Any:
        """Apply the op to Tensors (at least one; the others may be arrays or numbers),
        recording it; returns a Tensor. For arrays alone use ``al.function(op)``."""
        record = _recorder(args[0] if cls.arity is None and args else args)
        if record is None:
            raise TypeError(f"{cls.name}.apply: expected at least one Tensor input; call "
                            f"al.function({cls.__name__}) to apply it to arrays or numbers")
        return record(cls, *args, **params)

    @classmethod
    def dispatch(cls, *args: Any, **params: Any) -> Any:
        """Run on arrays if every input is an array, else record on Tensors.

        VJP rules use this to call another op, so that one rule serves the fast
        NumPy path and the recorded path used for higher-order gradients.
        """
        record = _recorder(args[0] if cls.arity is None else args)
        if record is not None:
            return record(cls, *args, **params)
        return cls.forward(*args, **params)


def _where(op: type[Op]) -> str:
    """``module.Qualname``: what tells a redefinition from a clash of two ops."""
    return f"{op.__module__}.{op.__qualname__}"


def _recorder(inputs: Sequence[Any]) -> Callable[..., Any] | None:
    # A Tensor input knows how to record an op (``Tensor._record``); arrays do not.
    for a in inputs:
        if type(a) is not np.ndarray:
            record = getattr(a, "_record", None)
            if record is not None:
                return record
    return None


class DtypeConstants(dict):
    """A read-only 0-d array of one value per dtype (``ZERO[x.dtype]``), made on first
    use. NumPy combines an array with a 0-d array of its own dtype in about two thirds
    of the time it takes with a Python number, which it must first resolve as a weak
    scalar; the lookup is one C-level dict access."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def __missing__(self, dtype: np.dtype) -> np.ndarray:
        const = self[dtype] = np.full((), self.value, dtype)
        const.flags.writeable = False
        return const


def constant(value: Any, op: str, name: str, instead: str = "") -> Any:
    """A param the op reads as numbers (a bound, a fill value, a slope), with any Tensor
    in it (also inside lists and tuples) replaced by its array. Params are constants, so
    a Tensor that requires grad is refused: its gradient would silently be lost."""
    cls = type(value)
    if value is None or cls is float or cls is int:  # the usual case, first: clip's bounds
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(constant(v, op, name, instead) for v in value)
    if getattr(value, "_record", None) is None:  # not a Tensor (see _recorder)
        return value
    if value.requires_grad:
        raise TypeError(f"{op}: {name} is a Tensor that requires grad, but {name} is a constant "
                        f"parameter and gets no gradient; pass {name}=t.detach() if it needs none"
                        + (f", or {instead}" if instead else ""))
    return value.data


def plain(value: Any) -> Any:
    """``value`` for an error message, with NumPy integers as Python ints (also inside
    tuples, lists and integer arrays, which become tuples): a shape then prints as
    ``(2, 3)``, not ``(np.int64(2), np.int64(3))``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (tuple, list)):
        return tuple(plain(v) for v in value)
    return int(value) if isinstance(value, np.integer) else value


def shape_arg(shape: Any) -> Any:
    """A shape argument as NumPy reads it, for an error message: an int ``n`` is ``(n,)``."""
    shape = plain(shape)
    return shape if isinstance(shape, tuple) else (shape,)


def normalize_axis(axis: int | tuple[int, ...] | list[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative ints; a clear error when out of range."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes: tuple = (axis,)
    elif isinstance(axis, (str, bytes)) or not hasattr(axis, "__iter__"):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    else:
        axes = tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            if not isinstance(a, (int, np.integer)):
                raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
            raise np.exceptions.AxisError(
                f"{op}: axis {plain(a)!r} is out of bounds for an input with {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {plain(axis)!r}")
    return tuple(sorted(out))


def int_axis(axis: Any, op: str) -> None:
    """Raise a TypeError naming ``op`` unless ``axis`` is None or an int: the error path
    of ops that hand ``axis`` to NumPy unchecked (NumPy's message names neither)."""
    if axis is not None and (not isinstance(axis, (int, np.integer)) or isinstance(axis, bool)):
        raise TypeError(f"{op}: axis must be None or an int, got {axis!r}")


def keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a reduction over ``axes`` has with ``keepdims=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
