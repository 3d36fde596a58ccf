"""Gradient checks against central differences in float64: ``gradcheck`` and
``gradgradcheck``. Pure NumPy and autograd_lite (no hypothesis).

The analytical side is the engine's VJP contracted with a random cotangent ``u``:
``Jᵀu``. The numerical side is central differences of the forward, in one of two
modes:

full (``fast=False``)
    builds the Jacobian ``J`` column by column (two forward calls per input
    element) and compares ``Jᵀu`` element by element, so a failure names the
    worst element;
fast (``fast=True``)
    compares ``⟨u, J v⟩`` (one central difference along a random direction ``v``,
    two forward calls per input) with ``⟨Jᵀu, v⟩``.

Around that, checks any correct VJP passes: gradient shapes and dtypes, a zero
cotangent giving zero gradients, linearity in the cotangent, a repeated backward
giving the same answer, and no input or cotangent mutated.

The functions between a caller's test and its ``fn`` set ``__tracebackhide__``, so
that pytest reports a failure from the test's line, not from the checker's source.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .. import graph
from ..transforms import gradients
from ..tensor import Tensor

Fn = Callable[..., Any]


class GradcheckError(AssertionError):
    """A gradient check failed. The message is a readable report: which check and
    input, the worst element, analytical vs numerical values, shapes and the ops
    along the graph."""


class GradcheckWarning(UserWarning):
    """An input was converted to float64 before checking (central differences in
    float32 are too coarse to tell a right gradient from a wrong one)."""


@dataclass
class _Case:
    """The inputs of one check, normalised once."""

    values: list[Any]          # what fn receives (differentiated ones as float64 arrays)
    diff: list[int]            # positions that are differentiated
    wrap: list[bool]           # positions given as Tensors, so passed as Tensors
    snapshots: list[Any]       # copies of values, to detect writes into them

    @classmethod
    def of(cls, inputs: Sequence[Any], caller: str) -> _Case:
        __tracebackhide__ = True
        values, diff, wrap = [], [], []
        for i, x in enumerate(inputs):
            is_tensor = isinstance(x, Tensor)
            arr = x.data if is_tensor else x
            checked = (x.requires_grad if is_tensor else
                       isinstance(x, np.ndarray) and x.dtype.kind == "f")
            if checked and arr.dtype != np.float64:
                warnings.warn(f"{caller}: input {i} has dtype {arr.dtype}; checking in float64 "
                              f"instead (central differences need the precision)",
                              GradcheckWarning, stacklevel=3)
                arr = arr.astype(np.float64)
            values.append(arr)
            wrap.append(is_tensor)
            if checked:
                diff.append(i)
        if not diff:
            raise ValueError(f"{caller}: no input to differentiate; pass floating ndarrays, or "
                             f"Tensors with requires_grad=True")
        snaps = [v.copy() if isinstance(v, np.ndarray) else v for v in values]
        return cls(values, diff, wrap, snaps)

    def call(self, fn: Fn, values: Sequence[Any],
             record: bool) -> tuple[list[Tensor], list[Tensor]]:
        """Run ``fn``; returns (the differentiated leaves, the outputs as a list)."""
        __tracebackhide__ = True
        args, leaves = [], []
        for i, v in enumerate(values):
            if i in self.diff:
                t = Tensor(v, requires_grad=record)
                leaves.append(t)
                args.append(t)
            else:
                args.append(Tensor(v, dtype=v.dtype) if self.wrap[i] else v)
        with graph.set_grad_enabled(record):
            out = fn(*args)
        return leaves, _as_outputs(out)

    def numeric(self, fn: Fn, values: Sequence[Any], record: bool) -> list[np.ndarray]:
        """``fn``'s outputs at ``values`` as float64 arrays."""
        __tracebackhide__ = True
        return [np.asarray(o.data, dtype=np.float64) for o in self.call(fn, values, record)[1]]


def _as_outputs(out: Any) -> list[Tensor]:
    __tracebackhide__ = True
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor or a sequence of Tensors, "
                            f"got {type(o).__name__}")
        if o.dtype.kind != "f":
            raise TypeError(f"gradcheck: fn returned an output of dtype {o.dtype}; only "
                            f"floating outputs have gradients")
    return outs


def _vjp(outs: list[Tensor], leaves: list[Tensor], us: list[np.ndarray]) -> list[np.ndarray]:
    """Jᵀu for every leaf, through the engine; zeros where nothing flows back."""
    __tracebackhide__ = True
    live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
    gs: list[Any] = [None] * len(leaves)
    if live:
        gs = gradients([o for o, _ in live], leaves, [u for _, u in live], retain_graph=True)
    return [np.zeros(t.shape, t.dtype) if g is None else g for g, t in zip(gs, leaves)]


