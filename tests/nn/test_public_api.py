"""nn is a client of autograd_lite: it uses only autograd_lite's public names, reads a
gradient's values in one place (``nn.utils.grad_array``), and the modules that #17 split
stay small."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import autograd_lite as al
import nn

NN = Path(nn.__file__).parent
MODULES = sorted(NN.rglob("*.py"))
# What a Tensor keeps to itself (its graph node, its version counter).
TENSOR_PRIVATE = {s for s in al.Tensor.__slots__ if s.startswith("_") and not s.startswith("__")}


def _rel(path: Path) -> str:
    return path.relative_to(NN.parent).as_posix()


def _chain(node: ast.AST) -> list[str] | None:
    """``['al', 'viz', 'render']`` for ``al.viz.render``; None unless rooted at a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _autograd_lite_uses(path: Path) -> list[str]:
    """Every way ``path`` reaches into autograd_lite other than its public names."""
    public = set(al.__all__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases, problems = set(), []
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                if a.name.split(".")[0] == "autograd_lite":
                    if a.name != "autograd_lite":
                        problems.append(f"{n.lineno}: import {a.name}")
                    aliases.add(a.asname or a.name)
        elif isinstance(n, ast.ImportFrom) and n.level == 0 \
                and (n.module or "").split(".")[0] == "autograd_lite":
            # From autograd_lite or a public package of it (al.viz), names in its __all__.
            names = [a.name for a in n.names]
            parts = n.module.split(".")
            ok = len(parts) == 1 or (len(parts) == 2 and parts[1] in public)
            if not ok or not set(names) <= set(importlib.import_module(n.module).__all__):
                problems.append(f"{n.lineno}: from {n.module} import {', '.join(names)}")
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute):
            chain = _chain(n)
            if chain and chain[0] in aliases and len(chain) > 1:
                if chain[1] not in public or any(p.startswith("_") and not p.startswith("__")
                                                 for p in chain[2:]):
                    problems.append(f"{n.lineno}: {'.'.join(chain)}")
            if n.attr in TENSOR_PRIVATE:
                problems.append(f"{n.lineno}: .{n.attr}")
        elif isinstance(n, ast.Constant) and n.value in TENSOR_PRIVATE:
            problems.append(f"{n.lineno}: {n.value!r}")
    return problems


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_nn_uses_only_autograd_lites_public_names(path):
    assert _autograd_lite_uses(path) == []


def test_the_public_name_check_catches_private_access(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import autograd_lite as al\nfrom autograd_lite.graph import no_grad\n"
                   "from autograd_lite import Tensor, _x\nal._secret\nal.viz._draw\n"
                   "t._node\nhasattr(g, '_version')\nfrom autograd_lite.viz import _style\n"
                   "al.Tensor\nal.hooks.register_forward_hook\n"
                   "from autograd_lite.viz import GraphvizNotFoundError\n")
    assert sorted(int(p.split(":")[0]) for p in _autograd_lite_uses(bad)) == [2, 3, 4, 5, 6, 7, 8]


def _grad_reads(path: Path) -> list[str]:
    """Calls that inspect a ``.grad`` to tell an array from a Tensor or to get its values:
    ``isinstance(p.grad, ...)``, ``getattr(p.grad, ...)``, ``np.asarray(p.grad)``, ..."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.FunctionDef) and n.name == "grad_array":
            skip |= {id(m) for m in ast.walk(n)}
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and id(n) not in skip and n.args:
            fn = ast.unparse(n.func)
            if fn in ("isinstance", "getattr", "hasattr", "type", "np.asarray", "np.array") \
                    and any(isinstance(m, ast.Attribute) and m.attr == "grad"
                            for m in ast.walk(n.args[0])):
                found.append(f"{n.lineno}: {ast.unparse(n)}")
    return found


def test_gradients_are_read_through_grad_array_only():
    found = {_rel(p): _grad_reads(p) for p in MODULES}
    assert {k: v for k, v in found.items() if v} == {}
    assert _grad_reads(NN / "utils.py") == []  # (grad_array itself is the exception)


def test_the_modules_split_by_17_stay_small():
    """About 400 lines at most."""
    split = [NN / "module.py", NN / "containers.py", *sorted((NN / "layers").glob("*.py")),
             *sorted((NN / "functional").glob("*.py"))]
    sizes = {_rel(p): len(p.read_text(encoding="utf-8").splitlines()) for p in split}
    assert len(sizes) == 16 and max(sizes.values()) <= 410, sizes
