"""Alias of :mod:`nn.layers.activation`, kept so that ``from nn.activation import ReLU``
(and ``nn.activation.ACTIVATIONS``) go on working."""

from .layers.activation import (ACTIVATIONS, ELU, GELU, LeakyReLU, LogSoftmax, Mish, PReLU,
                                ReLU, Sigmoid, SiLU, Softmax, Softplus, Swish, Tanh)

__all__ = ["ReLU", "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Swish",
           "GELU", "Mish", "Softmax", "LogSoftmax", "ACTIVATIONS"]
