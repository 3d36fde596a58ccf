"""The toolkit catches wrong VJPs: mutant ops (a real op with one deliberate bug
in its VJP) must be rejected by ``check_op`` and by ``gradcheck``, while the op
they were made from passes both.

Each mutant is defined inside ``temporary_registry`` (by the ``mutant`` fixture),
so it never joins the registry the rest of the suite covers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, settings

import autograd_lite as al
from autograd_lite import Tensor
from autograd_lite.ops.arith import Add, Multiply
from autograd_lite.ops.activations import Sigmoid, Softplus
from autograd_lite.ops.elementwise import Sin
from autograd_lite.ops.linalg import Matmul
from autograd_lite.ops.nnops import CrossEntropy
from autograd_lite.testing import (GradcheckError, check_op, gradcheck, gradgradcheck,
                                   temporary_registry)


def _forgets_cotangent():
    class ForgetsCotangent(Multiply):
        """Returns the local derivative, never multiplied by the cotangent g."""
        name = "mutant_forgets_cotangent"

        @staticmethod
        def vjp(g, out, x, y, needs):
            return y * np.ones_like(g), x * np.ones_like(g)
    return ForgetsCotangent


def _transposes():
    class Transposes(Matmul):
        """dx = (g @ y^T)^T: the right numbers in transposed places."""
        name = "mutant_transposes"

        @staticmethod
        def vjp(g, out, x, y, needs):
            dx, dy = Matmul.vjp(g, out, x, y, needs=needs)
            return (dx.swapaxes(-1, -2) if dx is not None and dx.ndim >= 2 else dx), dy
    return Transposes


def _skips_broadcast_reduction():
    class MeanOverCopies(Add):
        """Reduces the cotangent of a broadcast y by its mean instead of its sum:
        the right shape, so the engine's unbroadcast cannot notice."""
        name = "mutant_mean_over_broadcast_copies"

        @staticmethod
        def vjp(g, out, x, y):
            copies = max(g.size, 1) // max(y.size, 1)
            return g, al.unbroadcast(g, y.shape) / max(copies, 1)
    return MeanOverCopies


def _off_by_factor_2():
    class Twice(Sin):
        """dx = 2 g cos(x)."""
        name = "mutant_off_by_factor_2"

        @staticmethod
        def vjp(g, out, x):
            return (2 * g * np.cos(x),)
    return Twice


def _wrong_for_negative_inputs():
    class NegativeSideWrong(Softplus):
        """dx = g sigmoid(|x|): right for x >= 0 only."""
        name = "mutant_wrong_for_negative_inputs"

        @staticmethod
        def vjp(g, out, x):
            return (g * Sigmoid.dispatch(np.abs(x)),)
    return NegativeSideWrong


def _wrong_off_diagonal():
    class OffDiagonal(Matmul):
        """dx 1% too large off the diagonal of each matrix, right on it."""
        name = "mutant_wrong_off_diagonal"

        @staticmethod
        def vjp(g, out, x, y, needs):
            dx, dy = Matmul.vjp(g, out, x, y, needs=needs)
            if dx is not None and dx.ndim >= 2:
                dx = np.where(np.eye(*dx.shape[-2:], dtype=bool), dx, 1.01 * dx)
            return dx, dy
    return OffDiagonal


def _mutates_cotangent():
    class WritesIntoG(Sin):
        """The right values, computed in place in the cotangent it was handed."""
        name = "mutant_mutates_cotangent"

        @staticmethod
        def vjp(g, out, x):
            g *= np.cos(x)
            return (g,)
    return WritesIntoG


def _detached_from_graph():
    class Detached(Sin):
        """The right first derivative, but np.asarray cuts it from the graph, so
        higher-order gradients see a constant."""
        name = "mutant_detached_from_graph"

        @staticmethod
        def vjp(g, out, x):
            return (g * np.cos(np.asarray(x)),)
    return Detached


