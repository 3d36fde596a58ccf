"""The CNN benchmark (examples/benchmark_cnn.py) runs in quick mode and its checks hold:
the engine, the hand-written NumPy step and PyTorch compute the same loss and updated
weights; for single layers, the same outputs and gradients. Timings and memory figures
are printed by ``python examples/benchmark_cnn.py``; they are never asserted here."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_path = Path(__file__).resolve().parents[1] / "examples" / "benchmark_cnn.py"
_spec = importlib.util.spec_from_file_location("benchmark_cnn", _path)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_quick_run_reports_every_network_layer_and_the_memory_loop(capsys):
    results = bench.main(["--quick", "--no-torch"])
    out = capsys.readouterr().out
    nets, layers = {"lenet5", "lenet5-bn", "wide"}, {"lenet1", "lenet2", "conv3x3", "maxpool"}
    assert set(results) == nets | layers | {"memory"}
    for name in nets:
        assert f"{name} (batch 4)" in out and set(results[name]) == {"engine", "numpy"}
        assert all(r["ms"] > 0 and r["engine_ratio"] > 0 for r in results[name].values())
    for name in layers:
        assert f"{name} (" in out
    assert {"engine", "numpy", "numpy-ps"} == set(results["lenet2"])
    assert list(results["memory"]) == [10, 20] and "step    20: peak" in out
    assert all(m["peak"] >= m["current"] > 0 for m in results["memory"].values())


def test_parts_and_nets_can_be_chosen_and_unknown_ones_are_refused(capsys):
    assert set(bench.main(["--quick", "--no-torch", "--parts", "steps", "--nets", "wide"])) == {"wide"}
    with pytest.raises(SystemExit) as exc:
        bench.main(["--parts", "steps,speed"])
    assert exc.value.code == 2
    assert "--parts: unknown ['speed']" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["lenet5", "lenet5-bn", "wide"])
def test_the_three_steps_agree_and_a_wrong_one_is_caught(name, monkeypatch):
    torch = pytest.importorskip("torch")
    bench.check(bench.contenders(name, torch, batch=8))   # raises if any step disagrees
    # A hand-written step with a broken pooling gradient must not pass the check.
    monkeypatch.setattr(bench, "pool_backward", lambda g, cache: np.zeros(cache[1], g.dtype))
    with pytest.raises(AssertionError, match="numpy's updated weights differ"):
        bench.check(bench.contenders(name, torch, batch=8))


def test_a_wrong_hand_written_batch_norm_is_caught(monkeypatch):
    bench.check(bench.contenders("lenet5-bn", None, batch=8))
    right = bench.bn_backward
    monkeypatch.setattr(bench, "bn_backward", lambda g, cache: (g,) + right(g, cache)[1:])
    with pytest.raises(AssertionError, match="numpy's updated weights differ"):
        bench.check(bench.contenders("lenet5-bn", None, batch=8))


@pytest.mark.parametrize("pad,need_dx", [(0, False), (1, True)])
def test_hand_written_convolutions_agree_with_each_other(pad, need_dx):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 2, 7, 7)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    g = rng.standard_normal((3, 4, 7 + 2 * pad - 2, 7 + 2 * pad - 2))
    out, cache = bench.conv_forward(x, w, b, pad)
    dx, dw, db = bench.conv_backward(g, w, cache, need_dx)
    mine = (out, dw, db) + ((dx,) if need_dx else ())
    for a, c in zip(mine, bench.conv_per_sample(x, w, b, g, pad, need_dx), strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_a_layer_contender_that_disagrees_is_refused():
    passes = bench.conv_passes(bench.QUICK_LAYERS["lenet2"], None)
    bench.check_passes(passes)
    right = passes["numpy"]
    passes["numpy"] = lambda: tuple(a * 1.01 for a in right())
    with pytest.raises(AssertionError, match="numpy disagrees with the engine"):
        bench.check_passes(passes)


def test_keep_freed_is_applied_and_said(capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(bench, "keep_freed", lambda n: calls.append(n) or True)
    bench.main(["--quick", "--no-torch", "--parts", "steps", "--nets", "lenet5", "--keep-freed", "8"])
    assert calls == [8 * 2**20] and "malloc keeps 8 MB freed" in capsys.readouterr().out
    monkeypatch.setattr(bench, "keep_freed", lambda n: False)
    bench.main(["--quick", "--no-torch", "--parts", "steps", "--nets", "lenet5", "--keep-freed", "8"])
    assert "(refused: not glibc?)" in capsys.readouterr().out

