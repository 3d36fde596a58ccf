"""nn.export_onnx: every layer nn has, exported and run in onnxruntime, gives nn's outputs;
the trained MNIST network gives the same logits and test accuracy; layers that cannot be
exported are named."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn.export import EXPORTERS, OnnxContext, UnsupportedModuleError, exporter_for, register_onnx
from nn.export.trace import leaves, tensors

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOL = dict(rtol=1e-5, atol=1e-5)


def _run(proto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def _nn(model: nn.Module, x: np.ndarray) -> np.ndarray:
    was = model.training
    model.eval()
    try:
        with al.no_grad():
            return model(x).data
    finally:
        model.train(was)


def _moved_bn(*args, length: bool = False, **kwargs) -> nn.BatchNorm1d:
    """A BatchNorm1d whose running statistics and affine parameters are not the defaults."""
    bn = nn.BatchNorm1d(*args, **kwargs)
    rng = np.random.default_rng(1)
    shape = (16, bn.num_features, 5) if length else (16, bn.num_features)
    for _ in range(3):
        bn(rng.standard_normal(shape).astype(np.float32) * 2 + 1)
    if bn.affine:
        bn.weight.data[...] = rng.uniform(0.5, 2, bn.num_features)
        bn.bias.data[...] = rng.standard_normal(bn.num_features)
    return bn


def _fitted_perceptron() -> nn.Perceptron:
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 6)).astype(np.float32)
    return nn.Perceptron(6).fit(X, (X @ np.arange(6) > 0).astype(int), epochs=5)


def _swish_learnable() -> nn.Swish:
    s = nn.Swish(learnable_beta=True)
    s.beta.data[...] = 1.7
    return s


def _prelu(n: int) -> nn.PReLU:
    p = nn.PReLU(n)
    p.weight.data[...] = np.linspace(-0.5, 0.8, n)
    return p


def _layer_norm(*args, **kwargs) -> nn.LayerNorm:
    ln = nn.LayerNorm(*args, **kwargs)
    rng = np.random.default_rng(3)
    for p in ln.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    return ln


# (id, model factory, example input shape); every registered class appears at least once.
CASES = [
    ("Linear", lambda: nn.Linear(6, 4), (3, 6)),
    ("Linear-no-bias", lambda: nn.Linear(6, 4, bias=False), (3, 6)),
    ("Linear-column-major", lambda: nn.Linear(6, 4, order="F"), (3, 6)),
    ("Linear-3d", lambda: nn.Linear(6, 4), (3, 2, 6)),
    ("Linear-3d-no-bias", lambda: nn.Linear(6, 4, bias=False), (3, 2, 6)),
    ("Flatten", lambda: nn.Flatten(), (3, 2, 4)),
    ("Flatten-0", lambda: nn.Flatten(0), (3, 2, 4)),
    ("Flatten-1-2", lambda: nn.Flatten(1, 2), (3, 2, 4, 5)),
    ("Flatten-neg", lambda: nn.Flatten(-3, -2), (3, 2, 4, 5)),
    ("Identity", lambda: nn.Identity(), (3, 5)),
    ("Dropout", lambda: nn.Dropout(0.5), (3, 5)),
    ("BatchNorm1d", lambda: _moved_bn(4), (3, 4)),
    ("BatchNorm1d-NCL", lambda: _moved_bn(4, length=True), (3, 4, 5)),
    ("BatchNorm1d-no-affine", lambda: _moved_bn(4, affine=False), (3, 4)),
    ("BatchNorm1d-cumulative", lambda: _moved_bn(4, momentum=None), (3, 4)),
    ("BatchNorm1d-batch-stats", lambda: _moved_bn(4, track_running_stats=False), (6, 4)),
    ("BatchNorm1d-batch-stats-NCL",
     lambda: _moved_bn(4, track_running_stats=False, length=True), (6, 4, 5)),
    ("LayerNorm", lambda: _layer_norm(6), (3, 6)),
    ("LayerNorm-2d", lambda: _layer_norm((2, 6)), (3, 2, 6)),
    ("LayerNorm-no-affine", lambda: nn.LayerNorm(6, elementwise_affine=False), (3, 6)),
    ("LayerNorm-no-bias", lambda: _layer_norm(6, bias=False), (3, 6)),
    ("ReLU", lambda: nn.ReLU(), (3, 5)),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), (3, 5)),
    ("ELU", lambda: nn.ELU(0.7), (3, 5)),
    ("PReLU", lambda: _prelu(1), (3, 5)),
    ("PReLU-channels", lambda: _prelu(4), (3, 4)),
    ("PReLU-channels-NCL", lambda: _prelu(4), (3, 4, 5)),
    ("Sigmoid", lambda: nn.Sigmoid(), (3, 5)),
    ("Tanh", lambda: nn.Tanh(), (3, 5)),
    ("Softplus", lambda: nn.Softplus(), (3, 5)),
    ("Softplus-beta-threshold", lambda: nn.Softplus(beta=2.0, threshold=5.0), (3, 5)),
    ("SiLU", lambda: nn.SiLU(), (3, 5)),
    ("Swish", lambda: nn.Swish(1.5), (3, 5)),
    ("Swish-1", lambda: nn.Swish(), (3, 5)),
    ("Swish-learnable", _swish_learnable, (3, 5)),
    ("GELU", lambda: nn.GELU(), (3, 5)),
    ("GELU-tanh", lambda: nn.GELU("tanh"), (3, 5)),
    ("Mish", lambda: nn.Mish(), (3, 5)),
    ("Softmax", lambda: nn.Softmax(), (3, 5)),
    ("Softmax-dim1", lambda: nn.Softmax(dim=1), (3, 5, 2)),
    ("LogSoftmax", lambda: nn.LogSoftmax(), (3, 5)),
    ("LogSoftmax-dim0", lambda: nn.LogSoftmax(dim=0), (3, 5)),
    ("Sequential-nested",
     lambda: nn.Sequential(nn.Linear(6, 8), nn.Sequential(nn.Tanh(), nn.Linear(8, 8)),
                           nn.Sequential(), nn.LayerNorm(8), nn.GELU()), (3, 6)),
    ("Sequential-named",
     lambda: nn.Sequential({"fc": nn.Linear(6, 3), "act": nn.ELU()}), (3, 6)),
    ("Sequential-empty", lambda: nn.Sequential(), (3, 6)),
    ("MLP", lambda: nn.MLP([6, 8, 8, 3], activation="gelu", output_activation="log_softmax",
                           dropout=0.2), (3, 6)),
    ("TwoLayerNet", lambda: nn.TwoLayerNet(16), (3, 784)),
    ("TwoLayerNet-bn-dropout", lambda: _trained_bn_net(), (3, 784)),
    ("Perceptron", _fitted_perceptron, (3, 6)),
    ("Conv2d", lambda: nn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    ("Conv2d-args", lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2),
                                      dilation=(1, 2), groups=2, bias=False), (2, 4, 8, 7)),
    ("Conv2d-same", lambda: nn.Conv2d(2, 3, 4, padding="same", dilation=2), (1, 2, 9, 9)),
    ("Conv2d-valid", lambda: nn.Conv2d(2, 3, 3, padding="valid"), (2, 2, 5, 5)),
    ("Conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), (2, 3, 7, 6)),
    ("MaxPool2d-args", lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=(1, 2)), (2, 2, 8, 9)),
    ("MaxPool2d-ceil", lambda: nn.MaxPool2d(2, ceil_mode=True), (2, 2, 7, 7)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), (2, 3, 6, 6)),
    ("AvgPool2d-args", lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 2, 8, 7)),
    ("AvgPool2d-pad", lambda: nn.AvgPool2d(3, 2, 1), (2, 2, 8, 7)),
    ("AdaptiveAvgPool2d-global", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, None)), (2, 3, 6, 4)),
    ("BatchNorm2d", lambda: _moved_bn2d(3), (3, 3, 4, 5)),
    ("BatchNorm2d-batch-stats", lambda: _moved_bn2d(3, track_running_stats=False), (4, 3, 4, 5)),
    ("Dropout2d", lambda: nn.Dropout2d(0.5), (3, 2, 4, 4)),
    ("Unflatten", lambda: nn.Unflatten(1, (2, -1, 3)), (2, 12, 5)),
    ("LeNet", lambda: nn.models.LeNet(), (3, 784)),
    ("LeNet-images", lambda: nn.models.LeNet(num_classes=4, channels=(3, 5), hidden=(7, 6)),
     (3, 1, 28, 28)),
    ("Sequential-cnn", lambda: nn.Sequential(nn.Unflatten(1, (1, 12, 12)), nn.Conv2d(1, 4, 3, padding=1),
                                    nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                                    nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                    nn.Flatten(), nn.Linear(8, 3)), (3, 144)),
]


@dataclass
class Seq:
    """A case whose model takes several inputs, or integer ones: ``inputs(rng, n, L)``
    gives them for batch size n and sequence length L (nested as forward takes them).
    The export frees ``axes`` (dynamic_axes; None: every axis fixed) and passes
    ``kwargs`` to forward as constants."""
    inputs: Callable[[np.random.Generator, int, int], tuple]
    axes: dict[str, list[int]] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


def _f(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return (rng.standard_normal(shape) * 2).astype(np.float32)


def _ids(rng: np.random.Generator, *shape: int, dtype: Any = np.int64) -> np.ndarray:
    return rng.integers(0, 10, shape).astype(dtype)


def _state(m: Any, rng: np.random.Generator, n: int) -> Any:
    """An initial state of a recurrent layer (or cell) for batch n (0: unbatched)."""
    lead = (m.num_layers * (2 if m.bidirectional else 1),) if hasattr(m, "num_layers") else ()
    shape = lead + ((n,) if n else ()) + (m.hidden_size,)
    return (_f(rng, *shape), _f(rng, *shape)) if m.mode == "LSTM" else _f(rng, *shape)


def _seq_first(rng, n, L, size=3):
    return (_f(rng, L, n, size),)


def _with_state(make: Callable[[], Any], batch_first: bool = False) -> Seq:
    """A recurrent layer's case with an initial state, batch and length free."""
    m = make()
    lstm = m.mode == "LSTM"
    names = ["input_0", "input_1", "input_2"] if lstm else ["input_0", "input_1"]
    axes = {names[0]: [0, 1]} | {k: [1] for k in names[1:]}
    return Seq(lambda r, n, L: ((_f(r, n, L, 3) if batch_first else _f(r, L, n, 3)),
                                _state(m, r, n)), axes)


