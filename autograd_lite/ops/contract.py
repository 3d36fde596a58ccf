"""Contractions: einsum, and tensordot, dot, inner and outer written as einsums. Each
is linear in every operand separately (``jvp_rule = "multilinear"``), and the VJP of
an operand is another einsum: the output's cotangent contracted with the other
operands, back onto that operand's subscripts."""

from __future__ import annotations

import string

import numpy as np

from .base import Op

_LETTERS = string.ascii_letters


def parse_subscripts(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit subscripts: one string per operand and the output's, with ``...`` kept
    and the output of the implicit form (``"ij,jk"``) spelled out as NumPy infers it."""
    spec = subscripts.replace(" ", "")
    ins, arrow, out = spec.partition("->")
    parts = ins.split(",")
    if len(parts) != len(ndims):
        raise ValueError(f"einsum: the subscripts {subscripts!r} name {len(parts)} operands, "
                         f"got {len(ndims)}")
    if not arrow:
        letters = [c for c in ins if c.isalpha()]
        out = ("..." if "..." in ins else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    return parts, out


def _explicit(parts: list[str], out: str, operands) -> tuple[list[str], str]:
    """The subscripts with each ``...`` spelled out in letters, right-aligned as
    broadcasting aligns axes (NumPy broadcasts explicit size-1 axes too)."""
    ells = [o.ndim - len(p.replace("...", "")) if "..." in p else 0 for p, o in zip(parts, operands)]
    m = max(ells, default=0)
    used = set("".join(parts) + out)
    fresh = "".join([c for c in _LETTERS if c not in used][:m])
    return [p.replace("...", fresh[m - e:]) for p, e in zip(parts, ells)], out.replace("...", fresh)


def einsum_vjp(parts: list[str], out: str, g, operands, needs, optimize=False):
    """The cotangent of every operand of ``einsum(parts -> out)``, from ``g``."""
    parts, out = _explicit(parts, out, operands)
    used = set("".join(parts) + out)
    fresh = iter(c for c in _LETTERS if c not in used)
    dxs = []
    for i, (sub, x) in enumerate(zip(parts, operands)):
        if not needs[i]:
            dxs.append(None)
            continue
        # Repeated letters ("ii" of a trace) become distinct letters tied by identity
        # matrices, since an einsum's output cannot repeat a letter.
        target, ties, seen = "", [], {}
        for c in sub:
            if c in seen:
                d = next(fresh)
                ties.append((c, d))
                target += d
            else:
                seen[c] = c
                target += c
        others = [(s, o) for j, (s, o) in enumerate(zip(parts, operands)) if j != i]
        eyes = [(c + d, np.eye(x.shape[target.index(d)], dtype=x.dtype)) for c, d in ties]
        avail = set(out + "".join(s for s, _ in others) + "".join(s for s, _ in eyes))
        # Letters summed within this operand alone appear nowhere else: contract
        # without them, then broadcast along them.
        kept = "".join(c for c in target if c in avail)
        subs = ",".join([out] + [s for s, _ in others] + [s for s, _ in eyes]) + "->" + kept
        dx = _einsum(subs, [g] + [o for _, o in others] + [e for _, e in eyes], optimize)
        if dx.shape != x.shape:
            dx = _broadcast_missing(dx, kept, target, x)
        dxs.append(dx)
    return tuple(dxs)


def _einsum(subscripts: str, operands: list, optimize=False):
    """An einsum run by NumPy on arrays, recorded when an operand is a Tensor."""
    if any(hasattr(o, "_record") for o in operands):
        return Einsum.apply(operands, subscripts=subscripts, optimize=optimize)
    return Einsum.forward(*operands, subscripts=subscripts, optimize=optimize)


def _broadcast_missing(dx, kept: str, target: str, x):
    """``dx`` (subscripts ``kept``) broadcast to the operand's sizes along the letters of
    ``target`` it lacks or has as 1 (NumPy's einsum broadcasts a size-1 letter); where
    it is larger (the operand's size-1 letter was broadcast) the engine sums it down."""
    sizes = dict(zip(kept, dx.shape))
    new = tuple(sizes.get(c, 1) for c in target)
    full = tuple(n if sizes.get(c, 1) == 1 else sizes[c] for c, n in zip(target, x.shape))
    return np.broadcast_to(dx.reshape(new), full)


class Einsum(Op):
    """``out = einsum(subscripts, *operands)``: NumPy's Einstein summation (repeated
    letters, ``...`` broadcasting and the implicit output included).

    Notes
    -----
    VJP::

        d operand_i = einsum(out, the other operands' subscripts -> subscripts_i)(g, others)

    A letter repeated in operand i (a trace, "ii") is tied by an identity matrix;
    a letter summed in operand i alone is broadcast back. ``al.einsum`` takes NumPy's
    arguments (``subscripts`` first).
    """
    name, arity = "einsum", None
    kind = "custom"
    jvp_rule = "multilinear"
    params = {"optimize": (False,)}

    _TEMPLATES = ("ij,jk->ik", "ij,jk", "i,i", "i,j->ij", "ii->i", "ii", "ij->", "ij->ji",
                  "bij,bjk->bik", "...ij,...jk->...ik", "i...,i->...", "iij->j", "ij,ij,ij->i",
                  "i,i->i")

    @classmethod
    def sample_inputs(cls, draw):
        spec = draw.sampled_from(cls._TEMPLATES)
        parts, _ = parse_subscripts(spec, [0] * len(spec.partition("->")[0].split(",")))
        size = {c: draw.integers(0, 3) for c in sorted(set("".join(parts))) if c.isalpha()}
        batch = draw.broadcastable_shapes(len(parts), max_dims=2, max_side=3) if "..." in spec else None
        shapes = []
        for j, p in enumerate(parts):
            before, _, after = p.partition("...")
            mid = tuple(batch[j]) if "..." in p else ()
            shapes.append(tuple(size[c] for c in before) + mid + tuple(size[c] for c in after))
        return shapes, {"subscripts": spec, **draw.params()}

    @staticmethod
    def forward(*operands, subscripts=None, optimize=False):
        if not isinstance(subscripts, str):
            raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got {subscripts!r}")
        parse_subscripts(subscripts, [o.ndim for o in operands])  # the operand count, clearly
        return np.asarray(np.einsum(subscripts, *operands, optimize=optimize))

    @staticmethod
    def vjp(g, out, *operands, subscripts=None, optimize=False, needs):
        parts, out_sub = parse_subscripts(subscripts, [o.ndim for o in operands])
        return einsum_vjp(parts, out_sub, g, operands, needs, optimize)


def _letters(n: int, start: int = 0) -> str:
    return _LETTERS[start:start + n]


class _Contraction(Op):
    """An op that is an einsum whose subscripts (its ``_subscripts(a, b, **params)``)
    depend on the operands' shapes."""
    arity = 2
    kind = "custom"
    jvp_rule = "multilinear"

    @classmethod
    def vjp(cls, g, out, a, b, needs, **params):
        parts, out_sub = cls._subscripts(a, b, **params)
        return einsum_vjp(parts, out_sub, g, (a, b), needs)


class Tensordot(_Contraction):
    """``out = tensordot(a, b, axes)``: ``a``'s ``axes[0]`` contracted with ``b``'s
    ``axes[1]`` (an int ``n``: ``a``'s last ``n`` with ``b``'s first ``n``); the result's
    axes are ``a``'s remaining ones, then ``b``'s.

    Notes
    -----
    VJP::

        da = g contracted with b over b's remaining axes (an einsum), in a's axis order
        db = a contracted with g over a's remaining axes
    """
    name = "tensordot"

    @classmethod
    def sample_inputs(cls, draw):
        n = draw.integers(0, 2)
        shared = tuple(draw.integers(0, 3) for _ in range(n))
        a = draw.shape(max_dims=2, max_side=3) + shared
        b = shared + draw.shape(max_dims=2, max_side=3)
        if n and draw.booleans():  # the pair form, with b's axes in another order
            perm = draw.permutation(range(n))
            bt = tuple(b[p] for p in perm) + b[n:]
            axes = (tuple(range(len(a) - n, len(a))), tuple(perm.index(i) for i in range(n)))
            return [a, bt], {"axes": axes}
        return [a, b], {"axes": n}

    @staticmethod
    def _axes(a, b, axes):
        if isinstance(axes, (int, np.integer)):
            n = int(axes)
            return list(range(a.ndim - n, a.ndim)), list(range(n))
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
        return [i % a.ndim for i in ax_a], [i % b.ndim for i in ax_b]

    @classmethod
    def _subscripts(cls, a, b, axes=2):
        ax_a, ax_b = cls._axes(a, b, axes)
        sa = list(_letters(a.ndim))
        sb = list(_letters(b.ndim, a.ndim))
        for i, j in zip(ax_a, ax_b):
            sb[j] = sa[i]
        out = "".join(c for i, c in enumerate(sa) if i not in ax_a) + \
            "".join(c for j, c in enumerate(sb) if j not in ax_b)
        return ["".join(sa), "".join(sb)], out

    @staticmethod
    def forward(a, b, axes=2):
        return np.asarray(np.tensordot(a, b, axes))


class Dot(_Contraction):
    """``out = dot(a, b)``: a product for a 0-d operand; for a 1-D ``b``, ``a``'s last axis
    contracted with ``b``; otherwise ``a``'s last axis with ``b``'s second-to-last.

    Notes
    -----
    VJP::

        da = g contracted with b back onto a's axes (an einsum); db likewise
    """
    name = "dot"

    @classmethod
    def sample_inputs(cls, draw):
        k = draw.integers(0, 3)
        a = (draw.shape(max_dims=2, max_side=3) + (k,)) if draw.booleans() else ()
        b = draw.sampled_from([(k,), (k, draw.integers(0, 3)),
                               (draw.integers(0, 2), k, draw.integers(0, 3)), ()])
        return [a, b], {}

    @classmethod
    def _subscripts(cls, a, b):
        if a.ndim == 0 or b.ndim == 0:
            sa, sb = _letters(a.ndim), _letters(b.ndim, a.ndim)
            return [sa, sb], sa + sb
        sa = _letters(a.ndim)
        k = sa[-1]
        if b.ndim == 1:
            return [sa, k], sa[:-1]
        sb = _letters(b.ndim, a.ndim)
        sb = sb[:-2] + k + sb[-1]
        return [sa, sb], sa[:-1] + sb[:-2] + sb[-1]

    @staticmethod
    def forward(a, b):
        return np.asarray(np.dot(a, b))


class Inner(_Contraction):
    """``out = inner(a, b)``: the last axes of ``a`` and ``b`` contracted (a product for a
    0-d operand); the result's axes are ``a``'s others, then ``b``'s.

    Notes
    -----
    VJP::

        da = g contracted with b back onto a's axes (an einsum); db likewise
    """
    name = "inner"

    @classmethod
    def sample_inputs(cls, draw):
        if draw.integers(0, 3) == 0:   # a 0-d operand: a product
            return draw.permutation([(), draw.shape(max_dims=2, max_side=3)]), {}
        k = draw.integers(0, 3)
        return [draw.shape(max_dims=2, max_side=3) + (k,), draw.shape(max_dims=2, max_side=3) + (k,)], {}

    @classmethod
    def _subscripts(cls, a, b):
        if a.ndim == 0 or b.ndim == 0:
            sa, sb = _letters(a.ndim), _letters(b.ndim, a.ndim)
            return [sa, sb], sa + sb
        sa, sb = _letters(a.ndim), _letters(b.ndim, a.ndim)
        sb = sb[:-1] + sa[-1]
        return [sa, sb], sa[:-1] + sb[:-1]

    @staticmethod
    def forward(a, b):
        return np.asarray(np.inner(a, b))


class Outer(_Contraction):
    """``out = outer(a, b)``: ``a.ravel()[i] * b.ravel()[j]`` at ``(i, j)``.

    Notes
    -----
    VJP::

        da = (g @ b.ravel()).reshape(a.shape)
        db = (a.ravel() @ g).reshape(b.shape)
    """
    name = "outer"

    @classmethod
    def sample_inputs(cls, draw):
        return [draw.shape(max_side=3), draw.shape(max_side=3)], {}

    @staticmethod
    def forward(a, b):
        return np.outer(a, b)

    @classmethod
    def vjp(cls, g, out, a, b, needs):
        da = (g @ b.reshape(-1)).reshape(a.shape) if needs[0] else None
        db = (a.reshape(-1) @ g).reshape(b.shape) if needs[1] else None
        return da, db
