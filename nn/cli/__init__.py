"""The ``autograd-lite`` command: train the two-layer MNIST network, draw its graph,
export it to ONNX.

    autograd-lite mnist --epochs 5             # train; checkpoint + learning curve in runs/mnist
    autograd-lite mnist --epochs 8 --resume    # continue that run up to epoch 8
    autograd-lite graph -o mnist.svg           # the network's forward/backward graph
    autograd-lite export -o mnist.onnx         # the trained network as an ONNX model

It lives in ``nn`` (not ``autograd_lite``) because the engine never imports ``nn``.
"""

from ..optim.registry import DEFAULT_LR, OPTIMIZERS, SCHEDULES, make_optimizer, make_scheduler
from .export import run_export
from .graph import run_graph
from .main import build_parser, main
from .plots import plot_history
from .train import CHECKPOINT, CURVE, FORMAT, NPZ_CHECKPOINT, VERSION, checkpoint_path, run_mnist

__all__ = ["main", "build_parser", "make_optimizer", "make_scheduler", "DEFAULT_LR"]