def _mha_inputs(kdim=8, vdim=8, batch_first=False):
    def make(rng, n, L):
        S = L + 2
        if batch_first:
            return _f(rng, n, L, 8), _f(rng, n, S, kdim), _f(rng, n, S, vdim)
        return _f(rng, L, n, 8), _f(rng, S, n, kdim), _f(rng, S, n, vdim)
    return make


def _padding(n: int, s: int) -> np.ndarray:
    """A key padding mask (True: padded) with a short sequence and an all-padded one."""
    m = np.zeros((n, s), bool)
    m[0, s - 2:] = True
    m[-1, :] = True
    return m


_FREE3 = {"input_0": [0, 1], "input_1": [0, 1], "input_2": [0, 1]}
_FREE2 = {"input_0": [0, 1], "input_1": [0, 1]}

SEQUENCE_CASES = [
    ("Embedding", lambda: nn.Embedding(10, 4), Seq(lambda r, n, L: (_ids(r, n, L),),
                                                   {"input": [0, 1]})),
    ("Embedding-int32-padding", lambda: nn.Embedding(10, 4, padding_idx=0),
     Seq(lambda r, n, L: (_ids(r, n, L, dtype=np.int32),), {"input": [0, 1]})),
    ("Embedding-uint8-1d", lambda: nn.Embedding(10, 4),
     Seq(lambda r, n, L: (_ids(r, n, dtype=np.uint8),), {"input": [0]})),
    ("Embedding-max-norm", lambda: nn.Embedding(10, 4, max_norm=1.0),
     Seq(lambda r, n, L: (_ids(r, n, L),), {"input": [0, 1]})),
    ("Embedding-max-norm-p1", lambda: nn.Embedding(10, 4, max_norm=2.0, norm_type=1),
     Seq(lambda r, n, L: (_ids(r, n, L),), {"input": [0, 1]})),
    ("Embedding-max-norm-p3", lambda: nn.Embedding(10, 4, max_norm=0.5, norm_type=3),
     Seq(lambda r, n, L: (_ids(r, n, L),), {"input": [0, 1]})),
    ("Embedding-max-norm-inf", lambda: nn.Embedding(10, 4, max_norm=0.5, norm_type=np.inf),
     Seq(lambda r, n, L: (_ids(r, n, L),), {"input": [0, 1]})),
    ("RNNCell", lambda: nn.RNNCell(3, 4), Seq(lambda r, n, L: (_f(r, n, 3),), {"input": [0]})),
    ("RNNCell-relu-no-bias", lambda: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
     Seq(lambda r, n, L: (_f(r, n, 3),), {"input": [0]})),
    ("RNNCell-state", lambda: nn.RNNCell(3, 4),
     Seq(lambda r, n, L: (_f(r, n, 3), _f(r, n, 4)), {"input_0": [0], "input_1": [0]})),
    ("RNNCell-unbatched-state", lambda: nn.RNNCell(3, 4),
     Seq(lambda r, n, L: (_f(r, 3), _f(r, 4)))),
    ("GRUCell", lambda: nn.GRUCell(3, 4), Seq(lambda r, n, L: (_f(r, n, 3),), {"input": [0]})),
    ("GRUCell-no-bias", lambda: nn.GRUCell(3, 4, bias=False),
     Seq(lambda r, n, L: (_f(r, n, 3),), {"input": [0]})),
    ("GRUCell-state", lambda: nn.GRUCell(3, 4),
     Seq(lambda r, n, L: (_f(r, n, 3), _f(r, n, 4)), {"input_0": [0], "input_1": [0]})),
    ("GRUCell-unbatched", lambda: nn.GRUCell(3, 4), Seq(lambda r, n, L: (_f(r, 3),))),
    ("LSTMCell", lambda: nn.LSTMCell(3, 4), Seq(lambda r, n, L: (_f(r, n, 3),), {"input": [0]})),
    ("LSTMCell-state", lambda: nn.LSTMCell(3, 4, bias=False),
     Seq(lambda r, n, L: (_f(r, n, 3), (_f(r, n, 4), _f(r, n, 4))),
         {"input_0": [0], "input_1": [0], "input_2": [0]})),
    ("LSTMCell-unbatched-state", lambda: nn.LSTMCell(3, 4),
     Seq(lambda r, n, L: (_f(r, 3), (_f(r, 4), _f(r, 4))))),
    ("RNN", lambda: nn.RNN(3, 4), Seq(_seq_first, {"input": [0, 1]})),
    ("RNN-relu-2-layers-bidirectional-batch-first",
     lambda: nn.RNN(3, 4, 2, nonlinearity="relu", batch_first=True, bidirectional=True),
     Seq(lambda r, n, L: (_f(r, n, L, 3),), {"input": [0, 1]})),
    ("RNN-state-no-bias", lambda: nn.RNN(3, 4, 2, bias=False),
     _with_state(lambda: nn.RNN(3, 4, 2, bias=False))),
    ("RNN-unbatched", lambda: nn.RNN(3, 4, bidirectional=True),
     Seq(lambda r, n, L: (_f(r, L, 3),), {"input": [0]})),
    ("LSTM", lambda: nn.LSTM(3, 4), Seq(_seq_first, {"input": [0, 1]})),
    ("LSTM-3-layers-bidirectional", lambda: nn.LSTM(3, 4, 3, bidirectional=True),
     Seq(_seq_first, {"input": [0, 1]})),
    ("LSTM-state-batch-first", lambda: nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True),
     _with_state(lambda: nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True), True)),
    ("LSTM-unbatched-state", lambda: nn.LSTM(3, 4, 2, bias=False),
     Seq(lambda r, n, L: (_f(r, L, 3), (_f(r, 2, 4), _f(r, 2, 4))), {"input_0": [0]})),
    ("GRU", lambda: nn.GRU(3, 4), Seq(_seq_first, {"input": [0, 1]})),
    ("GRU-2-layers-bidirectional-batch-first",
     lambda: nn.GRU(3, 4, 2, batch_first=True, bidirectional=True),
     Seq(lambda r, n, L: (_f(r, n, L, 3),), {"input": [0, 1]})),
    ("GRU-state", lambda: nn.GRU(3, 4, 2, bidirectional=True),
     _with_state(lambda: nn.GRU(3, 4, 2, bidirectional=True))),
    ("GRU-unbatched-no-bias", lambda: nn.GRU(3, 4, bias=False, batch_first=True),
     Seq(lambda r, n, L: (_f(r, L, 3),), {"input": [0]})),
    ("DotProductAttention", lambda: nn.DotProductAttention(),
     Seq(lambda r, n, L: (_f(r, n, L, 4), _f(r, n, L + 2, 4)), _FREE2)),
    ("DotProductAttention-scaled-step-value", lambda: nn.DotProductAttention(scaled=True),
     Seq(lambda r, n, L: (_f(r, n, 4), _f(r, n, L, 4), _f(r, n, L, 3)),
         {"input_0": [0], "input_1": [0, 1], "input_2": [0, 1]})),
    ("DotProductAttention-mask", lambda: nn.DotProductAttention(),
     Seq(lambda r, n, L: (_f(r, 3, 2, 4), _f(r, 3, 5, 4)),
         kwargs={"key_padding_mask": _padding(3, 5)})),
    ("AdditiveAttention", lambda: nn.AdditiveAttention(4, 3, 6),
     Seq(lambda r, n, L: (_f(r, n, L, 4), _f(r, n, L + 2, 3)), _FREE2)),
    ("AdditiveAttention-step-value", lambda: nn.AdditiveAttention(4, 3, 6),
     Seq(lambda r, n, L: (_f(r, n, 4), _f(r, n, L, 3), _f(r, n, L, 2)),
         {"input_0": [0], "input_1": [0, 1], "input_2": [0, 1]})),
    ("AdditiveAttention-mask", lambda: nn.AdditiveAttention(4, 3, 6),
     Seq(lambda r, n, L: (_f(r, 3, 4), _f(r, 3, 5, 3)),
         kwargs={"key_padding_mask": _padding(3, 5)})),
    ("MultiheadAttention", lambda: nn.MultiheadAttention(8, 2), Seq(_mha_inputs(), _FREE3)),
    ("MultiheadAttention-batch-first-no-bias",
     lambda: nn.MultiheadAttention(8, 4, bias=False, batch_first=True),
     Seq(_mha_inputs(batch_first=True), _FREE3)),
    ("MultiheadAttention-kdim-vdim-bias-kv-zero-attn",
     lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5),
     Seq(_mha_inputs(3, 5), _FREE3)),
    ("MultiheadAttention-masks",
     lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True),
     Seq(lambda r, n, L: _mha_inputs()(r, 3, 4),
         kwargs={"key_padding_mask": _padding(3, 6),
                 "attn_mask": np.triu(np.ones((4, 6), bool), 3), "is_causal": True})),
    ("MultiheadAttention-float-mask-no-weights", lambda: nn.MultiheadAttention(8, 2),
     Seq(lambda r, n, L: _mha_inputs()(r, 2, 3),
         kwargs={"attn_mask": _f(np.random.default_rng(5), 4, 3, 5), "need_weights": False})),
    ("MultiheadAttention-unbatched-per-head", lambda: nn.MultiheadAttention(8, 2),
     Seq(lambda r, n, L: (_f(r, L, 8), _f(r, L + 1, 8), _f(r, L + 1, 8)),
         {"input_0": [0], "input_1": [0], "input_2": [0]},
         {"average_attn_weights": False})),
]
CASES += SEQUENCE_CASES


