"""Looking inside a trained network: Grad-CAM, filter and activation-map grids, and
activation maximisation, built on the public module and tensor hooks.

Grad-CAM (Selvaraju et al., 2017) in five steps, for class ``c`` and a conv layer's
output ``A`` (``K`` feature maps):

1. store the layer's activations ``A^k`` (a forward hook);
2. backpropagate the class score: ``dy_c/dA^k`` (a hook on ``A``'s gradient);
3. global-average-pool the gradients: ``alpha_k = mean_ij dy_c/dA^k_ij``;
4. weight and rectify: ``ReLU(sum_k alpha_k A^k)``;
5. upsample to the input's size (bilinear) and overlay it on the input.

Everything returned is a NumPy array; images are floats in ``[0, 1]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd_lite as al

from ._checks import check_int, check_number
from .module import Module

__all__ = ["GradCAM", "grad_cam", "grad_cam_steps", "overlay", "filters", "activation_maps",
           "ActivationMaximum", "maximize_activation", "conv_layers", "colormap"]


def conv_layers(model: Module) -> list[tuple[str, Module]]:
    """The model's 2-D convolution layers (a 4-D ``weight``), by name, in order."""
    if not isinstance(model, Module):
        raise TypeError(f"conv_layers: model must be an nn.Module, got {type(model).__name__}")
    return [(name, m) for name, m in model.named_modules()
            if name and getattr(getattr(m, "weight", None), "ndim", 0) == 4]


def _check_layer(model: Module, layer: Any, who: str) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{who}: model must be an nn.Module, got {type(model).__name__}")
    if not any(m is layer for m in model.modules()):
        raise ValueError(f"{who}: layer {type(layer).__name__} is not a submodule of the model "
                         f"{type(model).__name__}")


def _as_batch(x: Any, who: str) -> np.ndarray:
    arr = np.asarray(x.data if isinstance(x, al.Tensor) else x)
    if arr.ndim != 4 or arr.dtype.kind != "f":
        raise ValueError(f"{who}: x must be a float batch of shape (N, C, H, W), got shape "
                         f"{arr.shape} dtype {arr.dtype}")
    return arr


class _Capture:
    """A forward hook on ``layer`` keeping its output; ``close()`` removes it."""

    def __init__(self, layer: Module) -> None:
        self.out: al.Tensor | None = None
        self.handle = layer.register_forward_hook(self._on_forward)

    def _on_forward(self, module: Module, args: tuple, out: Any) -> None:
        if not isinstance(out, al.Tensor):
            raise TypeError(f"{type(module).__name__} returned {type(out).__name__}; the "
                            f"explainers need a layer whose output is one Tensor")
        self.out = out

    def close(self) -> None:
        self.handle.remove()
        # The handle holds our bound method: a cycle that would keep the graph of
        # ``out`` (and the locks on the weights it saved) alive until the cyclic GC runs.
        del self.handle


@dataclass(frozen=True)
class GradCAM:
    """Every step of one Grad-CAM computation (for a batch of N images).

    ``activations`` A (N, K, h, w); ``gradients`` dy_c/dA (N, K, h, w); ``alpha`` (N, K);
    ``cam`` ReLU(sum_k alpha_k A^k) (N, h, w); ``heatmap`` the cam upsampled to the
    input's (H, W) and divided by its maximum (N, H, W); ``target`` the class per image;
    ``probs`` the model's softmax probabilities (N, classes)."""

    activations: np.ndarray
    gradients: np.ndarray
    alpha: np.ndarray
    cam: np.ndarray
    heatmap: np.ndarray
    target: np.ndarray
    probs: np.ndarray


