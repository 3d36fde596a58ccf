"""A minimal float64 gradient checker for the engine's own tests.

Central differences against the engine's VJP, contracted with a random cotangent
``u`` and a random direction ``v``:  <u, J v> (numeric) == <J^T u, v> (engine).
"""

from __future__ import annotations

import numpy as np

import autograd_lite as al
from autograd_lite.ops import Op

EPS = 1e-6



def directional(op: type[Op], xs: list[np.ndarray], params: dict, rng: np.random.Generator,
                rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Assert the VJP of ``op`` at ``xs`` matches central differences."""
    diff = [i for i, x in enumerate(xs) if x.dtype.kind == "f" and i not in op.nondiff]
    leaves = [al.Tensor(x, requires_grad=i in diff, dtype=x.dtype) for i, x in enumerate(xs)]
    out = op.apply(leaves, **params) if op.arity is None else op.apply(*leaves, **params)
    assert out.shape == op.forward(*xs, **params).shape
    if not diff:
        return
    u = rng.standard_normal(out.shape)
    vs = {i: rng.standard_normal(xs[i].shape) for i in diff}
    out.backward(u)
    for i in diff:
        g = leaves[i].grad
        assert g is not None and g.shape == xs[i].shape and g.dtype == xs[i].dtype, \
            f"{op.name}: gradient of input {i} has shape/dtype {getattr(g, 'shape', None)}/" \
            f"{getattr(g, 'dtype', None)}, expected {xs[i].shape}/{xs[i].dtype}"
    plus = [x + EPS * vs[i] if i in vs else x for i, x in enumerate(xs)]
    minus = [x - EPS * vs[i] if i in vs else x for i, x in enumerate(xs)]
    numeric = np.sum(u * (op.forward(*plus, **params) - op.forward(*minus, **params))) / (2 * EPS)
    analytic = sum(np.sum(leaves[i].grad * vs[i]) for i in diff)
    scale = max(1.0, abs(numeric))
    assert abs(numeric - analytic) <= atol * scale + rtol * abs(numeric) + 1e-7 * sum(
        np.abs(u).sum() * np.abs(vs[i]).sum() for i in diff) ** 0.5, \
        f"{op.name}: <u, J v> numeric {numeric!r} != analytic {analytic!r} (params {params})"


def second_order(op: type[Op], xs: list[np.ndarray], params: dict, rng: np.random.Generator,
                 rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Assert the derivative of h(x) = <VJP(x, u), w> matches central differences of h."""
    diff = [i for i, x in enumerate(xs) if x.dtype.kind == "f" and i not in op.nondiff]
    if not diff:
        return
    probe = op.forward(*xs, **params)
    u = rng.standard_normal(probe.shape)
    ws = {i: rng.standard_normal(xs[i].shape) for i in diff}
    vs = {i: rng.standard_normal(xs[i].shape) for i in diff}

    def h(arrays, record):
        leaves = [al.Tensor(x, requires_grad=i in diff, dtype=x.dtype) for i, x in enumerate(arrays)]
        out = op.apply(leaves, **params) if op.arity is None else op.apply(*leaves, **params)
        dxs = al.gradients(out, [leaves[i] for i in diff], u, create_graph=True)
        total = sum(((dx if dx is not None else al.zeros_like(leaves[i])) * ws[i]).sum()
                    for i, dx in zip(diff, dxs))
        return total, leaves

    total, leaves = h(xs, True)
    if not total.requires_grad:  # the VJP does not depend on x (a linear op)
        hessian = {i: np.zeros_like(xs[i]) for i in diff}
    else:
        grads = al.gradients(total, [leaves[i] for i in diff])
        hessian = {i: np.zeros_like(xs[i]) if g is None else np.asarray(g.data) for i, g in zip(diff, grads)}
    plus = [x + EPS * vs[i] if i in vs else x for i, x in enumerate(xs)]
    minus = [x - EPS * vs[i] if i in vs else x for i, x in enumerate(xs)]
    numeric = (h(plus, False)[0].item() - h(minus, False)[0].item()) / (2 * EPS)
    analytic = sum(np.sum(hessian[i] * vs[i]) for i in diff)
    assert abs(numeric - analytic) <= atol * max(1.0, abs(numeric)) + rtol * abs(numeric), \
        f"{op.name}: second derivative numeric {numeric!r} != analytic {analytic!r} (params {params})"
