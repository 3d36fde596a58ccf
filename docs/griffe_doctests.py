"""A griffe extension: show docstring doctests as Python code in the API reference.

In Markdown a line starting with ``>>>`` is a nested blockquote, and an output
line like ``['w', 'sum']`` looks like a reference link (which the strict build
rejects). NumPy-style ``Examples`` sections are already parsed as code by
griffe; everywhere else, this wraps each doctest session (its ``>>>``/``...``
lines and the output up to the next blank line) in a ``pycon`` fence. It also
turns reST's ``VJP::`` into ``VJP:`` and Sphinx roles (``:func:`draw```) into
code spans.

The docstrings themselves are unchanged: ``python -m pytest --doctest-modules``
and ``tests/test_docs.py`` run them as written.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

# Sphinx cross-reference roles (:func:`draw`, :class:`~autograd_lite.Tensor`).
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


def sphinx_roles(text: str) -> str:
    """``:func:`x``` as ```x```: Markdown has no roles, and a guessed cross-reference
    that does not resolve would fail the strict build."""
    return _ROLE.sub(lambda m: f"`{m.group(1)}`", text)


def fence_doctests(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    in_examples = False
    in_fence = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if stripped and set(nxt) == {"-"} and len(nxt) >= 3:
            in_examples = stripped == "Examples"  # a NumPy section heading
        if stripped.startswith("```"):
            in_fence = not in_fence
        if stripped.startswith(">>>") and not in_examples and not in_fence:
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            if out and out[-1].strip():
                out.append("")
            out.append(f"{indent}```pycon")
            out.extend(block)
            out.append(f"{indent}```")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def literal_markers(text: str) -> str:
    """reST's ``Text::`` (a paragraph introducing a literal block) as ``Text:``;
    the indented block after it is already a code block in Markdown."""
    out = []
    for line in text.split("\n"):
        if line.rstrip().endswith("::") and not line.lstrip().startswith((">>>", "...")):
            line = line.rstrip()[:-1]
            if line.strip() == ":":
                line = ""
        out.append(line)
    return "\n".join(out)


class FenceDoctests(griffe.Extension):
    """In every docstring: fence bare doctest sessions, turn ``VJP::`` into ``VJP:``,
    and show Sphinx roles as code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        doc = obj.docstring
        if doc is None:
            return
        value = literal_markers(doc.value) if "::" in doc.value else doc.value
        value = sphinx_roles(value)
        if ">>>" in value:
            value = fence_doctests(value)
        doc.value = value
