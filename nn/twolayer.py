"""Alias of :mod:`nn.models.twolayer`, kept so that ``from nn.twolayer import TwoLayerNet``
(and ``nn.twolayer``) go on working."""

from .models.twolayer import Init, TwoLayerNet, evaluate, predict, two_layer_net

__all__ = ["TwoLayerNet", "two_layer_net", "evaluate", "predict"]
