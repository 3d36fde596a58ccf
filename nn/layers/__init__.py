"""Layers, one module per kind: :mod:`~nn.layers.linear` (``Linear``, ``Identity``,
``Flatten``, ``Unflatten``), :mod:`~nn.layers.conv`, :mod:`~nn.layers.pool`,
:mod:`~nn.layers.norm`, :mod:`~nn.layers.dropout`, :mod:`~nn.layers.activation` (one
module per activation function), the sequence layers (:mod:`~nn.layers.embedding`,
:mod:`~nn.layers.cells`, :mod:`~nn.layers.recurrent`) and :mod:`~nn.layers.attention`."""

from .attention import AdditiveAttention, DotProductAttention, MultiheadAttention
from .cells import GRUCell, LSTMCell, RNNCell
from .embedding import Embedding
from .recurrent import GRU, LSTM, RNN
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
    "Embedding", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU",
    "DotProductAttention", "AdditiveAttention", "MultiheadAttention",
]
