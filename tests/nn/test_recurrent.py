"""nn.Embedding, nn.RNNCell/LSTMCell/GRUCell and nn.RNN/LSTM/GRU.

Each layer PyTorch has is compared with it in float64: the same state dict in both,
then outputs, final states and every gradient (input, initial states, parameters),
for every combination of num_layers, bidirectional, batch_first, initial states and
bias. Bad input raises errors naming the layer and the shapes.
"""

from __future__ import annotations

import collections
import itertools
import math

import numpy as np
import pytest

import autograd_lite as al
import nn

torch = pytest.importorskip("torch")

MODES = ["RNN", "RNN_RELU", "LSTM", "GRU"]


def make_pair(mode, *args, **kw):
    """The same layer in torch and in nn, float64, with torch's initial weights."""
    name, extra = ("RNN", {"nonlinearity": "relu"}) if mode == "RNN_RELU" else (mode, {})
    t = getattr(torch.nn, name)(*args, **kw, **extra).double()
    m = getattr(nn, name)(*args, **kw, **extra).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, m


def _cotangent_loss(outs_t, outs_a, rng):
    """<u, out> summed over every output, the same u for both frameworks."""
    lt = la = 0
    for t, a in zip(outs_t, outs_a):
        u = rng.standard_normal(a.shape)
        lt = lt + (t * torch.tensor(u)).sum()
        la = la + (a * u).sum()
    return lt, la


def _flat(out):
    out, state = out
    return [out, *state] if isinstance(state, tuple) else [out, state]


def assert_same(t_module, a_module, t_inputs, a_inputs, seed=0):
    """Outputs equal; then every gradient equal under one random cotangent."""
    outs_t, outs_a = _flat(t_module(*t_inputs)), _flat(a_module(*a_inputs))
    assert len(outs_t) == len(outs_a)
    for k, (t, a) in enumerate(zip(outs_t, outs_a)):
        assert a.shape == tuple(t.shape), f"output {k}"
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"output {k}")
    lt, la = _cotangent_loss(outs_t, outs_a, np.random.default_rng(seed))
    lt.backward()
    la.backward()
    leaves_t = [x for x in _leaves(t_inputs) if x.requires_grad]
    leaves_a = [x for x in _leaves(a_inputs) if x.requires_grad]
    for k, (t, a) in enumerate(zip(leaves_t, leaves_a)):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=f"gradient of input {k}")
    tp = dict(t_module.named_parameters())
    named = list(a_module.named_parameters())
    assert [n for n, _ in named] == list(tp)
    for name, p in named:
        np.testing.assert_allclose(p.grad, tp[name].grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=f"gradient of {name}")


def _leaves(inputs):
    for x in inputs:
        if isinstance(x, (tuple, list)):
            yield from x
        elif x is not None:
            yield x


def _pair_tensors(rng, *shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [al.tensor(a, requires_grad=True) for a in arrays])


COMBOS = list(itertools.product(MODES, [1, 2], [False, True], [False, True], [False, True],
                                [True, False]))


@pytest.mark.parametrize("mode,num_layers,bidirectional,batch_first,initial,bias", COMBOS,
                         ids=["-".join(map(str, c)) for c in COMBOS])
def test_sequence_layers_match_torch(mode, num_layers, bidirectional, batch_first, initial, bias):
    I, H, L, N = 3, 4, 5, 2
    t, m = make_pair(mode, I, H, num_layers=num_layers, bidirectional=bidirectional,
                     batch_first=batch_first, bias=bias)
    rng = np.random.default_rng(hash((mode, num_layers, bidirectional, batch_first)) % 2**32)
    D = 2 if bidirectional else 1
    x_shape = (N, L, I) if batch_first else (L, N, I)
    n_states = 2 if mode == "LSTM" else 1
    ts, as_ = _pair_tensors(rng, x_shape, *[(D * num_layers, N, H)] * n_states)
    t_in, a_in = [ts[0]], [as_[0]]
    if initial:
        t_in.append(tuple(ts[1:]) if mode == "LSTM" else ts[1])
        a_in.append(tuple(as_[1:]) if mode == "LSTM" else as_[1])
    assert_same(t, m, t_in, a_in)
    out, _ = m(*a_in)
    assert out.shape == ((N, L, D * H) if batch_first else (L, N, D * H))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("initial", [False, True])
