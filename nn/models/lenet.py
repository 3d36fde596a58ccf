"""``LeNet``: a LeNet-5-style convolutional network for 28x28 images (MNIST)."""

from __future__ import annotations

from typing import Any, Sequence

import autograd_lite as al

from .._checks import check_int
from ..containers import Sequential
from ..layers import BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU

__all__ = ["LeNet"]


class LeNet(Sequential):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling, PyTorch-style:

    ======== =================================================== ===============
    block    layers                                              output (28x28)
    ======== =================================================== ===============
    conv1    Conv2d(in_channels, c1, 5, padding=2), ReLU, MaxPool2d(2)  (c1, 14, 14)
    conv2    Conv2d(c1, c2, 5), ReLU, MaxPool2d(2)               (c2, 5, 5)
    flatten  Flatten()                                           c2 * 25
    fc1      Linear(c2 * 25, h1), ReLU                           h1
    fc2      Linear(h1, h2), ReLU                                h2
    fc3      Linear(h2, num_classes)                             logits
    ======== =================================================== ===============

    ``channels=(6, 16)`` and ``hidden=(120, 84)`` are LeNet-5's sizes. With
    ``batch_norm=True`` each convolution (then without bias, which the normalisation
    would cancel) is followed by a ``BatchNorm2d``, as in modern CNNs. Each block is a
    module of its own, so a drawn graph has one cluster per block. The input is
    (N, in_channels, 28, 28) images or, as for the MLP, (N, in_channels * 784) rows,
    which are reshaped to images first.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1,
                 channels: Sequence[int] = (6, 16), hidden: Sequence[int] = (120, 84),
                 batch_norm: bool = False, dtype: Any = None) -> None:
        check_int(num_classes, "num_classes", "LeNet")
        check_int(in_channels, "in_channels", "LeNet")
        for name, pair in (("channels", channels), ("hidden", hidden)):
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise ValueError(f"LeNet: {name} must be a pair of positive ints, got {pair!r}")
            for size in pair:
                check_int(size, name, "LeNet")
        c1, c2 = channels
        h1, h2 = hidden

        def block(c_in: int, c_out: int, padding: int) -> Sequential:
            conv = Conv2d(c_in, c_out, 5, padding=padding, bias=not batch_norm, dtype=dtype)
            norm = [BatchNorm2d(c_out, dtype=dtype)] if batch_norm else []
            return Sequential(conv, *norm, ReLU(), MaxPool2d(2))

        super().__init__({
            "conv1": block(in_channels, c1, 2),
            "conv2": block(c1, c2, 0),
            "flatten": Flatten(),
            "fc1": Sequential(Linear(c2 * 25, h1, dtype=dtype), ReLU()),
            "fc2": Sequential(Linear(h1, h2, dtype=dtype), ReLU()),
            "fc3": Linear(h2, num_classes, dtype=dtype),
        })
        self.in_channels, self.channels, self.hidden = in_channels, (c1, c2), (h1, h2)
        self.num_classes, self.batch_norm = num_classes, batch_norm

    def forward(self, input: Any) -> al.Tensor:
        x = input if isinstance(input, al.Tensor) else al.Tensor(input)
        if x.ndim == 2 and x.shape[1] == self.in_channels * 784:
            x = x.reshape(x.shape[0], self.in_channels, 28, 28)
        elif x.ndim != 4 or x.shape[1:] != (self.in_channels, 28, 28):
            raise ValueError(f"LeNet: expected images of shape (N, {self.in_channels}, 28, 28) "
                             f"or rows of shape (N, {self.in_channels * 784}), got {x.shape}")
        return super().forward(x)

    def extra_repr(self) -> str:
        return (f"num_classes={self.num_classes}, in_channels={self.in_channels}, "
                f"channels={self.channels}, hidden={self.hidden}, batch_norm={self.batch_norm}")
