"""nn: neural-network building blocks on autograd_lite, with PyTorch's names."""

from . import functional, init, optim, utils
from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU, Sigmoid, SiLU,
                         Softmax, Softplus, Swish, Tanh)
from .layers import BatchNorm1d, Dropout, Flatten, Identity, LayerNorm, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, ContrastiveLoss, CrossEntropyLoss, DiceLoss,
                   FocalLoss, HingeLoss, HuberLoss, KLDivLoss, L1Loss, LogCoshLoss, MSELoss,
                   NLLLoss, QuantileLoss, SmoothL1Loss, SquaredHingeLoss, TripletMarginLoss)
from .module import IncompatibleKeys, Module, ModuleDict, ModuleList, Parameter, Sequential
from .rng import manual_seed
from .serialization import CheckpointError, load, save
from .utils import clip_grad_norm_, clip_grad_value_

# --- integrator: datasets / data exports (nn.datasets, nn.data) go here ---

__all__ = [
    "functional", "init", "optim", "utils", "manual_seed", "save", "load", "CheckpointError",
    # module system
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "IncompatibleKeys",
    # layers
    "Linear", "Dropout", "BatchNorm1d", "LayerNorm", "Flatten", "Identity",
    # activations
    "ReLU", "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Swish", "GELU",
    "Mish", "Softmax", "LogSoftmax",
    # losses
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "LogCoshLoss", "QuantileLoss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "HingeLoss", "SquaredHingeLoss",
    "KLDivLoss", "FocalLoss", "ContrastiveLoss", "TripletMarginLoss", "DiceLoss",
    # utilities
    "clip_grad_norm_", "clip_grad_value_",
]
