"""The convolution benchmark runs (quick mode) and its checks hold: every contender
computes what the engine computes. Timings are printed by
``python examples/conv_benchmark.py``; they are never asserted here."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_path = Path(__file__).resolve().parents[1] / "examples" / "conv_benchmark.py"
_spec = importlib.util.spec_from_file_location("conv_benchmark", _path)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_quick_run_reports_every_layer(capsys):
    results = bench.main(["--quick"])
    out = capsys.readouterr().out
    assert set(results) == {"lenet1", "lenet2", "conv3x3", "maxpool"}
    for name in results:
        assert f"{name} (" in out
    assert {"engine", "numpy", "numpy-ps"} <= set(results["lenet2"])
    assert all(r["ms"] > 0 for r in results["conv3x3"].values())


@pytest.mark.parametrize("pad,need_dx", [(0, False), (1, True)])
def test_hand_written_passes_agree_with_each_other(pad, need_dx):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 2, 7, 7)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    g = rng.standard_normal((3, 4, 7 + 2 * pad - 2, 7 + 2 * pad - 2))
    for a, c in zip(bench.numpy_conv(x, w, b, g, pad, need_dx),
                    bench.numpy_conv_per_sample(x, w, b, g, pad, need_dx), strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_a_contender_that_disagrees_is_refused():
    passes = bench.conv_passes(bench.QUICK["lenet2"], None)
    right = passes["numpy"]
    passes["numpy"] = lambda: tuple(a * 1.01 for a in right())
    with pytest.raises(AssertionError, match="numpy disagrees with the engine"):
        bench.measure(passes, repeats=1, steps=1)
