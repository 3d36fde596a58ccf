"""Linear algebra (``np.linalg``): det, slogdet, inv, solve, cholesky, norm. Matrices
are the last two axes; leading axes are a batch (broadcast where NumPy broadcasts).

The property tests draw well-conditioned matrices (``sample_inputs`` builds them from
a drawn seed): near a singular matrix these derivatives blow up, as the functions do.
"""

from __future__ import annotations

import numpy as np

from .base import Op, keepdims_shape, normalize_axis


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _random_matrices(draw, *, spd=False, batch_dims=2, max_n=3, min_n=0):
    """A batch of well-conditioned square matrices from a drawn seed: a random matrix
    plus a multiple of the identity that keeps it well away from singular (for
    ``spd``, ``M M^T + n I``: symmetric positive definite). Some get a negative
    determinant (one row negated)."""
    n = draw.integers(min_n, max_n)
    batch = draw.shape(max_dims=batch_dims, max_side=2)
    rng = np.random.default_rng(draw.integers(0, 2**32 - 1))
    m = rng.uniform(-1, 1, batch + (n, n))
    if spd:
        return m @ _mT(m) + n * np.eye(n), batch, n
    a = m + (n + 1) * np.eye(n)
    if n and draw.booleans():
        a[..., 0, :] *= -1
    return a, batch, n


def _check_square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name}: expected square matrices in the last two axes, shape (..., n, n); "
                         f"got shape {a.shape}")


class _Matrix(Op):
    kind = "custom"

    @classmethod
    def sample_inputs(cls, draw):
        return [_random_matrices(draw)[0]], {}


class Det(_Matrix):
    """``out = det(a)``.

    Notes
    -----
    VJP::

        da = g * out * inv(a)^T        (g and out with two trailing axes added)
    """
    name = "det"

    @staticmethod
    def forward(a):
        _check_square("det", a)
        return np.asarray(np.linalg.det(a))

    @staticmethod
    def vjp(g, out, a):
        return (np.expand_dims(g * out, (-1, -2)) * _mT(Inv.dispatch(a)),)

    @staticmethod
    def jvp(tangents, out, a):
        # d det = det * trace(a^-1 t)
        return out * np.sum(_mT(Inv.dispatch(a)) * tangents[0], axis=(-2, -1))


class Slogdet(_Matrix):
    """``out = log|det(a)|``, the second half of ``np.linalg.slogdet``. ``al.slogdet(a)``
    returns NumPy's pair ``(sign, logabsdet)``, the sign a constant.

    Notes
    -----
    VJP::

        da = g * inv(a)^T
    """
    name = "slogdet"

    @staticmethod
    def forward(a):
        _check_square("slogdet", a)
        return np.asarray(np.linalg.slogdet(a)[1])

    @staticmethod
    def vjp(g, out, a):
        return (np.expand_dims(g, (-1, -2)) * _mT(Inv.dispatch(a)),)

    @staticmethod
    def jvp(tangents, out, a):
        return np.sum(_mT(Inv.dispatch(a)) * tangents[0], axis=(-2, -1))


class Inv(_Matrix):
    """``out = inv(a)``, the matrix inverse.

    Notes
    -----
    VJP::

        da = -out^T @ g @ out^T
    """
    name = "inv"

    @staticmethod
    def forward(a):
        _check_square("inv", a)
        return np.linalg.inv(a)

    @staticmethod
    def vjp(g, out, a):
        return (-(_mT(out) @ g @ _mT(out)),)

    @staticmethod
    def jvp(tangents, out, a):
        return -(out @ tangents[0] @ out)


class Solve(Op):
    """``out = solve(a, b)``: ``x`` with ``a @ x = b``. ``b`` is one vector when 1-D, else
    a batch of matrices (..., n, k), as in NumPy 2.

    Notes
    -----
    VJP::

        db = solve(a^T, g)
        da = -db @ out^T
    """
    name, arity = "solve", 2
    kind = "custom"

    @classmethod
    def sample_inputs(cls, draw):
        a, batch, n = _random_matrices(draw)
        if draw.booleans():
            return [a, (n,)], {}
        bbatch = batch[draw.integers(0, len(batch)):] if batch else ()
        return [a, bbatch + (n, draw.integers(0, 3))], {}

    @staticmethod
    def forward(a, b):
        _check_square("solve", a)
        return np.linalg.solve(a, b)

    @staticmethod
    def vjp(g, out, a, b, needs):
        vec = b.ndim == 1
        db = Solve.dispatch(_mT(a), np.expand_dims(g, -1) if vec else g)
        da = None
        if needs[0]:
            da = -(db @ _mT(np.expand_dims(out, -1) if vec else out))
        if vec:
            db = np.squeeze(db, -1)
        return da, (db if needs[1] else None)

    @staticmethod
    def jvp(tangents, out, a, b):
        ta, tb = tangents
        vec = b.ndim == 1
        rhs = 0
        if tb is not None:
            rhs = np.expand_dims(tb, -1) if vec else tb
        if ta is not None:
            rhs = rhs - ta @ (np.expand_dims(out, -1) if vec else out)
        t = Solve.dispatch(a, rhs)
        return np.squeeze(t, -1) if vec else t


