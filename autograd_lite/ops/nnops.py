"""Softmax, log-softmax and the fused softmax cross-entropy."""

from __future__ import annotations

import math

import numpy as np

from .base import Op
from .reduce import Logsumexp


def _rows(n: int) -> np.ndarray:
    """``arange(n)``, read-only and kept for batch-sized ``n``: a training loop picks
    the labelled logits of a batch of the same size every step, and a fresh arange
    costs a NumPy call each time. Larger ``n`` (a whole dataset at once) is not worth
    keeping in memory."""
    rows = _ROWS.get(n)
    if rows is None:
        rows = np.arange(n)
        if n <= 65536:
            rows.flags.writeable = False
            if len(_ROWS) >= 8:  # a few batch sizes (train, last batch, evaluation)
                _ROWS.clear()
            _ROWS[n] = rows
    return rows


_ROWS: dict[int, np.ndarray] = {}


class Softmax(Op):
    """``out = exp(x) / sum(exp(x), axis)``, shifted by the max (never overflows).

    Notes
    -----
    VJP::

        dx = out * (g - sum(g * out, axis))
    """
    name = "softmax"
    kind = "reduction"
    params = {}

    @staticmethod
    def forward(x, axis=-1):
        try:
            e = np.exp(x - np.max(x, axis=axis, keepdims=True)) if x.size else np.exp(x)
            return e / np.sum(e, axis=axis, keepdims=True)
        except TypeError:  # x is a float array: the axis is what NumPy could not use
            raise TypeError(f"softmax: axis must be an int, got {axis!r}") from None

    @staticmethod
    def vjp(g, out, x, axis=-1):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    @staticmethod
    def jvp(tangents, out, x, axis=-1):
        t = tangents[0]
        return out * (t - (out * t).sum(axis=axis, keepdims=True))


class LogSoftmax(Op):
    """``out = x - logsumexp(x, axis)``; finite for logits of any size.

    Notes
    -----
    VJP::

        dx = g - exp(out) * sum(g, axis)
    """
    name = "log_softmax"
    kind = "reduction"
    params = {}

    @staticmethod
    def forward(x, axis=-1):
        return x - Logsumexp.forward(x, axis=axis, keepdims=True)

    @staticmethod
    def vjp(g, out, x, axis=-1):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    @staticmethod
    def jvp(tangents, out, x, axis=-1):
        t = tangents[0]
        return t - (np.exp(out) * t).sum(axis=axis, keepdims=True)