def _graph_names(outs: list[Tensor]) -> str:
    nodes = [o.node for o in outs if o.node is not None]
    names = [n.op.name for n in reversed(graph.toposort(nodes))]
    if not names:
        return "(no op recorded: no output depends on a checked input)"
    if len(names) > 14:
        names = names[:6] + [f"... {len(names) - 12} more ..."] + names[-6:]
    return " -> ".join(names)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _where(i: int, x: np.ndarray) -> str:
    return f"input {i} (shape {x.shape}, {x.dtype})"


def _mismatch(analytical: np.ndarray, numerical: np.ndarray, atol: float,
              rtol: float) -> tuple[np.ndarray, np.ndarray]:
    """(bad mask, how far over its tolerance each element is; NaN counts as worst)."""
    allowed = atol + rtol * np.abs(numerical)
    err = np.abs(analytical - numerical)
    over = np.where(np.isnan(err), np.inf, err - allowed)
    return over > 0, over


def _check(fn: Fn, case: _Case, *, eps: float, atol: float, rtol: float, fast: bool,
           seed: int, record_numerical: bool, caller: str, about: str = "") -> str | None:
    """Run every check; the report of the failed ones, or None when all pass."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    leaves, outs = case.call(fn, case.values, record=True)
    for o in outs:
        if not np.all(np.isfinite(o.data)):
            raise ValueError(f"{caller}: fn's output (shape {o.shape}) is not finite at these "
                             f"inputs; check gradients where the function is defined")
    us = [rng.standard_normal(o.shape) for o in outs]
    u_snaps = [u.copy() for u in us]
    xs = [case.values[i] for i in case.diff]
    failures: list[str] = []

    try:
        grads = _vjp(outs, leaves, us)
    except Exception as e:  # any error in a VJP is the finding
        failures.append(f"backward: raised {type(e).__name__}: {e}")
        grads = None
    if grads is not None:
        for i, x, g in zip(case.diff, xs, grads):
            if g.shape != x.shape or g.dtype != x.dtype:
                failures.append(f"shape/dtype: the gradient of {_where(i, x)} has shape "
                                f"{g.shape} and dtype {g.dtype}")
    if not failures:
        assert grads is not None
        failures += _numerical(case, fn, xs, grads, us, rng, eps, atol, rtol, fast,
                               record_numerical)
        failures += _zero_and_linear(outs, leaves, case.diff, xs, grads, us, rng)
        again = _vjp(outs, leaves, us)
        for i, x, g, g2 in zip(case.diff, xs, grads, again):
            if not np.array_equal(g, g2, equal_nan=True):
                failures.append(f"repeated backward: a second backward through the same graph "
                                f"(retain_graph=True) gave a different gradient for {_where(i, x)} "
                                f"(max difference {_fmt(np.nanmax(np.abs(g - g2)))}); does a VJP "
                                f"modify a saved array in place?")
    for i, (v, snap) in enumerate(zip(case.values, case.snapshots)):
        if isinstance(v, np.ndarray) and not np.array_equal(v, snap, equal_nan=True):
            failures.append(f"mutation: input {i} (shape {v.shape}) was modified in place by "
                            f"the forward or the backward")
    for k, (u, snap) in enumerate(zip(us, u_snaps)):
        if not np.array_equal(u, snap):
            failures.append(f"mutation: the cotangent of output {k} was modified in place")
    if not failures:
        return None

    given = ", ".join(
        f"{i}: {np.shape(v)} {getattr(v, 'dtype', type(v).__name__)}"
        + (" [checked]" if i in case.diff else "") for i, v in enumerate(case.values))
    mode = (f"fast (<u, J v> along a random v), eps={eps}" if fast
            else f"full (numerical Jacobian, eps={eps})")
    lines = [f"{caller} failed: {len(failures)} problem{'s' * (len(failures) > 1)}"]
    if about:
        lines.append(f"  {about}")
    lines += [f"  graph (inputs to outputs): {_graph_names(outs)}",
              f"  inputs: {given}",
              f"  outputs: {', '.join(f'{o.shape} {o.dtype}' for o in outs)}",
              f"  cotangent u: standard normal (seed {seed}); mode: {mode}; "
              f"atol={atol}, rtol={rtol}"]
    lines += [f"[{n}] {msg}" for n, msg in enumerate(failures, 1)]
    return "\n".join(lines)


def _numerical(case: _Case, fn: Fn, xs: list[np.ndarray], grads: list[np.ndarray],
               us: list[np.ndarray], rng: np.random.Generator, eps: float, atol: float,
               rtol: float, fast: bool, record: bool) -> list[str]:
    __tracebackhide__ = True
    u_flat = np.concatenate([u.reshape(-1) for u in us])
    failures = []

    def outputs_at(i: int, x: np.ndarray) -> np.ndarray:
        __tracebackhide__ = True
        values = list(case.values)
        values[i] = x
        return np.concatenate([y.reshape(-1) for y in case.numeric(fn, values, record)])

    for i, x, g in zip(case.diff, xs, grads):
        if fast:
            v = rng.standard_normal(x.shape)
            numeric = u_flat @ (outputs_at(i, x + eps * v) - outputs_at(i, x - eps * v)) / (2 * eps)
            analytic = float(np.sum(g * v))
            bad, _ = _mismatch(np.array(analytic), np.array(numeric), atol, rtol)
            if bad:
                failures.append(
                    f"numerical: {_where(i, x)}: along a random direction v, <J^T u, v> = "
                    f"{_fmt(analytic)} (analytical) but <u, J v> = {_fmt(numeric)} (central "
                    f"differences), |error| {_fmt(abs(analytic - numeric))} > allowed "
                    f"{_fmt(atol + rtol * abs(numeric))}; rerun with fast=False to find the "
                    f"worst element")
            continue
        # The Jacobian of every output (flattened, concatenated) w.r.t. x, by columns.
        jac = np.empty((u_flat.size, x.size))
        for j in range(x.size):
            step = np.zeros(x.size)
            step[j] = eps
            step = step.reshape(x.shape)
            jac[:, j] = (outputs_at(i, x + step) - outputs_at(i, x - step)) / (2 * eps)
        numeric_g = (u_flat @ jac).reshape(x.shape)
        bad, over = _mismatch(g, numeric_g, atol, rtol)
        if bad.any():
            w = np.unravel_index(int(np.argmax(over)), x.shape)
            a, n = g[w], numeric_g[w]
            failures.append(
                f"numerical: {_where(i, x)}: the VJP disagrees with central differences at "
                f"{int(bad.sum())} of {x.size} elements\n"
                f"      worst element {tuple(map(int, w))}: analytical {_fmt(a)}, numerical "
                f"{_fmt(n)} (|error| {_fmt(abs(a - n))} > allowed {_fmt(atol + rtol * abs(n))})")
    return failures


def _zero_and_linear(outs: list[Tensor], leaves: list[Tensor], diff: list[int],
                     xs: list[np.ndarray], grads: list[np.ndarray], us: list[np.ndarray],
                     rng: np.random.Generator) -> list[str]:
    __tracebackhide__ = True
    failures = []
    zeros = _vjp(outs, leaves, [np.zeros_like(u) for u in us])
    for i, x, z in zip(diff, xs, zeros):
        if np.any(z != 0):
            failures.append(
                f"zero cotangent: {_where(i, x)}: backward with a zero cotangent gave a nonzero "
                f"gradient (max |dx| {_fmt(np.nanmax(np.abs(z)))}); a VJP must be linear in g: "
                f"does it forget to multiply by g?")
    # VJP(a u + b w) == a VJP(u) + b VJP(w), up to rounding relative to the terms
    # (the cotangents count too: a VJP like softmax's can cancel to ~0).
    a, b = rng.uniform(-2, 2, size=2)
    ws = [rng.standard_normal(u.shape) for u in us]
    combined = _vjp(outs, leaves, [a * u + b * w for u, w in zip(us, ws)])
    u_max, w_max = (max((np.max(np.abs(c), initial=0.0) for c in cs), default=0.0)
                    for cs in (us, ws))
    for i, x, g, gw, gc in zip(diff, xs, grads, _vjp(outs, leaves, ws), combined):
        scale = (abs(a) * (np.max(np.abs(g), initial=0.0) + u_max)
                 + abs(b) * (np.max(np.abs(gw), initial=0.0) + w_max))
        err = np.abs(gc - (a * g + b * gw))
        if not np.all(err <= 1e-9 * scale):
            failures.append(
                f"linearity: {_where(i, x)}: VJP(a u + b w) != a VJP(u) + b VJP(w) for "
                f"a={_fmt(a)}, b={_fmt(b)} (max difference {_fmt(np.nanmax(err))}); a VJP must "
                f"be linear in g")
    return failures


def _check_tolerances(caller: str, eps: Any, atol: Any, rtol: Any, fn: Any = None) -> None:
    """A clear error for a step or tolerance that is not a finite number (eps > 0,
    atol and rtol >= 0), or a ``fn`` that cannot be called."""
    if fn is not None and not callable(fn):
        raise TypeError(f"{caller}: fn must be callable, got {type(fn).__name__}")
    for name, value, low in (("eps", eps, "a positive"), ("atol", atol, "a"), ("rtol", rtol, "a")):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise TypeError(f"{caller}: {name} must be {low} number, got {value!r}")
        if not (value > 0 if name == "eps" else value >= 0) or not math.isfinite(value):
            raise ValueError(f"{caller}: {name} must be {low} finite number"
                             f"{'' if name == 'eps' else ' >= 0'}, got {value!r}")


def gradcheck(fn: Fn, *inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              fast: bool = False, seed: int = 0, raise_exception: bool = True) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central differences, in float64.

    Parameters
    ----------
    fn
        A function of Tensors returning a Tensor or a sequence of Tensors.
    *inputs
        Its arguments. Floating ndarrays and Tensors with ``requires_grad=True`` are
        checked (float32/float16 ones are converted to float64, with a
        :class:`GradcheckWarning`); anything else (integer labels, Tensors without
        ``requires_grad``, Python values) is passed through as a constant.
    eps
        The central-difference step.
    atol, rtol
        An element passes when ``|analytical - numerical| <= atol + rtol * |numerical|``.
    fast
        Compare one random projection ``<u, J v>`` per input instead of building the
        Jacobian (2 instead of ``2 * size`` forward calls per input; the report
        cannot name an element).
    seed
        Seeds the random cotangent ``u`` (and ``v``).
    raise_exception
        Raise :class:`GradcheckError` on failure (default) rather than return False.

    Returns
    -------
    bool
        True when every check passes.

    Raises
    ------
    GradcheckError
        with a report naming each failed check: the analytical VJP against central
        differences; each gradient's shape and dtype against its input's; zero
        gradients for a zero cotangent; linearity in the cotangent; the same answer
        from a repeated backward; inputs and cotangent not modified in place.
    ValueError
        when no input is checked or ``fn``'s output is not finite at ``inputs``.

    Examples
    --------
    >>> import numpy as np
    >>> import autograd_lite as al
    >>> from autograd_lite.testing import gradcheck
    >>> x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    >>> gradcheck(lambda t: al.tanh(t) * t, x)
    True
    """
    __tracebackhide__ = True
    _check_tolerances("gradcheck", eps, atol, rtol, fn)
    report = _check(fn, _Case.of(inputs, "gradcheck"), eps=eps, atol=atol, rtol=rtol, fast=fast,
                    seed=seed, record_numerical=False, caller="gradcheck")
    if report is not None and raise_exception:
        raise GradcheckError(report)
    return report is None