def _recorded_path_forgets_mean():
    class ForgetsMeanWhenRecorded(CrossEntropy):
        """Right on the fast path; the recorded path (create_graph=True: al.grad,
        higher-order gradients) forgets the mean's 1/N. gradcheck runs the fast path
        only, and gradgradcheck differentiates the recorded path consistently with its
        own wrong values, so only comparing the two paths can see it."""
        name = "mutant_recorded_path_forgets_mean"

        @staticmethod
        def vjp(g, out, logits, labels, reduction="mean", saved=None):
            if saved is None and reduction == "mean":
                reduction = "sum"
            return CrossEntropy.vjp(g, out, logits, labels, reduction, saved)
    return ForgetsMeanWhenRecorded


rng = np.random.default_rng(0)
A, B, C = rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), rng.standard_normal((2, 3))

# name: (make the mutant, the op it was made from, a call of it (fn(op), inputs) on
# which the bug shows, the check expected to name it in gradcheck's report).
MUTANTS = {
    "forgets_cotangent": (_forgets_cotangent, Multiply, (lambda f: f, (A, B)), "zero cotangent"),
    "transposes": (_transposes, Matmul, (lambda f: f, (A, B)), "numerical"),
    "skips_broadcast_reduction": (_skips_broadcast_reduction, Add,
                                  (lambda f: f, (C, B[0])), "numerical"),
    "off_by_factor_2": (_off_by_factor_2, Sin, (lambda f: f, (A,)), "numerical"),
    "wrong_for_negative_inputs": (_wrong_for_negative_inputs, Softplus,
                                  (lambda f: f, (-np.abs(A),)), "numerical"),
    "wrong_off_diagonal": (_wrong_off_diagonal, Matmul, (lambda f: f, (C, A)), "numerical"),
    # Through the engine, add hands the same cotangent array to both terms, so the
    # second VJP sees what the first wrote into it.
    "mutates_cotangent": (_mutates_cotangent, Sin,
                          (lambda f: (lambda x: f(x) + f(x)), (A,)), "numerical"),
}
# Caught only by the second-order check: its first derivative is right.
SECOND_ORDER_MUTANTS = {"detached_from_graph": (_detached_from_graph, Sin, (lambda f: f, (A,)))}

# Generation only: this file asks whether a bug is found, not what the smallest
# failing call is (test_failures_shrink_to_minimal_shapes covers that).
NO_SHRINK = settings(phases=[Phase.explicit, Phase.generate])


@pytest.fixture
def scratch():
    with temporary_registry():
        yield


def test_check_op_compares_the_recorded_vjp_path_with_the_fast_one(scratch):
    mutant = _recorded_path_forgets_mean()
    fn = al.function(mutant)
    logits, labels = rng.standard_normal((3, 4)), np.array([0, 3, 1])
    # Neither numerical check can see it...
    assert gradcheck(lambda z: fn(z, labels), logits)
    assert gradgradcheck(lambda z: fn(z, labels), logits)
    # ...though al.grad, which records, gives 3x the gradient.
    recorded = al.grad(lambda z: fn(z, labels))(logits).data
    np.testing.assert_allclose(recorded, 3 * al.grad(lambda z: al.cross_entropy(z, labels))(logits).data)
    with pytest.raises(GradcheckError, match=r"recorded path.*input 0"):
        check_op(mutant, settings=NO_SHRINK)
    check_op(CrossEntropy, settings=NO_SHRINK)


@pytest.mark.parametrize("name", [*MUTANTS, *SECOND_ORDER_MUTANTS])
def test_check_op_rejects_mutant(name, scratch):
    make = (MUTANTS.get(name) or SECOND_ORDER_MUTANTS[name])[0]
    with pytest.raises(GradcheckError):
        check_op(make(), settings=NO_SHRINK)


@pytest.mark.parametrize("name", MUTANTS)
@pytest.mark.parametrize("fast", [False, True], ids=["full", "fast"])
def test_gradcheck_rejects_mutant(name, fast, scratch):
    make, _, (wrap, inputs), check = MUTANTS[name]
    with pytest.raises(GradcheckError) as report:
        gradcheck(wrap(al.function(make())), *inputs, fast=fast)
    assert f"] {check}: " in str(report.value)


@pytest.mark.parametrize("name", SECOND_ORDER_MUTANTS)
def test_gradgradcheck_rejects_what_gradcheck_accepts(name, scratch):
    make, _, (wrap, inputs) = SECOND_ORDER_MUTANTS[name]
    fn = wrap(al.function(make()))
    assert gradcheck(fn, *inputs)
    with pytest.raises(GradcheckError, match="gradgradcheck failed"):
        gradgradcheck(fn, *inputs)


