"""Embedding lookup and scaled dot-product attention, as in ``torch.nn.functional``.

Both are compositions of autograd_lite ops (an index, products, a softmax), so their
gradients, to any order, come from the engine. (These join ``nn.functional``.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from ..rng import get_generator
from ._common import _t

Tensor = al.Tensor

__all__ = ["embedding", "scaled_dot_product_attention"]




def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


# ---------------------------------------------------------------------------
# embedding
# ---------------------------------------------------------------------------
def _check_indices(indices: Any, num_embeddings: int, owner: str) -> np.ndarray:
    """``indices`` as an integer array with every entry in [0, num_embeddings): a
    TypeError for a non-integer dtype and an IndexError for an entry out of range,
    each naming ``owner`` and ``num_embeddings``."""
    idx = _data(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{owner}: indices must be integers (class ids in [0, num_embeddings="
                        f"{num_embeddings})), got dtype {idx.dtype}; convert with "
                        f".astype(np.int64)")
    if idx.size and (idx.min() < 0 or idx.max() >= num_embeddings):
        bad = idx[(idx < 0) | (idx >= num_embeddings)]
        raise IndexError(f"{owner}: index {bad.flat[0]} is out of range for num_embeddings="
                         f"{num_embeddings} (indices must lie in [0, {num_embeddings}); got values "
                         f"in [{idx.min()}, {idx.max()}], shape {idx.shape})")
    return idx


def _padding_index(padding_idx: int | None, num_embeddings: int, owner: str) -> int | None:
    """``padding_idx`` in [0, num_embeddings) (a negative one counts from the end)."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) \
            or not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{owner}: padding_idx must be an int in [-{num_embeddings}, "
                         f"{num_embeddings}) for num_embeddings={num_embeddings}, got "
                         f"{padding_idx!r}")
    return int(padding_idx) % num_embeddings