def gradgradcheck(fn: Fn, *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, fast: bool = False, seed: int = 0,
                  raise_exception: bool = True) -> bool:
    """Check second derivatives of ``fn``: :func:`gradcheck` applied to its VJP.

    The function checked is ``x -> J(x)ᵀ w`` for a fixed random cotangent ``w``
    (seeded by ``seed``), computed by the engine with ``create_graph=True``; its own
    VJP is therefore the engine's second-order backward. Parameters, return value
    and errors are those of :func:`gradcheck`.

    Examples
    --------
    >>> import numpy as np
    >>> import autograd_lite as al
    >>> from autograd_lite.testing import gradgradcheck
    >>> gradgradcheck(lambda t: al.sin(t) * t, np.linspace(-1.0, 1.0, 4))
    True
    """
    __tracebackhide__ = True
    _check_tolerances("gradgradcheck", eps, atol, rtol, fn)
    case = _Case.of(inputs, "gradgradcheck")
    _, outs = case.call(fn, case.values, record=False)
    w_rng = np.random.default_rng([seed, 1])  # not the stream gradcheck draws u from
    ws = [w_rng.standard_normal(o.shape) for o in outs]
    diff = case.diff

    def vjp_fn(*ts: Any) -> list[Tensor]:
        __tracebackhide__ = True
        outs = _as_outputs(fn(*ts))
        live = [(o, w) for o, w in zip(outs, ws) if o.requires_grad]
        wrt = [ts[i] for i in diff]
        gs: list[Any] = [None] * len(wrt)
        if live:
            gs = gradients([o for o, _ in live], wrt, [w for _, w in live], create_graph=True)
        return [Tensor(np.zeros(t.shape, t.dtype)) if g is None else g for g, t in zip(gs, wrt)]

    about = (f"checking the derivative of the VJP x -> J(x)^T w, w standard normal "
             f"(seed [{seed}, 1])")
    report = _check(vjp_fn, case, eps=eps, atol=atol, rtol=rtol, fast=fast, seed=seed,
                    record_numerical=True, caller="gradgradcheck", about=about)
    if report is not None and raise_exception:
        raise GradcheckError(report)
    return report is None