class Cholesky(_Matrix):
    """``out = cholesky(a)``: lower-triangular ``L`` with ``L @ L^T = a``, for symmetric
    positive definite ``a``. Of ``(a + a^T) / 2`` in fact, as in JAX: NumPy reads only
    the lower triangle, and a function of half the entries would have a one-sided
    gradient; for a symmetric ``a`` the two agree.

    Notes
    -----
    VJP::

        phi(X) = tril(X) with its diagonal halved
        S = L^-T phi(L^T g) L^-1
        da = (S + S^T) / 2
    """
    name = "cholesky"

    @classmethod
    def sample_inputs(cls, draw):
        return [_random_matrices(draw, spd=True)[0]], {}

    @staticmethod
    def forward(a):
        _check_square("cholesky", a)
        return np.linalg.cholesky((a + _mT(a)) * 0.5)

    @staticmethod
    def _phi(x):
        n = x.shape[-1]
        return np.tril(x) * (1 - 0.5 * np.eye(n, dtype=x.dtype))

    @staticmethod
    def vjp(g, out, a):
        lt = _mT(out)
        # S = L^-T phi(L^T g) L^-1, by two solves with L^T.
        p = Cholesky._phi(lt @ g)
        s = _mT(Solve.dispatch(lt, _mT(Solve.dispatch(lt, p))))
        return ((s + _mT(s)) * 0.5,)

    @staticmethod
    def jvp(tangents, out, a):
        # dL = L phi(L^-1 sym(t) L^-T)
        t = (tangents[0] + _mT(tangents[0])) * 0.5
        m = Solve.dispatch(out, _mT(Solve.dispatch(out, t)))   # L^-1 (L^-1 t^T)^T = L^-1 t L^-T
        return out @ Cholesky._phi(m)


_MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)