class CrossEntropy(Op):
    """Softmax cross-entropy from ``logits`` (N, C) and integer ``labels`` (N,):
    ``loss_i = logsumexp(logits_i) - logits_i[labels_i]``, then mean, sum or none.

    Notes
    -----
    VJP::

        dlogits = (softmax(logits) - onehot(labels)) * g / N      (reduction='mean')
        dlogits = (softmax(logits) - onehot(labels)) * g          (reduction='sum')
        dlogits = (softmax(logits) - onehot(labels)) * g[:, None] (reduction='none')

    Fused so that the softmax is never differentiated through its division, and
    so that it stays finite for logits of +-1e4.
    """
    name, arity = "cross_entropy", 2
    kind = "custom"
    domain = ("real", "labels")
    nondiff = (1,)
    params = {"reduction": ("mean", "sum", "none")}

    @classmethod
    def sample_inputs(cls, draw):
        params = draw.params()
        # The mean over no rows is NaN, so 'mean' gets at least one row.
        n = draw.integers(1 if params.get("reduction") == "mean" else 0, 5)
        c = draw.integers(1, 5)
        labels = np.array([draw.integers(0, c - 1) for _ in range(n)], dtype=np.int64)
        return [(n, c), labels], params

    @staticmethod
    def forward(logits, labels, reduction="mean"):
        return CrossEntropy.forward_saving(logits, labels, reduction)[0]

    @staticmethod
    def forward_saving(logits, labels, reduction="mean"):
        """The loss, and what the VJP needs: the shifted exponentials and their sums
        computed on the way, and the flat indices of the labelled logits."""
        # The checks and the flat indices written out, not in helpers: this runs on every
        # training step (1.6k of a tiny step's 492k machine instructions, callgrind).
        if logits.ndim != 2:
            raise ValueError(f"cross_entropy: logits must have shape (N, C); got {logits.shape}")
        if logits.dtype.kind != "f":
            raise TypeError(f"cross_entropy: logits must be floating point; got dtype {logits.dtype}")
        n, c = logits.shape
        if labels.shape != (n,) or labels.dtype.kind not in "iu":
            raise ValueError(f"cross_entropy: labels must be integers of shape ({n},) "
                             f"for logits of shape {logits.shape}; got shape {labels.shape}, "
                             f"dtype {labels.dtype}")
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        # The flat indices labels[i] * N + i of the labelled logits in the (C, N)
        # transpose the loss works on: one call that also checks every label against
        # [0, C), negative ones included; and a flat index picks or updates entries in
        # about half the time a pair of index arrays takes.
        rows = _ROWS.get(n)  # _rows(n)'s cache, without its call
        if rows is None:
            rows = _rows(n)
        try:
            flat = np.ravel_multi_index((labels, rows), (c, n))
        except ValueError:
            raise ValueError(f"cross_entropy: labels must lie in [0, {c}) for logits of "
                             f"shape {logits.shape}; got values in [{labels.min()}, {labels.max()}]") from None
        out, exps, sums = CrossEntropy._loss(logits, flat, reduction, finite_shift=False)
        # Checked once on the result rather than on every row's max: only an infinite
        # logit makes the loss non-finite, and then the shift must skip it.
        if not math.isfinite(out if reduction != "none" else np.add.reduce(out)):
            with np.errstate(invalid="ignore", divide="ignore"):
                out, exps, sums = CrossEntropy._loss(logits, flat, reduction, finite_shift=True)
        return out, (exps, sums, flat)

    @staticmethod
    def _loss(logits, flat, reduction, finite_shift):
        # loss_i = log(sum_c exp(z_ic)) - z_i,label with z = logits - rowmax, which
        # never overflows. Worked on the transpose, a (C, N) C-contiguous copy: a
        # reduction over each row's C classes is then C vector passes over N values,
        # where on (N, C) NumPy loops row by row (128x10: row max 9.8 us that way,
        # 2.0 us this way). Ufunc reductions, not ndarray methods, and in-place updates
        # of our own temporaries: this runs on every training step, where NumPy's
        # Python-level wrappers and extra allocations cost more than the arithmetic.
        n = len(flat)
        zt = logits.T.copy()
        m = np.maximum.reduce(zt, axis=0) if zt.size else np.zeros(n, zt.dtype)
        if finite_shift:
            m[~np.isfinite(m)] = 0  # a row with an infinite max: any finite shift works
        zt -= m
        picked = zt.reshape(-1)[flat]  # zt is a new array: reshape is a view
        e = np.exp(zt, out=zt)
        s = np.add.reduce(e, axis=0)
        losses = np.log(s)
        losses -= picked
        if reduction == "none":
            out = losses
        elif reduction == "sum":
            out = np.add.reduce(losses)
        else:
            out = np.add.reduce(losses) / n if n else np.asarray(np.nan, logits.dtype)
        return out, e, s  # softmax = e / s, left to the VJP (see there)

    @staticmethod
    def vjp(g, out, logits, labels, reduction="mean", saved=None):
        n = len(labels)
        if reduction == "none":
            scale = g.reshape((-1, 1))
        elif saved is not None:  # a Python float: a 0-d array would cost a NumPy call
            scale = float(g) / max(n, 1) if reduction == "mean" else float(g)
        else:
            scale = g * (1.0 / max(n, 1)) if reduction == "mean" else g
        if saved is not None:  # the fast path: arrays, and the forward's (C, N) exponentials
            exps, sums, flat = saved
            # softmax * scale = exps * (scale / sums): N divisions rather than N * C. Into
            # a new array (the saved ones may be used again with retain_graph); then the
            # one-hot subtracted in place through its flat view, and transposed back.
            col = scale[:, 0] if reduction == "none" else scale
            d = exps * (col / sums)
            d.reshape(-1)[flat] -= col
            return (d.T, None)
        # Recomputed, recorded when differentiating twice.
        rows, lab = _rows(n), np.asarray(labels)
        onehot = np.zeros(logits.shape, dtype=logits.dtype)
        onehot[rows, lab] = 1
        d = np.exp(logits - Logsumexp.dispatch(logits, axis=1, keepdims=True)) - onehot
        return (d * scale, None)

    @staticmethod
    def jvp(tangents, out, logits, labels, reduction="mean"):
        # d loss_i = sum_c softmax_ic t_ic - t_i,label_i
        t, n = tangents[0], len(labels)
        p = np.exp(logits - Logsumexp.dispatch(logits, axis=1, keepdims=True))
        per = (p * t).sum(axis=1) - t[_rows(n), np.asarray(labels)]
        if reduction == "none":
            return per
        return per.sum() * (1.0 / max(n, 1)) if reduction == "mean" else per.sum()