def _moved_bn2d(c: int, **kwargs) -> nn.BatchNorm2d:
    """A BatchNorm2d whose running statistics and affine parameters are not the defaults."""
    bn = nn.BatchNorm2d(c, **kwargs)
    rng = np.random.default_rng(5)
    bn(rng.standard_normal((6, c, 3, 3)).astype(np.float32) * 2 + 1)
    for p in bn.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    return bn


def _trained_bn_net() -> nn.TwoLayerNet:
    net = nn.TwoLayerNet(16, batch_norm=True, dropout=0.3)
    x = np.random.default_rng(4).random((32, 784), dtype=np.float32)
    nn.functional.cross_entropy(net(x), np.arange(32) % 10).backward()  # moves bn1's statistics
    return net


def _input(shape, seed=0) -> np.ndarray:
    # Spread wide enough to cross every kink and threshold (Softplus's at 5/2 and 20).
    return (np.random.default_rng(seed).standard_normal(shape) * 4).astype(np.float32)


SHAPED = [c for c in CASES if not isinstance(c[2], Seq)]


@pytest.mark.parametrize("opset", [17, 21])
@pytest.mark.parametrize("make, shape", [c[1:] for c in SHAPED], ids=[c[0] for c in SHAPED])
def test_each_layer_gives_nns_outputs_in_onnxruntime(make, shape, opset):
    nn.manual_seed(0)
    model = make()
    proto = nn.export_onnx(model, _input(shape), opset_version=opset)
    assert proto.opset_import[0].version == opset
    # Another batch size than the example's: the batch axis is free.
    x = _input((shape[0] + 2,) + shape[1:], seed=1)
    np.testing.assert_allclose(_run(proto, x), _nn(model, x), **TOL)


