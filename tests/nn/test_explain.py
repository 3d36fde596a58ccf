"""Grad-CAM, filter and activation grids, activation maximisation: checked for being right,
not only for running (alpha against central differences, against a torch Grad-CAM,
class and weight-randomisation sensitivity, monotone ascent)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn import explain


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        a = self.conv2(self.relu(self.conv1(x))).relu()
        return self.fc(a.reshape(a.shape[0], -1))


def _model(seed=0):
    nn.manual_seed(seed)
    return SmallCNN().double().eval()


def _images(n=2, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 1, 8, 8))


def _score(model, x, c, layer=None, delta=None):
    """The class-c score of image 0 with ``delta`` added to ``layer``'s output."""
    h = None if delta is None else layer.register_forward_hook(lambda m, a, out: out + delta)
    try:
        with al.no_grad():
            return float(model(al.Tensor(x[:1])).data[0, c])
    finally:
        if h is not None:
            h.remove()


def test_alpha_is_the_mean_of_central_difference_gradients():
    model, x = _model(), _images(1)
    steps = explain.grad_cam_steps(model, model.conv2, x, target=2)
    A = steps.activations
    eps = 1e-6
    num = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        d = np.zeros_like(A)
        d[idx] = eps
        num[idx] = (_score(model, x, 2, model.conv2, d) - _score(model, x, 2, model.conv2, -d)) / (2 * eps)
    np.testing.assert_allclose(steps.gradients, num, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(steps.alpha, num.mean(axis=(2, 3)), rtol=1e-6, atol=1e-9)
    cam = np.maximum((num.mean(axis=(2, 3))[:, :, None, None] * A).sum(axis=1), 0)
    np.testing.assert_allclose(steps.cam, cam, rtol=1e-6, atol=1e-9)


def test_grad_cam_matches_a_torch_grad_cam_with_the_same_weights():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    model, x = _model(), _images(3)
    ours = explain.grad_cam_steps(model, model.conv2, x)
    sd = {k: torch.tensor(v) for k, v in model.state_dict().items()}
    xt = torch.tensor(x, requires_grad=True)
    a = F.conv2d(F.relu(F.conv2d(xt, sd["conv1.weight"], sd["conv1.bias"])),
                 sd["conv2.weight"], sd["conv2.bias"])
    a.retain_grad()
    logits = F.linear(F.relu(a).reshape(3, -1), sd["fc.weight"], sd["fc.bias"])
    target = logits.argmax(1)
    logits.gather(1, target[:, None]).sum().backward()
    alpha = a.grad.mean(dim=(2, 3))
    cam = F.relu((alpha[:, :, None, None] * a).sum(1, keepdim=True))
    up = F.interpolate(cam, size=(8, 8), mode="bilinear", align_corners=False)[:, 0]
    up = up / up.amax(dim=(1, 2), keepdim=True).clamp_min(1e-300)
    np.testing.assert_array_equal(ours.target, target.numpy())
    np.testing.assert_allclose(ours.heatmap, up.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.probs, F.softmax(logits, 1).detach().numpy(), rtol=1e-9)


def test_grad_cam_of_one_class_is_not_that_of_another():
    model, x = _model(), _images(1)
    maps = [explain.grad_cam(model, model.conv2, x, target=c)[0] for c in range(3)]
    nonzero = [m for m in maps if m.max() > 0]
    assert len(nonzero) >= 2
    assert np.abs(nonzero[0] - nonzero[1]).max() > 0.1


def test_cascading_weight_randomisation_changes_the_map():
    """Adebayo et al. (2018): re-initialise the layers from the top down; a map that
    depends on what the model learned must change at each stage."""
    model, x = _model(), _images(4)
    maps = [explain.grad_cam(model, model.conv2, x, target=0)]
    rng = np.random.default_rng(5)
    for name in ("fc", "conv2"):
        layer = getattr(model, name)
        layer.weight.data[...] = rng.standard_normal(layer.weight.shape) * layer.weight.data.std()
        maps.append(explain.grad_cam(model, model.conv2, x, target=0))
        for earlier in maps[:-1]:
            assert np.abs(maps[-1] - earlier).max() > 0.1


def test_grad_cam_leaves_parameter_gradients_and_hooks_alone():
    model, x = _model(), _images(1)
    explain.grad_cam(model, model.conv2, x)
    assert all(p.grad is None for p in model.parameters())
    assert not model.conv2.__dict__.get("_forward_hooks")


@pytest.mark.parametrize("layer, unit, l2", [("conv1", 1, 0.0), ("conv2", 2, 0.0),
                                             ("conv2", 2, 1e-2), ("fc", 0, 0.0)])
def test_activation_maximisation_climbs_monotonically_at_a_small_step(layer, unit, l2):
    model = _model()
    res = explain.maximize_activation(model, getattr(model, layer), unit, steps=15, lr=1e-2,
                                      shape=(1, 1, 8, 8), l2=l2, seed=3)
    track = res.objectives if l2 else res.activations
    assert np.all(np.diff(track) > 0), track
    assert res.image.shape == (1, 1, 8, 8)


def test_activation_maximisation_regularisers_run_and_still_climb():
    model = _model()
    res = explain.maximize_activation(model, model.conv2, 0, steps=30, lr=0.05,
                                      shape=(1, 1, 8, 8), blur_every=5, jitter=1)
    assert res.activations[-1] > res.activations[0]


def test_filters_grid_scales_each_filter_to_its_largest_weight():
    model = _model()
    grid = explain.filters(model.conv1, scale=2)
    assert grid.shape == (2 * 6 + 1, 2 * 6 + 1)  # 3 filters on a 2-wide grid of 6x6 tiles
    w = model.conv1.weight.data
    tile = grid[:6:2, :6:2]
    np.testing.assert_allclose(tile, 0.5 + 0.5 * w[0, 0] / np.abs(w[0]).max())
    assert np.isclose(np.abs(tile - 0.5).max(), 0.5)
    two_in = explain.filters(nn.Conv2d(2, 4, 3))  # 4 filters x 2 input channels: rows x columns
    assert two_in.shape == (4 * 4 - 1, 2 * 4 - 1)
    rgb = explain.filters(model.conv2)  # 3 input channels: one RGB tile per filter, 2 x 2
    assert rgb.shape == (7, 7, 3)
    w2 = model.conv2.weight.data
    np.testing.assert_allclose(rgb[4:7, 0:3], (0.5 + 0.5 * w2[2] / np.abs(w2[2]).max()).transpose(1, 2, 0))


def test_activation_maps_grid_shows_the_layers_output_on_one_scale():
    model, x = _model(), _images(2)
    grid = explain.activation_maps(model, model.conv1, x, index=1)
    with al.no_grad():
        out = model.conv1(al.Tensor(x)).data[1]
    lo, hi = min(out.min(), 0), out.max()
    np.testing.assert_allclose(grid[:6, :6], (out[0] - lo) / (hi - lo))
    np.testing.assert_allclose(grid[7:13, :6], (out[2] - lo) / (hi - lo))


def test_overlay_blends_the_image_and_the_coloured_heatmap():
    img = np.linspace(0, 1, 16).reshape(1, 4, 4)
    heat = np.zeros((4, 4))
    heat[0, 0] = 1
    rgb = explain.overlay(img, heat, alpha=0.5)
    assert rgb.shape == (4, 4, 3)
    np.testing.assert_allclose(rgb[0, 0], 0.5 * explain.colormap(np.array(1.0)))
    np.testing.assert_allclose(rgb[3, 3], 0.5 + 0.5 * explain.colormap(np.array(0.0)))
    with pytest.raises(ValueError, match=r"heatmap shape \(3, 3\)"):
        explain.overlay(img, np.zeros((3, 3)))


def test_bad_arguments_name_what_is_wrong():
    model, x = _model(), _images(1)
    with pytest.raises(ValueError, match="not a submodule"):
        explain.grad_cam(model, nn.Conv2d(1, 1, 1), x)
    with pytest.raises(ValueError, match=r"\(N, K, h, w\)"):
        explain.grad_cam(model, model.fc, x)
    with pytest.raises(ValueError, match=r"shape \(8, 8\)"):
        explain.grad_cam(model, model.conv2, x[0, 0])
    with pytest.raises(IndexError, match="target 7 out of range for 3 classes"):
        explain.grad_cam(model, model.conv2, x, target=7)
    with pytest.raises(ValueError, match="4-D weight"):
        explain.filters(model.fc)
    with pytest.raises(IndexError, match="unit 9"):
        explain.maximize_activation(model, model.conv2, 9, steps=1, shape=(1, 1, 8, 8))
    assert [n for n, _ in explain.conv_layers(model)] == ["conv1", "conv2"]
    assert explain.conv_layers(nn.MLP([4, 3])) == []