class Linear(Op):
    """``out = x @ weight.T + bias`` for ``x`` of shape (..., in), ``weight`` (out, in)
    and ``bias`` (out,): a dense layer in one op (``torch.nn.functional.linear``).

    Notes
    -----
    VJP::

        dx      = g @ weight
        dweight = G^T @ X          (G, X: g and x with their leading axes flattened)
        dbias   = sum(G, axis=0)

    Fused so a layer is one node instead of three (transpose, matmul, add), and so
    ``dweight`` comes out in the weight's own memory order (row- or column-major, as
    ``nn.Linear(order=...)`` stored it): an optimiser then updates contiguous memory.
    """
    name, arity = "linear", 3
    read_for = ((1,), (0,), ())  # x for dweight, weight for dx, bias never
    kind = "custom"

    @classmethod
    def sample_inputs(cls, draw):
        lead = draw.shape(min_dims=0, max_dims=2, max_side=3)  # the batch axes
        n_in, n_out = draw.integers(0, 4), draw.integers(0, 4)  # 0: no features, still a bias
        return [lead + (n_in,), (n_out, n_in), (n_out,)], draw.params()

    @staticmethod
    def forward(x, weight, bias):
        # x's last axis (and a 0-d x) is checked by the product itself, which costs
        # nothing extra on every call; weight and bias, which it cannot check, here.
        try:
            if weight.ndim != 2 or bias.ndim != 1 or len(bias) != len(weight):
                raise ValueError
            prod = x @ weight.T
        except ValueError:
            raise ValueError(f"linear: expected x of shape (..., in), weight (out, in) and bias (out,); "
                             f"got x {x.shape}, weight {weight.shape}, bias {bias.shape}") from None
        # Into a new array, not in place: with two BLAS threads part of the product was
        # written by the other core, and writing those cache lines again costs more than
        # a fresh array (784-128 layer at batch 128: 180 us in place, 173 us new).
        return prod + bias

    @staticmethod
    def vjp(g, out, x, weight, bias, needs):
        n_out, n_in = weight.shape
        if g.ndim == 2:
            g2, x2 = g, x
        else:  # the rows counted, not -1: with no features (n_in or n_out 0) -1 is ambiguous
            rows = math.prod(x.shape[:-1])
            g2, x2 = g.reshape((rows, n_out)), x.reshape((rows, n_in))
        dweight = dbias = None
        # Arrays on every training step: ufuncs, not the methods' Python wrappers.
        if type(g2) is np.ndarray and type(weight) is np.ndarray:
            if needs[1]:  # in the weight's own memory order, as an optimiser will read it
                dweight = (x2.T @ g2).T if weight.flags.f_contiguous else g2.T @ x2
            if needs[2]:
                dbias = np.add.reduce(g2, axis=0)
        else:  # Tensors, recorded: differentiating twice
            if needs[1]:
                dweight = g2.T @ x2
            if needs[2]:
                dbias = g2.sum(axis=0)
        return (g @ weight if needs[0] else None, dweight, dbias)

    @staticmethod
    def jvp(tangents, out, x, weight, bias):
        # Linear in each of x and weight, plus the bias: tx W^T + x tW^T + tb.
        tx, tw, tb = tangents
        t = None if tx is None else tx @ weight.T
        # A product's fresh array is added into in place (arrays only: a Tensor is recorded).
        inplace = type(t) is np.ndarray
        if tw is not None:
            if t is None:
                t = x @ tw.T
                inplace = type(t) is np.ndarray
            else:
                u = x @ tw.T
                if inplace and t.dtype == np.result_type(t, u) and t.shape == u.shape:
                    t += u
                else:
                    t = t + u
        if tb is not None:
            if t is None:
                t = tb
            elif inplace and t.dtype == np.result_type(t, tb):
                t += tb
            else:
                t = t + tb
        return t