class Norm(Op):
    """``out = norm(x, ord, axis, keepdims)``, ``np.linalg.norm``: a vector norm over one
    axis (``ord`` None or 2, 1, inf, -inf, 0 or any p) or a matrix norm over two
    (``ord`` None or 'fro', 1, -1, inf, -inf, 2, -2, 'nuc'); ``axis=None`` means the
    whole of a 1-D or 2-D ``x``, or the flattened ``x`` with ``ord=None``.

    Notes
    -----
    VJP::

        dx = g * w,   w = d out / dx:
        2-norm, 'fro':    w = x / out                 (0 where out = 0)
        p-norm:           w = sign(x) |x|**(p-1) / out**(p-1)
        1-norm:           w = sign(x)
        inf, -inf:        w = sign(x) at the largest (smallest) |x|, ties sharing
        matrix 1, inf:    w = sign(x) in the column (row) of largest abs sum, likewise
        'nuc':            w = U V^T;   2, -2:   w = u v^T of the largest (smallest) singular value
        ord=0 (a count):  w = 0

    At ``x = 0`` the 2-norm's gradient is taken as 0 (a subgradient), not NaN. The
    singular-value norms ('nuc', 2, -2 of a matrix) have no second derivative here
    (their weights come from an SVD of the values).
    """
    name = "norm"
    kind = "custom"

    @classmethod
    def sample_inputs(cls, draw):
        # Values with distinct magnitudes (and distinct row and column sums), away
        # from 0, so that the max- and p-norms are differentiable at them.
        if draw.booleans():
            shape = draw.shape(min_dims=1, max_dims=3, max_side=3)
            axis = None if len(shape) == 1 and draw.booleans() else draw.axes(len(shape), single=True)
            ord_ = draw.sampled_from([None, 2, 1, 3, 0.5, -1.5, np.inf, -np.inf, 0])
        else:
            shape = draw.shape(min_dims=2, max_dims=3, min_side=1, max_side=3)
            axis = None if len(shape) == 2 and draw.booleans() else tuple(draw.permutation(range(len(shape)))[:2])
            ord_ = draw.sampled_from([None, "fro", 1, -1, np.inf, -np.inf])
        if ord_ is None and draw.booleans():   # the whole array, any shape
            shape, axis = draw.shape(max_dims=3, max_side=3), None
        rng = np.random.default_rng(draw.integers(0, 2**32 - 1))
        x = rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        return [x], {"ord": ord_, "axis": axis, "keepdims": draw.booleans()}

    @staticmethod
    def _axes(x, ord, axis):
        if axis is None:
            if ord is None:
                return tuple(range(x.ndim)), False
            if x.ndim not in (1, 2):
                raise ValueError(f"norm: with ord={ord!r} and axis=None the input must be 1-D or "
                                 f"2-D; got shape {x.shape}")
            axes = tuple(range(x.ndim))
        else:
            if not isinstance(axis, (int, np.integer, tuple, list)):
                raise TypeError(f"norm: axis must be None, an int or a pair of ints, got {axis!r}")
            axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
            # In the given order: a matrix norm's first axis holds its rows.
            axes = tuple(normalize_axis(a, x.ndim, "norm")[0] for a in axes)
            if len(set(axes)) != len(axes):
                raise ValueError(f"norm: repeated axis in {axis!r}")
        if len(axes) == 2:
            if ord not in _MATRIX_ORDS:
                raise ValueError(f"norm: invalid ord {ord!r} for a matrix norm; expected one of "
                                 f"None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf")
            return axes, True
        if len(axes) != 1:
            raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")
        if isinstance(ord, str):
            raise ValueError(f"norm: ord={ord!r} is a matrix norm; a vector norm takes a number")
        return axes, False

    @staticmethod
    def forward(x, ord=None, axis=None, keepdims=False):
        Norm._axes(x, ord, axis)
        return np.asarray(np.linalg.norm(x, ord, axis, keepdims))

    @staticmethod
    def _weights(x, out, ord, axis, keepdims):
        """``w = d out / dx`` (broadcast against x), and the reduced axes."""
        axes, matrix = Norm._axes(x, ord, axis)
        kd = keepdims_shape(x.shape, axes)
        o = out.reshape(kd) if not keepdims else out
        if ord is None or ord == "fro" or (ord == 2 and not matrix):
            safe = np.where(o == 0, 1, o)
            return np.where(o == 0, 0, x / safe), axes
        if not matrix:
            if ord == 0:
                return x * 0, axes
            if ord == 1:
                return np.sign(x), axes
            if ord in (np.inf, -np.inf):
                hit = np.abs(x) == o
                return np.sign(x) * hit / np.sum(hit, axis=axes, keepdims=True), axes
            return np.sign(x) * (np.abs(x) / o) ** (ord - 1), axes
        a0, a1 = axes
        if ord in (1, -1, np.inf, -np.inf):
            along = a0 if ord in (1, -1) else a1      # 1: sums over rows, per column
            sums = np.sum(np.abs(x), axis=along, keepdims=True)
            hit = sums == o
            return np.sign(x) * hit / np.sum(hit, axis=axes, keepdims=True), axes
        if not isinstance(x, np.ndarray):
            raise TypeError(f"norm: ord={ord!r} matrix norms have no second derivative here "
                            f"(their gradient comes from an SVD of the values)")
        xm = np.moveaxis(x, (a0, a1), (-2, -1))
        u, s, vt = np.linalg.svd(xm, full_matrices=False)
        if ord == "nuc":
            w = u @ vt
        else:
            k = 0 if ord == 2 else -1
            w = u[..., :, k:k + 1 or None] @ vt[..., k:k + 1 or None, :]
        return np.moveaxis(w, (-2, -1), (a0, a1)), axes

    @staticmethod
    def vjp(g, out, x, ord=None, axis=None, keepdims=False):
        w, axes = Norm._weights(x, out, ord, axis, keepdims)
        g = g if keepdims else g.reshape(keepdims_shape(x.shape, axes))
        return (g * w,)

    @staticmethod
    def jvp(tangents, out, x, ord=None, axis=None, keepdims=False):
        w, axes = Norm._weights(x, out, ord, axis, keepdims)
        return np.sum(w * tangents[0], axis=axes, keepdims=keepdims)
