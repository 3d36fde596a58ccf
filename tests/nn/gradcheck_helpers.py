"""A small float64 gradient checker for the nn tests (until ``autograd_lite.testing`` lands).

``check_grad(f, wrt)`` draws a random cotangent ``u`` for ``f()``'s output and
backpropagates it, giving ``J^T u`` for every tensor in ``wrt``. It compares that
with central differences of the scalar ``<u, f()>``: element by element for small
tensors (the full row ``u^T J``), and along random directions ``v`` for all the
tensors at once (``<J^T u, v>`` against the numeric directional derivative).
``f`` reads the tensors in ``wrt`` (inputs or a module's parameters), which are
perturbed in place.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

import autograd_lite as al


def check_grad(f: Callable[[], al.Tensor], wrt: Sequence[al.Tensor], *, seed: int = 0,
               eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7,
               full_max: int = 60, n_dirs: int = 3) -> None:
    rng = np.random.default_rng(seed)
    for t in wrt:
        assert t.dtype == np.float64, f"gradient checks run in float64, got {t.dtype}"
        assert t.requires_grad, "every tensor checked must require grad"
        t.grad = None
    out = f()
    u = rng.standard_normal(out.shape)
    out.backward(u)
    grads = [np.zeros(t.shape) if t.grad is None else np.array(t.grad) for t in wrt]

    def phi() -> float:
        with al.no_grad():
            return float(np.sum(f().data * u))

    for k, (t, g) in enumerate(zip(wrt, grads)):
        if t.size > full_max:
            continue
        num = np.empty(t.shape)
        flat = t.data.reshape(-1)  # a view: writes perturb the tensor itself
        for j in range(t.size):
            orig = flat[j]
            flat[j] = orig + eps
            fp = phi()
            flat[j] = orig - eps
            fm = phi()
            flat[j] = orig
            num.flat[j] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(g, num, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {k} (shape {t.shape})")

    for _ in range(n_dirs):
        vs = [rng.standard_normal(t.shape) for t in wrt]
        origs = [t.data.copy() for t in wrt]
        for t, o, v in zip(wrt, origs, vs):
            t.data[...] = o + eps * v
        fp = phi()
        for t, o, v in zip(wrt, origs, vs):
            t.data[...] = o - eps * v
        fm = phi()
        for t, o in zip(wrt, origs):
            t.data[...] = o
        numeric = (fp - fm) / (2 * eps)
        analytic = sum(float(np.sum(g * v)) for g, v in zip(grads, vs))
        assert abs(analytic - numeric) <= atol * 10 + rtol * 10 * abs(numeric), \
            f"<J^T u, v> = {analytic} but the directional derivative is {numeric}"


def leaf(x: np.ndarray | Sequence[float]) -> al.Tensor:
    """A float64 leaf that requires grad."""
    return al.Tensor(np.array(x, dtype=np.float64), requires_grad=True)

