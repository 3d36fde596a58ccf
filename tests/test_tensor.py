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
    with pytest.raises(TypeError, match="np.diff is not supported by autograd_lite"):
        np.diff(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="np.tan"):
        np.tan(Tensor([1.0]))


# Every NumPy function answered on a Tensor's data, with no graph: each result must be
# one no gradient could flow through (bools, ints, text, shapes) or one that does not
# depend on the values (the *_like constructors). A new entry needs a row here.
_NONDIFF_CALLS = {
    np.shape: (), np.ndim: (), np.size: (), np.zeros_like: (), np.ones_like: (),
    np.empty_like: (), np.full_like: (2.0,), np.isclose: (1.0,), np.allclose: (1.0,),
    np.array_equal: ([1.0, 2.0],), np.argmax: (), np.argmin: (), np.any: (), np.all: (),
    np.count_nonzero: (), np.result_type: (), np.array2string: (), np.array_repr: (),
    np.argsort: (),
}
_VALUE_FREE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}


def test_numpy_functions_answered_without_a_graph_return_nothing_that_needs_one():
    from autograd_lite.tensor import NONDIFF_FUNCTIONS
    assert NONDIFF_FUNCTIONS == set(_NONDIFF_CALLS)
    t = Tensor([2.0, 1.0], requires_grad=True)
    for fn, args in _NONDIFF_CALLS.items():
        out = fn(t, *args)
        if fn not in _VALUE_FREE:
            assert np.asarray(out).dtype.kind not in "fc", fn.__name__
    out = np.sort(t)  # sorted values need a gradient: the sort op records them
    assert isinstance(out, Tensor) and out.requires_grad


def _list_cases():
    # Every input of every op whose inputs are plain arrays: each one, given as a list.
    for op in sorted(al.Op.registry.values(), key=lambda o: o.name):
        if op.kind in ("elementwise", "reduction", "matmul") and op.arity:
            for i, domain in enumerate(op.domain):
                if domain not in ("bool", "labels") and i not in op.nondiff:
                    yield pytest.param(op, i, id=f"{op.name}-{i}")


@pytest.mark.parametrize("op, i", _list_cases())
def test_every_op_records_a_list_of_tensors_as_their_stack(op, i):
    # A list of Tensors was turned into an array through __array__, silently cutting
    # them from the graph: al.mean([x, x + 2]) had gradient 0.
    params = {k: v[0] for k, v in op.params.items()}
    fn = al.function(op)

    def grads(as_list):
        a, b = (Tensor(np.float64(v + i), requires_grad=True) for v in (0.7, 1.3))
        args = [np.array([True, False]) if d == "bool" else np.array([0.6, 1.4]) + j
                for j, d in enumerate(op.domain)]
        args[i] = [a, b] if as_list else al.stack([a, b])
        out = fn(*args, **params)
        u = np.linspace(0.3, -1.1, out.size).reshape(out.shape)  # a cotangent, not all ones
        return [out.data, *al.gradients(out, [a, b], u)]

    for got, expected in zip(grads(True), grads(False)):
        assert got is not None
        np.testing.assert_allclose(got, expected)


def test_nested_lists_of_tensors_are_recorded_wherever_numpy_reads_an_array():
    x = Tensor(np.float32(3.0), requires_grad=True)
    assert al.grad(lambda x: al.mean([x, x + 2]))(x).item() == 1.0
    # Nested, with weak Python scalars that take the Tensors' dtype.
    y = al.sum([[x, 1.0], [2.0, x * x]])
    assert y.dtype == np.float32 and y.item() == 15.0
    assert al.grad(lambda x: al.sum([[x, 1.0], [2.0, x * x]]))(x).item() == 7.0
    v = Tensor([1.0, 2.0], requires_grad=True)
    for f in (lambda x: v + [x, x],                                   # operators
              lambda x: v @ [x, 2 * x],
              lambda x: np.add(v, [x, x]),                            # NumPy's dispatch
              lambda x: np.where(v.data > 1, [x, x], v),
              lambda x: np.concatenate([v, [x, x]]),
              lambda x: al.concatenate([[[x, x]]], axis=1),
              lambda x: al.split([x, x, x, x], 2)[1]):
        out = f(x)
        assert out.requires_grad, out
        assert al.gradients(out.sum(), x)[0] is not None
    with pytest.raises(ValueError, match=r"a list holding Tensors is recorded as their stack, but "
                                         r"its entries have shapes \(2,\), \(\)"):
        al.sum([v, x])


@pytest.mark.parametrize("call, message", [
    (lambda y: al.clip(Tensor([1.0, 2.0]), a_min=y), "clip: a_min is a Tensor that requires grad"),
    (lambda y: np.clip(Tensor([1.0, 2.0]), None, y), "clip: a_max is a Tensor that requires grad"),
    (lambda y: np.clip(np.ones(2), y, None), "clip: a_min is a Tensor that requires grad"),
    (lambda y: al.pad(Tensor([1.0]), 1, constant_values=y), "pad: constant_values is a Tensor"),
    (lambda y: al.leaky_relu(Tensor([1.0]), negative_slope=y), "leaky_relu: negative_slope is a"),
    (lambda y: al.elu(Tensor([-1.0]), alpha=y), "elu: alpha is a Tensor that requires grad"),
])
def test_a_constant_param_given_as_a_tensor_that_requires_grad_is_refused(call, message):
    # Params are constants: such a Tensor would silently get no gradient.
    with pytest.raises(TypeError, match=message):
        call(Tensor(0.5, requires_grad=True))
    out = call(Tensor(0.5))  # one that needs no gradient is read as its values
    np.testing.assert_array_equal(out.data, call(0.5).data)


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
    # A leaf's array is read-only while a graph saved it (test_engine's lock tests);
    # an intermediate's is not.
    w = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0], requires_grad=True)
    h = w * 1.0
    loss = (h * h).sum()
    h.data *= 2  # plain NumPy: the engine cannot see it...
    al.increment_version([h, b])  # ...until told
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
