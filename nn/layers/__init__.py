"""Layers, one module per kind: :mod:`~nn.layers.linear` (``Linear``, ``Identity``,
``Flatten``), :mod:`~nn.layers.norm`, :mod:`~nn.layers.dropout` and
:mod:`~nn.layers.activation` (one module per activation function), the sequence layers
(:mod:`~nn.layers.embedding`, :mod:`~nn.layers.cells`, :mod:`~nn.layers.recurrent`) and
:mod:`~nn.layers.attention`."""

from .attention import AdditiveAttention, DotProductAttention, MultiheadAttention
from .cells import GRUCell, LSTMCell, RNNCell
from .embedding import Embedding
from .recurrent import GRU, LSTM, RNN
from .activation import (ACTIVATIONS, ELU, GELU, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU,
                         Sigmoid, SiLU, Softmax, Softplus, Swish, Tanh)
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .norm import BatchNorm1d, LayerNorm

__all__ = [
    "Linear", "Identity", "Flatten", "Dropout", "BatchNorm1d", "LayerNorm",
    "ReLU", "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Swish", "GELU",
    "Mish", "Softmax", "LogSoftmax", "ACTIVATIONS",
    "Embedding", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU",
    "DotProductAttention", "AdditiveAttention", "MultiheadAttention",
]
