"""nn.export_onnx: every layer nn has, exported and run in onnxruntime, gives nn's outputs;
the trained MNIST network gives the same logits and test accuracy; layers that cannot be
exported are named."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn.export import EXPORTERS, OnnxContext, UnsupportedModuleError, exporter_for, register_onnx

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


@pytest.mark.parametrize("opset", [17, 21])
@pytest.mark.parametrize("make, shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_layer_gives_nns_outputs_in_onnxruntime(make, shape, opset):
    nn.manual_seed(0)
    model = make()
    proto = nn.export_onnx(model, _input(shape), opset_version=opset)
    assert proto.opset_import[0].version == opset
    # Another batch size than the example's: the batch axis is free.
    x = _input((shape[0] + 2,) + shape[1:], seed=1)
    np.testing.assert_allclose(_run(proto, x), _nn(model, x), **TOL)


def test_every_layer_in_nn_has_an_exporter_and_a_case_here():
    """A layer added to nn.layers (or a model to nn.models) without an exporter fails here."""
    found = [getattr(nn.layers, n) for n in nn.layers.__all__]
    found += [getattr(nn.models, n) for n in nn.models.__all__]
    classes = {c for c in found if isinstance(c, type) and issubclass(c, nn.Module)}
    classes |= {nn.Sequential}
    assert classes, "nothing found to check"
    missing = sorted(c.__name__ for c in classes if exporter_for(c) is None)
    assert missing == [], f"layers without an ONNX exporter: {missing}"
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
