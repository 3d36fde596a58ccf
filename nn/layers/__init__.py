"""Layers, one module per kind: :mod:`~nn.layers.linear` (``Linear``, ``Identity``,
``Flatten``), :mod:`~nn.layers.norm`, :mod:`~nn.layers.dropout` and
:mod:`~nn.layers.activation` (one module per activation function)."""

from .activation import (ACTIVATIONS, ELU, GELU, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU,
                         Sigmoid, SiLU, Softmax, Softplus, Swish, Tanh)
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .norm import BatchNorm1d, LayerNorm

__all__ = [
    "Linear", "Identity", "Flatten", "Dropout", "BatchNorm1d", "LayerNorm",
    "ReLU", "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Swish", "GELU",
    "Mish", "Softmax", "LogSoftmax", "ACTIVATIONS",
]