@pytest.mark.parametrize("opset", [17, 21])
@pytest.mark.parametrize("make, case", [c[1:] for c in SEQUENCE_CASES],
                         ids=[c[0] for c in SEQUENCE_CASES])
def test_each_sequence_layer_gives_nns_outputs_in_onnxruntime(make, case, opset):
    """Every output (output and states; context and weights) agrees, on another batch
    size and sequence length than the example's where those axes are free."""
    nn.manual_seed(0)
    model = make()
    example = case.inputs(np.random.default_rng(0), 2, 3)
    proto = nn.export_onnx(model, example, opset_version=opset, dynamic_axes=case.axes,
                           dynamic_batch=False, kwargs=case.kwargs)
    x = case.inputs(np.random.default_rng(1), *((4, 5) if case.axes else (2, 3)))
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    theirs = session.run(None, dict(zip([i.name for i in proto.graph.input], leaves(x))))
    model.eval()
    with al.no_grad():
        ours = [t.data for t in leaves(model(*tensors(x), **case.kwargs)) if t is not None]
    assert [a.shape for a in theirs] == [a.shape for a in ours]
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(a, b, **TOL)


#: Layers of nn that do not export, each with the reason (UnsupportedModuleError names
#: them): none. What the sequence layers refuse is a setting, not the layer: a mask that is
#: an input of the graph, a constant initial state, Embedding's max_norm with norm_type <= 0
#: (tests below).
REFUSED: dict[str, str] = {}


