"""The sequence-model examples (vanishing gradients, seq2seq with attention) and the
sequence benchmark, each run on tiny settings through its main(argv). Timings are
printed by the benchmark, never asserted."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al
import nn

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["vanishing_gradients", "seq2seq_attention", "benchmark_sequence"])
def test_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        example(name).main(["--help"])
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_vanishing_gradients_quick(tmp_path, capsys):
    r = example("vanishing_gradients").main(["--quick", "--out", str(tmp_path)])
    norms = r["norms"]
    T = 20
    assert all(v.shape == (T,) for v in norms.values())
    rnn, lstm_open = norms["RNN (tanh)"], norms["LSTM, forget bias +3"]
    assert rnn[0] < 1e-3 * rnn[-1]                 # vanished within 20 steps
    assert lstm_open[0] > 1e-2 * lstm_open[-1]     # the cell-state highway, opened
    assert 0.3 < r["rho"] < 1.0                    # PyTorch's init: W_hh contracts
    assert r["sweep"][2.0][0] > r["sweep"][2.0][-1]   # rho = 2: the gradient explodes
    assert r["sweep"][0.5][0] < r["sweep"][1.0][0]
    out = capsys.readouterr().out
    assert "1000x smaller after" in out and "spectral radius" in out
    assert (tmp_path / "vanishing_gradients.png").read_bytes()[:4] == b"\x89PNG"


def test_vanishing_gradients_norms_are_the_input_gradients():
    ex = example("vanishing_gradients")
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    m = nn.GRU(3, 4).double()
    norms = ex.gradient_norms(m, x)
    xs = al.tensor(x, requires_grad=True)
    m(xs)[1].sum().backward()  # h_n of a one-layer GRU is the last output
    np.testing.assert_allclose(norms, np.linalg.norm(xs.grad, axis=2).mean(axis=1))
    assert ex.memory(np.array([1e-5, 1e-2, 1.0])) == 2
    assert ex.memory(np.array([0.5, 1.0])) == 2  # never 1000x smaller: the whole length


def test_transliteration_task():
    ex = example("seq2seq_attention")
    assert ex.transliterate("खआ") == "khaaa" and ex.transliterate("शई") == "shaii"
    words = ex.random_words(200, np.random.default_rng(0))
    assert {len(w) for w in words} <= set(range(3, 21)) and len({len(w) for w in words}) > 10
    assert all(1 <= len(ex.TABLE[c]) <= 4 for c in ex.TABLE)
    src, dec_in, dec_out = ex.encode_batch(["कख", "आ"])
    assert src.tolist() == [[1 + ex.SOURCE.index("क"), 1 + ex.SOURCE.index("ख")],
                            [1 + ex.SOURCE.index("आ"), 0]]
    assert ex.decode_ids(dec_out[0]) == "kakha" and dec_in[0, 0] == ex.BOS
    assert dec_out[1].tolist()[:3] == [3 + ex.LATIN.index("a")] * 2 + [ex.EOS]


def test_seq2seq_quick(tmp_path, capsys):
    ex = example("seq2seq_attention")
    r = ex.main(["--quick", "--out", str(tmp_path)])
    assert set(r) == {"without attention", "with attention"}
    for result in r.values():
        assert result["steps"] > 0 and set(result["accuracy"]) == set(range(3, 21))
        assert 0.0 <= result["overall"] <= 1.0
    out = capsys.readouterr().out
    assert "held-out exact match by source length" in out and "validation exact match" in out
    for png in ("seq2seq_accuracy.png", "seq2seq_attention.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    # the checkpoint restores the trained model exactly
    ckpt = nn.load(tmp_path / "seq2seq_attention.npz")
    model = ex.Seq2Seq(True, hidden=ckpt["hidden"], seed=1)
    model.load_state_dict(ckpt["model"])
    src, dec_in, dec_out = ex.encode_batch(["कखग", "अइउ"])
    again = ex.Seq2Seq(True, hidden=ckpt["hidden"], seed=2)
    again.load_state_dict(ckpt["model"])
    assert model.loss(src, dec_in, dec_out).item() == again.loss(src, dec_in, dec_out).item()


def test_seq2seq_learns_a_short_word_with_attention():
    """A few hundred steps on one batch: the attention model fits it (the loss falls
    far below its start), and greedy decoding reads back the letters it learned."""
    ex = example("seq2seq_attention")
    words = ex.random_words(16, np.random.default_rng(3))
    words = [w[:4] for w in words]
    model = ex.Seq2Seq(True, hidden=32, seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
    batch = ex.encode_batch(words)
    first = model.loss(*batch).item()
    for _ in range(150):
        loss = model.loss(*batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 * first
    acc = ex.exact_match(model, words)
    assert acc[4] > 0.9


def test_benchmark_numpy_lstm_is_the_engines_lstm():
    bench = example("benchmark_sequence")
    m = nn.LSTM(3, 5).double()
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((7, 2, 3)), rng.standard_normal((7, 2, 5))
    out, grads = bench.numpy_lstm(x, *[p.data for p in m.parameters()], g)
    ours, _ = m(x)
    ours.backward(g)
    np.testing.assert_allclose(out, ours.data, rtol=1e-12)
    for p, want in zip(m.parameters(), grads):
        np.testing.assert_allclose(p.grad, want, rtol=1e-10, atol=1e-12)


def test_benchmark_quick_reports_every_table(capsys):
    r = example("benchmark_sequence").main(["--quick"])
    out = capsys.readouterr().out
    for title in ("LSTM: T=4", "GRU: T=4", "MultiheadAttention: N=2", "need_weights=False",
                  "NumPy by hand", "median ms", "threads: PyTorch"):
        assert title in out
    assert set(r) == {"LSTM", "GRU", "MultiheadAttention"}
    assert all(len(v) == 2 for table in r.values() for v in table.values())