@pytest.mark.parametrize("name", [*MUTANTS, *SECOND_ORDER_MUTANTS])
def test_the_op_each_mutant_was_made_from_passes(name):
    _, op, (wrap, inputs), *_ = MUTANTS.get(name) or SECOND_ORDER_MUTANTS[name]
    fn = wrap(al.function(op))
    assert gradcheck(fn, *inputs) and gradcheck(fn, *inputs, fast=True)
    assert gradgradcheck(fn, *inputs)
    check_op(op, settings=NO_SHRINK)


def test_check_op_rejects_a_read_for_that_leaves_a_read_input_unlocked(scratch):
    class ClaimsXUnread(Multiply):
        """dy = g * x reads x, but read_for says nothing ever reads it: with only y
        requiring grad, x stays writable under the graph."""
        name = "mutant_claims_x_unread"
        read_for = ((), (0,))

    x, y = Tensor(np.ones(3)), Tensor(np.full(3, 2.0), requires_grad=True)
    out = ClaimsXUnread.apply(x, y)
    x.data[...] = 5.0                   # no lock stops it: a silently wrong gradient
    out.sum().backward()
    assert y.grad.tolist() == [5.0, 5.0, 5.0]
    with pytest.raises(GradcheckError, match=r"read_for=\(\(\), \(0,\)\) is wrong"):
        check_op(ClaimsXUnread, settings=NO_SHRINK)
    check_op(Multiply, settings=NO_SHRINK)


def test_check_op_rejects_read_for_on_an_op_whose_output_views_its_input(scratch):
    from autograd_lite.ops.shape import Reshape

    class UnlockedReshape(Reshape):
        """Its VJP reads only x's shape, but the output is a view of x."""
        name = "mutant_unlocked_reshape"
        read_for = ((),)

    with pytest.raises(GradcheckError, match="output is a view of one of them"):
        check_op(UnlockedReshape, settings=NO_SHRINK)
    check_op(Reshape, settings=NO_SHRINK)


def test_a_read_for_that_does_not_fit_the_inputs_is_refused(scratch):
    for bad in (((1,),), ((1,), (2,)), [(1,), (0,)], ((1,), ("0",))):
        with pytest.raises(ValueError, match="read_for must be a tuple of one tuple"):
            type("BadReadFor", (Multiply,), {"name": "mutant_bad_read_for", "read_for": bad})


def test_mutating_the_cotangent_is_named_by_check_op(scratch):
    with pytest.raises(GradcheckError, match="modified the cotangent g in place"):
        check_op(_mutates_cotangent(), settings=NO_SHRINK)


def test_mutants_leave_the_registry_as_it_was():
    before = dict(al.Op.registry)
    with temporary_registry():
        ops = [spec[0]() for spec in [*MUTANTS.values(), *SECOND_ORDER_MUTANTS.values()]]
        assert all(al.Op.registry[op.name] is op for op in ops)
    assert al.Op.registry == before


def _reported_shapes(report: str) -> list[tuple[int, ...]]:
    # check_op's first line: "check_op(name) on name(inputs: (1, 2) float64, (2,) float64; ..."
    listed = report.split("(inputs: ", 1)[1].split(";", 1)[0]
    return [tuple(int(n) for n in s.strip(" ()").split(",") if n.strip())
            for s in listed.replace(" float64", "").split("), ")]


def test_failures_shrink_to_minimal_shapes(scratch):
    # First-order checks only: the shrinking, not the second derivative, is under test.
    # The bug needs one negative element: hypothesis shrinks to a single one.
    with pytest.raises(GradcheckError) as report:
        check_op(_wrong_for_negative_inputs(), second_order=False)
    (shape,) = _reported_shapes(str(report.value))
    assert np.prod(shape) == 1
    # It needs an off-diagonal element in dx, so an x of two elements (as a (1, 2)
    # matrix, or a (2,) vector against a batch of matrices).
    with pytest.raises(GradcheckError) as report:
        check_op(_wrong_off_diagonal(), second_order=False)
    x_shape, _ = _reported_shapes(str(report.value))
    assert np.prod(x_shape) == 2
