"""The benchmark script runs (quick mode) and its non-timing checks hold.

Timings are printed by ``python examples/benchmark.py``; they are never asserted here.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al

def _example(name: str):
    path = Path(__file__).resolve().parents[1] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchmark = _example("benchmark")


@pytest.mark.parametrize("kind", ["twolayer", "sequential"])
def test_engine_step_matches_the_hand_written_numpy_step(kind):
    p = benchmark.init_params(hidden=16)
    step, model = benchmark.engine_stepper(benchmark.init_params(hidden=16), lr=0.1, model_kind=kind)
    rng = np.random.default_rng(0)
    for _ in range(5):
        X = rng.random((8, 784), dtype=np.float32)
        y = rng.integers(0, 10, 8)
        np.testing.assert_allclose(step(X, y), benchmark.numpy_step(p, X, y, 0.1), rtol=1e-5)
    first = model.fc1 if kind == "twolayer" else model[0]
    np.testing.assert_allclose(first.weight.data, p["W1"], rtol=1e-4, atol=1e-6)
    assert first.weight.data.flags.f_contiguous  # the layout the first call chose


def test_quick_run_reports_every_figure(capsys):
    results = benchmark.main(["--quick"])
    out = capsys.readouterr().out
    for label in ("batch 128", "batch  16", "nn.Sequential", "per op", "100,000 ops", "live lists",
                  "backward over", "bytes/op", "peak RSS", "float32 end to end: yes"):
        assert label in out
    assert "10,000 ops after importing torch and matplotlib" in out  # figures, or why skipped
    assert results["float32_violations"] == []
    assert al.hooks.backward_hooks() == ()


def test_quick_run_pools_interleaved_per_op_rounds(capsys):
    results = benchmark.main(["--quick"])
    r = results["per_op"]
    assert r["total_min"] <= r["total_us"] <= r["total_max"]
    assert len(r["totals"]) == 3   # --quick: one round of three repeats
    assert r["total_us"] == np.median(r["totals"])
    assert r["total_mean"] == pytest.approx(np.mean(r["totals"]))
    if r["torch"] is not None:
        assert "engine / PyTorch" in capsys.readouterr().out
        assert r["ratio_torch"] > 0


def test_the_profiler_prints_the_top_entries_of_the_chain_and_the_step(capsys):
    _example("profile_engine").main(["--top", "5"])
    out = capsys.readouterr().out
    assert "== chain:" in out and "== step:" in out and "Python-level calls per op" in out
    chain = out.split("== chain:")[1].split("== step:")[0]
    assert "apply" in chain                      # the op's recording shows up at the top
    rows = [line for line in chain.splitlines()[2:] if line.strip()]
    assert len(rows) == 5


def test_the_profiler_refuses_a_top_below_one(capsys):
    with pytest.raises(SystemExit) as exc:
        _example("profile_engine").main(["--top", "0"])
    assert exc.value.code == 2
    assert "--top must be at least 1, got 0" in capsys.readouterr().err
