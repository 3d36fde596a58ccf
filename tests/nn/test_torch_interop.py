"""The road to PyTorch: a checkpoint nn.save writes as .safetensors loads into the equivalent
torch.nn module (PyTorch's parameter names and layouts) with the same outputs, and a torch
model's safetensors file loads into nn."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import autograd_lite as al
import nn

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")


class TorchTwoLayerNet(torch.nn.Module):
    """nn.TwoLayerNet written in PyTorch."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(784, hidden)
        self.fc2 = torch.nn.Linear(hidden, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def _pairs():
    """(nn model, the same architecture in torch, input width)."""
    tnn = torch.nn
    return [
        ("TwoLayerNet", lambda: nn.TwoLayerNet(32), lambda: TorchTwoLayerNet(32), 784),
        ("MLP", lambda: nn.MLP([6, 16, 8, 3], activation="tanh"),
         lambda: tnn.Sequential(tnn.Linear(6, 16), tnn.Tanh(), tnn.Linear(16, 8), tnn.Tanh(),
                                tnn.Linear(8, 3)), 6),
        ("Sequential",
         lambda: nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.PReLU(8), nn.Dropout(0.3),
                               nn.Linear(8, 8, bias=False), nn.LayerNorm(8), nn.GELU(),
                               nn.Linear(8, 4), nn.LogSoftmax(dim=1)),
         lambda: tnn.Sequential(tnn.Linear(6, 8), tnn.BatchNorm1d(8), tnn.PReLU(8),
                                tnn.Dropout(0.3), tnn.Linear(8, 8, bias=False), tnn.LayerNorm(8),
                                tnn.GELU(), tnn.Linear(8, 4), tnn.LogSoftmax(dim=1)), 6),
        ("LeNet", lambda: nn.models.LeNet(), _torch_lenet, 784),
    ]


def _torch_lenet():
    """nn.models.LeNet written in PyTorch (its blocks under the same names)."""
    from collections import OrderedDict
    tnn = torch.nn
    return tnn.Sequential(OrderedDict(
        unflatten=tnn.Unflatten(1, (1, 28, 28)),
        conv1=tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2)),
        conv2=tnn.Sequential(tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2)),
        flatten=tnn.Flatten(),
        fc1=tnn.Sequential(tnn.Linear(400, 120), tnn.ReLU()),
        fc2=tnn.Sequential(tnn.Linear(120, 84), tnn.ReLU()),
        fc3=tnn.Linear(84, 10)))


PAIRS = _pairs()


def _train_a_little(model: nn.Module, width: int) -> None:
    """Move every parameter and running statistic away from its initial value."""
    rng = np.random.default_rng(0)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(3):
        x = rng.standard_normal((16, width)).astype(np.float32)
        out = model(x)
        opt.zero_grad()
        nn.functional.cross_entropy(out, rng.integers(0, out.shape[1], 16)).backward()
        opt.step()
    model.eval()


def _outputs(nn_model, torch_model, width):
    x = np.random.default_rng(1).standard_normal((5, width)).astype(np.float32)
    with al.no_grad():
        ours = nn_model(x).data
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(x)).numpy()
    return ours, theirs


@pytest.mark.parametrize("make_nn, make_torch, width", [p[1:] for p in PAIRS],
                         ids=[p[0] for p in PAIRS])
def test_a_checkpoint_written_here_loads_into_torch(make_nn, make_torch, width, tmp_path):
    nn.manual_seed(0)
    model = make_nn()
    _train_a_little(model, width)
    path = tmp_path / "model.safetensors"
    nn.save(model.state_dict(), path)
    net = make_torch()
    result = net.load_state_dict(st_torch.load_file(path))  # strict: every name and shape
    assert not result.missing_keys and not result.unexpected_keys
    net.eval()
    ours, theirs = _outputs(model, net, width)
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-6)


def test_a_whole_training_checkpoint_gives_torch_the_model_under_its_prefix(tmp_path):
    nn.manual_seed(0)
    model = nn.TwoLayerNet(16)
    _train_a_little(model, 784)
    opt = nn.optim.Adam(model.parameters())
    path = tmp_path / "ckpt.safetensors"
    nn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 2,
             "rng": nn.get_rng_state()}, path)
    tensors = st_torch.load_file(path)
    weights = {k.removeprefix("model/"): v for k, v in tensors.items() if k.startswith("model/")}
    net = TorchTwoLayerNet(16)
    net.load_state_dict(weights)
    ours, theirs = _outputs(model, net, 784)
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make_nn, make_torch, width", [p[1:] for p in PAIRS],
                         ids=[p[0] for p in PAIRS])
def test_a_torch_models_safetensors_file_loads_into_nn(make_nn, make_torch, width, tmp_path):
    torch.manual_seed(0)
    net = make_torch()
    with torch.no_grad():  # running statistics and affine parameters off their defaults
        for name, t in net.state_dict().items():
            if t.is_floating_point():
                t.copy_(t + 0.1 * torch.rand_like(t))
    net.eval()
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(net.state_dict(), path)
    model = make_nn()
    model.load_state_dict(nn.load(path))  # strict: every name, shape and dtype
    model.eval()
    ours, theirs = _outputs(model, net, width)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_a_bfloat16_torch_file_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "bf16.safetensors"
    st_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, path)
    with pytest.raises(nn.CheckpointError, match="'w' has a dtype NumPy cannot hold.*float32"):
        nn.load(path)
    if importlib.util.find_spec("ml_dtypes"):  # which teaches NumPy bfloat16 (onnx imports it)
        import ml_dtypes  # noqa: F401
        with pytest.raises(nn.CheckpointError, match="'w' has a dtype NumPy cannot hold"):
            nn.load(path)
