"""al.set_flush_denormal: subnormal floats flushed to zero, and back."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import fpenv

SUBNORMAL = np.array([1e-39], np.float32)  # below float32's smallest normal, 1.18e-38


def test_flushing_subnormals_to_zero_and_back():
    if not al.set_flush_denormal(True):
        pytest.skip("flush-to-zero is set only on x86-64 Linux with glibc")
    try:
        assert (SUBNORMAL * np.float32(1)).item() == 0.0             # a subnormal input counts as 0
        assert (np.float32(1e-30) * np.float32(1e-10)).item() == 0.0  # a subnormal result is flushed
        assert (np.float32(1e-20) * np.float32(1e-10)).item() != 0.0  # normal numbers are untouched
    finally:
        assert al.set_flush_denormal(False)
    assert (SUBNORMAL * np.float32(1)).item() == pytest.approx(1e-39, rel=1e-3)


def test_elsewhere_it_changes_nothing_and_says_so(monkeypatch):
    monkeypatch.setattr(fpenv.platform, "machine", lambda: "aarch64")
    assert al.set_flush_denormal(True) is False
    assert (SUBNORMAL * np.float32(1)).item() != 0.0