def test_every_layer_in_nn_has_an_exporter_and_a_case_here():
    """A layer added to nn.layers (or a model to nn.models) without an exporter fails here."""
    found = [getattr(nn.layers, n) for n in nn.layers.__all__]
    found += [getattr(nn.models, n) for n in nn.models.__all__]
    classes = {c for c in found if isinstance(c, type) and issubclass(c, nn.Module)}
    classes |= {nn.Sequential}
    assert classes, "nothing found to check"
    missing = sorted(c.__name__ for c in classes if exporter_for(c) is None)
    assert missing == sorted(REFUSED), f"layers without an ONNX exporter: {missing}"
    nn.manual_seed(0)
    tested = {type(make()) for _, make, _ in CASES}
    untested = sorted(c.__name__ for c in EXPORTERS if c.__module__.startswith("nn.")
                      and c not in tested)
    assert untested == [], f"exporters without a case in CASES: {untested}"


def test_pooling_onnx_cannot_express_is_refused_naming_the_layer():
    with pytest.raises(UnsupportedModuleError, match=r"AvgPool2d at 1 has divisor_override=3"):
        nn.export_onnx(nn.Sequential(nn.ReLU(), nn.AvgPool2d(2, divisor_override=3)),
                       _input((1, 1, 4, 4)))
    with pytest.raises(UnsupportedModuleError, match=r"AdaptiveAvgPool2d at the top pools an "
                                                     r"input of size \(5, 5\) to \(2, 2\)"):
        nn.export_onnx(nn.AdaptiveAvgPool2d(2), _input((1, 1, 5, 5)))


def test_the_model_is_exported_in_eval_mode_and_its_modes_are_restored():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9), nn.BatchNorm1d(4))
    net.train()
    net[2].eval()  # a mixed state must come back as it was
    x = _input((8, 4))
    proto = nn.export_onnx(net, x)
    assert [m.training for m in net.modules()] == [True, True, True, False]
    assert not any("forward" in m.__dict__ for m in net.modules())
    np.testing.assert_allclose(_run(proto, x), _nn(net, x), **TOL)


def test_the_graph_carries_pytorchs_names_and_a_free_batch_axis(tmp_path):
    nn.manual_seed(0)
    net = nn.TwoLayerNet(8)
    path = tmp_path / "net.onnx"
    returned = nn.export_onnx(net, np.zeros((2, 784), np.float32), path)
    proto = onnx.load(path)
    assert proto == returned
    assert sorted(i.name for i in proto.graph.initializer) == sorted(net.state_dict())
    inp, out = proto.graph.input[0], proto.graph.output[0]
    assert (inp.name, out.name) == ("input", "output")
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["batch", 784]
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["batch", 10]
    assert [n.name for n in proto.graph.node] == ["/fc1/Gemm", "/Relu", "/fc2/Gemm"]
    w = onnx.numpy_helper.to_array(next(i for i in proto.graph.initializer
                                        if i.name == "fc1.weight"))
    np.testing.assert_array_equal(w, net.fc1.weight.data)   # (out, in), as in PyTorch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.onnx"]  # no temporary file left


