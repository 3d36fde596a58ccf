"""The explorer's benchmark script runs (on a small graph) and reports every figure.

Its timings are printed by ``python examples/benchmark_explorer.py``; never asserted here.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

_path = Path(__file__).resolve().parents[1] / "examples" / "benchmark_explorer.py"
_spec = importlib.util.spec_from_file_location("benchmark_explorer", _path)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_benchmark_reports_every_figure(capsys, tmp_path):
    r = bench.main(["--quick", "--keep", str(tmp_path)])
    out = capsys.readouterr().out
    assert r["nodes"] == 59 and "bytes per node" in out
    assert r["bytes_per_node"] == pytest.approx((tmp_path / "explorer-60.html").stat().st_size / 59)
    if bench.chromium_missing():
        assert "no browser timings" in out
        return
    for figure in ("drawn", "main thread", "painted its panel", "one backward step", "load average",
                   "open and click", "2 runs; medians [ranges]"):
        assert figure in out
    assert r["requests"] == 0 and r["errors"] == 0
    # Two interleaved runs (make, then measure): the figures printed are their medians.
    assert len(r["runs"]) == 2 and all("build_and_layout_s" in run and "open_s" in run for run in r["runs"])
    assert r["open_s"] == pytest.approx((r["runs"][0]["open_s"] + r["runs"][1]["open_s"]) / 2)
    again = bench.main(["--page", str(tmp_path / "explorer-60.html")])
    assert again["nodes"] == 59 and again["bytes"] == r["bytes"]


def test_the_benchmark_refuses_no_runs(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--repeat", "0"])
    assert "--repeat must be at least 1, got 0" in capsys.readouterr().err
