"""The ONNX exporters of nn's layers and models: one small function per class.

Each is ``fn(ctx, module, x) -> y`` (see :func:`~nn.export.onnx.register_onnx`). A new
layer joins the exporter with one more function here; ``tests/nn/test_onnx.py`` fails
for a layer in ``nn.layers`` that has none.
"""

from __future__ import annotations

import math

import numpy as np

from ..containers import Sequential
from ..layers import (ELU, GELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d,
                      Conv2d, Dropout, Dropout2d, Flatten, Identity, LayerNorm, LeakyReLU, Linear,
                      LogSoftmax, MaxPool2d, Mish, PReLU, ReLU, Sigmoid, SiLU, Softmax, Softplus,
                      Swish, Tanh, Unflatten)
from ..models import LeNet, Perceptron, TwoLayerNet
from .onnx import OnnxContext, UnsupportedModuleError, register_onnx

__all__: list[str] = []

# ---- containers and models ---------------------------------------------------------------


@register_onnx(Sequential)  # and MLP, a Sequential
def _sequential(ctx: OnnxContext, m: Sequential, x: str) -> str:
    for child in m:
        x = ctx.export(child, x)
    return x


@register_onnx(TwoLayerNet)
def _two_layer_net(ctx: OnnxContext, m: TwoLayerNet, x: str) -> str:
    z = ctx.export(m.fc1, x)
    if m.bn1 is not None:
        z = ctx.export(m.bn1, z)
    a = ctx.node("Relu", [z])
    if m.drop is not None:
        a = ctx.export(m.drop, a)
    return ctx.export(m.fc2, a)


@register_onnx(LeNet)
def _lenet(ctx: OnnxContext, m: LeNet, x: str) -> str:
    if ctx.value(x).ndim == 2:  # rows of pixels, reshaped to images as LeNet.forward does
        shape = np.array([0, m.in_channels, 28, 28], np.int64)
        x = ctx.node("Reshape", [x, ctx.tensor(shape, "shape")])
    for child in m:
        x = ctx.export(child, x)
    return x


@register_onnx(Perceptron)
def _perceptron(ctx: OnnxContext, m: Perceptron, x: str) -> str:
    # forward gives the scores X w + b, shape (N,); predict is scores > 0.
    return ctx.node("Add", [ctx.node("MatMul", [x, ctx.tensor(m.weight)]), ctx.tensor(m.bias)])


# ---- layers ------------------------------------------------------------------------------


@register_onnx(Linear)
def _linear(ctx: OnnxContext, m: Linear, x: str) -> str:
    bias = [] if m.bias is None else [ctx.tensor(m.bias)]
    if ctx.value(x).ndim == 2:  # Gemm takes matrices only, and the weight as it is
        return ctx.node("Gemm", [x, ctx.tensor(m.weight), *bias], transB=1)
    y = ctx.node("MatMul", [x, ctx.tensor(m.weight.data.T, "weight.T")])
    return ctx.node("Add", [y, *bias]) if bias else y


@register_onnx(Identity)
@register_onnx(Dropout)  # the identity in evaluation mode, in which models are exported
@register_onnx(Dropout2d)
def _identity(ctx: OnnxContext, m: Identity | Dropout | Dropout2d, x: str) -> str:
    return x


@register_onnx(Flatten)
def _flatten(ctx: OnnxContext, m: Flatten, x: str) -> str:
    shape = ctx.value(x).shape
    if not shape:
        return ctx.node("Reshape", [x, ctx.tensor(np.array([1], np.int64), "shape")])
    s, e = m.start_dim % len(shape), m.end_dim % len(shape)
    if s == 1 and e == len(shape) - 1:
        return ctx.node("Flatten", [x], axis=1)
    # 0 copies an axis of the input (the batch stays free); -1 is the flattened one.
    target = [0] * s + [-1] + list(shape[e + 1:])
    return ctx.node("Reshape", [x, ctx.tensor(np.array(target, np.int64), "shape")])


def _channel_param(ctx: OnnxContext, x: str, p: np.ndarray, name: str) -> str:
    """A per-channel (axis 1) vector shaped to broadcast against ``x``."""
    return ctx.tensor(p.reshape(p.shape + (1,) * (ctx.value(x).ndim - 2)), name)


