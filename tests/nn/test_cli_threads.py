"""``autograd-lite mnist --threads N``: the BLAS thread pools are limited while training
(and only then), bad values are refused by name, and a missing threadpoolctl is explained."""

from __future__ import annotations

import sys

import pytest

import nn.cli as cli
import nn.cli.train as cli_train
from mnist_data import cached_load as _cached_load
from mnist_data import mnist_root
from nn.cli.threads import DEFAULT_THREADS

threadpoolctl = pytest.importorskip("threadpoolctl")


@pytest.fixture(autouse=True)
def _load_once(monkeypatch):
    monkeypatch.setattr(cli_train, "load_mnist", _cached_load)


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]


def _tiny(out, *extra: str) -> list[str]:
    return ["mnist", "--data", str(mnist_root()), "--no-download", "--out", str(out),
            "--no-progress", "--limit", "128", "--hidden", "8", "--epochs", "1", "--seed", "0",
            *extra]


@pytest.mark.parametrize("value, message", [
    ("0", "expected a positive integer, got 0"),
    ("-2", "expected a positive integer, got -2"),
    ("two", "expected a positive integer, got 'two'"),
])
def test_bad_thread_counts_are_refused(value, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["mnist", "--threads", value])
    assert exc.value.code == 2
    assert f"argument --threads: {message}" in capsys.readouterr().err


@pytest.mark.parametrize("argv, expected", [((), DEFAULT_THREADS), (("--threads", "2"), 2)])
def test_training_runs_with_the_asked_blas_threads(argv, expected, tmp_path, monkeypatch,
                                                   capsys):
    if not _blas_threads():
        pytest.skip("NumPy's BLAS is not one threadpoolctl can see")
    seen, real_evaluate = [], cli_train.evaluate
    monkeypatch.setattr(cli_train, "evaluate",
                        lambda *a: seen.append(_blas_threads()) or real_evaluate(*a))
    before = _blas_threads()
    assert cli.main(_tiny(tmp_path / "run", *argv)) == 0
    assert seen == [[expected] * len(before)]
    assert _blas_threads() == before  # restored afterwards
    plural = "s" * (expected != 1)
    assert f"{expected} BLAS thread{plural} -> " in capsys.readouterr().out


def test_without_threadpoolctl(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    assert cli.main(_tiny(tmp_path / "a", "--threads", "2")) == 2
    err = capsys.readouterr().err
    assert "--threads needs the threadpoolctl package: pip install threadpoolctl" in err
    assert not (tmp_path / "a").exists()
    assert cli.main(_tiny(tmp_path / "b")) == 0  # the default needs no threadpoolctl
    assert "the library's default (threadpoolctl is not installed)" in capsys.readouterr().out
