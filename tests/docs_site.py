"""The documentation site, built once per test session by ``mkdocs build --strict``
(tests/test_docs.py checks the build, tests/test_docs_site.py what a reader gets)."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEEDS = {"mkdocs": "mkdocs", "mkdocstrings": "mkdocstrings[python]",
         "mkdocstrings_handlers.python": "mkdocstrings[python]", "material": "mkdocs-material"}


@functools.lru_cache(maxsize=None)
def _build() -> tuple[Path, str, int]:
    site = Path(tempfile.mkdtemp(prefix="autograd-lite-site-")) / "site"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        # mkdocs-material's banner about its end of life (May 2027), on every build: news,
        # not a problem with these docs, and its text names a "WARNING" variable.
        "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return site, proc.stdout + proc.stderr, proc.returncode


def built_site() -> tuple[Path, str, int]:
    """(the site directory, the build's log, its return code); skips the calling test
    when a package the build needs is not installed."""
    for mod, package in NEEDS.items():
        top = mod.split(".")[0]
        if importlib.util.find_spec(top) is None or importlib.util.find_spec(mod) is None:
            pytest.skip(f"{mod} is not installed (pip install '{package}')")
    return _build()
