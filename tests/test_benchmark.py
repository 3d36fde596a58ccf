"""The benchmark script runs (quick mode) and its non-timing checks hold.

Timings are printed by ``python examples/benchmark.py``; they are never asserted here.
"""

import importlib.util
from pathlib import Path

import numpy as np

import autograd_lite as al

_path = Path(__file__).resolve().parents[1] / "examples" / "benchmark.py"
_spec = importlib.util.spec_from_file_location("benchmark", _path)
benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark)


def test_engine_step_matches_the_hand_written_numpy_step():
    p = benchmark.init_params(hidden=16)
    step, model = benchmark.engine_stepper(benchmark.init_params(hidden=16), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(5):
        X = rng.random((8, 784), dtype=np.float32)
        y = rng.integers(0, 10, 8)
        np.testing.assert_allclose(step(X, y), benchmark.numpy_step(p, X, y, 0.1), rtol=1e-5)
    np.testing.assert_allclose(model.fc1.weight.data, p["W1"], rtol=1e-4, atol=1e-6)


def test_quick_run_reports_every_figure(capsys):
    results = benchmark.main(["--quick"])
    out = capsys.readouterr().out
    for label in ("batch 128", "batch  16", "per op", "backward over", "peak RSS", "float32 end to end: yes"):
        assert label in out
    assert results["float32_violations"] == []
    assert al.hooks.backward_hooks() == ()