def test_unbatched_sequences_match_torch(mode, batch_first, initial):
    I, H, L = 3, 4, 6
    t, m = make_pair(mode, I, H, num_layers=2, bidirectional=True, batch_first=batch_first)
    n_states = 2 if mode == "LSTM" else 1
    ts, as_ = _pair_tensors(np.random.default_rng(3), (L, I), *[(4, H)] * n_states)
    t_in, a_in = [ts[0]], [as_[0]]
    if initial:
        t_in.append(tuple(ts[1:]) if mode == "LSTM" else ts[1])
        a_in.append(tuple(as_[1:]) if mode == "LSTM" else as_[1])
    assert_same(t, m, t_in, a_in)
    out, state = m(*a_in)
    assert out.shape == (L, 2 * H)
    assert (state[0] if mode == "LSTM" else state).shape == (4, H)


CELL_CASES = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
              ("GRUCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {"bias": False}),
              ("RNNCell", {"bias": False})]


@pytest.mark.parametrize("name,kw", CELL_CASES, ids=[f"{n}-{kw}" for n, kw in CELL_CASES])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cells_match_torch(name, kw, batched, with_state):
    I, H, N = 3, 5, 4
    t = getattr(torch.nn, name)(I, H, **kw).double()
    m = getattr(nn, name)(I, H, **kw).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    lead = (N,) if batched else ()
    n_states = 2 if name == "LSTMCell" else 1
    ts, as_ = _pair_tensors(np.random.default_rng(5), lead + (I,), *[lead + (H,)] * n_states)
    t_in, a_in = [ts[0]], [as_[0]]
    if with_state:
        t_in.append(tuple(ts[1:]) if name == "LSTMCell" else ts[1])
        a_in.append(tuple(as_[1:]) if name == "LSTMCell" else as_[1])
    out_t, out_a = t(*t_in), m(*a_in)
    outs_t = list(out_t) if name == "LSTMCell" else [out_t]
    outs_a = list(out_a) if name == "LSTMCell" else [out_a]
    for a, b in zip(outs_a, outs_t):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-13)
    lt, la = _cotangent_loss(outs_t, outs_a, np.random.default_rng(6))
    lt.backward()
    la.backward()
    for a, b in zip(_leaves(a_in), _leaves(t_in)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)
    tp = dict(t.named_parameters())
    for pname, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, tp[pname].grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_state_dict_layout_is_torchs(mode):
    t, m = make_pair(mode, 3, 4, num_layers=2, bidirectional=True)
    ours, theirs = m.state_dict(), t.state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == tuple(v.shape) for k, v in theirs.items())
    # and back: our weights load into torch
    t2 = make_pair(mode, 3, 4, num_layers=2, bidirectional=True)[0]
    t2.load_state_dict({k: torch.tensor(v) for k, v in ours.items()})


@pytest.mark.parametrize("cls,gates", [(nn.RNN, 1), (nn.LSTM, 4), (nn.GRU, 3), (nn.LSTMCell, 4)])
def test_initial_weights_follow_torch(cls, gates):
    H = 16
    m = cls(8, H, generator=np.random.default_rng(0))
    bound = 1 / math.sqrt(H)
    values = np.concatenate([p.data.ravel() for p in m.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)  # U(-b, b)
    w_hh = m.weight_hh_l0 if isinstance(m, nn.LSTM | nn.GRU | nn.RNN) else m.weight_hh
    assert w_hh.shape == (gates * H, H)
    assert m.parameters().__next__().dtype == np.float32


def test_one_fused_node_per_step():
    m = nn.LSTM(4, 8)
    x = np.random.default_rng(0).standard_normal((7, 3, 4)).astype(np.float32)
    out, (h, c) = m(x)
    ops = collections.Counter(n.op.name for n in al.toposort([out.node, h.node, c.node]))
    assert ops["lstm_cell"] == 7
    # the steps; one stack of the outputs and one of the final states; h, c and the outputs sliced
    assert ops == {"lstm_cell": 7, "stack": 2, "getitem": 3}


def test_dropout_between_layers():
    m = nn.GRU(3, 6, num_layers=3, dropout=1.0)
    t = torch.nn.GRU(3, 6, num_layers=3, dropout=1.0).double()
    m.double().load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    # dropout=1 drops every output of layers 0 and 1: deterministic, so comparable
    np.testing.assert_allclose(m(x)[0].data, t(torch.tensor(x))[0].detach().numpy(), rtol=1e-10)
    m.eval(), t.eval()
    out_eval = m(x)[0].data
    np.testing.assert_allclose(out_eval, t(torch.tensor(x))[0].detach().numpy(), rtol=1e-10)
    # p = 0.5: a random half is dropped in training only; the first layer never sees it
    m.dropout = 0.5
    m.train()
    (out, h), (out2, h2) = m(x), m(x)
    assert not np.allclose(out.data, out2.data) and not np.allclose(out.data, out_eval)
    np.testing.assert_allclose(h.data[0], h2.data[0])
    m.eval()
    np.testing.assert_allclose(m(x)[0].data, out_eval)


def test_dropout_draws_from_the_layer_generator():
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    outs = []
    for _ in range(2):
        m = nn.LSTM(3, 4, num_layers=2, dropout=0.5, generator=np.random.default_rng(7))
        outs.append(m(x)[0].data)
    np.testing.assert_array_equal(*outs)


def test_gradient_through_a_long_sequence_is_the_chain_of_steps():
    """BPTT over 40 steps equals central differences (a float64 check of the whole loop)."""
    from autograd_lite.testing import gradcheck
    m = nn.LSTM(2, 3, bidirectional=True).double()
    x = np.random.default_rng(0).standard_normal((40, 1, 2))
    assert gradcheck(lambda x: m(x)[0][0], x, fast=True)


def test_float32_in_float32_out():
    m = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    x = al.tensor(np.ones((5, 2, 3), np.float32), requires_grad=True)
    out, h = m(x)
    (out.sum() + h.sum()).backward()
    assert out.dtype == h.dtype == x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in m.parameters())


