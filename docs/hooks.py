"""MkDocs hooks: pictures made at build time, and the ops table made from the registry.

Nothing this file makes is committed. ``on_pre_build`` runs the project's own
drawing code (``examples/draw_graph.py``, and the examples of each page that
draws: they write their pictures as they run) in a scratch directory, and ``on_files`` hands those files to MkDocs as if they were
in ``docs/img/``. So a picture in the docs is always what the current code draws,
and a page that shows a picture nobody made fails the strict build. One exception: the
explorer's screenshots need headless Chromium; without it the build logs why, and the
page shows a note where each screenshot would be (the explorer pages themselves are
still made).

``<!-- ops-table -->`` in a page becomes a table of every op in
``autograd_lite.Op.registry``: its name, its class (linked to the class's
rendered docstring, so an op missing from the API reference is a broken
reference, which fails the strict build) and the math of its VJP.

Every ``pycon`` block (a doctest session, in a page or a docstring) gets a
``data-copy`` attribute holding its code alone: Material's copy button copies
that instead of the block's text, so what a reader pastes runs in a plain
Python REPL or script (see :func:`session_code`).

``<!-- numpy-table -->`` becomes the tables of which NumPy functions work on a
Tensor, made from the tables ``Tensor.__array_ufunc__`` and
``Tensor.__array_function__`` dispatch through (``autograd_lite/tensor.py``).
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
import io
import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger("mkdocs.hooks.autograd_lite")
_out_dir: Path | None = None
_made: list[str] = []
_skipped: dict[str, str] = {}  # picture -> why it could not be made


# --- pictures ---------------------------------------------------------------------------

def _example(name: str) -> Any:
    """Import ``examples/<name>.py`` as a module (the examples are not a package)."""
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_docs_example_{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def draw_mlp(out: Path) -> None:
    """mlp-forward.svg, mlp-backward.svg, mlp-collapsed.svg (used by graphs.md)."""
    _example("draw_graph").main([str(out)])


def draw_explorer(out: Path) -> None:
    """explorer-mnist.html, explorer-compare.html and their screenshots (explorer.md)."""
    mod = _example("explore_graph")
    missing = mod.chromium_missing()
    mod.main([str(out)] + (["--no-screenshots"] if missing else []))
    if missing:
        _skipped.update(dict.fromkeys(mod.SCREENSHOTS, missing))
        log.info("explorer screenshots skipped: %s; explorer.md shows a note instead", missing)


def draw_explain(out: Path) -> None:
    """explain-{mnist,fashion-mnist}-*.png (explain.md): a small CNN trained briefly on each
    data set found locally (never downloaded by the build; a missing one is noted)."""
    mod = _example("explain_mnist")
    from nn.datasets import DatasetError

    for dataset in ("mnist", "fashion-mnist"):
        try:
            mod.main([str(out), "--dataset", dataset, "--no-download"])
        except DatasetError as e:
            why = f"{dataset} not found locally: {str(e).splitlines()[0]}"
            _skipped.update(dict.fromkeys(mod.pictures(dataset), why))
            log.info("explain pictures of %s skipped: %s", dataset, why)


def run_page(name: str) -> Callable[[Path], None]:
    """Run a page's doctest examples in the output directory: the files they write
    (``al.viz.render(loss, "dead-relu.svg")``) are the page's pictures, so a picture is
    always what the code shown beside it draws. Examples that expect an exception may
    raise it; any other error stops the build."""
    def draw(out: Path) -> None:
        import doctest

        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        globs: dict[str, Any] = {"__name__": "__docs__"}
        cwd = os.getcwd()
        os.chdir(out)
        try:
            for ex in doctest.DocTestParser().get_examples(text, name):
                try:
                    exec(compile(ex.source, f"{name}:{ex.lineno + 1}", "single"), globs)
                except Exception:
                    if ex.exc_msg is None:
                        raise
        finally:
            os.chdir(cwd)
    draw.__name__ = f"run_page({name!r})"
    return draw


#: Every picture the docs show, by the function that draws it into a directory.
PICTURES: list[Callable[[Path], None]] = [
    draw_mlp,                       # graphs.md
    draw_explorer,                  # explorer.md
    draw_explain,                   # explain.md
    run_page("quickstart.md"),
    run_page("debugging.md"),
    run_page("optimizers.md"),
    run_page("sequence-models.md"),
]


def on_config(config: Any) -> Any:
    # Import the checkout's autograd_lite and nn, not an installed copy. (Not at
    # import time: MkDocs pops its own sys.path entry after loading this file.)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return config


def on_pre_build(config: Any) -> None:
    global _out_dir
    _out_dir = Path(tempfile.mkdtemp(prefix="autograd-lite-docs-img-"))
    _skipped.clear()
    img = _out_dir / "img"
    img.mkdir()
    os.environ.setdefault("MPLBACKEND", "Agg")
    import autograd_lite as al

    dtype = al.get_default_dtype()
    for draw in PICTURES:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                draw(img)
        finally:
            al.set_default_dtype(dtype)
    _made[:] = sorted(p.name for p in img.iterdir())
    log.info("drew %d pictures: %s", len(_made), ", ".join(_made))


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    assert _out_dir is not None
    for name in _made:
        files.append(File(f"img/{name}", src_dir=str(_out_dir), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files


# --- the ops table ------------------------------------------------------------------------

def _vjp_lines(doc: str) -> list[str]:
    """The lines of the ``VJP::`` literal block of an op's docstring."""
    lines = (doc or "").expandtabs().splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "VJP::":
            base = len(line) - len(line.lstrip())
            block: list[str] = []
            for nxt in lines[i + 1:]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= base:
                    break
                block.append(nxt.strip())
            return [b for b in block if b]
    return []


