"""For ``python -m pytest --doctest-glob='*.md' docs/``: run each page in a fresh
temporary directory, so the pictures its examples write do not land in the checkout."""

import pytest


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
