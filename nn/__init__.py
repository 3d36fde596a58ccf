"""nn: neural-network building blocks on autograd_lite, with PyTorch's names."""

from . import functional, init
from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU, Sigmoid, SiLU,
                         Softmax, Softplus, Swish, Tanh)
from .layers import BatchNorm1d, Dropout, Flatten, Identity, LayerNorm, Linear
from .module import IncompatibleKeys, Module, ModuleDict, ModuleList, Parameter, Sequential
from .rng import manual_seed

# --- integrator: datasets / data exports (nn.datasets, nn.data) go here ---
