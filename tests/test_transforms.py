"""The transforms against analytic results and central differences: jacobian of a
linear map, Hessian of a quadratic form, JVP = J v, VJP = uᵀJ, hvp = H v, forward-mode
= reverse-mode Jacobian; pytrees and has_aux; nesting; errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase

import autograd_lite as al
from autograd_lite.ops import Op
from autograd_lite.testing import temporary_registry

rng = np.random.default_rng(0)


def t64(*shape):
    return al.tensor(rng.standard_normal(shape))


def numerical_jacobian(f, x, eps=1e-6):
    """d f(x) / d x by central differences, shape f(x).shape + x.shape (arrays in, array out)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = eps
        jac[(...,) + k] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return jac


def mlp(x, p):
    """A small nonlinear function with matmuls, broadcasting and reductions."""
    h = al.tanh(x @ p["w1"] + p["b1"])
    return al.softmax(h @ p["w2"], axis=-1) * al.exp(-al.sum(x * x, axis=-1, keepdims=True))


def params():
    return {"w1": t64(3, 4), "b1": t64(4), "w2": t64(4, 2)}


# ---- analytic results ---------------------------------------------------------------

@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_of_a_linear_map_is_its_matrix(mode):
    A, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    J = al.jacobian(lambda x: al.tensor(A) @ x + b, mode=mode)(t64(4))
    np.testing.assert_allclose(J.data, A, rtol=1e-14)
    # Batched in and out: J[i, j, k, l] = d out[i, j] / d X[k, l] = A[j, l] [i == k].
    J = al.jacobian(lambda X: X @ al.tensor(A.T), mode=mode)(t64(2, 4))
    np.testing.assert_allclose(J.data, np.einsum("ik,jl->ijkl", np.eye(2), A), atol=1e-14)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose(mode):
    A = rng.standard_normal((4, 4))
    f = lambda x: x @ al.tensor(A) @ x  # noqa: E731
    H = al.hessian(f)(t64(4))
    np.testing.assert_allclose(H.data, A + A.T, rtol=1e-12)
    # The same from a Jacobian of the gradient in either mode.
    H2 = al.jacobian(al.grad(f), mode=mode)(t64(4))
    np.testing.assert_allclose(H2.data, A + A.T, rtol=1e-12)


def test_jvp_is_j_times_v_and_vjp_is_u_transpose_j():
    p, x = params(), t64(5, 3)
    f = lambda x: mlp(x, p)  # noqa: E731
    J = numerical_jacobian(lambda a: f(al.tensor(a)).data, x.data).reshape(10, 15)
    v, u = t64(5, 3), t64(5, 2)
    out, jv = al.jvp(f, (x,), (v,))
    np.testing.assert_allclose(out.data, f(x).data)
    np.testing.assert_allclose(jv.data.ravel(), J @ v.data.ravel(), rtol=1e-6, atol=1e-9)
    out, vjp_fn = al.vjp(f, x)
    (ju,) = vjp_fn(u)
    np.testing.assert_allclose(ju.data.ravel(), u.data.ravel() @ J, rtol=1e-6, atol=1e-9)
    (ju2,) = vjp_fn(u * 2)   # vjp_fn can be called again
    np.testing.assert_allclose(ju2.data, 2 * ju.data, rtol=1e-14)


def test_hvp_is_h_times_v_without_forming_h():
    # f = sum(sin(x) * x**2): H is diagonal, 2 sin x + 4 x cos x - x**2 sin x.
    f = lambda x: al.sum(al.sin(x) * x * x)  # noqa: E731
    x, v = t64(6), t64(6)
    xs = x.data
    h = 2 * np.sin(xs) + 4 * xs * np.cos(xs) - xs ** 2 * np.sin(xs)
    np.testing.assert_allclose(al.hvp(f)(x, v).data, h * v.data, rtol=1e-12)
    np.testing.assert_allclose(al.hessian(f)(x).data, np.diag(h), rtol=1e-12, atol=1e-15)
    # Reverse over reverse agrees.
    rr = al.grad(lambda y: al.sum(al.grad(f)(y) * v))(x)
    np.testing.assert_allclose(rr.data, h * v.data, rtol=1e-12)


def test_forward_mode_and_reverse_mode_jacobians_agree_with_central_differences():
    p, x = params(), t64(2, 3)
    f = lambda x, p: mlp(x, p)  # noqa: E731
    fwd = al.jacobian(f, argnums=(0, 1), mode="forward")(x, p)
    rev = al.jacobian(f, argnums=(0, 1), mode="reverse")(x, p)
    jx_num = numerical_jacobian(lambda a: f(al.tensor(a), p).data, x.data)
    np.testing.assert_allclose(fwd[0].data, jx_num, rtol=1e-6, atol=1e-9)
    for name in p:
        np.testing.assert_allclose(fwd[1][name].data, rev[1][name].data, rtol=1e-10, atol=1e-14)
        num = numerical_jacobian(lambda a: f(x, {**p, name: al.tensor(a)}).data, p[name].data)
        np.testing.assert_allclose(rev[1][name].data, num, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fwd[0].data, rev[0].data, rtol=1e-10, atol=1e-14)