def grad_cam_steps(model: Module, layer: Module, x: Any, target: Any = None) -> GradCAM:
    """Grad-CAM of ``layer`` (a conv layer or one after it, with (N, K, h, w) output) for
    the images ``x`` (N, C, H, W), keeping every step. ``target``: a class, one per image,
    or None for each image's predicted class. Gradients of the model's parameters are
    left untouched."""
    xs = _as_batch(x, "grad_cam")
    _check_layer(model, layer, "grad_cam")
    cap = _Capture(layer)
    try:  # x requires grad so that a frozen model still records a graph
        logits = model(al.Tensor(xs, requires_grad=True))
    finally:
        cap.close()
    if cap.out is None or cap.out.ndim != 4:
        shape = None if cap.out is None else cap.out.shape
        raise ValueError(f"grad_cam: layer {type(layer).__name__} must produce (N, K, h, w) "
                         f"feature maps in the forward pass; got {shape}")
    if not isinstance(logits, al.Tensor) or logits.ndim != 2:
        raise ValueError(f"grad_cam: the model must return (N, classes) scores, got "
                         f"{getattr(logits, 'shape', type(logits).__name__)}")
    n, classes = logits.shape
    scores = logits.data
    if target is None:
        tgt = scores.argmax(axis=1)
    else:
        t = np.asarray(target)
        if t.dtype.kind not in "iu":
            raise TypeError(f"grad_cam: target must be a class (an int) or one per image, "
                            f"got {target!r}")
        if t.ndim > 1 or t.size not in (1, n):
            raise ValueError(f"grad_cam: target must be one class or one per image ({n}), "
                             f"got shape {t.shape}")
        tgt = np.broadcast_to(t, (n,)).astype(np.int64)
        if tgt.min() < 0 or tgt.max() >= classes:
            raise IndexError(f"grad_cam: target {target!r} out of range for {classes} classes")
    # Step 2: the score of each image's class; the images do not interact (eval mode),
    # so one backward of their sum gives each image its own dy_c/dA.
    onehot = np.zeros(scores.shape, scores.dtype)
    onehot[np.arange(n), tgt] = 1
    (dA,) = al.gradients((logits * onehot).sum(), [cap.out])
    grads = np.asarray(getattr(dA, "data", dA))
    acts = cap.out.data
    alpha = grads.mean(axis=(2, 3))                               # step 3
    cam = np.maximum(np.einsum("nk,nkhw->nhw", alpha, acts), 0)   # step 4
    heat = _resize(cam, xs.shape[2:])                             # step 5
    top = heat.reshape(n, -1).max(axis=1).reshape(n, 1, 1)
    heat = np.divide(heat, top, out=np.zeros_like(heat), where=top > 0)
    z = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return GradCAM(acts.copy(), grads, alpha, cam, heat, tgt, probs)


def grad_cam(model: Module, layer: Module, x: Any, target: Any = None) -> np.ndarray:
    """Grad-CAM heatmaps (N, H, W) in ``[0, 1]`` at the input's resolution: where ``layer``'s
    features raised the score of class ``target`` (default: the predicted class). See
    :func:`grad_cam_steps` for the intermediate steps."""
    return grad_cam_steps(model, layer, x, target).heatmap


