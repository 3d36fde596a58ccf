"""The house rules of docs/architecture.md, as tests.

The import contracts live in pyproject.toml ([tool.importlinter]) and are checked with
import-linter: autograd_lite never imports nn, nothing imports the CLI, no import cycles,
the engine's layers point down. Modules stay small (checked here from the source);
that nn uses only autograd_lite's public names is checked in tests/nn/test_public_api.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd_lite", "nn")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    # A fresh interpreter, so the packages under ``cwd`` are the ones analysed.
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_the_import_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("autograd_lite/graph.py", "import nn", "autograd_lite never imports nn"),
    ("nn/utils.py", "import nn.cli", "nothing imports the CLI"),
    ("autograd_lite/graph.py", "from . import tensor", "no import cycles"),
])
def test_a_broken_contract_is_caught(tmp_path, module, line, contract):
    """The contracts are not vacuous: one bad import in a copy of the code breaks them."""
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout, result.stdout


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


#: Modules allowed past ~400 lines: one cohesive thing each, whose docstring says why.
LARGE = {"autograd_lite/tensor.py", "autograd_lite/ops/conv.py"}


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_stay_small(package):
    too_big = {}
    for path in _sources(package):
        rel = str(path.relative_to(ROOT))
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > 420 and rel not in LARGE:
            too_big[rel] = n
    assert not too_big, f"modules over 420 lines (split them, or say why in LARGE): {too_big}"


# ------------------------------------------------------------------ the map

MAP = ROOT / "docs" / "architecture.md"


def _named_on_map(text: str) -> set[str]:
    """The paths the map (the text block under "## The folders") names: in its left
    column, names relative to the folder above them, two spaces of indent per folder;
    a line that starts in the description column continues the description above."""
    block = text.split("## The folders", 1)[1].split("```text\n", 1)[1].split("\n```", 1)[0]
    lines = block.splitlines()
    description_column = len(re.match(r"\S+\s+", lines[0]).group())
    folders: list[str] = []
    named: set[str] = set()
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent >= description_column:
            continue
        depth, odd = divmod(indent, 2)
        assert not odd and depth <= len(folders), f"the map's indent is off at {line!r}"
        del folders[depth:]
        names = re.split(r"\s{2,}", line.strip())[0].split()
        named.update("/".join([*folders, name.rstrip("/")]) for name in names)
        if len(names) == 1 and names[0].endswith("/"):
            folders.append(names[0].rstrip("/"))
    return named


def _map_errors(text: str) -> tuple[list[str], list[str]]:
    """(modules and packages the map leaves out, paths it names that do not exist)."""
    named = _named_on_map(text)
    wanted = set()
    for package in PACKAGES:
        for path in _sources(package):
            rel = path.relative_to(ROOT)
            wanted.add(str(rel.parent) if rel.name == "__init__.py" else str(rel))
    return sorted(wanted - named), sorted(p for p in named if not (ROOT / p).exists())


def test_the_map_lists_every_module_and_only_what_exists():
    assert len(_named_on_map(MAP.read_text(encoding="utf-8"))) > 100  # the map was read
    missing, nonexistent = _map_errors(MAP.read_text(encoding="utf-8"))
    assert not missing, f"docs/architecture.md does not list {missing}"
    assert not nonexistent, f"docs/architecture.md lists {nonexistent}, which do not exist"


def test_a_module_left_off_the_map_is_caught():
    text = MAP.read_text(encoding="utf-8")
    line = next(l for l in text.splitlines() if l.lstrip().startswith("module_hooks.py "))
    text = text.replace(line + "\n", "  ghost.py                not a module\n")
    assert _map_errors(text) == (["nn/module_hooks.py"], ["nn/ghost.py"])