def _renorm_rows_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` that ``idx`` uses down to norm ``max_norm`` (in place,
    not recorded), as PyTorch's ``embedding_renorm_``."""
    rows = np.unique(idx)
    w = weight.data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        # A sanctioned write: it opens the array a live graph locked, and bumps the
        # version so that graph refuses to backpropagate through the old rows.
        with al.no_grad(), al.modifying(weight):
            scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
            w[rows[big]] *= scale[:, None]


def embedding(input: Any, weight: Any, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``:
    the output has shape ``input.shape + (embedding_dim,)``.

    Entries equal to ``padding_idx`` read their row but send it no gradient. With
    ``max_norm``, each row used whose ``norm_type``-norm exceeds it is first scaled down
    to that norm, in place (as PyTorch does).
    """
    return _embedding(input, weight, padding_idx, max_norm, norm_type, "embedding")


def _embedding(input: Any, weight: Any, padding_idx: int | None, max_norm: float | None,
               norm_type: float, owner: str) -> Tensor:
    w = _t(weight, owner, "weight")
    if w.ndim != 2:
        raise ValueError(f"{owner}: weight must have shape (num_embeddings, embedding_dim), "
                         f"got {w.shape}")
    n = w.shape[0]
    idx = _check_indices(input, n, owner)
    pad = _padding_index(padding_idx, n, owner)
    if max_norm is not None:
        _renorm_rows_(w, idx, float(max_norm), float(norm_type))
    out = w[idx]
    if pad is not None and w.requires_grad:
        is_pad = idx == pad
        if is_pad.any():  # the same value, from a constant: no gradient reaches the row
            out = al.where(is_pad[..., None], w.data[pad], out)
    return out


# ---------------------------------------------------------------------------
# attention
# ---------------------------------------------------------------------------
def _mask_parts(mask: Any, scores_shape: tuple[int, ...], owner: str, what: str = "attn_mask",
               true_means: str = "keep") -> tuple[np.ndarray | None, np.ndarray | None]:
    """A mask as ``(keep, add)``: a boolean array (False: the score is left out) and a
    float array added to the scores, either None. A boolean mask's True means "take
    part" when ``true_means == "keep"`` (``scaled_dot_product_attention``) and "left
    out" when it is ``"drop"`` (``MultiheadAttention``); a float mask is added, and its
    -inf entries are left out. It must broadcast to ``scores_shape``."""
    m = _data(mask)
    if m.dtype.kind not in "bf":
        raise TypeError(f"{owner}: {what} must be bool or floating point, got dtype {m.dtype}")
    try:
        ok = np.broadcast_shapes(m.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{owner}: {what} of shape {m.shape} does not broadcast to the "
                         f"attention scores' shape {tuple(scores_shape)} (..., L, S)")
    if m.dtype.kind == "b":
        return (m if true_means == "keep" else ~m), None
    inf = np.isneginf(m)
    if inf.any():
        return ~inf, np.where(inf, 0, m)
    return None, m


def _masked_softmax(s: Tensor, keep: np.ndarray | None = None,
                    add: np.ndarray | None = None) -> Tensor:
    """``softmax(s + add)`` over the last axis where ``keep``, and weight 0 elsewhere.

    Scores left out get no gradient. A row with nothing kept gets weights 0 (as
    PyTorch's ``scaled_dot_product_attention`` gives), not the NaN of exp(-inf) / 0.
    """
    if add is not None:
        s = s + add.astype(s.dtype, copy=False)
    if keep is None:
        return al.softmax(s, axis=-1)
    keep = np.broadcast_to(keep, s.shape)
    empty = ~keep.any(axis=-1, keepdims=True)
    if not empty.any():
        return al.softmax(al.where(keep, s, -np.inf), axis=-1)
    # An empty row gets a finite softmax over all its scores, then is zeroed.
    w = al.softmax(al.where(keep | empty, s, -np.inf), axis=-1)
    return w * (~empty).astype(w.dtype)


def _dropout_weights(w: Tensor, p: float, generator: np.random.Generator | None) -> Tensor:
    """Inverted dropout on attention weights (``nn.functional.dropout``'s rule)."""
    if p <= 0.0:
        return w
    if p >= 1.0:
        return w * np.zeros(w.shape, w.dtype)
    kept = get_generator(generator).random(w.shape) >= p
    return w * (kept.astype(w.dtype) * (1.0 / (1.0 - p)))


def _attention(q: Tensor, k: Tensor, v: Tensor, keep: np.ndarray | None = None,
               add: np.ndarray | None = None, scale: float | None = None, dropout_p: float = 0.0,
               generator: np.random.Generator | None = None) -> tuple[Tensor, Tensor]:
    """``(softmax(q k^T * scale + add, masked) @ v, the weights)``, weights after dropout."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    # q scaled, not the scores: (L, E) numbers rather than (L, S) (N=32, 8 heads, L=S=64,
    # E=16: 8.0 ms forward + backward against 16.6 ms)
    s = (q * scale) @ k.mT if scale != 1.0 else q @ k.mT
    w = _dropout_weights(_masked_softmax(s, keep, add), dropout_p, generator)
    return w @ v, w


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, *,
                                 generator: np.random.Generator | None = None) -> Tensor:
    """``softmax(Q K^T / sqrt(E) + mask) V``, as PyTorch's ``scaled_dot_product_attention``.

    Each query row ``q_i`` scores every key ``k_j`` by ``s_ij = q_i . k_j / sqrt(E)``
    (``scale`` replaces ``1 / sqrt(E)``), turns the scores into weights
    ``a_ij = exp(s_ij) / sum_j' exp(s_ij')``, and returns the weighted average of the
    values, ``sum_j a_ij v_j``. Dividing by sqrt(E) keeps the scores' spread, and so
    the softmax's gradient, independent of the dimension E.

    Parameters
    ----------
    query, key, value
        (..., L, E), (..., S, E) and (..., S, Ev); the leading axes broadcast.
    attn_mask
        Bool (True: the key takes part) or float (added to the scores; -inf leaves the
        key out), broadcastable to (..., L, S). A query left with no key gets weights 0
        and output 0.
    dropout_p
        Dropout on the weights (always applied when > 0, as in PyTorch: pass 0 in
        evaluation).
    is_causal
        Query ``i`` sees keys ``j <= i`` only (the top-left lower triangle); not
        together with ``attn_mask``.
    scale
        Replaces ``1 / sqrt(E)``.
    generator
        Random source for the dropout (default: the ``nn.manual_seed`` one).

    Returns
    -------
    Tensor
        (..., L, Ev).
    """
    fn = "scaled_dot_product_attention"
    q, k, v = (_t(a, fn, what) for a, what in ((query, "query"), (key, "key"), (value, "value")))
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2 or q.shape[-1] != k.shape[-1] \
            or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{fn}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev); got query {q.shape}, key {k.shape}, value {v.shape}")
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, (int, float, np.floating, np.integer)):
        raise TypeError(f"{fn}: dropout_p must be a number in [0, 1], got {dropout_p!r}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{fn}: dropout_p must be in [0, 1], got {dropout_p!r}")
    try:
        lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{fn}: the leading (batch) axes of query {q.shape}, key {k.shape} and "
                         f"value {v.shape} do not broadcast together") from None
    L, S = q.shape[-2], k.shape[-2]
    keep = add = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{fn}: pass either attn_mask or is_causal=True, not both")
        keep = np.tri(L, S, dtype=bool)
    elif attn_mask is not None:
        keep, add = _mask_parts(attn_mask, lead + (L, S), fn)
    return _attention(q, k, v, keep, add, scale, dropout_p, generator)[0]
