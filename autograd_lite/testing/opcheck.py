"""``check_op``: property-test an op, built-in or user-declared, in one call.

hypothesis is imported inside :func:`check_op`, so importing this module (and
``autograd_lite.testing``) never needs it.

Every function between a caller's test and the op's code sets ``__tracebackhide__``
(as those of :mod:`~autograd_lite.testing.numerical` do): pytest then shows a failure
from the test's ``check_op`` line, not from inside the checker (``--full-trace``
shows every frame).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..ops.base import Op
from ..tensor import Tensor
from ..transforms import gradients
from .numerical import GradcheckError, _check_tolerances, _mismatch, gradcheck, gradgradcheck
from .samples import missing_metadata

#: A reference forward must agree with the op's to this precision.
FORWARD_RTOL, FORWARD_ATOL = 1e-7, 1e-10


def check_op(op: type[Op] | Callable[..., Any], reference: Callable[..., Any] | None = None, *,
             domain: str | Sequence[str] | None = None,
             params: Mapping[str, Sequence[Any]] | None = None,
             max_examples: int | None = None, settings: Any = None,
             second_order: bool | None = None, fast: bool = False, eps: float = 1e-6,
             atol: float = 1e-5, rtol: float = 1e-3) -> None:
    """Property-test ``op`` on calls hypothesis draws from its metadata.

    For each drawn call (shapes from the op's ``sample_inputs`` or its kind's
    default, broadcasting, 0-d and size-0 included; values from its ``domain``):

    * the forward equals ``reference`` (when given) in shape and value;
    * the VJP, called directly, returns one entry per input and modifies neither
      its cotangent, the output nor the inputs;
    * :func:`gradcheck`: the VJP matches central differences in float64 under a
      random cotangent; gradient shapes and dtypes; zero cotangent; linearity;
      repeated backward;
    * the VJP's recorded path (run on Tensors, as ``create_graph=True``, ``al.grad``
      and every higher-order gradient run it) gives the same first-order gradients as
      its fast path on arrays, which is all gradcheck runs; gradgradcheck
      differentiates the recorded path but cannot tell if its values are wrong;
    * with ``read_for``: writing into the input arrays it leaves unlocked changes neither
      the output nor any gradient, on both paths;
    * :func:`gradgradcheck` (fast mode) when the op is differentiable twice.

    Calls where the forward is not finite (outside the function's domain, e.g. the
    mean of nothing) are skipped with ``hypothesis.assume``.

    Parameters
    ----------
    op
        An :class:`~autograd_lite.Op` subclass, or its public function
        (``al.function(MyOp)``).
    reference
        Optional NumPy implementation, called as ``reference(*arrays, **params)``.
    domain
        Overrides ``op.domain`` (one name, or one per input).
    params
        Overrides ``op.params``: sample values per keyword.
    max_examples
        Overrides the number of examples of the hypothesis settings.
    settings
        A ``hypothesis.settings`` to run under instead of the current profile. Every
        setting is respected except four: the per-example ``deadline`` is off (a
        numerical Jacobian's cost grows with the input size and says nothing about
        the op); ``report_multiple_bugs`` is off (one report, not a group); the
        ``explain`` phase is skipped (it would point into the checker, not the
        op, at a cost of seconds per failure); and ``print_blob`` is off (its
        ``@reproduce_failure`` line only works on a ``@given`` test, which the
        caller's test is not; hypothesis's example database replays the failing
        call first on the next run instead).
    second_order
        Check second derivatives; defaults to ``op.differentiable_twice``.
    fast, eps, atol, rtol
        Passed to :func:`gradcheck` (``fast=False``: full Jacobian, so a failure
        names the worst element).

    Raises
    ------
    GradcheckError
        on the smallest failing call hypothesis finds, with the report (and
        hypothesis's falsifying example and replay line attached as notes).
    ValueError
        when the op lacks metadata the checker needs (see
        :func:`~autograd_lite.testing.missing_metadata`).

    Examples
    --------
    In a pytest file::

        from autograd_lite.testing import check_op

        def test_cube():
            check_op(Cube, reference=lambda x: x ** 3)
    """
    __tracebackhide__ = True
    op = getattr(op, "op", op)
    if not (isinstance(op, type) and issubclass(op, Op)):
        raise TypeError(f"check_op: expected an Op subclass or its function, got {op!r}")
    if max_examples is not None and (isinstance(max_examples, bool) or
                                     not isinstance(max_examples, int) or max_examples < 1):
        raise ValueError(f"check_op: max_examples must be a positive int or None, got "
                         f"{max_examples!r}")
    _check_tolerances("check_op", eps, atol, rtol)
    problems = missing_metadata(op, domain=domain, params=params)
    if problems:
        raise ValueError(f"check_op: cannot check op {op.name!r}:\n- " + "\n- ".join(problems))
    import hypothesis
    from hypothesis import strategies as st

    from .strategies import op_samples

    twice = op.differentiable_twice if second_order is None else second_order

    def run(sample: Any, seed: int) -> None:
        __tracebackhide__ = True
        _check_sample(sample, seed, reference, twice,
                      dict(fast=fast, eps=eps, atol=atol, rtol=rtol))

    run.__name__ = run.__qualname__ = f"check_op_{op.name}"
    test = hypothesis.given(sample=op_samples(op, domain=domain, params=params),
                            seed=st.integers(0, 2**32 - 1))(run)
    parent = settings if settings is not None else hypothesis.settings.default
    overrides: dict[str, Any] = {
        "deadline": None,
        # One report, the smallest failing call, rather than an ExceptionGroup when
        # gradcheck and gradgradcheck fail on different calls.
        "report_multiple_bugs": False,
        # The explain phase would name lines inside the checker, not in the op,
        # and costs seconds on every failure.
        "phases": [p for p in parent.phases if p is not hypothesis.Phase.explain],
        # The @reproduce_failure line it would print goes on a @given test; the
        # caller's test is not one and would ignore it. The database replays instead.
        "print_blob": False,
    }
    if max_examples is not None:
        overrides["max_examples"] = max_examples
    try:
        hypothesis.settings(parent, **overrides)(test)()
    except GradcheckError as e:
        # Below here are the checker's frames, hidden, and one that hypothesis makes
        # look like ``run`` and pytest cannot hide; the report says all they would.
        raise e.with_traceback(None)


def _check_sample(sample: Any, seed: int, reference: Callable[..., Any] | None, twice: bool,
                  tolerances: dict[str, Any]) -> None:
    __tracebackhide__ = True
    from hypothesis import assume

    op, xs, params = sample.op, sample.inputs, sample.params
    header = f"check_op({op.name}) on {sample.describe()}"
    if sum(x.size for x in xs) <= 24:  # small, as shrunk examples are: show the values
        header += f"\n  input values: {sample.values()}"

    def fail(problem: str) -> GradcheckError:
        return GradcheckError(f"{header}\n{problem}")

    try:
        # Probing the domain: NaN from the mean of nothing is an answer, not news.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = np.asarray(op.forward(*xs, **params))
    except Exception as e:
        raise fail(f"forward raised {type(e).__name__}: {e}; the call was drawn from the op's "
                   f"metadata, so either the op or its sample_inputs/domain/params is wrong") from e
    assume(out.dtype.kind != "f" or bool(np.all(np.isfinite(out))))

    diff = [i for i, x in enumerate(xs) if x.dtype.kind == "f" and i not in op.nondiff]
    problem = None
    if reference is not None:
        problem = _compare_forward(out, np.asarray(reference(*xs, **params)))
    problem = problem or _vjp_purity(op, xs, params, out, diff, seed)
    if problem:
        raise fail(problem)
    if not diff:
        return
    # Checked inputs as float arrays; the others as constants of their own dtype.
    args = [x if i in diff or x.dtype.kind != "f" else Tensor(x) for i, x in enumerate(xs)]

    def fn(*ts: Any) -> Tensor:
        __tracebackhide__ = True
        return op.apply(list(ts), **params) if op.arity is None else op.apply(*ts, **params)

    try:
        gradcheck(fn, *args, seed=seed, **tolerances)
    except GradcheckError as e:
        raise fail(str(e)) from None
    problem = _recorded_path(fn, args, diff, seed, twice) or _unlocked_writes(op, fn, xs, diff, seed)
    if problem:
        raise fail(problem)
    if twice:
        try:
            gradgradcheck(fn, *args, seed=seed, **{**tolerances, "fast": True})
        except GradcheckError as e:
            raise fail(str(e)) from None


#: The two paths of one VJP compute the same formula, maybe in another order.
PATHS_RTOL, PATHS_ATOL = 1e-7, 1e-10


def _recorded_path(fn: Callable[..., Tensor], args: list[Any], diff: list[int], seed: int,
                   twice: bool) -> str | None:
    """The first-order gradients of the recorded VJP path against the fast path's."""
    leaves = {i: Tensor(args[i], requires_grad=True) for i in diff}
    out = fn(*[leaves.get(i, a) for i, a in enumerate(args)])
    if not out.requires_grad:
        return None
    u = np.random.default_rng([seed, 2]).standard_normal(out.shape)
    wrt = list(leaves.values())
    fast = gradients(out, wrt, u, retain_graph=True)
    try:
        recorded = gradients(out, wrt, u, create_graph=True)
    except Exception as e:
        if not twice:  # an op may declare that its VJP does not run on Tensors
            return None
        return (f"the VJP's recorded path (create_graph=True, as al.grad runs it) raised "
                f"{type(e).__name__}: {e}")
    for i, f, r in zip(diff, fast, recorded):
        f = np.zeros(args[i].shape) if f is None else f
        r = np.zeros(args[i].shape) if r is None else np.asarray(r.data if isinstance(r, Tensor) else r)
        if r.shape != f.shape:
            return (f"the VJP's recorded path (create_graph=True) gives input {i} a gradient of "
                    f"shape {r.shape}; the fast path {f.shape}")
        bad, over = _mismatch(r, f, PATHS_ATOL, PATHS_RTOL)
        if bad.any():
            w = np.unravel_index(int(np.argmax(over)), f.shape)
            return (f"the VJP's recorded path (create_graph=True, as al.grad and higher-order "
                    f"gradients run it) disagrees with its fast path at first order for input "
                    f"{i} at {int(bad.sum())} of {f.size} elements; worst element "
                    f"{tuple(map(int, w))}: recorded {float(r[w])!r}, fast {float(f[w])!r} "
                    f"(the fast one matches central differences). Does the branch the VJP "
                    f"takes when saved is None, or on Tensors, compute something else?")
    return None


def _unlocked_writes(op: type[Op], fn: Callable[..., Tensor], xs: list[np.ndarray],
                     diff: list[int], seed: int) -> str | None:
    """An op with ``read_for`` leaves some input arrays writable while its node lives:
    plain NumPy writes into every one of them must change neither the output (which a
    later op may read) nor any gradient, on the fast path and on the recorded one
    (``create_graph``), for a drawn set of inputs that require grad."""
    if op.read_for is None or not diff:
        return None
    rng = np.random.default_rng([seed, 3])
    asked = [i for i in diff if rng.random() < 0.5] or [diff[int(rng.integers(len(diff)))]]

    def grads(write: bool, create_graph: bool) -> tuple[list[Any], list[int]]:
        ts = [Tensor(x.copy(), requires_grad=i in asked) for i, x in enumerate(xs)]
        out = fn(*ts)
        if not out.requires_grad:
            return [], []
        written = []
        if write:
            before = out.data.copy()
            for i, t in enumerate(ts):
                if t.data.flags.writeable and t.data.dtype.kind == "f" and t.data.size:
                    t.data[...] = rng.standard_normal(t.data.shape)
                    written.append(i)
            if not np.array_equal(out.data, before, equal_nan=True):
                # A consumer of out may read it: the input out views must stay locked.
                raise _Views(written)
        u = np.random.default_rng([seed, 4]).standard_normal(out.shape)
        gs = gradients(out, [ts[i] for i in asked], u, create_graph=create_graph)
        return [None if g is None else np.asarray(g.data if isinstance(g, Tensor) else g)
                for g in gs], written

    for create_graph in (False, True):
        try:
            want, _ = grads(False, create_graph)
            got, written = grads(True, create_graph)
        except _Views as e:
            return (f"read_for={op.read_for!r} leaves inputs {e.args[0]} writable while the node "
                    f"lives, but the forward's output is a view of one of them: writing into it "
                    f"changed the output, which a later op may read in backward; an op whose "
                    f"output can view an input must not declare read_for")
        except Exception as e:
            if create_graph and not op.differentiable_twice:
                continue
            return f"writing into the inputs read_for leaves unlocked raised {type(e).__name__}: {e}"
        for i, w, g in zip(asked, want, got):
            if (w is None) != (g is None) or (w is not None and not np.array_equal(w, g)):
                path = "recorded (create_graph=True)" if create_graph else "fast"
                return (f"read_for={op.read_for!r} is wrong: with inputs {asked} requiring grad, "
                        f"inputs {written} are left writable while the node lives, and writing "
                        f"into them changed the gradient of input {i} on the {path} path; the "
                        f"VJP reads one of them, so read_for must list input {i} for it")
    return None


class _Views(Exception):
    """Writing into the unlocked inputs changed the op's output (it views one)."""


def _compare_forward(out: np.ndarray, want: np.ndarray) -> str | None:
    if out.shape != want.shape:
        return f"forward has shape {out.shape}, the reference {want.shape}"
    with np.errstate(invalid="ignore"):  # the op's output is finite; a reference's may not be
        bad, over = _mismatch(out, want, FORWARD_ATOL, FORWARD_RTOL)
    if not bad.any():
        return None
    w = np.unravel_index(int(np.argmax(over)), out.shape)
    return (f"forward differs from the reference at {int(bad.sum())} of {out.size} elements; "
            f"worst element {tuple(map(int, w))}: op {float(out[w])!r}, "
            f"reference {float(want[w])!r}")


def _vjp_purity(op: type[Op], xs: list[np.ndarray], params: dict[str, Any], out: np.ndarray,
                diff: list[int], seed: int) -> str | None:
    """Call the VJP on plain arrays: one entry per input, nothing modified in place.

    Through the engine a VJP's cotangent can be shared (``add`` hands the same
    ``g`` to both inputs), so a VJP that writes into it corrupts another gradient.
    """
    __tracebackhide__ = True
    g = np.random.default_rng(seed).standard_normal(out.shape)
    before = [a.copy() for a in (g, out, *xs)]
    extra = {"needs": tuple(i in diff for i in range(len(xs)))} if op._wants_needs else {}
    try:
        dxs = op.vjp(g, out, *xs, **params, **extra)
    except Exception as e:
        return f"the VJP raised {type(e).__name__}: {e}"
    if not isinstance(dxs, tuple) or len(dxs) != len(xs):
        got = f" of length {len(dxs)}" if isinstance(dxs, (tuple, list)) else ""
        return (f"vjp must return a tuple with one entry per input ({len(xs)}), "
                f"got {type(dxs).__name__}{got}")
    names = ["the cotangent g", "the output"] + [f"input {i}" for i in range(len(xs))]
    for name, a, b in zip(names, (g, out, *xs), before):
        if not np.array_equal(a, b, equal_nan=True):
            return (f"the VJP modified {name} in place; a VJP must not write into its "
                    f"arguments (the engine may share them)")
    return None
