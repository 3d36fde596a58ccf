"""nn: neural-network building blocks on autograd_lite, with PyTorch's names.

>>> import numpy as np, nn
>>> _ = nn.manual_seed(0)
>>> model = nn.MLP([2, 4, 1], activation="tanh")
>>> opt = nn.optim.Adam(model.parameters(), lr=0.05)
>>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
>>> loss = nn.functional.mse_loss(model(x), np.array([[0], [1], [1], [0]], np.float32))
>>> loss.backward(); _ = opt.step()
"""

from . import functional, init, optim, utils
from .layers import (ELU, GELU, GRU, LSTM, RNN, AdaptiveAvgPool2d, AdditiveAttention, AvgPool2d,
                     BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, DotProductAttention, Dropout,
                     Dropout2d, Embedding, Flatten, GRUCell, Identity, LayerNorm, LeakyReLU, Linear,
                     LogSoftmax, LSTMCell, MaxPool2d, Mish, MultiheadAttention, PReLU, ReLU, RNNCell,
                     Sigmoid, SiLU, Softmax, Softplus, Swish, Tanh, Unflatten)
from .loss import (BCELoss, BCEWithLogitsLoss, ContrastiveLoss, CrossEntropyLoss, DiceLoss,
                   FocalLoss, HingeLoss, HuberLoss, KLDivLoss, L1Loss, LogCoshLoss, MSELoss,
                   NLLLoss, QuantileLoss, SmoothL1Loss, SquaredHingeLoss, TripletMarginLoss)
from .models import MLP, Perceptron
from .containers import ModuleDict, ModuleList, Sequential
from .module import IncompatibleKeys, Module, Parameter
from .rng import get_rng_state, manual_seed, set_rng_state
from .serialization import CheckpointError, load, save
from . import export
from .export import export_onnx
from .utils import clip_grad_norm_, clip_grad_value_

from . import activation, containers, data, datasets, diagnostics, explain, layers, models, twolayer
from .diagnostics import Monitor
from .models import TwoLayerNet, evaluate, predict, two_layer_net
from .data import DataLoader, one_hot
from .datasets import Checksum, DatasetError, MNISTData, Split, load_mnist, read_idx, to_float

__all__ = [
    "functional", "init", "optim", "utils", "manual_seed", "get_rng_state", "set_rng_state",
    "save", "load", "CheckpointError", "export", "export_onnx",
    # module system
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "IncompatibleKeys",
    # layers
    "Linear", "Dropout", "BatchNorm1d", "LayerNorm", "Flatten", "Identity",
    "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d",
    "Unflatten",
    # activations
    "ReLU", "LeakyReLU", "ELU", "PReLU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Swish", "GELU",
    "Mish", "Softmax", "LogSoftmax",
    # losses
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "LogCoshLoss", "QuantileLoss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "HingeLoss", "SquaredHingeLoss",
    "KLDivLoss", "FocalLoss", "ContrastiveLoss", "TripletMarginLoss", "DiceLoss",
    # models and utilities
    "models", "Perceptron", "MLP", "clip_grad_norm_", "clip_grad_value_",
    # data
    "data", "datasets", "DataLoader", "one_hot", "load_mnist", "read_idx", "to_float",
    "DatasetError", "Checksum", "MNISTData", "Split",
    # the lessons' two-layer network and its diagnostics
    "diagnostics", "explain", "twolayer", "TwoLayerNet", "two_layer_net", "predict", "evaluate",
    "Monitor",
    # sequence models and attention
    "Embedding", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "DotProductAttention",
    "AdditiveAttention", "MultiheadAttention",
]

# Anomaly reports show the user's line, with nn's own frames below it collapsed.
import autograd_lite as _al  # noqa: E402

_al.register_library(__path__[0])
