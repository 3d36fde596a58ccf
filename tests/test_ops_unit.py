"""Direct tests of what the property suite cannot see: kinks, stability, dtypes."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, hooks
from autograd_lite.ops import Op


def _grad(fn, x):
    t = Tensor(np.asarray(x, np.float64), requires_grad=True)
    fn(t).backward(np.ones(np.shape(fn(Tensor(np.asarray(x, np.float64))).data)))
    return t.grad


def test_subgradients_at_kinks():
    assert _grad(lambda t: t.relu(), [0.0]).tolist() == [0.0]
    assert _grad(lambda t: t.abs(), [0.0]).tolist() == [0.0]
    assert _grad(lambda t: t.leaky_relu(0.1), [0.0]).tolist() == [0.1]
    assert _grad(lambda t: t.max(), [1.0, 3.0, 3.0]).tolist() == [0.0, 0.5, 0.5]
    assert _grad(lambda t: t.min(), [2.0, 2.0, 2.0, 5.0]).tolist() == [1 / 3, 1 / 3, 1 / 3, 0.0]
    assert _grad(lambda t: t.clip(-1.0, 1.0), [-1.0, 1.0, 1.5]).tolist() == [1.0, 1.0, 0.0]
    assert _grad(lambda t: t.clip(None, 1.0), [-5.0, 2.0]).tolist() == [1.0, 0.0]
    assert _grad(lambda t: al.maximum(t, 1.0), [1.0, 2.0]).tolist() == [0.5, 1.0]


def test_where_selects_the_cotangent_instead_of_multiplying_by_a_mask():
    # An inf cotangent in a position a branch did not supply must not become
    # NaN (0 * inf) in that branch's gradient.
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    al.where(np.array([False, True]), a, b).backward(np.array([np.inf, 1.0]))
    assert a.grad.tolist() == [0.0, 1.0] and b.grad.tolist() == [np.inf, 0.0]


@pytest.mark.parametrize("fn", [
    lambda t: al.log_softmax(t, axis=1), lambda t: al.softmax(t, axis=1),
    lambda t: al.logsumexp(t, axis=1), lambda t: al.cross_entropy(t, np.array([0, 1])),
    lambda t: t.sigmoid(), lambda t: t.softplus(), lambda t: t.tanh(), lambda t: t.elu(),
])
def test_finite_for_huge_logits(fn):
    x = Tensor(np.array([[1e4, -1e4], [-1e4, 1e4]], np.float32), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = fn(x)
        y.backward(np.ones(y.shape, np.float32))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_batch():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    t = Tensor(z, requires_grad=True)
    al.cross_entropy(t, labels).backward()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(t.grad, (p - np.eye(4)[labels]) / 5)


def test_cross_entropy_with_infinite_logits():
    # -inf (a masked class) is an ordinary logit: finite loss and gradient. A row whose
    # max is +inf takes the shift that skips it, as the loss is checked only at the end.
    z = np.array([[-np.inf, 0.0, 1.0], [np.inf, 0.0, 1.0]], np.float32)
    t = Tensor(z, requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        losses = al.cross_entropy(t, np.array([2, 1]), reduction="none")
    assert np.isclose(losses.data[0], np.log1p(np.exp(-1.0))) and losses.data[1] == np.inf
    masked = Tensor(z[:1], requires_grad=True)
    al.cross_entropy(masked, np.array([2])).backward()
    p = np.array([0.0, np.exp(-1.0), 1.0]) / (1 + np.exp(-1.0))
    np.testing.assert_allclose(masked.grad[0], p - [0, 0, 1], rtol=1e-6)


def test_getitem_scatter_adds_repeated_indices_and_supports_all_index_kinds():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x[np.array([0, 0, 2]), ::-2]
    y.backward(np.ones(y.shape))
    expect = np.zeros((3, 4))
    np.add.at(expect, (np.array([0, 0, 2]), slice(None, None, -2)), 1.0)
    np.testing.assert_allclose(x.grad, expect)
    x.grad = None
    x[x.data > 5].sum().backward()
    np.testing.assert_allclose(x.grad, (x.data > 5).astype(float))
    assert x[None, ..., 1].shape == (1, 3)


@pytest.mark.parametrize("form", ["tensor", "tensor in a tuple", "nested tuple", "uint8 array"])
def test_every_form_of_an_integer_index_scatter_adds_repeated_positions(form):
    # al.getitem and al.scatter_add take the index as it is, not unwrapped as t[...]
    # does: an index Tensor (or a tuple NumPy reads as an array) must still add at
    # repeated positions, as x[i] and PyTorch do.
    i = {"tensor": Tensor(np.array([0, 0, 2]), dtype=np.int64),
         "tensor in a tuple": (Tensor(np.array([0, 0, 2]), dtype=np.int64),),
         "nested tuple": ((0, 0, 2),),
         "uint8 array": np.array([0, 0, 2], np.uint8)}[form]
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = al.getitem(x, index=i)
    assert y.tolist() == [1.0, 1.0, 3.0]
    y.backward(np.ones(3))
    assert x.grad.tolist() == [2.0, 0.0, 1.0]
    assert al.scatter_add(Tensor(np.ones(3)), index=i, shape=(3,)).tolist() == [2.0, 0.0, 1.0]
    # The second derivative goes through scatter_add's own VJP, which indexes with it.
    (d1,) = al.gradients((al.getitem(x, index=i) ** 2).sum(), [x], create_graph=True)
    (d2,) = al.gradients((d1 * np.array([1.0, 10.0, 100.0])).sum(), [x])
    assert d1.tolist() == [4.0, 0.0, 6.0] and d2.tolist() == [4.0, 0.0, 200.0]


def _float32_inputs(op: type[Op]):
    """One small float32 call per op (shapes chosen to exercise broadcasting)."""
    r = np.random.default_rng(0)
    f = lambda *s: (r.random(s) + 0.5).astype(np.float32)  # noqa: E731
    special = {
        "matmul": ([f(2, 3), f(3, 4)], {}), "linear": ([f(2, 3), f(4, 3), f(4)], {}), "reshape": ([f(2, 3)], {"shape": (3, 2)}),
        "broadcast_to": ([f(3)], {"shape": (2, 3)}), "squeeze": ([f(1, 3)], {}),
        "expand_dims": ([f(3)], {"axis": 0}), "concatenate": ([f(2), f(3)], {}),
        "stack": ([f(2), f(2)], {}), "pad": ([f(2)], {"pad_width": 1}),
        "getitem": ([f(4)], {"index": np.array([0, 0, 3])}),
        "scatter_add": ([f(3)], {"index": np.array([0, 0, 3]), "shape": (4,)}),
        "cross_entropy": ([f(2, 3), np.array([0, 2])], {}),
        "where": ([np.array([True, False]), f(2), f(1)], {}),
        "astype": ([f(2)], {"dtype": np.dtype(np.float32)}),
        "clip": ([f(3)], {"a_min": 0.6, "a_max": 1.2}),
        "conv2d": ([f(2, 2, 5, 5), f(4, 1, 3, 2), f(4)], {"padding": 1, "groups": 2}),
        "conv1d": ([f(2, 2, 5), f(3, 2, 3), f(3)], {"stride": 2}),
        "conv2d_input": ([f(2, 3, 3, 3), f(3, 2, 3, 3)], {"input_shape": (2, 2, 5, 5)}),
        "conv2d_weight": ([f(2, 2, 5, 5), f(2, 3, 3, 3)], {"weight_shape": (3, 2, 3, 3)}),
        "max_pool2d": ([f(2, 2, 5, 5)], {"kernel_size": 3, "stride": 2, "padding": 1}),
        "avg_pool2d": ([f(2, 2, 5, 5)], {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
        "adaptive_avg_pool2d": ([f(2, 2, 5, 5)], {"output_size": (2, 3)}),
        "batch_norm": ([f(4, 3, 2, 2), f(3), f(3)], {}),
        "arcsin": ([f(3) - 0.6], {}), "arccos": ([f(3) - 0.6], {}),
        "roll": ([f(2, 3)], {"shift": 1}), "repeat": ([f(2, 3)], {"repeats": 2, "axis": 1}),
        "tile": ([f(2, 3)], {"reps": (2, 1)}), "moveaxis": ([f(2, 3)], {"source": 0, "destination": 1}),
        "take_along_axis": ([f(2, 3), np.array([[2, 0], [1, 1]])], {"axis": 1}),
        "percentile": ([f(2, 3)], {"q": 30.0, "axis": 1}),
        "einsum": ([f(2, 3), f(3, 4)], {"subscripts": "ij,jk->ik"}),
        "tensordot": ([f(2, 3), f(3, 4)], {"axes": 1}),
        "det": ([f(3, 3) + np.eye(3, dtype=np.float32)], {}),
        "slogdet": ([f(3, 3) + np.eye(3, dtype=np.float32)], {}),
        "inv": ([f(3, 3) + np.eye(3, dtype=np.float32)], {}),
        "solve": ([f(3, 3) + np.eye(3, dtype=np.float32), f(3, 2)], {}),
        "cholesky": ([f(3, 3) + 3 * np.eye(3, dtype=np.float32)], {}),
        "checkpoint": ([f(2, 3)], {"fn": lambda x: al.tanh(x) * x, "nargs": 1}),
        # recurrent cells: x (N, I), state, w_ih (G*H, I), w_hh (G*H, H), b_ih, b_hh
        "rnn_tanh_cell": ([f(2, 3), f(2, 4), f(4, 3), f(4, 4), f(4), f(4)], {}),
        "lstm_cell": ([f(2, 3), f(2, 2, 4), f(16, 3), f(16, 4), f(16), f(16)], {}),
        "gru_cell": ([f(2, 3), f(2, 4), f(12, 3), f(12, 4), f(12), f(12)], {}),
    }
    if op.name in special:
        return special[op.name]
    if op.arity == 2:
        return [f(2, 3), f(3)], {}
    return [f(2, 3)], {}


@pytest.mark.parametrize("op", sorted(Op.registry.values(), key=lambda o: o.name), ids=lambda o: o.name)
def test_float32_stays_float32_through_every_vjp(op, monkeypatch):
    xs, params = _float32_inputs(op)
    seen = []
    leaves = [Tensor(x, requires_grad=x.dtype.kind == "f" and i not in op.nondiff, dtype=x.dtype)
              for i, x in enumerate(xs)]
    out = op.apply(leaves, **params) if op.arity is None else op.apply(*leaves, **params)
    assert out.dtype == np.float32
    with hooks.register_backward_hook(lambda node, g, dxs: seen.append(
            [d.dtype for d in dxs if d is not None])):
        out.backward(np.ones(out.shape, np.float32))
    assert seen and all(dt == np.float32 for dts in seen for dt in dts), f"{op.name}: VJP gave {seen}"


def test_linear_weight_gradient_has_the_weights_layout():
    x = Tensor(np.ones((5, 3), np.float32))
    w = Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, np.float32), requires_grad=True)
    al.linear(x, w, b).sum().backward()
    assert w.grad.flags.c_contiguous and w.grad.shape == (4, 3)
    np.testing.assert_allclose(w.grad, 5.0)
    # A column-major weight gets a column-major gradient with the same values.
    rng = np.random.default_rng(0)
    xs, ws, g = rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 3)), rng.standard_normal((2, 5, 4))
    grads = []
    for order in ("C", "F"):
        wt = Tensor(np.array(ws, order=order), requires_grad=True)
        xt = Tensor(xs, requires_grad=True)
        al.linear(xt, wt, Tensor(np.zeros(4))).backward(g)
        assert wt.grad.flags[f"{order}_CONTIGUOUS"] and wt.grad.shape == (4, 3)
        grads.append((xt.grad, wt.grad))
    np.testing.assert_allclose(grads[1][1], np.einsum("bno,bni->oi", g, xs))
    for a, c in zip(*grads):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"linear: expected x of shape \(\.\.\., in\).*x \(5, 2\)"):
        al.linear(Tensor(np.ones((5, 2))), w, b)


# Rows whose values are all equal (zero variance) next to ordinary ones.
_FLAT_ROWS = np.array([[1.0, 1.0, 1.0], [2.0, -1.0, 0.5], [0.0, 0.0, 0.0], [3.0, 3.0, 4.0]])


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("axis, keepdims", [(-1, False), (1, True), (None, False)])
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_and_var_at_zero_variance_match_torch_to_second_order(name, axis, keepdims, ddof):
    # std has no slope where every value is equal (sqrt at 0); PyTorch and HIPS
    # autograd take it as 0 there, and so must we: never NaN.
    torch = pytest.importorskip("torch")
    x = _FLAT_ROWS if axis is not None else np.full((2, 3), 0.5)
    rng = np.random.default_rng(0)
    w = rng.standard_normal(x.shape)
    t = Tensor(x, requires_grad=True)
    out = getattr(al, name)(t, axis=axis, ddof=ddof, keepdims=keepdims)
    u = rng.standard_normal(out.shape)
    (g,) = al.gradients(out, t, u, create_graph=True)
    (gg,) = al.gradients((g * w).sum(), t)
    tx = torch.tensor(x, requires_grad=True)
    dims = {} if axis is None else {"dim": axis, "keepdim": keepdims}
    tout = getattr(torch, name)(tx, correction=ddof, **dims)
    (tg,) = torch.autograd.grad(tout, tx, torch.tensor(u), create_graph=True)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(w)).sum(), tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    assert np.isfinite(g.data).all() and np.isfinite(gg).all()
    np.testing.assert_allclose(g.data, tg.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gg, tgg.numpy(), atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape", [
    ((2, 3, 0), (4, 0)),  # no input features, batch axes: the output is the bias
    ((0,), (4, 0)),
    ((3, 0), (4, 0)),
    ((2, 3, 5), (0, 5)),  # no output features
    ((2, 0, 5), (4, 5)),  # an empty batch
    ((5,), (4, 5)),
])
def test_linear_with_empty_axes_gives_torch_gradients_to_second_order(x_shape, w_shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xs, ws, bs = (rng.standard_normal(s) for s in (x_shape, w_shape, w_shape[:1]))
    u = rng.standard_normal(x_shape[:-1] + w_shape[:1])
    ts = [torch.tensor(a, requires_grad=True) for a in (xs, ws, bs)]
    expected = torch.autograd.grad(torch.nn.functional.linear(*ts), ts, torch.tensor(u))
    for create_graph in (False, True):
        leaves = [Tensor(a, requires_grad=True) for a in (xs, ws, bs)]
        grads = al.gradients(al.linear(*leaves), leaves, u, create_graph=create_graph)
        for g, e in zip(grads, expected):
            np.testing.assert_allclose(getattr(g, "data", g), e.numpy(), atol=1e-12)
    # And the second derivative runs through the same empty shapes.
    al.gradients(sum((g * g).sum() for g in grads), leaves)


# (pad_width in one of NumPy's spellings, the same widths written out per axis) for an
# input of shape (2, 3).
_PAD_FORMS = [
    (3, ((3, 3), (3, 3))),
    (np.int64(2), ((2, 2), (2, 2))),
    ((3,), ((3, 3), (3, 3))),
    ((1, 2), ((1, 2), (1, 2))),
    (((1, 2),), ((1, 2), (1, 2))),
    ([[1, 2]], ((1, 2), (1, 2))),
    (((1,), (2,)), ((1, 1), (2, 2))),  # per axis, n on both sides
    (((1, 2), (0, 1)), ((1, 2), (0, 1))),
    (np.array([[0, 2], [1, 0]]), ((0, 2), (1, 0))),
]


@pytest.mark.parametrize("pad_width, per_axis", _PAD_FORMS)
def test_pad_reads_every_short_pad_width_as_numpy_and_torch_do(pad_width, per_axis):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3))
    t = Tensor(x, requires_grad=True)
    out = al.pad(t, pad_width, constant_values=0.5)
    np.testing.assert_array_equal(out.data, np.pad(x, pad_width, constant_values=0.5))
    u = rng.standard_normal(out.shape)
    out.backward(u)
    tx = torch.tensor(x, requires_grad=True)
    flat = [w for pair in reversed(per_axis) for w in pair]  # torch: last axis first
    torch.nn.functional.pad(tx, flat, value=0.5).backward(torch.tensor(u))
    np.testing.assert_array_equal(t.grad, tx.grad.numpy())
    al.testing.gradgradcheck(lambda v: al.pad(v, pad_width), x)


def test_transpose_with_a_permutation_that_is_not_its_own_inverse():
    # (1, 2, 0) undone by (2, 0, 1): a VJP that applied the same axes again would get a
    # wrong shape or, for a cube, wrong places. Derandomized CI draws rarely reach it.
    from autograd_lite.testing import gradcheck, gradgradcheck
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 4), (3, 3, 3)]:
        x = rng.standard_normal(shape)
        t = Tensor(x, requires_grad=True)
        y = t.transpose(1, 2, 0)
        g = rng.standard_normal(y.shape)
        y.backward(g)
        np.testing.assert_array_equal(t.grad, g.transpose(2, 0, 1))
        assert gradcheck(lambda a: al.transpose(a, axes=(1, 2, 0)), x)
        assert gradgradcheck(lambda a: al.transpose(a, axes=(-2, -1, 0)) ** 2, x)


def test_a_float32_leaf_used_through_astype_float64_gets_a_float32_grad():
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
    y = x.astype(np.float64) * np.array([1.0, 1e-10, 3.0])   # float64 downstream
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, np.float32([1.0, 1e-10, 3.0]))
    x.grad = None
    (x.astype(np.float64) ** 2).sum().backward(create_graph=True)
    assert x.grad.dtype == np.float32


def test_batch_norm_with_running_statistics_stays_float32():
    # float64 statistics (as NumPy makes them) must not turn a float32 batch into float64.
    x = Tensor(np.ones((4, 3, 2, 2), np.float32) + np.arange(3, dtype=np.float32)[:, None, None],
               requires_grad=True)
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    out = al.batch_norm(x, w, mean=np.zeros(3), var=np.ones(3))
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float32
