"""The documentation site: it builds in strict mode, and every example in it runs.

* ``mkdocs build --strict`` (a broken link, an unknown API reference or a picture
  nobody drew is an error), into a temporary directory.
* Every ``>>>`` example in ``docs/**/*.md`` runs as a doctest and its printed
  output is compared (one namespace per page, as a reader would run it top to
  bottom). The same examples run with
  ``python -m pytest --doctest-glob='*.md' docs/``.
* Every docstring example in ``autograd_lite`` and ``nn`` runs too (the same as
  ``python -m pytest --doctest-modules autograd_lite nn``).
* No page shows Python that is not run: a ``python`` or ``pycon`` block must be a
  doctest session.

Run ``python -m pytest tests/test_docs.py -q -s`` to see how many examples ran.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
# pytest's default doctest_optionflags, so both ways of running the examples agree.
FLAGS = doctest.ELLIPSIS
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)

#: Pages written by other developers whose Python blocks are plain snippets, not
#: doctest sessions, and how each is covered instead.
NOT_DOCTESTS = {
    # Run here as one script (test_script_pages_run); no output to compare.
    "nn.md": "script",
    # Run as one script, its report compared, by tests/test_testing_docs.py.
    "adding-an-op.md": "tests/test_testing_docs.py",
}


def _rel(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


def _blocks(page: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(page.read_text(encoding="utf-8"))]


def _count_examples(text: str, name: str) -> int:
    return len(doctest.DocTestParser().get_examples(text, name))


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_page_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run the page's examples; any output that differs is a failure."""
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.syspath_prepend(str(ROOT))
    import autograd_lite as al
    import nn.rng

    # Pages seed nn's global generator and may change the default dtype: put both
    # back so that the rest of the suite sees what it would have seen without them.
    monkeypatch.setattr(nn.rng, "_generator", nn.rng._generator)
    dtype = al.get_default_dtype()
    try:
        result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS,
                                  globs={"__name__": "__docs__"}, report=True, verbose=False)
    finally:
        al.set_default_dtype(dtype)
    print(f"{_rel(page)}: {result.attempted} examples, {result.failed} failed")
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {_rel(page)} failed (see above)"


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_every_python_block_is_a_doctest(page: Path) -> None:
    """A ``python``/``pycon`` block without ``>>>`` would be shown but never run."""
    if _rel(page) in NOT_DOCTESTS:
        how = NOT_DOCTESTS[_rel(page)]
        covered = ("not run anywhere (reported)" if how is None else
                   "run as one script by test_script_pages_run" if how == "script" else f"run by {how}")
        pytest.skip(f"{_rel(page)}: plain snippets, {covered}")
    for lang, body in _blocks(page):
        if lang in ("python", "py", "pycon", ""):
            assert ">>> " in body, f"{_rel(page)}: a {lang or 'plain'} block is not a doctest:\n{body}"
        # A doctest's expected output runs to the next blank line: a fence right after
        # the output would be read as part of it.
        if ">>> " in body:
            assert body.endswith("\n\n"), f"{_rel(page)}: end the doctest block with a blank line:\n{body}"
    assert "doctest: +SKIP" not in page.read_text(encoding="utf-8"), f"{_rel(page)} skips an example"


@pytest.mark.parametrize("name", [n for n, how in NOT_DOCTESTS.items() if how == "script"])
def test_script_pages_run(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A page of plain ``python`` blocks runs top to bottom as one script."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    page = DOCS / name
    code = "\n".join(body for lang, body in _blocks(page) if lang in ("python", "py"))
    assert code.strip(), f"{name} has no python blocks"
    exec(compile(code, str(page), "exec"), {"__name__": "__docs__"})
    print(f"{name}: ran {sum(lang in ('python', 'py') for lang, _ in _blocks(page))} python blocks as a script")


def _modules() -> list[str]:
    names = []
    for pkg in ("autograd_lite", "nn"):
        mod = importlib.import_module(pkg)
        names.append(pkg)
        for info in pkgutil.walk_packages(mod.__path__, prefix=pkg + "."):
            names.append(info.name)
    return sorted(names)


def test_docstring_examples_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every ``>>>`` example in the docstrings of autograd_lite and nn."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    failed = attempted = 0
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            result = runner.run(test)
            failed, attempted = failed + result.failed, attempted + result.attempted
    print(f"docstrings: {attempted} examples in {len(_modules())} modules, {failed} failed")
    assert failed == 0, f"{failed} of {attempted} docstring examples failed (see above)"


def test_snippet_count() -> None:
    """How many examples the docs hold (the other tests run them all)."""
    per_page = {}
    blocks = 0
    for page in PAGES:
        per_page[_rel(page)] = _count_examples(page.read_text(encoding="utf-8"), str(page))
        blocks += sum(">>> " in body for _, body in _blocks(page))
    total = sum(per_page.values())
    print(f"docs: {total} examples in {blocks} code blocks on {len(PAGES)} pages")
    for name, n in per_page.items():
        print(f"  {name}: {n}")
    assert total > 0


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """``mkdocs build --strict`` succeeds and logs no warning at all."""
    for mod in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(mod.split(".")[0]) is None or importlib.util.find_spec(mod) is None:
            pytest.skip(f"{mod} is not installed (pip install mkdocs 'mkdocstrings[python]')")
    site = tmp_path / "site"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    print(log)
    assert proc.returncode == 0, log
    assert "WARNING" not in log, log
    # The pictures were drawn at build time, and the ops table lists every op.
    for img in ("mlp-forward.svg", "mlp-backward.svg", "quickstart-backward.svg",
                "explorer-mnist.html", "explorer-compare.html"):
        assert (site / "img" / img).stat().st_size > 0
    # The explorer's screenshots need headless Chromium: made, or a note says why not.
    explorer = (site / "explorer" / "index.html").read_text(encoding="utf-8")
    for shot in ("explorer-node.png", "explorer-step3.png", "explorer-collapsed.png",
                 "explorer-compare.png"):
        assert (site / "img" / shot).is_file() or f"Screenshot not made by this build" in explorer
    import autograd_lite as al
    ops_html = (site / "reference" / "ops" / "index.html").read_text(encoding="utf-8")
    for name, op in al.Op.registry.items():
        assert f'id="{op.__module__}.{op.__qualname__}"' in ops_html, f"op {name} is not in the API reference"