def test_a_fixed_batch_and_other_names():
    net = nn.Linear(3, 2)
    proto = nn.export_onnx(net, _input((4, 3)), dynamic_batch=False, input_name="x",
                           output_name="y")
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    x = _input((4, 3), seed=2)
    np.testing.assert_allclose(session.run(["y"], {"x": x})[0], _nn(net, x), **TOL)
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        session.run(None, {"x": _input((5, 3))})


def test_float64_models_export_in_float64():
    net = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(), nn.Linear(4, 2,
                                                                             dtype=np.float64))
    x = _input((5, 3)).astype(np.float64)
    proto = nn.export_onnx(net, x)
    out = _run(proto, x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, _nn(net, x), rtol=1e-12, atol=1e-12)


def test_shared_layers_are_stored_once():
    shared = nn.Linear(4, 4)
    net = nn.Sequential(shared, nn.Tanh(), shared)
    x = _input((3, 4))
    proto = nn.export_onnx(net, x)
    assert sorted(i.name for i in proto.graph.initializer) == ["0.bias", "0.weight"]
    np.testing.assert_allclose(_run(proto, x), _nn(net, x), **TOL)


# ---- layers that cannot be exported, and adding one ----------------------------------------


class Scale(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.s = nn.Parameter(np.full(4, 2.0, np.float32))

    def forward(self, x):
        return x * self.s


class LoudLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) * 2


class QuietLinear(nn.Linear):
    """Keeps Linear's forward: exports as a Linear."""


def test_an_unknown_layer_is_named_with_its_place_in_the_model():
    net = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.ReLU(), Scale()))
    with pytest.raises(UnsupportedModuleError) as e:
        nn.export_onnx(net, _input((2, 3)))
    msg = str(e.value)
    assert "'1.1'" in msg and "Scale" in msg and "no exporter is registered" in msg
    assert "register_onnx(Scale)" in msg and "Linear" in msg  # how to add one, what exports
    assert isinstance(e.value, TypeError)
    with pytest.raises(UnsupportedModuleError, match="the model itself.*Scale"):
        nn.export_onnx(Scale(), _input((2, 4)))


def test_a_subclass_exports_as_its_base_only_if_it_keeps_the_forward():
    with pytest.raises(UnsupportedModuleError, match="'0'.*LoudLinear.*overrides forward"):
        nn.export_onnx(nn.Sequential(LoudLinear(3, 2)), _input((2, 3)))
    net = nn.Sequential(QuietLinear(3, 2))
    x = _input((2, 3))
    np.testing.assert_allclose(_run(nn.export_onnx(net, x), x), _nn(net, x), **TOL)


def test_containers_without_a_forward_point_to_the_module_that_uses_them():
    with pytest.raises(UnsupportedModuleError, match="ModuleList.*no forward of its own"):
        nn.export_onnx(nn.ModuleList([nn.ReLU()]), _input((2, 3)))


