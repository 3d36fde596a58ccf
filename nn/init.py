"""Initialisers, named as in ``torch.nn.init``: each fills a tensor in place and returns it.

Random ones draw from ``generator`` (a ``numpy.random.Generator``) or, when it is
None, from the global generator that :func:`nn.manual_seed` seeds. Values are drawn
in float64 and stored in the tensor's own dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as al

from .rng import get_generator

__all__ = ["calculate_gain", "calculate_fan_in_and_fan_out", "zeros_", "ones_", "constant_",
           "uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "glorot_uniform_", "glorot_normal_",
           "he_uniform_", "he_normal_"]

_LINEAR = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance stable through ``nonlinearity``:
    1 for linear, the (transposed) convolutions and sigmoid, 5/3 for tanh, sqrt(2) for relu,
    sqrt(2 / (1 + slope**2)) for leaky_relu (slope ``param``, default 0.01), 3/4 for selu."""
    if not isinstance(nonlinearity, str):
        raise TypeError(f"calculate_gain: nonlinearity must be a str, got {nonlinearity!r}")
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        _number(slope, "param (the negative slope)", "calculate_gain")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
                     f"{[*_LINEAR, 'tanh', 'relu', 'leaky_relu', 'selu']}")


def calculate_fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape (out, in, *kernel):
    ``in * prod(kernel)`` and ``out * prod(kernel)``."""
    shape = _shape(_check(tensor, "calculate_fan_in_and_fan_out", floating=False))
    if len(shape) < 2:
        raise ValueError(f"calculate_fan_in_and_fan_out: need a tensor with at least 2 "
                         f"dimensions (out, in, ...); got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _check(tensor: Any, fn: str, floating: bool = True) -> Any:
    """``tensor`` if it is a (floating) Tensor or ndarray, else a TypeError naming ``fn``."""
    arr = tensor.data if isinstance(tensor, al.Tensor) else tensor
    if not isinstance(arr, np.ndarray) or floating and arr.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating Tensor or ndarray, got {type(tensor).__name__}"
                        + (f" of dtype {arr.dtype}" if isinstance(arr, np.ndarray) else ""))
    return tensor


def _number(value: Any, name: str, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{fn}: {name} must be finite, got {value!r}")
    return float(value)


def _fill(tensor: Any, values: Any, fn: str) -> Any:
    arr = _check(tensor, fn)
    if isinstance(tensor, al.Tensor):
        with al.no_grad():
            tensor.copy_(values)
    else:
        np.copyto(arr, values, casting="same_kind")
    return tensor


def _shape(tensor: Any) -> tuple[int, ...]:
    return np.shape(tensor.data if isinstance(tensor, al.Tensor) else tensor)


def zeros_(tensor: Any) -> Any:
    """Fill with 0."""
    return _fill(tensor, 0.0, "zeros_")


def ones_(tensor: Any) -> Any:
    """Fill with 1."""
    return _fill(tensor, 1.0, "ones_")


def constant_(tensor: Any, val: float) -> Any:
    """Fill with ``val``."""
    return _fill(tensor, _number(val, "val", "constant_"), "constant_")


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Any:
    """Fill with draws from U(a, b)."""
    return _uniform(tensor, a, b, generator, "uniform_")


def _uniform(tensor: Any, a: float, b: float, generator: Any, fn: str) -> Any:
    _check(tensor, fn)
    if not _number(a, "a", fn) <= _number(b, "b", fn):
        raise ValueError(f"{fn}: need a <= b, got a={a}, b={b}")
    return _fill(tensor, get_generator(generator).uniform(a, b, _shape(tensor)), fn)


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Any:
    """Fill with draws from N(mean, std**2)."""
    return _normal(tensor, mean, std, generator, "normal_")


def _normal(tensor: Any, mean: float, std: float, generator: Any, fn: str) -> Any:
    _check(tensor, fn)
    _number(mean, "mean", fn)
    if _number(std, "std", fn) < 0:
        raise ValueError(f"{fn}: std must be >= 0, got {std}")
    return _fill(tensor, get_generator(generator).normal(mean, std, _shape(tensor)), fn)


def xavier_uniform_(tensor: Any, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Any:
    """Glorot & Bengio (2010): U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    a = _number(gain, "gain", "xavier_uniform_") * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform(tensor, -a, a, generator, "xavier_uniform_")


def xavier_normal_(tensor: Any, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Any:
    """Glorot & Bengio (2010): N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    std = _number(gain, "gain", "xavier_normal_") * math.sqrt(2.0 / (fan_in + fan_out))
    return _normal(tensor, 0.0, std, generator, "xavier_normal_")


def _fans(tensor: Any, fn: str) -> tuple[int, int]:
    """:func:`calculate_fan_in_and_fan_out` of a floating tensor, errors naming ``fn``."""
    shape = _shape(_check(tensor, fn))
    if len(shape) < 2:
        raise ValueError(f"{fn}: need a tensor with at least 2 dimensions (out, in, ...); got "
                         f"shape {shape}")
    return calculate_fan_in_and_fan_out(tensor)


def _kaiming_std(tensor: Any, a: float, mode: str, nonlinearity: str, fn: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, fn)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Any:
    """He et al. (2015): U(-b, b) with ``b = gain * sqrt(3 / fan)``, ``fan`` the fan-in
    (keeps the forward variance) or fan-out (the backward one), ``a`` the leaky slope."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return _uniform(tensor, -bound, bound, generator, "kaiming_uniform_")


def kaiming_normal_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Any:
    """He et al. (2015): N(0, std**2) with ``std = gain / sqrt(fan)``."""
    return _normal(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"),
                   generator, "kaiming_normal_")


def orthogonal_(tensor: Any, gain: float = 1.0,
                generator: np.random.Generator | None = None) -> Any:
    """Saxe et al. (2013): a (semi-)orthogonal matrix, scaled by ``gain``.

    The tensor is viewed as (shape[0], rest); the Q factor of a Gaussian matrix,
    with column signs fixed by R's diagonal so that Q is uniformly distributed.
    """
    _fans(tensor, "orthogonal_")
    gain = _number(gain, "gain", "orthogonal_")
    shape = _shape(tensor)
    rows, cols = shape[0], math.prod(shape[1:])
    flat = get_generator(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(shape), "orthogonal_")


glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
