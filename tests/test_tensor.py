"""Tensor construction, dtype policy, attributes, operators and NumPy interop."""

import importlib

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor


def test_floating_arrays_keep_their_dtype_and_others_become_default_float():
    assert Tensor(np.ones(3, np.float64)).dtype == np.float64
    assert Tensor(np.ones(3, np.float32)).dtype == np.float32
    assert Tensor([1, 2, 3]).dtype == np.float32
    assert Tensor(np.arange(3)).dtype == np.float32
    assert Tensor(2).dtype == np.float32 and Tensor(2).shape == ()
    assert Tensor(np.arange(3), dtype=np.int64).dtype == np.int64


def test_default_dtype_is_settable_and_validated():
    try:
        al.set_default_dtype(np.float64)
        assert Tensor([1.0]).dtype == np.float64 and al.get_default_dtype() == np.float64
    finally:
        al.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match="floating"):
        al.set_default_dtype(np.int32)


def test_integer_and_bool_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require grad.*int64"):
        Tensor(np.arange(3), dtype=np.int64, requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        Tensor(np.array([True]), dtype=bool).requires_grad_()


def test_unsupported_data_is_refused_clearly():
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        Tensor("abc")
    with pytest.raises(TypeError, match="complex"):
        Tensor(np.ones(2, np.complex128))


def test_attributes_and_conversions():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.T.shape == (3, 2) and np.array_equal(t.T.data, t.data.T)
    assert Tensor([[4.0]]).item() == 4.0
    assert t.numpy() is t.data
    assert [r.shape for r in t] == [(3,), (3,)]
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_repr_shows_data_and_the_op_that_made_it():
    w = Tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(w)
    r = repr(w * 2)
    assert "op=multiply" in r and "2., 4." in r and "float32" in r


def test_detach_shares_data_but_not_graph():
    w = Tensor([1.0], requires_grad=True)
    d = (w * 2).detach()
    assert not d.requires_grad and d.is_leaf and d.op is None


@pytest.mark.parametrize("expr, expected", [
    (lambda t: 2 * t, [2.0, 4.0]), (lambda t: t * 2, [2.0, 4.0]),
    (lambda t: 1 - t, [0.0, -1.0]), (lambda t: t - 1, [0.0, 1.0]),
    (lambda t: t / 2, [0.5, 1.0]), (lambda t: 2 / t, [2.0, 1.0]),
    (lambda t: t ** 2, [1.0, 4.0]), (lambda t: 2 ** t, [2.0, 4.0]),
    (lambda t: np.array([1.0, 1.0], np.float32) + t, [2.0, 3.0]),
    (lambda t: -t, [-1.0, -2.0]), (lambda t: abs(-t), [1.0, 2.0]),
])
def test_scalars_and_arrays_on_either_side_keep_float32(expr, expected):
    t = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    out = expr(t)
    assert isinstance(out, Tensor) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected)
    out.backward(np.ones(2, np.float32))
    assert t.grad.dtype == np.float32


def test_numpy_functions_dispatch_to_differentiable_ops():
    t = Tensor(np.array([[1.0, -2.0], [3.0, 4.0]]), requires_grad=True)
    y = np.sum(np.exp(t) * np.where(t > 0, t, 0), axis=1)
    assert isinstance(y, Tensor) and y.op == "sum"
    y.backward(np.ones(2))
    x = t.data
    np.testing.assert_allclose(t.grad, np.where(x > 0, np.exp(x) * (x + 1), 0))


def test_numpy_function_without_a_gradient_is_refused_clearly():
    with pytest.raises(TypeError, match="np.diff is not supported on Tensors"):
        np.diff(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="np.tan"):
        np.tan(Tensor([1.0]))


def test_comparisons_return_bool_tensors_without_graph():
    t = Tensor([1.0, 2.0], requires_grad=True)
    m = t > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad and m.tolist() == [False, True]
    assert (t == t).tolist() == [True, True]
    assert t in {t}  # identity-hashable although == is elementwise


def test_method_signatures_follow_numpy():
    t = Tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_allclose(t.sum(axis=(0, 2), keepdims=True).data, t.data.sum(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(t.var(axis=1, ddof=1).data, t.data.var(axis=1, ddof=1))
    np.testing.assert_allclose(t.max(axis=1).data, t.data.max(axis=1))
    assert t.reshape(6, 4).shape == (6, 4) and t.reshape((4, 6)).shape == (4, 6)
    assert t.transpose(1, 0, 2).shape == (3, 2, 4) and t.swapaxes(0, 1).shape == (3, 2, 4)
    assert t.flatten().shape == (24,) and al.expand_dims(t, 0).shape == (1, 2, 3, 4)
    parts = al.split(t, 2, axis=2)
    assert [p.shape for p in parts] == [(2, 3, 2), (2, 3, 2)]
    np.testing.assert_allclose(al.concatenate(parts, axis=2).data, t.data)


def test_inplace_updates_bump_the_version_and_refuse_grad_tensors():
    t = Tensor([1.0, 2.0])
    t += 1
    v0 = t._version
    t.mul_(2)
    assert t.tolist() == [4.0, 6.0] and t._version > v0 > 0
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place ops on a tensor that requires grad"):
        w += 1
    with al.no_grad():
        w.sub_(np.array([0.5], np.float32))
    assert w.tolist() == [0.5]
    with pytest.raises(RuntimeError, match="setitem"):
        w[0] = 3.0


def test_increment_version_makes_a_graph_refuse_arrays_changed_by_numpy():
    w = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0], requires_grad=True)
    loss = (w * w).sum()
    w.data *= 2  # plain NumPy: the engine cannot see it...
    al.increment_version([w, b])  # ...until told
    with pytest.raises(al.InplaceModificationError, match=r"input 0 of 'multiply'"):
        loss.backward()
    fresh = (w * b).sum()
    al.increment_version(b)  # one tensor on its own
    with pytest.raises(al.InplaceModificationError, match=r"input 1 of 'multiply'"):
        fresh.backward()
    with pytest.raises(TypeError, match="increment_version: expected Tensors, got ndarray"):
        al.increment_version([w.data])


def test_an_inplace_update_that_cannot_cast_names_the_op_and_dtypes():
    # NumPy's casting error has a constructor of its own: re-raising it by type broke.
    labels = Tensor(np.zeros(3, np.int64), dtype=np.int64)
    with pytest.raises(TypeError, match=r"add_: cannot update a tensor of shape \(3,\) and dtype int64"):
        labels += 0.5
    assert labels.tolist() == [0, 0, 0]


def test_python_scalar_constants_are_shared_read_only_and_keep_their_sign():
    x = Tensor(np.array([1.0, -2.0], np.float32), requires_grad=True)
    a, b = x * 3.0, x * 3.0
    const = a.node.parents[1]
    assert const is b.node.parents[1] and const.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        const += 1  # a shared constant must never change under another graph
    assert np.signbit((x * -0.0).data).tolist() == [True, False]
    assert np.signbit((x * 0.0).data).tolist() == [False, True]
    assert (x.astype(np.float64) * 3.0).node.parents[1].dtype == np.float64  # one per dtype
    scalars = importlib.import_module("autograd_lite.tensor")._SCALARS
    cached = len(scalars)
    for _ in range(3):
        assert np.isnan((x * float("nan")).data).all()
    assert len(scalars) == cached  # NaN never equals itself: never cached
    (a + b * 2).sum().backward()
    assert x.grad.tolist() == [9.0, 9.0]