class Residual(nn.Module):
    """A user's block: a ModuleList and a ModuleDict, and a sum between submodules."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Tanh()])
        self.heads = nn.ModuleDict({"norm": nn.LayerNorm(4), "out": nn.Linear(4, 2)})

    def forward(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return self.heads["out"](self.heads["norm"](h + x))


def test_a_users_module_joins_with_one_function(monkeypatch):
    monkeypatch.setitem(EXPORTERS, Residual, None)  # so that it is removed after the test

    @register_onnx(Residual)
    def export_residual(ctx: OnnxContext, m: Residual, x: str) -> str:
        h = x
        for layer in m.layers:
            h = ctx.export(layer, h)
        # The sum is this function's own node; the exporter learns its value from the
        # model's forward pass, so the LayerNorm after it exports.
        s = ctx.node("Add", [h, x])
        return ctx.export(m.heads["out"], ctx.export(m.heads["norm"], s))

    nn.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), Residual())
    x = _input((5, 3))
    proto = nn.export_onnx(net, x)
    np.testing.assert_allclose(_run(proto, _input((7, 3), 1)), _nn(net, _input((7, 3), 1)), **TOL)
    assert "1.heads.norm.weight" in {i.name for i in proto.graph.initializer}
    assert exporter_for(Residual) is export_residual


def test_register_onnx_checks_its_arguments():
    with pytest.raises(TypeError, match="Module subclass"):
        register_onnx(int)
    with pytest.raises(TypeError, match="expected a function"):
        register_onnx(Scale)(3)


# ---- bad arguments -------------------------------------------------------------------------


def test_bad_arguments_are_refused_by_name():
    net = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="floating array, got dtype int64"):
        nn.export_onnx(net, np.zeros((2, 3), np.int64))
    with pytest.raises(TypeError, match="dtype float64 but the model's parameters are float32"):
        nn.export_onnx(net, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="opset_version must be an int from 17 to"):
        nn.export_onnx(net, np.zeros((2, 3), np.float32), opset_version=13)
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        nn.export_onnx(lambda x: x, np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="input_name and output_name are both 'x'"):
        nn.export_onnx(net, np.zeros((2, 3), np.float32), input_name="x", output_name="x")
    with pytest.raises(ValueError, match=r"Linear\(in_features=3.*got shape \(2, 5\)"):
        nn.export_onnx(net, np.zeros((2, 5), np.float32))  # nn's own message


def test_without_the_onnx_package_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"autograd-lite\[onnx\]"):
        nn.export_onnx(nn.Linear(3, 2), np.zeros((2, 3), np.float32))


# ---- the trained MNIST network -------------------------------------------------------------


def test_trained_mnist_network_gives_the_same_logits_and_test_accuracy(tmp_path):
    from mnist_data import mnist_root

    data = nn.load_mnist(mnist_root(), download=False, normalize=True, flatten=True)
    X, y = data.train
    net = nn.two_layer_net(64, seed=0)
    opt = nn.optim.Adam(net.parameters(), lr=2e-3)
    for xb, yb in nn.DataLoader((X[:12000], y[:12000]), batch_size=64, shuffle=True, seed=0):
        opt.zero_grad()
        nn.functional.cross_entropy(net(xb), yb).backward()
        opt.step()
    X_test, y_test = data.test.images, data.test.labels
    path = tmp_path / "mnist.onnx"
    nn.export_onnx(net, X_test[:1], path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    theirs = session.run(None, {"input": X_test})[0]
    ours = _nn(net, X_test)
    assert theirs.shape == (10000, 10)
    np.testing.assert_allclose(theirs, ours, **TOL)
    acc_nn = nn.evaluate(net, X_test, y_test)
    acc_onnx = float(np.mean(theirs.argmax(1) == y_test))
    print(f"test accuracy: nn {acc_nn:.4f}, onnxruntime {acc_onnx:.4f}; largest logit "
          f"difference {np.abs(theirs - ours).max():.2e}")
    assert acc_nn > 0.85  # a trained network, not chance
    assert acc_onnx == acc_nn


# ---- the sequence layers: what they refuse, and how they meet the rest ---------------------


def test_masks_export_as_constants_only_and_then_with_fixed_shapes():
    q, k = _input((2, 3, 4)), _input((2, 5, 4), 1)
    mask = _padding(2, 5)
    with pytest.raises(ValueError, match=r"the model itself \(DotProductAttention\) was called "
                                         r"with a constant key_padding_mask.*dynamic_batch=False"):
        nn.export_onnx(nn.DotProductAttention(), (q, k), kwargs={"key_padding_mask": mask})
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    with pytest.raises(ValueError, match=r"\(MultiheadAttention\): its key_padding_mask is an "
                                         r"input of the graph.*only as a constant"):
        nn.export_onnx(mha, (q, k, k, np.where(mask, -np.inf, 0).astype(np.float32)))
    with pytest.raises(ValueError, match="constant attn_mask"):
        nn.export_onnx(mha, (q, k, k), kwargs={"attn_mask": np.zeros((3, 5), bool)})
    # Fixed shapes: the mask is honoured (a padded key gets weight 0, as in nn).
    proto = nn.export_onnx(mha, (q, k, k), kwargs={"key_padding_mask": mask},
                           dynamic_batch=False)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    out, w = session.run(None, {"input_0": q, "input_1": k, "input_2": k})
    assert (w[0, :, 3:] == 0).all() and (w[1] == 0).all()
    np.testing.assert_allclose(w, mha(q, k, k, key_padding_mask=mask)[1].data, **TOL)


def test_a_constant_state_or_projected_key_is_refused():
    gru = nn.GRU(3, 4)
    with pytest.raises(ValueError, match=r"GRU\(3, 4\)\) got its initial state as a constant.*"
                                         r"example_input=\(x, h_0\)"):
        nn.export_onnx(gru, _input((5, 2, 3)), kwargs={"hx": _input((1, 2, 4))})
    with pytest.raises(ValueError, match=r"\(LSTMCell\) got its state hx as a constant"):
        nn.export_onnx(nn.LSTMCell(3, 4), _input((2, 3)),
                       kwargs={"hx": (_input((2, 4)), _input((2, 4)))})
    att = nn.AdditiveAttention(4, 3, 6)
    k = _input((2, 5, 3))
    with pytest.raises(ValueError, match="constant projected_key"):
        nn.export_onnx(att, (_input((2, 4)), k), kwargs={"projected_key": att.project_keys(k)})


def test_a_projected_key_that_is_an_input_of_the_graph_is_used():
    att = nn.AdditiveAttention(4, 3, 6)
    q, k = _input((2, 4)), _input((2, 5, 3), 1)
    kp = att.project_keys(k).data
    proto = nn.export_onnx(_ProjectedKey(att), (q, k, kp))
    got = _run_all(proto, (q, k, kp))
    want = att(q, k, projected_key=kp)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b.data, **TOL)
    assert not [n.name for n in proto.graph.node if "key_proj" in n.name]  # not projected again
    assert [n.name for n in proto.graph.node if "query_proj" in n.name]


class _ProjectedKey(nn.Module):
    def __init__(self, att: nn.AdditiveAttention) -> None:
        super().__init__()
        self.att = att

    def forward(self, q, k, kp):
        return self.att(q, k, projected_key=kp)


@register_onnx(_ProjectedKey)
def _export_projected_key(ctx, m, q, k, kp):
    return ctx.export(m.att, q, k, None, None, kp)


def _run_all(proto, inputs) -> list[np.ndarray]:
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, dict(zip([i.name for i in proto.graph.input], leaves(inputs))))


def test_embedding_max_norm_with_a_norm_type_onnx_cannot_take_is_refused():
    with pytest.raises(ValueError, match=r"Embedding\(10, 4, max_norm=1.0\).*norm_type=-1.0"):
        nn.export_onnx(nn.Embedding(10, 4, max_norm=1.0, norm_type=-1), np.array([[1, 2]]))


class Encoder(nn.Module):
    """A user's model: token ids through an embedding, an LSTM, and a linear head on the
    last step's state."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 6, padding_idx=0)
        self.rnn = nn.LSTM(6, 8, num_layers=2, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, ids):
        out, (h, c) = self.rnn(self.emb(ids))
        return self.head(h[-1])


