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
import pkgutil
import re
from pathlib import Path

import numpy as np
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

#: Pages whose examples need optional packages (the ``dev`` extra has all but torch, which
#: CI installs); without them the page's examples are skipped, saying which is missing.
NEEDS = {"onnx.md": ("onnx", "onnxruntime"), "pytorch.md": ("safetensors", "torch")}


def _rel(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


def _blocks(page: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(page.read_text(encoding="utf-8"))]


def _count_examples(text: str, name: str) -> int:
    return len(doctest.DocTestParser().get_examples(text, name))


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_page_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run the page's examples; any output that differs is a failure."""
    for module in NEEDS.get(_rel(page), ()):
        pytest.importorskip(module)
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


def test_mkdocs_build_strict() -> None:
    """``mkdocs build --strict`` succeeds and logs no warning at all."""
    from docs_site import built_site

    site, log, returncode = built_site()
    print(log)
    assert returncode == 0, log
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
    # ... and the NumPy table every NumPy ufunc that records an op.
    tensor_html = (site / "reference" / "tensor" / "index.html").read_text(encoding="utf-8")
    assert "<!-- numpy-table -->" not in tensor_html
    for ufunc, op in importlib.import_module("autograd_lite.tensor").UFUNC_OPS.items():
        assert f"<code>np.{ufunc}</code>" in tensor_html, f"np.{ufunc} is not in the NumPy table"


def _hooks():
    spec = importlib.util.spec_from_file_location("_docs_hooks", DOCS / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def test_numpy_table_lists_every_entry_of_the_dispatch_tables():
    """docs/reference/tensor.md's table of NumPy functions is made from tensor.py's tables."""
    import autograd_lite as al
    t = importlib.import_module("autograd_lite.tensor")
    hooks = _hooks()
    table = hooks.numpy_table()
    for ufunc, op in t.UFUNC_OPS.items():
        assert f"`np.{ufunc}` | [`al.{op}`][" in table
    for func, op in t.ARRAY_FUNCTION_OPS.items():
        assert f"`{t.numpy_name(func)}` | [`al.{op}`][" in table
    for name in t.NONDIFF_UFUNCS:
        assert f"`np.{name}`" in table
    for func in t.NONDIFF_FUNCTIONS:
        assert f"`{t.numpy_name(func)}`" in table
    for name in t.ALTERNATIVES:
        assert f"| `{name}` | " in table
    # The functions __array_function__ special-cases are found in its source, and do record.
    specials = hooks._special_functions()
    assert {"split", "ravel"} <= set(specials)
    x = al.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    assert np.ravel(x.reshape(2, 2)).op == "reshape"
    assert [part.op for part in np.split(x, 2)] == ["getitem", "getitem"]
    for name in specials:
        assert f"`np.{name}` | `al.{name}` |" in table


def test_the_numpy_tables_claim_about_nondifferentiable_ufuncs_holds():
    """\"A Tensor that needs no gradient\": each such ufunc, called on Tensors."""
    import autograd_lite as al
    t = importlib.import_module("autograd_lite.tensor")
    for name in sorted(t.NONDIFF_UFUNCS):
        ufunc = getattr(np, name)
        kind = "i" if name.startswith("bitwise") or name == "invert" else "f"
        arg = al.tensor([1, 2], dtype=np.int64) if kind == "i" else al.tensor([0.5, -2.0], requires_grad=True)
        out = ufunc(*[arg] * ufunc.nin)
        assert isinstance(out, al.Tensor) and not out.requires_grad, name
        np.testing.assert_array_equal(out.numpy(), ufunc(*[arg.numpy()] * ufunc.nin))