@register_onnx(BatchNorm1d)
@register_onnx(BatchNorm2d)
def _batch_norm(ctx: OnnxContext, m: BatchNorm1d | BatchNorm2d, x: str) -> str:
    c = m.num_features
    dtype = ctx.value(x).dtype
    if m.track_running_stats:  # evaluation uses the running statistics
        scale = ctx.tensor(m.weight) if m.affine else ctx.constant(np.ones(c), x, "weight")
        bias = ctx.tensor(m.bias) if m.affine else ctx.constant(np.zeros(c), x, "bias")
        mean = ctx.tensor(m.running_mean.data.astype(dtype, copy=False), "running_mean")
        var = ctx.tensor(m.running_var.data.astype(dtype, copy=False), "running_var")
        return ctx.node("BatchNormalization", [x, scale, bias, mean, var], epsilon=m.eps)
    # Without running statistics the batch's own are used, in evaluation too.
    axes = [0] + list(range(2, ctx.value(x).ndim))
    d = ctx.node("Sub", [x, ctx.reduce_mean(x, axes)])
    var = ctx.reduce_mean(ctx.node("Mul", [d, d]), axes)
    y = ctx.node("Div", [d, ctx.node("Sqrt", [ctx.node("Add", [var, ctx.constant(m.eps, x, "eps")])])])
    if m.affine:
        y = ctx.node("Mul", [y, _channel_param(ctx, x, m.weight.data, "weight")])
        y = ctx.node("Add", [y, _channel_param(ctx, x, m.bias.data, "bias")])
    return y


