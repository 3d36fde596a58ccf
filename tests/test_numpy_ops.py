"""The NumPy functions added as ops: reachable as al.X and as np.X(tensor), with NumPy's
values; the choices at their kinks; their errors. (Their gradients are property-tested
with every other op in tests/test_ops_grad.py and tests/test_forward_mode.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.tensor import ARRAY_FUNCTION_ADAPTERS, ARRAY_FUNCTION_OPS, UFUNC_OPS, numpy_name
from autograd_lite.testing import gradcheck

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
S = rng.standard_normal((3, 3)) + 3 * np.eye(3)
SPD = S @ S.T
U = rng.uniform(-0.9, 0.9, (3, 4))
P = rng.uniform(0.5, 2.0, (3, 4))

#: (NumPy function, op name, arguments after the tensor, keyword arguments, input).
CALLS = [
    (np.cumsum, "cumsum", (), {"axis": 1}, A), (np.cumprod, "cumprod", (), {}, A),
    (np.prod, "prod", (), {"axis": 0}, A), (np.flip, "flip", (), {"axis": 1}, A),
    (np.roll, "roll", (2,), {"axis": 1}, A), (np.repeat, "repeat", (2,), {"axis": 0}, A),
    (np.tile, "tile", ((2, 1),), {}, A), (np.moveaxis, "moveaxis", (0, 1), {}, A),
    (np.tril, "tril", (), {"k": 1}, A), (np.triu, "triu", (-1,), {}, A),
    (np.diag, "diag", (1,), {}, A), (np.diagonal, "diagonal", (), {"offset": 1}, A),
    (np.trace, "trace", (), {}, A), (np.sort, "sort", (), {"axis": 0}, A),
    (np.median, "median", (), {"axis": 1}, A), (np.percentile, "percentile", ([20, 70],), {"axis": 1}, A),
    (np.tensordot, "tensordot", (A.T,), {"axes": 1}, A), (np.dot, "dot", (A.T,), {}, A),
    (np.inner, "inner", (A,), {}, A), (np.outer, "outer", (A[0],), {}, A),
    (np.round, "round", (1,), {}, A), (np.around, "round", (), {}, A),
    (np.linalg.det, "det", (), {}, S), (np.linalg.inv, "inv", (), {}, S),
    (np.linalg.solve, "solve", (A,), {}, S), (np.linalg.cholesky, "cholesky", (), {}, SPD),
    (np.linalg.norm, "norm", (), {"ord": 1, "axis": 0}, A), (np.linalg.norm, "norm", ("fro",), {}, A),
    (np.take_along_axis, "take_along_axis", (np.array([[2, 0]] * 3),), {"axis": 1}, A),
    (np.log1p, "log1p", (), {}, U), (np.expm1, "expm1", (), {}, A), (np.log2, "log2", (), {}, P),
    (np.log10, "log10", (), {}, P), (np.arcsin, "arcsin", (), {}, U), (np.arccos, "arccos", (), {}, U),
    (np.arctan, "arctan", (), {}, A), (np.sinh, "sinh", (), {}, A), (np.cosh, "cosh", (), {}, A),
    (np.arctan2, "arctan2", (P,), {}, A), (np.hypot, "hypot", (A,), {}, P),
    (np.logaddexp, "logaddexp", (P,), {}, A), (np.sign, "sign", (), {}, A),
    (np.floor, "floor", (), {}, A), (np.ceil, "ceil", (), {}, A), (np.rint, "round", (), {}, A),
]


@pytest.mark.parametrize("fn, name, args, kwargs, x", CALLS, ids=lambda v: getattr(v, "__name__", None))
def test_numpy_function_on_a_tensor_is_the_op_with_numpy_values(fn, name, args, kwargs, x):
    t = al.tensor(x, requires_grad=True)
    out = fn(t, *args, **kwargs)
    assert isinstance(out, al.Tensor) and out.op == name
    np.testing.assert_allclose(out.data, fn(x, *args, **kwargs), rtol=1e-12, atol=1e-15)
    if name == "take_along_axis":  # al.X with the same arguments
        return
    np.testing.assert_allclose(getattr(al, name)(t, *args, **kwargs).data, out.data)


def test_every_new_function_is_in_a_dispatch_table():
    names = set(UFUNC_OPS.values()) | set(ARRAY_FUNCTION_OPS.values())
    assert {name for _, name, *_ in CALLS} <= names
    assert {np.einsum, np.linalg.slogdet} <= set(ARRAY_FUNCTION_ADAPTERS)


def test_einsum_and_slogdet_take_numpy_signatures():
    x, y = al.tensor(A, requires_grad=True), al.tensor(A.T)
    for spec, ops in [("ij,jk->ik", (x, y)), ("ij,ij->i", (x, x)), ("ij", (x,)), ("i...->...", (x,))]:
        want = np.einsum(spec, *[o.data for o in ops])
        np.testing.assert_allclose(al.einsum(spec, *ops).data, want, rtol=1e-12)
        np.testing.assert_allclose(np.einsum(spec, *ops).data, want, rtol=1e-12)
    sign, logdet = np.linalg.slogdet(al.tensor(-S))
    want = np.linalg.slogdet(-S)
    assert sign.item() == want.sign and np.isclose(logdet.item(), want.logabsdet)
    s2, l2 = al.slogdet(al.tensor(-S, requires_grad=True))
    assert s2.item() == sign.item() and l2.op == "slogdet" and not s2.requires_grad
    t = al.tensor(S, requires_grad=True)
    al.slogdet(t).logabsdet.backward()
    np.testing.assert_allclose(t.grad, np.linalg.inv(S).T, rtol=1e-12)


@pytest.mark.parametrize("spec, shapes", [
    ("ii->i", [(3, 3)]), ("iij->j", [(2, 2, 3)]), ("ij->", [(2, 3)]), ("i,i", [(1,), (3,)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
])
def test_einsum_gradients_for_repeated_broadcast_and_summed_letters(spec, shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    assert gradcheck(lambda *ts: al.einsum(spec, *ts), *arrays)


def test_step_functions_have_zero_gradient_also_at_their_jumps():
    x = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5])
    for f in (al.sign, al.floor, al.ceil, al.round):
        t = al.tensor(x, requires_grad=True)
        f(t).sum().backward()
        np.testing.assert_array_equal(t.grad, np.zeros_like(x))


def test_norm_at_zero_has_gradient_zero_not_nan():
    for shape, kw in [((2, 3), {}), ((3,), {"ord": 2}), ((2, 3), {"axis": 1}), ((2, 3), {"ord": "fro"})]:
        t = al.tensor(np.zeros(shape), requires_grad=True)
        al.norm(t, **kw).sum().backward()
        np.testing.assert_array_equal(t.grad, 0.0)
    t = al.tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    al.norm(t, axis=1).sum().backward()
    np.testing.assert_allclose(t.grad, [[0.0, 0.0], [0.6, 0.8]])


@pytest.mark.parametrize("ord_", ["nuc", 2, -2])
def test_singular_value_norms_are_differentiable_once(ord_):
    x = rng.standard_normal((3, 4))
    assert gradcheck(lambda t: al.norm(t, ord=ord_), x)
    t = al.tensor(x)
    with pytest.raises(RuntimeError, match="no second derivative here"):
        al.grad(lambda u: al.sum(al.grad(lambda v: al.norm(v, ord=ord_))(u)))(t)


def test_max_norms_share_the_gradient_among_ties():
    t = al.tensor(np.array([1.0, -3.0, 3.0]), requires_grad=True)
    al.norm(t, ord=np.inf).backward()
    np.testing.assert_allclose(t.grad, [0.0, -0.5, 0.5])


def test_products_are_exact_where_inputs_are_zero():
    x = np.array([[2.0, 0.0, 3.0, 0.0], [1.0, 2.0, 0.0, 4.0]])
    t = al.tensor(x, requires_grad=True)
    al.prod(t, axis=1).sum().backward()
    # d/dx_i prod = product of the others: nonzero only where x_i is the only zero.
    np.testing.assert_allclose(t.grad, [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 8.0, 0.0]])
    t = al.tensor(x[1], requires_grad=True)
    g = rng.standard_normal(4)
    al.cumprod(t).backward(g)
    want = [sum(g[j] * np.prod([x[1][k] for k in range(j + 1) if k != i]) for j in range(i, 4))
            for i in range(4)]
    np.testing.assert_allclose(t.grad, want, rtol=1e-14)
    assert gradcheck(al.cumprod, x[1]) and gradcheck(lambda u: al.prod(u, axis=1), x)


def test_sort_sends_each_gradient_to_where_its_value_came_from():
    x = np.array([3.0, 1.0, 2.0, 1.0])
    t = al.tensor(x, requires_grad=True)
    al.sort(t).backward(np.array([10.0, 20.0, 30.0, 40.0]))
    np.testing.assert_array_equal(t.grad, [40.0, 10.0, 30.0, 20.0])   # ties in stable order


def test_cholesky_is_of_the_symmetric_part_with_a_symmetric_gradient():
    t = al.tensor(SPD + np.triu(np.ones((3, 3)), 1), requires_grad=True)   # not symmetric
    L = al.cholesky(t)
    np.testing.assert_allclose((L @ L.T).data, SPD + 0.5 * (np.ones((3, 3)) - np.eye(3)), rtol=1e-12)
    L.sum().backward()
    np.testing.assert_allclose(t.grad, t.grad.T, rtol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: al.repeat(al.tensor(A)), TypeError, "repeat: missing the 'repeats' argument"),
    (lambda: al.percentile(al.tensor(A), 50, method="nearest"), ValueError, "only method='linear'"),
    (lambda: al.percentile(al.tensor(A), 120), ValueError, r"q must lie in \[0, 100\]"),
    (lambda: al.det(al.tensor(A)), ValueError, r"det: expected square matrices .* got shape \(3, 4\)"),
    (lambda: al.norm(al.tensor(A), ord="fro", axis=0), ValueError, "is a matrix norm"),
    (lambda: al.einsum("ij,jk", al.tensor(A)), ValueError, "name 2 operands, got 1"),
    (lambda: al.take_along_axis(al.tensor(A), np.zeros((3, 1)), axis=1), TypeError, "indices must be integers"),
])
def test_bad_calls_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_docs_list_every_numpy_function_from_the_tables():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "hooks.py"
    spec = importlib.util.spec_from_file_location("docs_hooks_numpy", path)
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    table = hooks.numpy_table()
    for ufunc in UFUNC_OPS:
        assert f"`np.{ufunc}`" in table
    for fn in list(ARRAY_FUNCTION_OPS) + list(ARRAY_FUNCTION_ADAPTERS):
        assert f"`{numpy_name(fn)}`" in table
