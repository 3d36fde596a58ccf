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
from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, Mish, PReLU, ReLU, Sigmoid, SiLU,
                         Softmax, Softplus, Swish, Tanh)
from .layers import BatchNorm1d, Dropout, Flatten, Identity, LayerNorm, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, ContrastiveLoss, CrossEntropyLoss, DiceLoss,
                   FocalLoss, HingeLoss, HuberLoss, KLDivLoss, L1Loss, LogCoshLoss, MSELoss,
                   NLLLoss, QuantileLoss, SmoothL1Loss, SquaredHingeLoss, TripletMarginLoss)
from .models import MLP, Perceptron
from .module import IncompatibleKeys, Module, ModuleDict, ModuleList, Parameter, Sequential
from .rng import manual_seed
from .serialization import CheckpointError, load, save
from .utils import clip_grad_norm_, clip_grad_value_
from .recurrent import GRU, LSTM, RNN, Embedding, GRUCell, LSTMCell, RNNCell
from .attention import AdditiveAttention, DotProductAttention, MultiheadAttention

from . import data, datasets, diagnostics, models, twolayer
from .diagnostics import Monitor
from .models import TwoLayerNet, evaluate, predict, two_layer_net
from .data import DataLoader, one_hot
from .datasets import Checksum, DatasetError, MNISTData, Split, load_mnist, read_idx, to_float

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
    # models and utilities
    "models", "Perceptron", "MLP", "clip_grad_norm_", "clip_grad_value_",
    # data
    "data", "datasets", "DataLoader", "one_hot", "load_mnist", "read_idx", "to_float",
    "DatasetError", "Checksum", "MNISTData", "Split",
    # the lessons' two-layer network and its diagnostics
    "diagnostics", "twolayer", "TwoLayerNet", "two_layer_net", "predict", "evaluate", "Monitor",
    # sequence models and attention
    "Embedding", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "DotProductAttention",
    "AdditiveAttention", "MultiheadAttention",
]