def _resize(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (N, h, w) maps to (N, H, W), sampling at pixel centres
    (PyTorch's ``interpolate(mode="bilinear", align_corners=False)``)."""
    _, h, w = maps.shape
    H, W = size

    def taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, pos - lo

    y0, y1, fy = taps(h, H)
    x0, x1, fx = taps(w, W)
    rows = maps[:, y0] * (1 - fy)[:, None] + maps[:, y1] * fy[:, None]
    return rows[:, :, x0] * (1 - fx) + rows[:, :, x1] * fx


def colormap(v: np.ndarray) -> np.ndarray:
    """Values in ``[0, 1]`` as RGB (..., 3): dark blue, cyan, yellow, red (a jet-like map)."""
    v = np.asarray(v)
    if v.dtype.kind not in "biuf":
        raise TypeError(f"colormap: expected real values in [0, 1], got dtype {v.dtype}")
    v = np.clip(v.astype(np.float64), 0, 1)[..., None]
    stops = np.array([0.0, 0.35, 0.65, 1.0])
    colours = np.array([[0.0, 0.0, 0.5], [0.0, 0.8, 1.0], [1.0, 0.9, 0.0], [0.8, 0.0, 0.0]])
    return np.stack([np.interp(v[..., 0], stops, colours[:, c]) for c in range(3)], axis=-1)


def _gray(img: np.ndarray) -> np.ndarray:
    """An image (C, H, W) or (H, W) as RGB (H, W, 3) stretched to ``[0, 1]``."""
    img = np.asarray(img, np.float64)
    if img.ndim == 3:
        img = img.transpose(1, 2, 0)
        img = img if img.shape[2] == 3 else img.mean(axis=2)
    lo, hi = float(img.min()), float(img.max())
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return img if img.ndim == 3 else np.repeat(img[..., None], 3, axis=2)


def overlay(x: Any, heatmap: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """One image ``x`` ((C, H, W) or (H, W)) with ``heatmap`` (H, W) in colour over it:
    RGB (H, W, 3) in ``[0, 1]``, ``alpha`` the heatmap's weight."""
    arr = np.asarray(getattr(x, "data", x))
    if arr.dtype.kind not in "biuf" or arr.ndim not in (2, 3):
        raise TypeError(f"overlay: x must be one real image (C, H, W) or (H, W), got shape "
                        f"{arr.shape} dtype {arr.dtype}")
    img = _gray(arr)
    heat = np.asarray(heatmap)
    if heat.shape != img.shape[:2]:
        raise ValueError(f"overlay: heatmap shape {heat.shape} does not match the image's "
                         f"(H, W) {img.shape[:2]}")
    if not 0 <= check_number(alpha, "alpha", "overlay") <= 1:
        raise ValueError(f"overlay: alpha must be in [0, 1], got {alpha}")
    return (1 - alpha) * img + alpha * colormap(heat)


def _grid(tiles: np.ndarray, ncols: int, pad: int = 1) -> np.ndarray:
    """Tiles (n, h, w[, 3]) in ``[0, 1]`` on a grid ``ncols`` wide, with white gaps."""
    n, h, w = tiles.shape[:3]
    nrows = -(-n // ncols)
    grid = np.ones((nrows * (h + pad) - pad, ncols * (w + pad) - pad) + tiles.shape[3:])
    for i, t in enumerate(tiles):
        r, c = divmod(i, ncols)
        grid[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = t
    return grid


def filters(conv_layer: Module, scale: int = 1) -> np.ndarray:
    """The kernels of a conv layer as a grid image in ``[0, 1]``: one row per output
    channel, one tile per input channel (one RGB tile per filter if there are 3 input
    channels). Each filter is scaled by its own largest weight, so 0.5 is a zero weight,
    brighter positive, darker negative. ``scale`` enlarges each weight to scale x scale pixels."""
    w = getattr(conv_layer, "weight", None)
    if w is None or w.ndim != 4:
        raise ValueError(f"filters: expected a conv layer with a 4-D weight (out, in, kh, kw), "
                         f"got {type(conv_layer).__name__} with weight shape "
                         f"{None if w is None else w.shape}")
    scale = check_int(scale, "scale", "filters")
    wt = np.asarray(w.data, np.float64)
    peak = np.abs(wt).reshape(len(wt), -1).max(axis=1).reshape(-1, 1, 1, 1)
    wt = 0.5 + 0.5 * np.divide(wt, peak, out=np.zeros_like(wt), where=peak > 0)
    wt = wt.repeat(scale, axis=2).repeat(scale, axis=3)
    if wt.shape[1] == 3:
        return _grid(wt.transpose(0, 2, 3, 1), ncols=int(np.ceil(np.sqrt(len(wt)))))
    out, cin = wt.shape[:2]
    ncols = cin if cin > 1 else int(np.ceil(np.sqrt(out)))
    return _grid(wt.reshape(out * cin, *wt.shape[2:]), ncols=ncols)


def activation_maps(model: Module, layer: Module, x: Any, index: int = 0) -> np.ndarray:
    """The feature maps ``layer`` produces for image ``index`` of ``x`` as a grid image in
    ``[0, 1]``, all on one scale (0 to the largest activation), so a quiet map is dark."""
    xs = _as_batch(x, "activation_maps")
    _check_layer(model, layer, "activation_maps")
    if not -len(xs) <= index < len(xs):
        raise IndexError(f"activation_maps: index {index} out of range for {len(xs)} images")
    cap = _Capture(layer)
    try:
        with al.no_grad():
            model(al.Tensor(xs))
    finally:
        cap.close()
    if cap.out is None or cap.out.ndim != 4:
        raise ValueError(f"activation_maps: layer {type(layer).__name__} must produce "
                         f"(N, C, h, w) feature maps")
    maps = np.asarray(cap.out.data[index], np.float64)
    lo, hi = min(float(maps.min()), 0.0), float(maps.max())
    maps = (maps - lo) / (hi - lo) if hi > lo else np.zeros_like(maps)
    return _grid(maps, ncols=int(np.ceil(np.sqrt(len(maps)))))


@dataclass(frozen=True)
class ActivationMaximum:
    """The input found by :func:`maximize_activation` (its shape, e.g. (1, 1, 28, 28)),
    and the unit's activation and the objective (activation - l2 * ||x||^2) at each step
    (before that step's update)."""

    image: np.ndarray
    activations: list[float]
    objectives: list[float]


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """A separable Gaussian blur over the last two axes (edges repeated)."""
    r = max(1, int(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    for axis in (-2, -1):
        pad = [(0, 0)] * img.ndim
        pad[axis] = (r, r)
        p = np.pad(img, pad, mode="edge")
        img = sum(k[i] * np.take(p, range(i, i + img.shape[axis]), axis=axis)
                  for i in range(2 * r + 1))
    return img


def maximize_activation(model: Module, layer: Module, unit: int, steps: int = 200,
                        lr: float = 0.1, *, shape: tuple[int, ...] = (1, 1, 28, 28),
                        x0: Any = None, l2: float = 1e-3, blur_every: int = 0,
                        blur_sigma: float = 0.5, jitter: int = 0, seed: int = 0
                        ) -> ActivationMaximum:
    """An input that excites ``unit`` of ``layer``, by gradient ascent on the pixels.

    The objective is the unit's mean activation (channel ``unit`` of a conv layer's
    output, averaged over positions; output ``unit`` of a linear layer, e.g. a class's
    score for the last layer) minus ``l2 * ||x||^2``. Regularisers: ``l2``; every
    ``blur_every`` steps a Gaussian blur of width ``blur_sigma``; ``jitter``: each step
    evaluates the gradient on the image shifted by up to that many pixels. Starts from
    ``x0`` or small noise (``seed``) of ``shape``.
    """
    _check_layer(model, layer, "maximize_activation")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"maximize_activation: steps must be an int >= 1, got {steps!r}")
    lr, l2 = check_number(lr, "lr", "maximize_activation"), check_number(l2, "l2", "maximize_activation")
    rng = np.random.default_rng(seed)
    dtype = next((p.dtype for p in model.parameters()), np.dtype(np.float32))
    x = (rng.normal(0, 0.01, shape) if x0 is None else np.array(getattr(x0, "data", x0))
         ).astype(dtype)
    acts, objs = [], []
    cap = _Capture(layer)
    try:
        for step in range(steps):
            dy, dx = rng.integers(-jitter, jitter + 1, 2) if jitter else (0, 0)
            xt = al.Tensor(np.roll(x, (dy, dx), axis=(-2, -1)), requires_grad=True)
            model(xt)
            out = cap.out
            if out is None:
                raise ValueError("maximize_activation: the layer did not run in the forward pass")
            if not 0 <= unit < out.shape[1]:
                raise IndexError(f"maximize_activation: unit {unit} out of range for "
                                 f"{type(layer).__name__} output of shape {out.shape}")
            act = out[:, unit].mean()
            obj = act - l2 * (xt * xt).sum()
            acts.append(float(act.item()))
            objs.append(float(obj.item()))
            (g,) = al.gradients(obj, [xt])
            x = x + lr * np.roll(np.asarray(getattr(g, "data", g)), (-dy, -dx), axis=(-2, -1))
            if blur_every and (step + 1) % blur_every == 0:
                x = _blur(x, blur_sigma).astype(dtype)
    finally:
        cap.close()
    return ActivationMaximum(x, acts, objs)
