"""docs/adding-an-op.md runs as written: its python blocks, in order, as one script."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from autograd_lite.testing import temporary_registry

DOC = Path(__file__).resolve().parents[1] / "docs" / "adding-an-op.md"


def test_adding_an_op_runs_and_shows_a_caught_wrong_vjp():
    text = DOC.read_text()
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))
    out = io.StringIO()
    with temporary_registry(), contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "adding_an_op"})
    report = out.getvalue()
    assert report.startswith("check_op(bad_hypot) on bad_hypot(")
    assert "numerical: input 1 " in report and "worst element" in report
    assert "input 0 " not in report.split("[1]", 1)[1]  # only y's gradient is wrong
    # The report shown in the doc has the same form as the real one.
    shown = re.search(r"```text\n(.*?)```", text, flags=re.S).group(1)
    assert [line.split(":")[0] for line in shown.splitlines()] == \
        [line.split(":")[0] for line in report.splitlines()]