@register_onnx(Unflatten)
def _unflatten(ctx: OnnxContext, m: Unflatten, x: str) -> str:
    shape = list(ctx.value(x).shape)
    d = m.dim % len(shape)
    sizes = list(m.unflattened_size)
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes = [shape[d] // known if s == -1 else s for s in sizes]
    # 0 copies the input's axis at that position: the axes before d, the batch's among them.
    target = [0] * d + sizes + shape[d + 1:]
    return ctx.node("Reshape", [x, ctx.tensor(np.array(target, np.int64), "shape")])


# ---- convolution and pooling -------------------------------------------------------------


def _pads(padding: tuple[int, ...]) -> list[int]:
    """ONNX's ``pads``: every axis's start, then every axis's end."""
    return list(padding) * 2


@register_onnx(Conv1d)
@register_onnx(Conv2d)
def _conv(ctx: OnnxContext, m: Conv1d | Conv2d, x: str) -> str:
    if m.padding == "same":  # PyTorch puts the odd one of an even total after
        total = [d * (k - 1) for k, d in zip(m.kernel_size, m.dilation)]
        pads = [t // 2 for t in total] + [t - t // 2 for t in total]
    else:
        pads = _pads((0,) * m.nd if m.padding == "valid" else m.padding)
    bias = [] if m.bias is None else [ctx.tensor(m.bias)]
    return ctx.node("Conv", [x, ctx.tensor(m.weight), *bias], kernel_shape=list(m.kernel_size),
                    strides=list(m.stride), pads=pads, dilations=list(m.dilation), group=m.groups)


def _pair(v: int | tuple[int, ...]) -> list[int]:
    return [v, v] if isinstance(v, (int, np.integer)) else list(v)


@register_onnx(MaxPool2d)
def _max_pool(ctx: OnnxContext, m: MaxPool2d, x: str) -> str:
    return ctx.node("MaxPool", [x], kernel_shape=_pair(m.kernel_size), strides=_pair(m.stride),
                    pads=_pads(tuple(_pair(m.padding))), dilations=_pair(m.dilation),
                    ceil_mode=int(m.ceil_mode))


@register_onnx(AvgPool2d)
def _avg_pool(ctx: OnnxContext, m: AvgPool2d, x: str) -> str:
    if m.divisor_override is not None:
        raise UnsupportedModuleError(
            f"export_onnx: AvgPool2d at {ctx.path or 'the top'} has divisor_override="
            f"{m.divisor_override}, which ONNX's AveragePool cannot express")
    return ctx.node("AveragePool", [x], kernel_shape=_pair(m.kernel_size),
                    strides=_pair(m.stride), pads=_pads(tuple(_pair(m.padding))),
                    ceil_mode=int(m.ceil_mode), count_include_pad=int(m.count_include_pad))


@register_onnx(AdaptiveAvgPool2d)
def _adaptive_avg_pool(ctx: OnnxContext, m: AdaptiveAvgPool2d, x: str) -> str:
    size = ctx.value(x).shape[2:]
    out = [n if o is None else o for n, o in zip(size, _pair(m.output_size))]
    if out == [1, 1]:
        return ctx.node("GlobalAveragePool", [x])
    if any(n % o for n, o in zip(size, out)):
        raise UnsupportedModuleError(
            f"export_onnx: AdaptiveAvgPool2d at {ctx.path or 'the top'} pools an input of size "
            f"{tuple(size)} to {tuple(out)}: ONNX has no adaptive pooling, and only an input "
            f"size that is a multiple of the output size is a plain AveragePool")
    kernel = [n // o for n, o in zip(size, out)]
    return ctx.node("AveragePool", [x], kernel_shape=kernel, strides=kernel)


@register_onnx(LayerNorm)
def _layer_norm(ctx: OnnxContext, m: LayerNorm, x: str) -> str:
    shape = m.normalized_shape
    scale = ctx.tensor(m.weight) if m.weight is not None else ctx.constant(np.ones(shape), x,
                                                                           "weight")
    bias = [] if m.bias is None else [ctx.tensor(m.bias)]
    return ctx.node("LayerNormalization", [x, scale, *bias], axis=-len(shape), epsilon=m.eps)


# ---- activations -------------------------------------------------------------------------


@register_onnx(ReLU)
def _relu(ctx: OnnxContext, m: ReLU, x: str) -> str:
    return ctx.node("Relu", [x])


@register_onnx(LeakyReLU)
def _leaky_relu(ctx: OnnxContext, m: LeakyReLU, x: str) -> str:
    return ctx.node("LeakyRelu", [x], alpha=float(m.negative_slope))


@register_onnx(ELU)
def _elu(ctx: OnnxContext, m: ELU, x: str) -> str:
    return ctx.node("Elu", [x], alpha=float(m.alpha))


@register_onnx(PReLU)
def _prelu(ctx: OnnxContext, m: PReLU, x: str) -> str:
    w = m.weight.data
    if w.shape[0] == 1:  # one slope for every element, whatever the input's rank
        return ctx.node("PRelu", [x, ctx.tensor(w.reshape(()), "weight")])
    return ctx.node("PRelu", [x, _channel_param(ctx, x, w, "weight")])


@register_onnx(Sigmoid)
def _sigmoid(ctx: OnnxContext, m: Sigmoid, x: str) -> str:
    return ctx.node("Sigmoid", [x])


@register_onnx(Tanh)
def _tanh(ctx: OnnxContext, m: Tanh, x: str) -> str:
    return ctx.node("Tanh", [x])


@register_onnx(Softplus)
def _softplus(ctx: OnnxContext, m: Softplus, x: str) -> str:
    beta = float(m.beta)
    bx = x if beta == 1 else ctx.node("Mul", [x, ctx.constant(beta, x, "beta")])
    soft = ctx.node("Softplus", [bx])
    if beta != 1:
        soft = ctx.node("Div", [soft, ctx.constant(beta, x, "beta")])
    # Linear above the threshold, as in nn and PyTorch.
    above = ctx.node("Greater", [bx, ctx.constant(m.threshold, x, "threshold")])
    return ctx.node("Where", [above, x, soft])


def _x_sigmoid(ctx: OnnxContext, x: str, beta: str | None) -> str:
    inner = x if beta is None else ctx.node("Mul", [x, beta])
    return ctx.node("Mul", [x, ctx.node("Sigmoid", [inner])])


@register_onnx(SiLU)
def _silu(ctx: OnnxContext, m: SiLU, x: str) -> str:
    return _x_sigmoid(ctx, x, None)


@register_onnx(Swish)
def _swish(ctx: OnnxContext, m: Swish, x: str) -> str:
    if m.learnable_beta:
        return _x_sigmoid(ctx, x, ctx.tensor(m.beta))
    return _x_sigmoid(ctx, x, None if m.beta == 1 else ctx.constant(m.beta, x, "beta"))


@register_onnx(GELU)
def _gelu(ctx: OnnxContext, m: GELU, x: str) -> str:
    if ctx.opset >= 20:  # the Gelu operator arrived in opset 20
        return ctx.node("Gelu", [x], approximate=m.approximate)
    if m.approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = ctx.node("Mul", [ctx.node("Mul", [x, x]), x])
        inner = ctx.node("Add", [x, ctx.node("Mul", [cube, ctx.constant(0.044715, x, "c")])])
        t = ctx.node("Tanh", [ctx.node("Mul", [inner, ctx.constant(math.sqrt(2 / math.pi), x,
                                                                     "sqrt_2_over_pi")])])
    else:  # x Phi(x) = 0.5 x (1 + erf(x / sqrt(2)))
        t = ctx.node("Erf", [ctx.node("Mul", [x, ctx.constant(math.sqrt(0.5), x, "sqrt_half")])])
    half_x = ctx.node("Mul", [x, ctx.constant(0.5, x, "half")])
    return ctx.node("Mul", [half_x, ctx.node("Add", [t, ctx.constant(1.0, x, "one")])])


@register_onnx(Mish)
def _mish(ctx: OnnxContext, m: Mish, x: str) -> str:
    return ctx.node("Mul", [x, ctx.node("Tanh", [ctx.node("Softplus", [x])])])


@register_onnx(Softmax)
def _softmax(ctx: OnnxContext, m: Softmax, x: str) -> str:
    return ctx.node("Softmax", [x], axis=int(m.dim))


@register_onnx(LogSoftmax)
def _log_softmax(ctx: OnnxContext, m: LogSoftmax, x: str) -> str:
    return ctx.node("LogSoftmax", [x], axis=int(m.dim))
