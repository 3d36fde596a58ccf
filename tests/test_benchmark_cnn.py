"""The CNN training-step benchmark runs (quick mode) and its check holds: the engine, the
hand-written NumPy step and PyTorch compute the same loss and the same updated weights.
Timings are printed by ``python examples/benchmark_cnn.py``; they are never asserted here."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_path = Path(__file__).resolve().parents[1] / "examples" / "benchmark_cnn.py"
_spec = importlib.util.spec_from_file_location("benchmark_cnn", _path)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_quick_run_reports_both_networks(capsys):
    results = bench.main(["--quick", "--no-torch"])
    out = capsys.readouterr().out
    assert set(results) == {"lenet5", "wide"}
    for name in results:
        assert f"{name} (batch 4)" in out and set(results[name]) == {"engine", "numpy"}
        assert all(r["ms"] > 0 and r["engine_ratio"] > 0 for r in results[name].values())


@pytest.mark.parametrize("name", ["lenet5", "wide"])
def test_the_three_steps_agree_and_a_wrong_one_is_caught(name, monkeypatch):
    torch = pytest.importorskip("torch")
    bench.check(bench.contenders(name, torch, batch=8))   # raises if any step disagrees
    # A hand-written step with a broken pooling gradient must not pass the check.
    monkeypatch.setattr(bench, "pool_backward", lambda g, cache: np.zeros(cache[1], g.dtype))
    with pytest.raises(AssertionError, match="numpy's updated weights differ"):
        bench.check(bench.contenders(name, torch, batch=8))