def test_elementwise_grad_is_the_derivative_at_every_element():
    x = t64(7)
    np.testing.assert_allclose(al.elementwise_grad(al.tanh)(x).data, 1 - np.tanh(x.data) ** 2, rtol=1e-14)
    # Not elementwise: the sum of each column of J (here J = A, so A's column sums).
    A = rng.standard_normal((3, 4))
    np.testing.assert_allclose(al.elementwise_grad(lambda x: al.tensor(A) @ x)(t64(4)).data,
                               A.sum(axis=0), rtol=1e-14)


# ---- pytrees and has_aux --------------------------------------------------------------

def test_grad_over_a_dict_of_parameters_matches_backward():
    p, x = params(), t64(5, 3)
    g = al.grad(lambda p: al.sum(mlp(x, p) ** 2))(p)
    assert list(g) == list(p)
    leaves = {k: al.tensor(v.data, requires_grad=True) for k, v in p.items()}
    al.sum(mlp(x, leaves) ** 2).backward()
    for k in p:
        np.testing.assert_allclose(g[k].data, leaves[k].grad, rtol=1e-12)


def test_grad_over_an_nn_state_dict():
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    state = {k: v for k, v in model.named_parameters()}

    def loss(state):
        h = al.tanh(al.linear(al.tensor(x), state["0.weight"], state["0.bias"]))
        return al.sum(al.linear(h, state["2.weight"], state["2.bias"]) ** 2)

    g = al.grad(loss)(state)
    model(al.tensor(x)).__pow__(2).sum().backward()
    for k, prm in model.named_parameters():
        np.testing.assert_allclose(g[k].data, prm.grad, rtol=1e-5, atol=1e-6)


def test_pytrees_in_and_out_of_every_transform():
    x = {"a": t64(2), "b": [t64(3)]}
    f = lambda x: (x["a"] * 2, {"s": al.sum(x["b"][0] ** 2)})  # noqa: E731
    out, t = al.jvp(f, (x,), ({"b": [al.tensor(np.ones(3))], "a": al.tensor(np.ones(2))},))
    np.testing.assert_allclose(t[0].data, 2.0)
    np.testing.assert_allclose(t[1]["s"].data, 2 * x["b"][0].data.sum())
    out, vjp_fn = al.vjp(f, x)
    (ct,) = vjp_fn((al.tensor(np.ones(2)), {"s": al.tensor(1.0)}))
    np.testing.assert_allclose(ct["a"].data, 2.0)
    np.testing.assert_allclose(ct["b"][0].data, 2 * x["b"][0].data)
    J = al.jacobian(f)(x)       # the output's structure of the input's structure of blocks
    assert J[0]["a"].shape == (2, 2) and J[0]["b"][0].shape == (2, 3) and J[1]["s"]["b"][0].shape == (3,)
    np.testing.assert_allclose(J[0]["a"].data, 2 * np.eye(2))
    np.testing.assert_allclose(J[0]["b"][0].data, 0.0)
    H = al.hessian(lambda x: al.sum(x["a"] ** 3) + al.sum(x["a"]) * al.sum(x["b"][0]))(x)
    np.testing.assert_allclose(H["a"]["a"].data, np.diag(6 * x["a"].data), rtol=1e-12)
    np.testing.assert_allclose(H["a"]["b"][0].data, np.ones((2, 3)))
    hv = al.hvp(lambda x: al.sum(x["a"] ** 3))(x, {"a": al.tensor(np.ones(2)), "b": [al.tensor(np.ones(3))]})
    np.testing.assert_allclose(hv["a"].data, 6 * x["a"].data, rtol=1e-12)


def test_has_aux_returns_the_auxiliary_data_untouched():
    x = t64(3)
    f = lambda x: (al.sum(x ** 2), {"note": "aux", "half": x * 0.5})  # noqa: E731
    g, aux = al.grad(f, has_aux=True)(x)
    np.testing.assert_allclose(g.data, 2 * x.data)
    assert aux["note"] == "aux"
    (value, aux), g2 = al.value_and_grad(f, has_aux=True)(x)
    np.testing.assert_allclose(value.data, np.sum(x.data ** 2))
    out, vjp_fn, aux = al.vjp(f, x, has_aux=True)
    assert aux["note"] == "aux" and np.allclose(vjp_fn(al.tensor(1.0))[0].data, 2 * x.data)
    out, t, aux = al.jvp(f, (x,), (al.tensor(np.ones(3)),), has_aux=True)
    np.testing.assert_allclose(t.data, 2 * x.data.sum())
    J, aux = al.jacobian(f, has_aux=True)(x)
    np.testing.assert_allclose(J.data, 2 * x.data)
    with pytest.raises(TypeError, match="has_aux=True the function must return a pair"):
        al.grad(lambda x: al.sum(x), has_aux=True)(x)


# ---- composition and recording ------------------------------------------------------------