def ops_table() -> str:
    from autograd_lite import Op

    rows = ["| op | class | VJP (g = dL/d out) |", "|---|---|---|"]
    for name, op in sorted(Op.registry.items(), key=lambda kv: (kv[1].__module__, kv[0])):
        math = "<br>".join(f"<code>{_html(line)}</code>" for line in _vjp_lines(op.__doc__))
        if not math:
            raise ValueError(f"op {name!r} ({op.__module__}.{op.__qualname__}) has no VJP:: block")
        ref = f"{op.__module__}.{op.__qualname__}"
        rows.append(f"| `{name}` | [{op.__qualname__}][{ref}] | {math} |")
    return "\n".join(rows)


def _html(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "&#124;").replace("*", "&#42;").replace("_", "&#95;")
            .replace("`", "&#96;").replace("[", "&#91;").replace("]", "&#93;"))


# --- the NumPy table ----------------------------------------------------------------------

def _op_link(name: str) -> str:
    from autograd_lite import Op

    op = Op.registry[name]
    return f"[`al.{name}`][{op.__module__}.{op.__qualname__}]"


def _special_functions() -> list[str]:
    """NumPy functions ``Tensor.__array_function__`` handles in code of its own
    (``if func is np.split: ...``) rather than through a table: each is the ``al``
    function of the same name."""
    import inspect
    import re

    import autograd_lite as al

    names = re.findall(r"func is np\.(\w+)", inspect.getsource(al.Tensor.__array_function__))
    missing = [n for n in names if not hasattr(al, n)]
    if missing:
        raise ValueError(f"Tensor.__array_function__ handles np.{missing[0]}, but there is no al.{missing[0]}")
    return names


