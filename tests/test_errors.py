"""Every user error gets a clear message naming the op, the shapes and what was expected."""

import re

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor


def test_matmul_shape_mismatch_names_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) are not aligned"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))


def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: .*\(2,3\).*\(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"multiply: .*input shapes: \(3,\), \(2,\)"):
        Tensor(np.ones(3)) * np.ones(2)


def test_backward_on_non_scalar_without_gradient():
    w = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"only for a one-element output.*shape \(3,\)"):
        (w * 2).backward()


def test_backward_with_gradient_of_wrong_shape():
    w = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\) but the tensor has shape \(3,\)"):
        (w * 2).backward(np.ones(2))


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_inplace_change_of_a_saved_input_is_detected_at_backward():
    x = Tensor([1.0, 2.0])
    w = Tensor([3.0, 4.0], requires_grad=True)
    loss = (x * w).sum()
    x += 1
    with pytest.raises(al.InplaceModificationError, match=r"input 0 of 'multiply'.*modified in place"):
        loss.backward()


def test_reduction_axis_out_of_range():
    with pytest.raises(np.exceptions.AxisError, match="sum: axis 3 is out of bounds.*2 dimensions"):
        Tensor(np.ones((2, 2))).sum(axis=3)


def test_reshape_to_incompatible_shape():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape an input of shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


@pytest.mark.parametrize("x, w, b", [
    ((), (2, 3), (2,)),          # a 0-d input
    ((4, 2), (2, 3), (2,)),      # x's last axis is not the weight's in-axis
    ((4, 3), (3,), (2,)),        # a 1-D weight, which a plain product would accept
    ((4, 3), (2, 3), (1,)),      # a bias that would broadcast silently
    ((4, 3), (2, 3), ()),
])
def test_linear_rejects_mismatched_shapes_naming_all_three(x, w, b):
    with pytest.raises(ValueError, match=rf"linear: expected x of shape \(\.\.\., in\), weight \(out, in\) "
                                         rf"and bias \(out,\); got x {re.escape(str(x))}"):
        al.linear(np.ones(x), np.ones(w), np.ones(b))


def test_cross_entropy_checks_labels():
    logits = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        al.cross_entropy(logits, np.array([0, 3]))
    # A negative label must not count from the end, whatever the integer type.
    for bad in (np.array([0, -1]), np.array([-1, 1], np.int8), np.array([0, 2**64 - 1], np.uint64)):
        with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\) for logits of shape \(2, 3\); got values in \["):
            al.cross_entropy(logits, bad)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 0\)"):
        al.cross_entropy(Tensor(np.zeros((2, 0))), np.array([0, 0]))
    loss = al.cross_entropy(logits, np.array([2, 0], np.uint8), reduction="sum")
    loss.backward()
    np.testing.assert_allclose(logits.grad, np.full((2, 3), 1 / 3) - np.eye(3)[[2, 0]])
    with pytest.raises(ValueError, match=r"labels must be integers of shape \(2,\)"):
        al.cross_entropy(logits, np.array([0.0, 1.0]))


def test_index_out_of_range_stays_an_index_error_naming_the_op():
    with pytest.raises(IndexError, match="getitem"):
        Tensor(np.ones(3))[5]


def test_a_failing_custom_vjp_is_reported_with_the_op_name():
    class Broken(al.Op):
        """``out = x``.

        Notes
        -----
        VJP::

            dx = g
        """
        name = "test_broken_vjp"

        @staticmethod
        def forward(x):
            return x.copy()

        @staticmethod
        def vjp(g, out, x):
            raise ZeroDivisionError("boom")

    try:
        y = Broken.apply(Tensor([1.0], requires_grad=True))
        with pytest.raises(RuntimeError, match="the VJP of 'test_broken_vjp' failed.*boom"):
            y.sum().backward()
    finally:
        del al.Op.registry["test_broken_vjp"]


