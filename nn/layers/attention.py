"""Attention modules: dot-product (Luong), additive (Bahdanau) and ``MultiheadAttention``
(PyTorch's signature, parameters and masks).

Every kind scores each key against a query, turns the scores into weights with a
softmax over the keys, and returns the weighted average of the values together with
the weights::

    dot          score(q, k) = q . k                         (Luong et al., 2015)
    scaled dot   score(q, k) = q . k / sqrt(d)               (Vaswani et al., 2017)
    additive     score(q, k) = v^T tanh(W_q q + W_k k + b)   (Bahdanau et al., 2015)
    a_j = exp(score(q, k_j)) / sum_j' exp(score(q, k_j'))    context = sum_j a_j v_j

Masks are honoured in the weights and in the gradients: a key left out gets weight
exactly 0 and sends no gradient back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from .. import init
from .._checks import check_int
from ..functional.attention import _attention, _mask_parts, _masked_softmax
from ..module import Module, Parameter, aligned_array
from .linear import Linear

Tensor = al.Tensor

__all__ = ["DotProductAttention", "AdditiveAttention", "MultiheadAttention"]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else al.Tensor(x)


def _padding_keep(key_padding_mask: Any, n: int, s: int, owner: str) -> np.ndarray | None:
    """A (N, S) boolean padding mask (True: a padded key, left out) as a keep-mask
    (N, 1, S), or None."""
    if key_padding_mask is None:
        return None
    m = np.asarray(key_padding_mask.data if isinstance(key_padding_mask, Tensor)
                   else key_padding_mask)
    if m.dtype != np.bool_ or m.shape != (n, s):
        raise ValueError(f"{owner}: key_padding_mask must be a bool array of shape (N, S) = "
                         f"{(n, s)} (True marks a padded key); got dtype {m.dtype}, shape "
                         f"{m.shape}")
    return ~m[:, None, :]


def _query_keys(query: Any, key: Any, value: Any,
                owner: str) -> tuple[Tensor, Tensor, Tensor, bool]:
    """query as (N, L, Dq) (and whether it was a single step (N, Dq)), key (N, S, Dk),
    value (N, S, Dv) (the key when None), with their shapes checked."""
    q, k = _t(query), _t(key)
    v = k if value is None else _t(value)
    if q.ndim not in (2, 3) or k.ndim != 3 or v.ndim != 3 or k.shape[:2] != v.shape[:2] \
            or q.shape[0] != k.shape[0]:
        raise ValueError(f"{owner}: expected query (N, Dq) or (N, L, Dq), key (N, S, Dk) and "
                         f"value (N, S, Dv); got query {q.shape}, key {k.shape}, value {v.shape}")
    step = q.ndim == 2
    return (q.reshape(q.shape[0], 1, q.shape[1]) if step else q), k, v, step


def _result(context: Tensor, weights: Tensor, step: bool) -> tuple[Tensor, Tensor]:
    if step:  # (N, 1, .) back to (N, .)
        return context.reshape(context.shape[0], -1), weights.reshape(weights.shape[0], -1)
    return context, weights


class DotProductAttention(Module):
    """Dot-product attention (Luong's "dot"), or scaled dot-product with ``scaled=True``::

        score(q, k_j) = q . k_j            (divided by sqrt(d) when scaled)
        a_j = softmax_j(score(q, k_j))     context = sum_j a_j v_j

    No parameters: query and keys must live in the same space (size d).

    ``forward(query, key, value=None, key_padding_mask=None)`` takes query (N, d) (one
    decoder step) or (N, L, d), key (N, S, d), value (N, S, Dv) (the key when None),
    and an optional bool ``key_padding_mask`` (N, S) (True: a padded key, which gets
    weight 0). Returns ``(context, weights)``: (N, Dv) and (N, S), or (N, L, Dv) and
    (N, L, S).

    Examples
    --------
    >>> import numpy as np, nn
    >>> keys = np.eye(3)[None]                         # one sequence of 3 one-hot keys
    >>> context, weights = nn.DotProductAttention()(np.array([[0.0, 5.0, 0.0]]), keys)
    >>> np.round(weights.data, 3)
    array([[0.007, 0.987, 0.007]])
    """

    def __init__(self, scaled: bool = False) -> None:
        super().__init__()
        if not isinstance(scaled, (bool, np.bool_)):
            raise TypeError(f"DotProductAttention: scaled must be a bool, got {scaled!r}")
        self.scaled = bool(scaled)

    def forward(self, query: Any, key: Any, value: Any = None,
                key_padding_mask: Any = None) -> tuple[Tensor, Tensor]:
        owner = f"DotProductAttention(scaled={self.scaled})"
        q, k, v, step = _query_keys(query, key, value, owner)
        if q.shape[-1] != k.shape[-1]:
            raise ValueError(f"{owner}: query and key must have the same size, got query "
                             f"{_t(query).shape} and key {k.shape}")
        keep = _padding_keep(key_padding_mask, k.shape[0], k.shape[1], owner)
        scale = 1.0 / math.sqrt(q.shape[-1]) if self.scaled else 1.0
        context, weights = _attention(q, k, v, keep, None, scale)
        return _result(context, weights, step)

    def extra_repr(self) -> str:
        return f"scaled={self.scaled}"


class AdditiveAttention(Module):
    """Additive attention (Bahdanau et al., 2015)::

        score(q, k_j) = v^T tanh(W_q q + W_k k_j + b)
        a_j = softmax_j(score(q, k_j))     context = sum_j a_j v_j

    A one-hidden-layer network scores each (query, key) pair, so query and keys may
    have different sizes. Parameters: ``query_proj`` (Linear, no bias), ``key_proj``
    (Linear, with the bias ``b``) and ``v`` (hidden_size,).

    ``forward(query, key, value=None, key_padding_mask=None, projected_key=None)``
    takes query (N, query_size) or (N, L, query_size), key (N, S, key_size), value (N,
    S, Dv) (the key when None) and the bool ``key_padding_mask`` (N, S) (True: padded).
    A decoder calling it at every step with the same keys can pass
    ``projected_key=attn.project_keys(key)``, computed once. Returns ``(context,
    weights)`` as :class:`DotProductAttention`.
    """

    def __init__(self, query_size: int, key_size: int, hidden_size: int, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.query_size = check_int(query_size, "query_size", "AdditiveAttention")
        self.key_size = check_int(key_size, "key_size", "AdditiveAttention")
        self.hidden_size = check_int(hidden_size, "hidden_size", "AdditiveAttention")
        self.query_proj = Linear(query_size, hidden_size, bias=False, dtype=dtype,
                                 generator=generator)
        self.key_proj = Linear(key_size, hidden_size, dtype=dtype, generator=generator)
        self.v = Parameter(aligned_array(hidden_size, np.dtype(dtype or al.get_default_dtype())))
        bound = 1.0 / math.sqrt(hidden_size)
        init.uniform_(self.v, -bound, bound, generator=generator)

    def project_keys(self, key: Any) -> Tensor:
        """``W_k k + b`` for every key (N, S, hidden_size): the part of the scores that
        does not depend on the query."""
        k = _t(key)
        if k.ndim != 3 or k.shape[-1] != self.key_size:
            raise ValueError(f"{self._owner()}: expected key of shape (N, S, {self.key_size}), "
                             f"got {k.shape}")
        return self.key_proj(k)

    def _owner(self) -> str:
        return f"AdditiveAttention({self.query_size}, {self.key_size}, {self.hidden_size})"

    def forward(self, query: Any, key: Any, value: Any = None, key_padding_mask: Any = None,
                projected_key: Any = None) -> tuple[Tensor, Tensor]:
        owner = self._owner()
        q, k, v, step = _query_keys(query, key, value, owner)
        if q.shape[-1] != self.query_size:
            raise ValueError(f"{owner}: expected query of shape (N, {self.query_size}) or (N, L, "
                             f"{self.query_size}), got {_t(query).shape}")
        kp = self.project_keys(k) if projected_key is None else _t(projected_key)
        n, s, h = k.shape[0], k.shape[1], self.hidden_size
        if kp.shape != (n, s, h):
            raise ValueError(f"{owner}: projected_key must have shape (N, S, hidden_size) = "
                             f"{(n, s, h)}, got {kp.shape}")
        L = q.shape[1]
        qp = self.query_proj(q)                                   # (N, L, H)
        e = al.tanh(qp.reshape(n, L, 1, h) + kp.reshape(n, 1, s, h))
        # One matrix-vector product: a batched one's VJP for v makes one product per
        # (N, L) pair and sums them (N=64, L=1, S=12, H=64: 1.36 -> 1.24 ms, forward+backward).
        scores = (e.reshape(-1, h) @ self.v).reshape(n, L, s)     # (N, L, S)
        weights = _masked_softmax(scores, _padding_keep(key_padding_mask, n, s, owner))
        return _result(weights @ v, weights, step)

    def extra_repr(self) -> str:
        return f"{self.query_size}, {self.key_size}, {self.hidden_size}"


class MultiheadAttention(Module):
    """Multi-head attention, as ``torch.nn.MultiheadAttention``::

        head_i = softmax((Q W_q,i)(K W_k,i)^T / sqrt(d) + mask) (V W_v,i)     d = E / h
        out    = concat(head_1, ..., head_h) W_o^T + b_o

    Each of the ``num_heads`` heads attends in its own d-dimensional subspace, so the
    heads can look at different keys for the same query.

    Parameters
    ----------
    embed_dim, num_heads
        E (the query's size and the output's) and h; E must be divisible by h.
    dropout
        Dropout on the attention weights, in training mode.
    bias
        Biases on the input projections (``in_proj_bias``) and on ``out_proj``.
    add_bias_kv
        Learned ``bias_k``, ``bias_v`` (1, 1, E) appended to the keys and values.
    add_zero_attn
        A key and value of zeros appended to every head.
    kdim, vdim
        Sizes of the keys and values (E by default). When both are E the three input
        projections are one packed ``in_proj_weight`` (3E, E); otherwise they are
        ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``.
    batch_first
        Inputs and output (N, L, E) instead of (L, N, E).

    Notes
    -----
    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns
    ``(attn_output, attn_weights)``: (L, N, E) (or (N, L, E), or (L, E) unbatched) and,
    when ``need_weights``, the weights after dropout, (N, L, S) averaged over the heads
    or (N, h, L, S) with ``average_attn_weights=False``; else None.
    ``key_padding_mask`` (N, S): bool True (or a float -inf) leaves a padded key out,
    other floats are added. ``attn_mask`` (L, S) or (N * h, L, S): bool True leaves
    the pair out (the opposite of ``scaled_dot_product_attention``'s convention, as in
    PyTorch), floats are added. ``is_causal`` is a hint that ``attn_mask`` is the
    causal mask, which must then be given. A query with every key left out gets
    weights 0 (PyTorch returns NaN weights there when ``need_weights``, and 0 otherwise).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        E = self.embed_dim = check_int(embed_dim, "embed_dim", "MultiheadAttention")
        self.num_heads = check_int(num_heads, "num_heads", "MultiheadAttention")
        if E % self.num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({E}) must be divisible by num_heads "
                             f"({self.num_heads}), so that each head has embed_dim / num_heads "
                             f"dimensions")
        if isinstance(dropout, bool) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout!r}")
        self.kdim = E if kdim is None else check_int(kdim, "kdim", "MultiheadAttention")
        self.vdim = E if vdim is None else check_int(vdim, "vdim", "MultiheadAttention")
        self._qkv_same_embed_dim = self.kdim == E and self.vdim == E
        self.head_dim = E // self.num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        self.add_zero_attn, self.generator = bool(add_zero_attn), generator
        dt = np.dtype(dtype or al.get_default_dtype())
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(aligned_array((3 * E, E), dt))
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
            init.xavier_uniform_(self.in_proj_weight, generator=generator)
        else:
            self.q_proj_weight = Parameter(aligned_array((E, E), dt))
            self.k_proj_weight = Parameter(aligned_array((E, self.kdim), dt))
            self.v_proj_weight = Parameter(aligned_array((E, self.vdim), dt))
            self.in_proj_weight = None
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w, generator=generator)
        self.in_proj_bias = Parameter(aligned_array(3 * E, dt, 0)) if bias else None
        self.out_proj = Linear(E, E, bias=bias, dtype=dt, generator=generator)
        if bias:
            init.zeros_(self.out_proj.bias)
        self.bias_k = self.bias_v = None
        if add_bias_kv:
            self.bias_k = Parameter(aligned_array((1, 1, E), dt))
            self.bias_v = Parameter(aligned_array((1, 1, E), dt))
            init.xavier_normal_(self.bias_k, generator=generator)
            init.xavier_normal_(self.bias_v, generator=generator)

    def _owner(self) -> str:
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def _inputs(self, query: Any, key: Any, value: Any) -> tuple[Tensor, Tensor, Tensor, bool]:
        """The three inputs as (N, L or S, features), and whether they had a batch axis."""
        q, k, v = _t(query), _t(key), _t(value)
        E, owner = self.embed_dim, self._owner()
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        batched = q.ndim == 3
        nd = 3 if batched else 2
        bad = (q.ndim not in (2, 3) or k.ndim != nd or v.ndim != nd or q.shape[-1] != E
               or k.shape[-1] != self.kdim or v.shape[-1] != self.vdim
               or k.shape[:-1] != v.shape[:-1]
               or (batched and q.shape[0 if self.batch_first else 1]
                   != k.shape[0 if self.batch_first else 1]))
        if bad:
            raise ValueError(f"{owner}: expected query {layout} with E = {E}, key and value with "
                             f"the same (S, N) axes and sizes kdim = {self.kdim}, vdim = "
                             f"{self.vdim} (or unbatched (L, E), (S, kdim), (S, vdim)); got "
                             f"query {q.shape}, key {k.shape}, value {v.shape}")
        if not batched:
            q, k, v = (t.reshape((1,) + t.shape) for t in (q, k, v))
        elif not self.batch_first:
            # Self-attention (one tensor for all three) is transposed once.
            qt = q.swapaxes(0, 1)
            kt = qt if k is q else k.swapaxes(0, 1)
            vt = kt if v is k else (qt if v is q else v.swapaxes(0, 1))
            q, k, v = qt, kt, vt
        return q, k, v, batched

    def _project(self, q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if q is k and k is v:  # self-attention: one product, then split
                qkv = al.linear(q, w, b) if b is not None else q @ w.T
                return qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
            wq, wk, wv = w[:E], w[E:2 * E], w[2 * E:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        pq, pk, pv = (x @ w.T if bias is None else al.linear(x, w, bias)
                      for x, w, bias in ((q, wq, bq), (k, wk, bk), (v, wv, bv)))
        return pq, pk, pv

    def _masks(self, key_padding_mask: Any, attn_mask: Any, n: int, L: int, S: int,
               batched: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Both masks as one keep-mask and one additive mask, each (N, h, L, S) or None."""
        h, owner = self.num_heads, self._owner()
        keep = add = None
        if key_padding_mask is not None:
            m = np.asarray(key_padding_mask.data if isinstance(key_padding_mask, Tensor)
                           else key_padding_mask)
            want = (n, S) if batched else (S,)
            if m.shape != want:
                raise ValueError(f"{owner}: expected key_padding_mask of shape (N, S) = {want}"
                                 f"{'' if batched else ' (unbatched: (S,))'}, got {m.shape}")
            keep, add = _mask_parts(m.reshape(n, 1, 1, S), (n, h, L, S), owner,
                                    "key_padding_mask", true_means="drop")
        if attn_mask is not None:
            m = np.asarray(attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask)
            if m.shape == (L, S):
                m = m.reshape(1, 1, L, S)
            elif m.shape == (n * h, L, S):
                m = m.reshape(n, h, L, S)
            else:
                raise ValueError(f"{owner}: expected attn_mask of shape (L, S) = {(L, S)} or "
                                 f"(N * num_heads, L, S) = {(n * h, L, S)}, got {m.shape}")
            k2, a2 = _mask_parts(m, (n, h, L, S), owner, "attn_mask", true_means="drop")
            keep = k2 if keep is None else (keep if k2 is None else keep & k2)
            add = a2 if add is None else (add if a2 is None else add + a2)
        return keep, add

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        if is_causal and attn_mask is None:
            raise ValueError(f"{self._owner()}: is_causal=True is a hint that attn_mask is the "
                             f"causal mask; pass that mask as attn_mask too")
        q, k, v, batched = self._inputs(query, key, value)
        n, L = q.shape[0], q.shape[1]
        S0 = k.shape[1]
        keep, add = self._masks(key_padding_mask, attn_mask, n, L, S0, batched)
        q, k, v = self._project(q, k, v)
        h, d, E = self.num_heads, self.head_dim, self.embed_dim
        extra = 0  # keys appended below, which every query may see
        if self.bias_k is not None:
            k = al.concatenate([k, al.broadcast_to(self.bias_k, (n, 1, E))], axis=1)
            v = al.concatenate([v, al.broadcast_to(self.bias_v, (n, 1, E))], axis=1)
            extra += 1
        S = k.shape[1]
        q, k, v = (x.reshape(n, x.shape[1], h, d).transpose(0, 2, 1, 3) for x in (q, k, v))
        if self.add_zero_attn:
            zeros = np.zeros((n, h, 1, d), q.dtype)
            k, v = al.concatenate([k, zeros], axis=2), al.concatenate([v, zeros], axis=2)
            extra += 1
            S += 1
        if extra:
            pad = [(0, 0)] * 3 + [(0, extra)]
            if keep is not None:
                keep = np.pad(np.broadcast_to(keep, (n, h, L, S0)), pad, constant_values=True)
            if add is not None:
                add = np.pad(np.broadcast_to(add, (n, h, L, S0)), pad)
        p = self.dropout if self.training else 0.0
        out, w = _attention(q, k, v, keep, add, None, p, self.generator)  # (N, h, L, d)
        out = self.out_proj(out.transpose(0, 2, 1, 3).reshape(n, L, E))
        if not batched:
            out = out.reshape(L, E)
        elif not self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            w = w.mean(axis=1)
        return out, (w if batched else w.reshape(w.shape[1:]))

    def extra_repr(self) -> str:
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.batch_first:
            s += ", batch_first=True"
        return s