def test_reverse_over_forward_and_forward_over_forward():
    f = lambda x: al.sin(x) * x  # noqa: E731
    x, v = t64(4), t64(4)
    xs, vs = x.data, v.data
    second = 2 * np.cos(xs) - xs * np.sin(xs)          # (x sin x)''
    g = al.grad(lambda y: al.sum(al.jvp(f, (y,), (v,))[1]))(x)
    np.testing.assert_allclose(g.data, second * vs, rtol=1e-12)
    tt = al.jvp(lambda y: al.jvp(f, (y,), (v,))[1], (x,), (v,))[1]
    np.testing.assert_allclose(tt.data, second * vs * vs, rtol=1e-12)


def test_a_variable_closed_over_is_differentiated_through_a_jvp():
    # d/dw of jvp(x -> x * w)(x; v) = d/dw (v * w) = v: through the closure, not zero.
    x, v = t64(3), t64(3)
    g = al.grad(lambda w: al.sum(al.jvp(lambda y: y * w * w, (x,), (v,))[1]))(al.tensor(np.array(2.0)))
    np.testing.assert_allclose(g.data, 2 * 2.0 * v.data.sum(), rtol=1e-12)
    g = al.grad(lambda w: al.sum(al.jacobian(lambda y: y * w * w, mode="forward")(x)))(al.tensor(np.array(2.0)))
    np.testing.assert_allclose(g.data, 2 * 2.0 * 3, rtol=1e-12)


def test_results_are_recorded_only_when_something_needs_it():
    x, v = t64(3), t64(3)
    _, t = al.jvp(al.sin, (x,), (v,))
    assert not t.requires_grad
    w = al.tensor(np.ones(3), requires_grad=True)
    _, t = al.jvp(lambda y: al.sin(y * w), (x,), (v,))
    assert t.requires_grad    # depends on a parameter: w.grad can be had from it
    t.sum().backward()
    np.testing.assert_allclose(w.grad, -np.sin(x.data) * x.data * v.data + np.cos(x.data) * v.data, rtol=1e-12)
    with al.no_grad():
        _, t = al.jvp(lambda y: al.sin(y * w), (x,), (v,))
    assert not t.requires_grad


# ---- rules: a wrong JVP rule is caught --------------------------------------------------

def test_the_forward_mode_property_catches_a_wrong_jvp_rule():
    import test_forward_mode as tfm

    with temporary_registry():
        class ExpClaimedLinear(Op):
            """``out = exp(x)``, with the wrong claim that it is linear.

            Notes
            -----
            VJP::

                dx = g * out
            """
            name = "exp_claimed_linear"
            jvp_rule = "linear"

            @staticmethod
            def forward(x):
                return np.exp(x)

            @staticmethod
            def vjp(g, out, x):
                return (g * out,)

        with pytest.raises(AssertionError, match="central differences"):
            # No shrinking: the first failing call is proof enough, and quick.
            tfm.check_jvp(ExpClaimedLinear, phases=[Phase.generate])


def test_an_op_without_a_rule_gets_its_jvp_from_its_vjp():
    with temporary_registry():
        class Cube(Op):
            """``out = x**3``.

            Notes
            -----
            VJP::

                dx = 3 g x**2
            """
            name = "cube_no_rule"

            @staticmethod
            def forward(x):
                return x ** 3

            @staticmethod
            def vjp(g, out, x):
                return (3 * g * x * x,)

        x, v = t64(4), t64(4)
        _, t = al.jvp(lambda y: Cube.apply(y), (x,), (v,))
        np.testing.assert_allclose(t.data, 3 * x.data ** 2 * v.data, rtol=1e-14)


# ---- errors ---------------------------------------------------------------------------------

def test_transform_errors_name_the_problem():
    x = t64(3)
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\), but its primal has shape \(3,\)"):
        al.jvp(al.sin, (x,), (al.tensor(np.ones(2)),))
    with pytest.raises(ValueError, match="tangents must have the structure"):
        al.jvp(al.sin, (x,), ([x],))
    with pytest.raises(TypeError, match="primals and tangents must be tuples"):
        al.jvp(al.sin, x, x)
    with pytest.raises(ValueError, match="mode must be 'auto', 'forward' or 'reverse'"):
        al.jacobian(al.sin, mode="sideways")
    with pytest.raises(TypeError, match="argnums=2 needs at least 3 positional arguments"):
        al.grad(lambda a: al.sum(a), argnums=2)(x)
    with pytest.raises(TypeError, match="must return a one-element Tensor"):
        al.grad(al.sin)(x)
    with pytest.raises(ValueError, match="the cotangent must have the structure"):
        al.vjp(lambda y: (y, y), x)[1](x)


def test_jvp_refuses_a_graph_modified_in_place():
    def f(y):
        z = y * 2
        w = al.tensor(np.ones(3))
        out = z * w
        with al.no_grad():
            w += 1       # out's node saved w; the tangent would be wrong
        return out

    with pytest.raises(al.InplaceModificationError, match="modified in place"):
        al.jvp(f, (t64(3),), (t64(3),))
