"""Stateless layers, activations and losses, named as in ``torch.nn.functional``.

Every function takes Tensors (or arrays) and returns a Tensor built from
autograd_lite ops, so gradients come from the engine. Losses take
``reduction='mean'|'sum'|'none'``. Targets that need no gradient are cast to the
input's dtype, so a float64 NumPy target does not turn a float32 model's loss
into float64. Every loss stays finite for logits of +-1e4.
"""

from ._common import Tensor
from .activations import (elu, gelu, leaky_relu, log_softmax, mish, prelu, relu, sigmoid, silu,
                          softmax, softplus, swish, tanh)
from .conv import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, dropout2d, max_pool2d
from .layers import batch_norm, dropout, layer_norm, linear
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                     dice_loss, focal_loss, hinge_loss, huber_loss, kl_div, l1_loss,
                     log_cosh_loss, mse_loss, nll_loss, quantile_loss, smooth_l1_loss,
                     squared_hinge_loss)
from .metric_losses import contrastive_loss, pairwise_distance, triplet_margin_loss

__all__ = [
    # layers
    "linear", "dropout", "batch_norm", "layer_norm",
    # convolution and pooling
    "conv1d", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "dropout2d",
    # activations
    "relu", "leaky_relu", "elu", "prelu", "sigmoid", "tanh", "softplus", "silu", "swish",
    "gelu", "mish", "softmax", "log_softmax",
    # losses
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "log_cosh_loss", "quantile_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "hinge_loss", "squared_hinge_loss", "kl_div", "focal_loss", "contrastive_loss",
    "triplet_margin_loss", "pairwise_distance", "dice_loss",
]
