"""Layers, one module per kind: :mod:`~nn.layers.linear` (``Linear``, ``Identity``,
``Flatten``, ``Unflatten``), :mod:`~nn.layers.conv`, :mod:`~nn.layers.pool`,
:mod:`~nn.layers.norm`, :mod:`~nn.layers.dropout` and :mod:`~nn.layers.activation`
(one module per activation function)."""

from .activation import (ACTIVATIONS, ELU, GELU, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU,
                         Sigmoid, SiLU, Softmax, Softplus, Swish, Tanh)
from .conv import Conv1d, Conv2d
from .dropout import Dropout, Dropout2d
from .linear import Flatten, Identity, Linear, Unflatten
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "Linear", "Identity", "Flatten", "Unflatten", "Dropout", "Dropout2d", "BatchNorm1d",
    "BatchNorm2d", "LayerNorm", "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
    "ReLU", "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Swish", "GELU",
    "Mish", "Softmax", "LogSoftmax", "ACTIVATIONS",
]
