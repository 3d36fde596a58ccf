"""MkDocs hooks: pictures made at build time, and the ops table made from the registry.

Nothing this file makes is committed. ``on_pre_build`` runs the project's own
drawing code (``examples/draw_graph.py``, and the examples of each page that
draws: they write their pictures as they run) in a scratch directory, and ``on_files`` hands those files to MkDocs as if they were
in ``docs/img/``. So a picture in the docs is always what the current code draws,
and a page that shows a picture nobody made fails the strict build.

``<!-- ops-table -->`` in a page becomes a table of every op in
``autograd_lite.Op.registry``: its name, its class (linked to the class's
rendered docstring, so an op missing from the API reference is a broken
reference, which fails the strict build) and the math of its VJP.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger("mkdocs.hooks.autograd_lite")
_out_dir: Path | None = None
_made: list[str] = []


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
    config["extra_css"].append(PYGMENTS_CSS)
    return config


def on_pre_build(config: Any) -> None:
    global _out_dir
    _out_dir = Path(tempfile.mkdtemp(prefix="autograd-lite-docs-img-"))
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
    files.append(File.generated(config, PYGMENTS_CSS, content=_pygments_css()))
    return files


# --- code colours -------------------------------------------------------------------------

#: The readthedocs theme styles no Pygments classes: the colours come from here.
PYGMENTS_CSS = "css/pygments.css"


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".highlight")


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


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if "<!-- ops-table -->" in markdown:
        markdown = markdown.replace("<!-- ops-table -->", ops_table())
    return markdown


def on_post_build(config: Any) -> None:
    if _out_dir is not None:
        import shutil
        shutil.rmtree(_out_dir, ignore_errors=True)