def numpy_table() -> str:
    """Markdown: which NumPy functions take Tensors, and what to use for the others."""
    import importlib

    t = importlib.import_module("autograd_lite.tensor")  # al.tensor is the function

    recorded = {f"np.{u}": _op_link(op) for u, op in t.UFUNC_OPS.items()}
    recorded.update({t.numpy_name(f): _op_link(op) for f, op in t.ARRAY_FUNCTION_OPS.items()})
    recorded.update({t.numpy_name(f): _op_link(a.op.name)
                     for f, a in t.ARRAY_FUNCTION_ADAPTERS.items()})
    recorded.update({f"np.{name}": f"`al.{name}`" for name in _special_functions()})
    # Two pairs of columns, read down each: half the height of one pair.
    cells = [f"`{n}` | {recorded[n]}" for n in sorted(recorded)]
    rows = -(-len(cells) // 2)
    cells += [" | "] * (2 * rows - len(cells))
    out = ["### Differentiable: recorded like the `al` function", "",
           "| NumPy | records " * 2 + "|", "|---" * 4 + "|"]
    out += ["| " + " | ".join(cells[r::rows]) + " |" for r in range(rows)]
    ufuncs = ", ".join(f"`np.{u}`" for u in sorted(t.NONDIFF_UFUNCS))
    funcs = ", ".join(f"`{n}`" for n in sorted({t.numpy_name(f) for f in t.NONDIFF_FUNCTIONS}))
    out += ["", "### Not differentiable: they read the values", "",
            "| NumPy | returns |", "|---|---|",
            f"| {ufuncs} | a Tensor that needs no gradient (a constant in the graph) |",
            f"| {funcs} | what NumPy returns for the values (an array, a bool, a shape) |",
            "", "### Not supported, with what to use instead", "",
            "| NumPy | use instead |", "|---|---|"]
    out += [f"| `{n}` | {_html(use)} |" for n, use in sorted(t.ALTERNATIVES.items())]
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if "<!-- ops-table -->" in markdown:
        markdown = markdown.replace("<!-- ops-table -->", ops_table())
    if "<!-- numpy-table -->" in markdown:
        markdown = markdown.replace("<!-- numpy-table -->", numpy_table())
    for name, why in _skipped.items():  # a picture this build could not make: say so
        markdown = re.sub(rf"!\[([^\]]*)\]\(img/{re.escape(name)}\)",
                          lambda m: f"*[Screenshot not made by this build ({why}): {m.group(1)}]*",
                          markdown)
    return markdown


# --- the copy button on doctest sessions --------------------------------------------------

_PYCON = re.compile(r'(<div class="language-pycon highlight"><pre>(?:<span></span>)?<code)(>)(.*?)(</code>)',
                    re.S)


def session_code(session: str) -> str:
    """The code of a doctest session, for pasting into a plain REPL or a script.

    The ``>>>``/``...`` prompts and the expected output go; an example that is
    expected to raise is kept as a comment (a script would stop there); an
    indented block is followed by a blank line, which a plain REPL needs to end it.
    The examples are found by ``doctest`` itself, as the tests run them.
    """
    import doctest

    lines: list[str] = []
    for ex in doctest.DocTestParser().get_examples(session):
        source = ex.source.rstrip("\n").split("\n")
        if ex.exc_msg is not None:
            error = ex.want.rstrip().splitlines()[-1].split(":")[0]
            source = [f"# {line}" for line in source]
            source[-1] += f"  # raises {error}"
        lines += source
        if source[-1][:1].isspace():
            lines.append("")
    return "\n".join(lines)


def _with_copy_text(match: re.Match[str]) -> str:
    session = html.unescape(re.sub(r"<[^>]+>", "", match.group(3)))
    try:
        code = session_code(session)
    except ValueError:  # not a well-formed session: the button copies what is shown
        return match.group(0)
    return f'{match.group(1)} data-copy="{html.escape(code)}"{match.group(2)}{match.group(3)}{match.group(4)}'


# --- long lines in code blocks -------------------------------------------------------------

_LINE = re.compile(r'(<span id="__span-\d+-\d+")>')


def _hanging_indents(page_html: str) -> str:
    """Each code line (a ``__span-`` span, from pymdownx.highlight's ``line_spans``) that
    starts with spaces, or a doctest prompt, gets ``--indent: <n>ch``: docs/css/extra.css
    wraps a long line and indents its continuation 4 columns past where its code starts."""
    def indent(m: re.Match[str]) -> str:
        text = html.unescape(re.sub(r"<[^>]*>", "", page_html[m.end():m.end() + 400]))
        prompt = 4 if text.startswith((">>> ", "... ")) else 0
        n = prompt + len(text[prompt:]) - len(text[prompt:].lstrip(" "))
        return f'{m.group(1)} style="--indent: {n}ch">' if n else m.group(0)
    return _LINE.sub(indent, page_html)


def on_post_page(output: str, page: Any, config: Any) -> str:
    return _hanging_indents(_PYCON.sub(_with_copy_text, output))


def on_post_build(config: Any) -> None:
    if _out_dir is not None:
        import shutil
        shutil.rmtree(_out_dir, ignore_errors=True)
