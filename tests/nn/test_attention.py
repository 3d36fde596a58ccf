"""Attention: nn.functional.scaled_dot_product_attention and nn.MultiheadAttention against
PyTorch (float64, outputs, weights and every gradient, masks of every kind), and the
dot-product and additive (Bahdanau) modules against their formulas written in NumPy.
Masks are honoured in the weights and in the gradients."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd_lite as al
import nn
from autograd_lite.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
F = nn.functional
# torch warns when one mask is bool and the other float; mixing them is part of what is tested
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")


def pair(rng, *shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [al.tensor(a, requires_grad=True) for a in arrays])


def compare_backward(outs_t, outs_a, leaves_t, leaves_a, rng, rtol=1e-9):
    lt = la = 0
    for t, a in zip(outs_t, outs_a):
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
        u = rng.standard_normal(a.shape)
        lt, la = lt + (t * torch.tensor(u)).sum(), la + (a * u).sum()
    lt.backward()
    la.backward()
    for k, (t, a) in enumerate(zip(leaves_t, leaves_a)):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=rtol, atol=1e-11,
                                   err_msg=f"gradient {k}")


def random_keep(rng, shape):
    """A boolean mask with at least one True per row (key 0 always kept)."""
    m = rng.random(shape) < 0.6
    m[..., 0] = True
    return m


# ---- scaled_dot_product_attention -------------------------------------------

SDPA_CASES = ["none", "bool", "bool-broadcast", "float", "float-inf", "causal", "causal-long",
              "scale", "empty-rows"]


@pytest.mark.parametrize("case", SDPA_CASES)
def test_sdpa_matches_torch(case):
    rng = np.random.default_rng(SDPA_CASES.index(case))
    L, S = (4, 6) if case != "causal-long" else (6, 4)
    ts, as_ = pair(rng, (2, 3, L, 5), (2, 3, S, 5), (2, 3, S, 7))
    kw_t, kw_a = {}, {}
    if case == "bool":
        m = random_keep(rng, (2, 3, L, S))
    elif case == "bool-broadcast":
        m = random_keep(rng, (L, S))
    elif case == "float":
        m = rng.standard_normal((1, 3, L, S))
    elif case == "float-inf":
        m = np.where(random_keep(rng, (2, 1, L, S)), rng.standard_normal((2, 1, L, S)), -np.inf)
    elif case == "empty-rows":
        m = random_keep(rng, (L, S))
        m[1] = False  # query 1 sees no key: weights 0, output 0, as torch
    if case in ("bool", "bool-broadcast", "float", "float-inf", "empty-rows"):
        kw_t["attn_mask"], kw_a["attn_mask"] = torch.tensor(m), m
    if case.startswith("causal"):
        kw_t["is_causal"] = kw_a["is_causal"] = True
    if case == "scale":
        kw_t["scale"] = kw_a["scale"] = 0.3
    out_t = torch.nn.functional.scaled_dot_product_attention(*ts, **kw_t)
    out_a = F.scaled_dot_product_attention(*as_, **kw_a)
    if case == "empty-rows":
        assert np.all(out_a.data[:, :, 1] == 0)
    compare_backward([out_t], [out_a], ts, as_, rng)


def test_sdpa_masked_keys_get_no_weight_and_no_gradient():
    rng = np.random.default_rng(0)
    q, k, v = (al.tensor(rng.standard_normal(s), requires_grad=True)
               for s in [(3, 4), (5, 4), (5, 2)])
    keep = np.ones((3, 5), bool)
    keep[:, 2] = False            # key 2 is left out for every query
    keep[0, 4] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    out.backward(rng.standard_normal(out.shape))
    assert np.all(k.grad[2] == 0) and np.all(v.grad[2] == 0)
    assert np.all(k.grad[[0, 1, 3, 4]] != 0)
    # the same as attending over the kept keys only
    sub = F.scaled_dot_product_attention(q.data[1:], k.data[[0, 1, 3, 4]], v.data[[0, 1, 3, 4]])
    np.testing.assert_allclose(out.data[1:], sub.data, rtol=1e-12)


def test_sdpa_second_order():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(s) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3)])
    keep = random_keep(rng, (3, 5))
    fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep)  # noqa: E731
    assert gradcheck(fn, q, k, v)
    assert gradgradcheck(fn, q, k, v, fast=True)


def test_sdpa_dropout():
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal(s) for s in [(3, 4), (5, 4), (5, 2)])
    plain = F.scaled_dot_product_attention(q, k, v).data
    w = torch.softmax(torch.tensor(q @ k.T / 2.0), -1).numpy()
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4, generator=np.random.default_rng(9))
    kept = np.random.default_rng(9).random((3, 5)) >= 0.4
    np.testing.assert_allclose(out.data, (w * kept / 0.6) @ v, rtol=1e-12)
    assert not np.allclose(out.data, plain)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).data, 0)


def test_sdpa_bad_input():
    q, k, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: attn_mask of shape "
                                         r"\(3, 4\) does not broadcast to the attention scores' "
                                         r"shape \(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 4), bool))
    with pytest.raises(TypeError, match=r"attn_mask must be bool or floating point, got dtype int64"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), np.int64))
    with pytest.raises(ValueError, match=r"either attn_mask or is_causal=True, not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"expected query \(\.\.\., L, E\), key \(\.\.\., S, E\) "
                                         r"and value \(\.\.\., S, Ev\); got query \(2, 3, 4\), "
                                         r"key \(2, 5, 3\)"):
        F.scaled_dot_product_attention(q, np.zeros((2, 5, 3)), v)


# ---- MultiheadAttention ------------------------------------------------------

def mha_pair(*args, **kw):
    t = torch.nn.MultiheadAttention(*args, **kw).double()
    m = nn.MultiheadAttention(*args, **kw).double()
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, m


MHA_COMBOS = list(itertools.product(
    [False, True],                                  # batch_first
    ["none", "bool", "float"],                      # key_padding_mask
    ["none", "2d-bool", "3d-bool", "2d-float"],     # attn_mask
    ["self", "cross"]))


@pytest.mark.parametrize("batch_first,kpm,am,kind", MHA_COMBOS,
                         ids=["-".join(map(str, c)) for c in MHA_COMBOS])
def test_mha_matches_torch(batch_first, kpm, am, kind):
    E, h, N, L, S = 8, 2, 3, 4, 5 if kind == "cross" else 4
    t, m = mha_pair(E, h, batch_first=batch_first)
    rng = np.random.default_rng(MHA_COMBOS.index((batch_first, kpm, am, kind)))
    shape = lambda n: (N, n, E) if batch_first else (n, N, E)  # noqa: E731
    if kind == "self":
        ts, as_ = pair(rng, shape(L))
        ts, as_ = ts * 3, as_ * 3
    else:
        ts, as_ = pair(rng, shape(L), shape(S), shape(S))
    kw_t, kw_a = {}, {}
    if kpm != "none":
        keep = random_keep(rng, (N, S))
        mask = ~keep if kpm == "bool" else np.where(keep, rng.standard_normal((N, S)), -np.inf)
        kw_t["key_padding_mask"], kw_a["key_padding_mask"] = torch.tensor(mask), mask
    if am != "none":
        shp = (L, S) if am.startswith("2d") else (N * h, L, S)
        keep = random_keep(rng, shp)
        mask = ~keep if am.endswith("bool") else rng.standard_normal(shp)
        kw_t["attn_mask"], kw_a["attn_mask"] = torch.tensor(mask), mask
    out_t, w_t = t(*ts, **kw_t)
    out_a, w_a = m(*as_, **kw_a)
    assert w_a.shape == (N, L, S)
    leaves_t = ts[:1] if kind == "self" else ts
    leaves_a = as_[:1] if kind == "self" else as_
    compare_backward([out_t, w_t], [out_a, w_a], leaves_t + list(t.parameters()),
                     leaves_a + list(m.parameters()), rng)


OPTION_CASES = [dict(bias=False), dict(add_bias_kv=True), dict(add_zero_attn=True),
                dict(add_bias_kv=True, add_zero_attn=True), dict(kdim=3, vdim=6),
                dict(kdim=3, vdim=6, add_bias_kv=True, bias=False)]


@pytest.mark.parametrize("options", OPTION_CASES, ids=[str(o) for o in OPTION_CASES])
@pytest.mark.parametrize("average", [True, False])
def test_mha_options_match_torch(options, average):
    E, h, N, L, S = 6, 3, 2, 4, 5
    t, m = mha_pair(E, h, **options)
    rng = np.random.default_rng(len(str(options)))
    ts, as_ = pair(rng, (L, N, E), (S, N, options.get("kdim", E)), (S, N, options.get("vdim", E)))
    keep = random_keep(rng, (N, S))
    amask = ~random_keep(rng, (L, S))
    out_t, w_t = t(*ts, key_padding_mask=torch.tensor(~keep), attn_mask=torch.tensor(amask),
                   average_attn_weights=average)
    out_a, w_a = m(*as_, key_padding_mask=~keep, attn_mask=amask, average_attn_weights=average)
    assert w_a.shape == tuple(w_t.shape)
    compare_backward([out_t, w_t], [out_a, w_a], ts + list(t.parameters()),
                     as_ + list(m.parameters()), rng)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched_matches_torch(need_weights):
    E, h, L, S = 4, 2, 3, 5
    t, m = mha_pair(E, h)
    rng = np.random.default_rng(4)
    ts, as_ = pair(rng, (L, E), (S, E), (S, E))
    kpm = ~random_keep(rng, (S,))
    am = ~random_keep(rng, (h, L, S))
    out_t, w_t = t(*ts, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am),
                   need_weights=need_weights)
    out_a, w_a = m(*as_, key_padding_mask=kpm, attn_mask=am, need_weights=need_weights)
    assert out_a.shape == (L, E)
    if need_weights:
        assert w_a.shape == (L, S)
        compare_backward([out_t, w_t], [out_a, w_a], ts, as_, rng)
    else:
        assert w_a is None and w_t is None
        compare_backward([out_t], [out_a], ts, as_, rng)


def test_mha_padding_gets_no_weight_and_no_gradient():
    m = nn.MultiheadAttention(4, 2, batch_first=True).double()
    rng = np.random.default_rng(0)
    x = al.tensor(rng.standard_normal((2, 5, 4)), requires_grad=True)
    pad = np.zeros((2, 5), bool)
    pad[0, 3:] = True             # the first sequence has 3 tokens and 2 of padding
    out, w = m(x, x, x, key_padding_mask=pad)
    assert np.all(w.data[0, :, 3:] == 0) and np.allclose(w.data.sum(-1), 1)
    # the real tokens' outputs do not depend on the padding: no gradient reaches it
    out[0, :3].sum().backward()
    assert np.all(x.grad[0, 3:] == 0) and np.all(x.grad[1] == 0) and np.any(x.grad[0, :3] != 0)


def test_mha_dropout_only_in_training():
    m = nn.MultiheadAttention(4, 2, dropout=0.5, generator=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((3, 2, 4)).astype(np.float32)
    a, b = m(x, x, x)[1].data, m(x, x, x)[1].data
    assert not np.allclose(a, b)   # the weights returned are after dropout, as torch's
    m.eval()
    np.testing.assert_allclose(m(x, x, x)[1].data.sum(-1), 1, rtol=1e-6)


def test_mha_init_follows_torch():
    m = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    bound = math.sqrt(6 / (16 + 48))   # xavier_uniform_ on (3E, E)
    assert np.abs(m.in_proj_weight.data).max() <= bound
    assert np.all(m.in_proj_bias.data == 0) and np.all(m.out_proj.bias.data == 0)
    assert m.bias_k.shape == m.bias_v.shape == (1, 1, 16)
    assert m.in_proj_weight.dtype == np.float32


def test_mha_bad_input():
    with pytest.raises(ValueError, match=r"MultiheadAttention: embed_dim \(10\) must be divisible "
                                         r"by num_heads \(4\)"):
        nn.MultiheadAttention(10, 4)
    m = nn.MultiheadAttention(4, 2)
    x = np.zeros((3, 2, 4), np.float32)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=4, num_heads=2\): "
                                         r"expected key_padding_mask of shape \(N, S\) = \(2, 3\), "
                                         r"got \(3, 2\)"):
        m(x, x, x, key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match=r"expected attn_mask of shape \(L, S\) = \(3, 3\) or "
                                         r"\(N \* num_heads, L, S\) = \(4, 3, 3\), got \(2, 3, 3\)"):
        m(x, x, x, attn_mask=np.zeros((2, 3, 3), bool))
    with pytest.raises(TypeError, match=r"attn_mask must be bool or floating point, got dtype int64"):
        m(x, x, x, attn_mask=np.zeros((3, 3), np.int64))
    with pytest.raises(ValueError, match=r"expected query \(L, N, E\) with E = 4.*got query "
                                         r"\(3, 2, 5\)"):
        m(np.zeros((3, 2, 5)), x, x)
    with pytest.raises(ValueError, match=r"is_causal=True is a hint"):
        m(x, x, x, is_causal=True)


# ---- dot-product and additive attention ---------------------------------------

def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("step", [True, False])
def test_dot_product_attention_is_its_formula(scaled, step):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((2, 4) if step else (2, 3, 4))
    k, v = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 6))
    pad = np.zeros((2, 5), bool)
    pad[1, 2:] = True
    ctx, w = nn.DotProductAttention(scaled=scaled)(q, k, v, key_padding_mask=pad)
    q3 = q[:, None] if step else q
    s = q3 @ k.transpose(0, 2, 1) / (2.0 if scaled else 1.0)
    want_w = _softmax(np.where(pad[:, None], -np.inf, s))
    want_w = want_w[:, 0] if step else want_w
    np.testing.assert_allclose(w.data, want_w, rtol=1e-12)
    want_ctx = (want_w[:, None] @ v)[:, 0] if step else want_w @ v
    np.testing.assert_allclose(ctx.data, want_ctx, rtol=1e-12)
    assert np.all(w.data[1, ..., 2:] == 0)
    fn = lambda q, k, v: nn.DotProductAttention(scaled)(q, k, v, key_padding_mask=pad)[0]  # noqa: E731
    assert gradcheck(fn, q, k, v) and gradgradcheck(fn, q, k, v, fast=True)


@pytest.mark.parametrize("step", [True, False])
def test_additive_attention_is_its_formula(step):
    rng = np.random.default_rng(1)
    attn = nn.AdditiveAttention(3, 4, 5).double()
    q = rng.standard_normal((2, 3) if step else (2, 6, 3))
    k, v = rng.standard_normal((2, 7, 4)), rng.standard_normal((2, 7, 2))
    pad = np.zeros((2, 7), bool)
    pad[0, 5:] = True
    ctx, w = attn(q, k, v, key_padding_mask=pad)
    Wq, Wk, b, va = (attn.query_proj.weight.data, attn.key_proj.weight.data,
                     attn.key_proj.bias.data, attn.v.data)
    q3 = q[:, None] if step else q
    e = np.tanh((q3 @ Wq.T)[:, :, None] + (k @ Wk.T + b)[:, None])   # (N, L, S, H)
    want = _softmax(np.where(pad[:, None], -np.inf, e @ va))
    if step:
        want = want[:, 0]
    np.testing.assert_allclose(w.data, want, rtol=1e-12)
    want_ctx = (want[:, None] @ v)[:, 0] if step else want @ v
    np.testing.assert_allclose(ctx.data, want_ctx, rtol=1e-12)
    # the projected keys, computed once, give the same
    ctx2, _ = attn(q, k, v, key_padding_mask=pad, projected_key=attn.project_keys(k))
    np.testing.assert_allclose(ctx2.data, ctx.data)
    fn = lambda q, k: attn(q, k, v, key_padding_mask=pad)[0]  # noqa: E731
    assert gradcheck(fn, q, k) and gradgradcheck(fn, q, k, fast=True)
    assert [n for n, _ in attn.named_parameters()] == ["v", "query_proj.weight", "key_proj.weight",
                                                       "key_proj.bias"]


def test_custom_attention_bad_input():
    with pytest.raises(ValueError, match=r"DotProductAttention\(scaled=False\): query and key must "
                                         r"have the same size, got query \(2, 3\) and key \(2, 5, 4\)"):
        nn.DotProductAttention()(np.zeros((2, 3)), np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"AdditiveAttention\(3, 4, 5\): expected key of shape "
                                         r"\(N, S, 4\), got \(2, 5, 3\)"):
        nn.AdditiveAttention(3, 4, 5)(np.zeros((2, 3)), np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"key_padding_mask must be a bool array of shape \(N, S\) "
                                         r"= \(2, 5\) .*got dtype float64, shape \(2, 5\)"):
        nn.DotProductAttention()(np.zeros((2, 4)), np.zeros((2, 5, 4)),
                                 key_padding_mask=np.zeros((2, 5)))
