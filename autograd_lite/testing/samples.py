"""How the checker draws one call of an op, read from the op's metadata.

Ops of kind ``elementwise``, ``reduction`` and ``matmul`` share a default way to
draw their inputs (below); every other op says how in its own
``sample_inputs(draw)`` classmethod. Both are written against the hypothesis-free
:class:`~autograd_lite.ops.base.Sampler` vocabulary, so this module (like the ops)
never imports hypothesis.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Mapping, Sequence

from ..ops.base import DOMAINS, Op, Sampler

SampleFn = Callable[[Sampler], "tuple[list[Any], dict[str, Any]]"]


def _elementwise(op: type[Op], draw: Sampler) -> tuple[list[Any], dict[str, Any]]:
    # A variadic elementwise op is drawn with two inputs.
    return draw.broadcastable_shapes(op.arity or 2), draw.params()


def _reduction(op: type[Op], draw: Sampler) -> tuple[list[Any], dict[str, Any]]:
    # A reduction with ``keepdims`` takes NumPy's axis=None|int|tuple; one without
    # (softmax-like) normalises along exactly one existing axis.
    single = "keepdims" not in op._param_names
    shape = draw.shape(min_dims=1 if single else 0, max_dims=4)
    return [shape], {**draw.params(), "axis": draw.axes(len(shape), single=single)}


def _matmul(op: type[Op], draw: Sampler) -> tuple[list[Any], dict[str, Any]]:
    return list(draw.matmul_shapes()), draw.params()


#: The default ``sample_inputs`` for each kind that has one.
KIND_DEFAULTS: dict[str, Callable[[type[Op], Sampler], tuple[list[Any], dict[str, Any]]]] = {
    "elementwise": _elementwise,
    "reduction": _reduction,
    "matmul": _matmul,
}


def sample_inputs_for(op: type[Op]) -> SampleFn:
    """The function drawing one call of ``op``: its own ``sample_inputs`` or its kind's default.

    Raises
    ------
    LookupError
        when ``op`` has neither (see :func:`missing_metadata`).
    """
    if op.sample_inputs is not None:
        return op.sample_inputs
    default = KIND_DEFAULTS.get(op.kind)
    if default is None:
        raise LookupError(_no_sampler_message(op))
    return lambda draw: default(op, draw)


def _no_sampler_message(op: type[Op]) -> str:
    return (f"op {op.name!r} of kind {op.kind!r} declares no sample_inputs: only kinds "
            f"{sorted(KIND_DEFAULTS)} have a default way to draw inputs. Add a classmethod "
            f"sample_inputs(cls, draw) returning (input shapes, params) to {op.__qualname__}; "
            f"see docs/adding-an-op.md")


def _keyword_params(op: type[Op]) -> tuple[set[str], set[str]]:
    """Forward's keyword parameters: (all of them, those without a default)."""
    ps = list(inspect.signature(op.forward).parameters.values())
    named = [p for p in ps if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if op.arity is not None:
        named = named[op.arity:]  # the first ``arity`` are the inputs
    return {p.name for p in named}, {p.name for p in named if p.default is p.empty}


def missing_metadata(op: type[Op], *, domain: str | Sequence[str] | None = None,
                     params: Mapping[str, Sequence[Any]] | None = None) -> list[str]:
    """What :func:`~autograd_lite.testing.check_op` would need but ``op`` does not declare.

    Parameters
    ----------
    op
        An op class.
    domain, params
        Overrides, as given to ``check_op``.

    Returns
    -------
    list of str
        One readable sentence per problem; empty when the op can be checked.
    """
    if not (isinstance(op, type) and issubclass(op, Op)):
        raise TypeError(f"missing_metadata: expected an Op subclass, got {op!r}")
    problems = []
    has_hook = op.sample_inputs is not None
    if not has_hook and op.kind not in KIND_DEFAULTS:
        problems.append(_no_sampler_message(op))
    keywords, required = _keyword_params(op)
    table = op.params if params is None else params
    for name, values in table.items():
        if name not in keywords:
            problems.append(f"op {op.name!r}: params names {name!r}, which is not a keyword "
                            f"parameter of its forward() (those are {sorted(keywords)})")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            problems.append(f"op {op.name!r}: params[{name!r}] must be a non-empty tuple of "
                            f"sample values, got {values!r}")
    if not has_hook:
        if op.kind == "reduction" and "axis" not in keywords:
            problems.append(f"op {op.name!r}: a reduction's forward() must take an 'axis' keyword")
        unset = required - set(table)
        if unset:
            problems.append(f"op {op.name!r}: forward() requires {sorted(unset)}, which no params "
                            f"entry or sample_inputs supplies")
    doms = (domain,) if isinstance(domain, str) else tuple(op.domain if domain is None else domain)
    if op.arity is not None and len(doms) not in (1, op.arity):
        problems.append(f"op {op.name!r}: {len(doms)} domains given for {op.arity} inputs")
    for d in doms:
        if d not in DOMAINS:
            problems.append(f"op {op.name!r}: unknown domain {d!r}; expected one of {DOMAINS}")
    if "smooth" in doms and not op.kinks:
        problems.append(f"op {op.name!r}: domain 'smooth' keeps inputs away from the op's kinks, "
                        f"but it declares none (set kinks = (...))")
    if "labels" in doms and not has_hook:
        problems.append(f"op {op.name!r}: 'labels' inputs must index another input, so the op "
                        f"needs a sample_inputs that returns them as an int array")
    return problems