def test_a_users_sequence_model_joins_with_one_function(monkeypatch):
    monkeypatch.setitem(EXPORTERS, Encoder, None)

    @register_onnx(Encoder)
    def export_encoder(ctx, m, ids):
        out, (h, c) = ctx.export(m.rnn, ctx.export(m.emb, ids))
        last = ctx.node("Gather", [h, ctx.tensor(np.array(-1, np.int64), "last")], axis=0)
        return ctx.export(m.head, last)

    nn.manual_seed(0)
    net = Encoder()
    ids = np.random.default_rng(0).integers(0, 20, (4, 7))
    proto = nn.export_onnx(net, ids, dynamic_axes={"input": {0: "batch", 1: "length"}})
    other = np.random.default_rng(1).integers(0, 20, (3, 9))
    np.testing.assert_allclose(_run(proto, other), _nn(net, other), **TOL)
    # integer ids reach only a model with a layer that takes them
    with pytest.raises(TypeError, match="a floating array or integer indices, got dtype bool"):
        nn.export_onnx(net, ids > 3)


def test_names_and_free_axes_of_several_inputs_and_outputs():
    lstm = nn.LSTM(3, 4)
    x = _input((5, 2, 3))
    proto = nn.export_onnx(lstm, x, output_name=["y", "h_n", "c_n"],
                           dynamic_axes={"input": {0: "time", 1: "batch"}})
    assert [o.name for o in proto.graph.output] == ["y", "h_n", "c_n"]
    dims = [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim]
    assert dims == ["time", "batch", 4]
    proto = nn.export_onnx(nn.DotProductAttention(), (_input((2, 4)), _input((2, 5, 4))))
    assert [i.name for i in proto.graph.input] == ["input_0", "input_1"]
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1"]
    with pytest.raises(ValueError, match=r"output_name has 2 names \(\['y', 'h'\]\) for the "
                                         r"graph's 3"):
        nn.export_onnx(lstm, x, output_name=["y", "h"])
    with pytest.raises(ValueError, match=r"dynamic_axes names 'x', which is not an input"):
        nn.export_onnx(lstm, x, dynamic_axes={"x": [0]})
    with pytest.raises(ValueError, match=r"dynamic_axes\['input'\] has axis 3, but that input "
                                         r"has 3 axes"):
        nn.export_onnx(lstm, x, dynamic_axes={"input": [3]})
    with pytest.raises(TypeError, match="kwargs must be a dict"):
        nn.export_onnx(lstm, x, kwargs=[1])


def test_an_example_given_as_a_list_is_one_array():
    net = nn.Linear(2, 3, dtype=np.float64)
    proto = nn.export_onnx(net, [[1.0, 2.0], [3.0, 4.0]])  # one array (2, 2), not 4 inputs
    assert [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
            for i in proto.graph.input] == [["batch", 2]]


class TwoSteps(nn.Module):
    """Two steps of an LSTMCell, its state handed on as a list (as nn accepts)."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(3, 4)

    def forward(self, x):
        h, c = self.cell(x)
        return self.cell(x, [h, c])[0]


def test_a_state_passed_as_a_list_exports(monkeypatch):
    monkeypatch.setitem(EXPORTERS, TwoSteps, None)

    @register_onnx(TwoSteps)
    def export_two_steps(ctx, m, x):
        return ctx.export(m.cell, x, ctx.export(m.cell, x))[0]

    nn.manual_seed(0)
    net = TwoSteps()
    proto = nn.export_onnx(net, _input((2, 3)))
    np.testing.assert_allclose(_run(proto, _input((5, 3), 1)), _nn(net, _input((5, 3), 1)), **TOL)


def test_an_exporter_returning_too_few_outputs_is_caught(monkeypatch):
    monkeypatch.setitem(EXPORTERS, nn.GRU, lambda ctx, m, x, hx=None: "nothing")
    with pytest.raises(RuntimeError, match=r"exporter of the model \(GRU\) returned 'nothing', "
                                           r"but the module returns 2 value"):
        nn.export_onnx(nn.GRU(3, 4), _input((5, 2, 3)))