def test_duplicate_op_names_are_refused():
    with pytest.raises(ValueError, match="already registered"):
        class Exp2(al.Op):
            name = "exp"

            @staticmethod
            def forward(x):
                return x

            @staticmethod
            def vjp(g, out, x):
                return (g,)


def test_forward_saving_and_a_saved_keyword_must_come_together():
    with pytest.raises(TypeError, match="forward_saving\\(\\) and a VJP keyword 'saved' go together"):
        class HalfSaving(al.Op):
            name = "test_half_saving"

            @staticmethod
            def forward(x):
                return x

            @staticmethod
            def vjp(g, out, x, saved=None):
                return (g,)
    assert "test_half_saving" not in al.Op.registry


@pytest.mark.parametrize("call, shape_text", [
    (lambda x: al.broadcast_to(x, np.array([2])), "(2,)"),
    (lambda x: np.broadcast_to(x, (np.int64(2),)), "(2,)"),
    (lambda x: al.broadcast_to(x, np.int64(2)), "(2,)"),
    (lambda x: al.reshape(x, np.array([4, 2])), "(4, 2)"),
    (lambda x: al.reshape(x, 7), "(7,)"),  # an int shape means (7,), as in NumPy
    (lambda x: al.sum(x, axis=np.int64(5)), "axis 5"),
    (lambda x: al.mean(x, axis=(np.int64(0), np.int64(0))), "repeated axis in (0, 0)"),
])
def test_shape_and_axis_errors_print_plain_ints(call, shape_text):
    with pytest.raises((ValueError, np.exceptions.AxisError)) as err:
        call(Tensor(np.ones((2, 3))))
    assert shape_text in str(err.value) and "np.int" not in str(err.value)


# (cumsum, sort, prod, norm, flip, dot and arctan are ops now, with their own tests.)
# (NumPy call, the name the error shows, the alternative it suggests (None: none
# exists) and that alternative written out, which must give NumPy's answer).
@pytest.mark.parametrize("call, name, instead, alternative", [
    (np.add.reduce, "np.add.reduce", "al.sum", al.sum),
    (np.maximum.reduce, "np.maximum.reduce", "al.max", al.max),
    (np.add.accumulate, "np.add.accumulate", None, None),
    (np.square, "np.square", "t * t", lambda t: t * t),
    (np.reciprocal, "np.reciprocal", "1 / t", lambda t: 1 / t),
    (np.diff, "np.diff", "t[1:] - t[:-1]", lambda t: t[1:] - t[:-1]),
    (np.tan, "np.tan", None, None),
    (lambda t: np.exp(t, out=np.empty(3)), "np.exp with the keyword out", None, None),
])
def test_numpy_functions_without_a_tensor_version_are_refused_honestly(call, name, instead,
                                                                      alternative):
    t = Tensor([3.0, 1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as err:
        call(t)
    msg = str(err.value)
    assert msg.startswith(f"{name} is not supported by autograd_lite")
    assert "of that name" not in msg
    assert "t.numpy()" in msg  # the way out when no gradient is needed
    if instead is None:
        assert "instead" not in msg
    else:
        assert "use " in msg and instead in msg.split(" instead")[0], msg
        out = alternative(t)
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.data, call(t.numpy()))


@pytest.mark.parametrize("pad_width, kind, message", [
    (((1, 1), (1, 1), (1, 1)), ValueError,
     r"pad: pad_width \(\(1, 1\), \(1, 1\), \(1, 1\)\) does not give a \(before, after\) width "
     r"for each axis of an input of shape \(2, 3\)"),
    ((np.int64(1),) * 3, ValueError, r"pad: pad_width \(1, 1, 1\) does not give"),
    (-1, ValueError, "pad: pad_width must not be negative, got -1"),
    (1.5, TypeError, "pad: pad_width must be integers, got 1.5"),
])
def test_pad_names_a_pad_width_it_cannot_read(pad_width, kind, message):
    with pytest.raises(kind, match=message):
        al.pad(Tensor(np.ones((2, 3))), pad_width)
