"""Ready-made models: the lessons' ``Perceptron``, the ``MLP`` builder, the two-layer
MNIST network ``TwoLayerNet`` (with ``two_layer_net``, ``predict`` and ``evaluate``) that
the CLI, the examples and the docs all use, and the convolutional ``LeNet``."""

from .lenet import LeNet
from .mlp import MLP
from .perceptron import Perceptron
from .twolayer import TwoLayerNet, evaluate, predict, two_layer_net

__all__ = ["Perceptron", "MLP", "TwoLayerNet", "two_layer_net", "predict", "evaluate", "LeNet"]