# ---- Embedding -------------------------------------------------------------

def test_embedding_matches_torch_with_padding_idx():
    t = torch.nn.Embedding(7, 3, padding_idx=2).double()
    m = nn.Embedding(7, 3, padding_idx=2).double()
    assert np.all(m.weight.data[2] == 0)
    with torch.no_grad():
        t.weight[2] = 5.0  # a non-zero padding row: still read, never updated
    m.load_state_dict({"weight": t.weight.detach().numpy()})
    idx = np.array([[0, 2, 4], [2, 2, 6]])
    out_t, out_a = t(torch.tensor(idx)), m(idx)
    np.testing.assert_allclose(out_a.data, out_t.detach().numpy())
    u = np.random.default_rng(0).standard_normal(out_a.shape)
    (out_t * torch.tensor(u)).sum().backward()
    out_a.backward(u)
    np.testing.assert_allclose(m.weight.grad, t.weight.grad.numpy(), rtol=1e-12)
    assert np.all(m.weight.grad[2] == 0) and np.any(m.weight.grad[0] != 0)


def test_embedding_repeated_indices_add_their_gradients():
    m = nn.Embedding(4, 2).double()
    m(np.array([1, 1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(m.weight.grad, [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_embedding_max_norm_matches_torch():
    t = torch.nn.Embedding(6, 4, max_norm=1.0).double()
    m = nn.Embedding(6, 4, max_norm=1.0).double()
    m.load_state_dict({"weight": t.weight.detach().numpy()})
    idx = np.array([0, 3, 3, 5])
    out_t, out_a = t(torch.tensor(idx)), m(idx)
    np.testing.assert_allclose(out_a.data, out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.weight.data, t.weight.detach().numpy(), rtol=1e-12)
    assert np.linalg.norm(m.weight.data[[0, 3, 5]], axis=1).max() <= 1.0 + 1e-9


def test_embedding_max_norm_rescaling_is_an_inplace_change():
    m = nn.Embedding(4, 2, max_norm=1.0).double()
    m.weight.data[:] = [[0.1, 0.0], [3.0, 4.0], [0.0, 0.2], [6.0, 8.0]]
    first = m(np.array([0, 1]))          # row 1 rescaled to norm 1 before the lookup
    second = m(np.array([3]))            # row 3 rescaled: the weight changed after `first`
    np.testing.assert_allclose(np.linalg.norm(m.weight.data[[1, 3]], axis=1), 1.0, rtol=1e-6)
    with pytest.raises(al.InplaceModificationError, match="getitem"):
        (first.sum() + second.sum()).backward()
    m.zero_grad()                        # (the failed backward may have reached the weight)
    third = m(np.array([0, 1, 3]))       # nothing left to rescale: no change, no error
    third.sum().backward()
    np.testing.assert_array_equal(m.weight.grad, [[1, 1], [1, 1], [0, 0], [1, 1]])


def test_embedding_from_pretrained_is_frozen_by_default():
    w = np.arange(6.0).reshape(3, 2)
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad and m.weight.dtype == np.float64
    np.testing.assert_array_equal(m(np.array([2, 0])).data, [[4, 5], [0, 1]])
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    w[0, 0] = 99  # a copy, not a view of the caller's array
    assert m.weight.data[0, 0] == 0


def test_functional_embedding():
    w = al.tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    out = nn.functional.embedding(np.array([[3], [0]]), w, padding_idx=-1)
    np.testing.assert_array_equal(out.data, [[[6, 7]], [[0, 1]]])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [[1, 1], [0, 0], [0, 0], [0, 0]])  # row 3 = -1 padded


# ---- bad input -------------------------------------------------------------

def test_wrong_input_rank_or_size_names_the_layout():
    with pytest.raises(ValueError, match=r"LSTM\(3, 4\): expected input of shape \(L, N, H_in\) "
                                         r"with H_in = 3, or unbatched \(L, H_in\); got \(5, 2, 7\)"):
        nn.LSTM(3, 4)(np.zeros((5, 2, 7)))
    with pytest.raises(ValueError, match=r"GRU\(3, 4, batch_first=True\): expected input of "
                                         r"shape \(N, L, H_in\) .* got \(5,\)"):
        nn.GRU(3, 4, batch_first=True)(np.zeros(5))
    with pytest.raises(ValueError, match=r"RNN\(3, 4, num_layers=2\): .*got \(1, 2, 3, 3\)"):
        nn.RNN(3, 4, num_layers=2)(np.zeros((1, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"sequence length L must be at least 1"):
        nn.RNN(3, 4)(np.zeros((0, 2, 3)))


def test_wrong_initial_state_names_the_expected_shape():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    x = np.zeros((5, 2, 3), np.float32)
    good = np.zeros((4, 2, 4), np.float32)
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(D \* num_layers, N, H_out\) = "
                                         r"\(4, 2, 4\), got \(2, 2, 4\)"):
        m(x, (good[:2], good))
    with pytest.raises(ValueError, match=r"expected c_0 of shape .* = \(4, 2, 4\), got \(4, 3, 4\)"):
        m(x, (good, np.zeros((4, 3, 4), np.float32)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\), got ndarray"):
        m(x, good)
    with pytest.raises(ValueError, match=r"GRU\(3, 4\): expected h_0 of shape \(D \* num_layers, "
                                         r"H_out\) = \(1, 4\), got \(1, 1, 4\)"):
        nn.GRU(3, 4)(np.zeros((5, 3), np.float32), np.zeros((1, 1, 4), np.float32))


def test_cells_name_their_shapes():
    with pytest.raises(ValueError, match=r"LSTMCell\(3, 4\): expected input of shape \(N, 3\) or "
                                         r"\(3,\), got \(2, 5\)"):
        nn.LSTMCell(3, 4)(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"GRUCell\(3, 4\): expected hx of shape \(2, 4\) for "
                                         r"input with batch size 2, got \(4,\)"):
        nn.GRUCell(3, 4)(np.zeros((2, 3)), np.zeros(4))
    with pytest.raises(TypeError, match=r"LSTMCell: hx must be a tuple \(h, c\)"):
        nn.LSTMCell(3, 4)(np.zeros((2, 3)), np.zeros((2, 4)))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"RNN: nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"LSTM: dropout must be a number in \[0, 1\], got 1.5"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match=r"GRU: num_layers must be a positive int, got 0"):
        nn.GRU(3, 4, num_layers=0)


def test_embedding_bad_indices_name_num_embeddings():
    emb = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"Embedding\(10, 3\): index 10 is out of range for "
                                         r"num_embeddings=10 .*values in \[0, 10\]"):
        emb(np.array([0, 10]))
    with pytest.raises(IndexError, match=r"index -1 is out of range for num_embeddings=10"):
        emb(np.array([[-1, 3]]))
    with pytest.raises(TypeError, match=r"Embedding\(10, 3\): indices must be integers .*"
                                        r"num_embeddings=10.*got dtype float64"):
        emb(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"Embedding: padding_idx must be an int in \[-10, 10\) "
                                         r"for num_embeddings=10, got 10"):
        nn.Embedding(10, 3, padding_idx=10)
