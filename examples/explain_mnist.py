"""What did the network look at? Train a small CNN briefly, then draw its Grad-CAM, in
its five steps, with its filters, activation maps and activation maximisation.

    python examples/explain_mnist.py docs/img [--dataset fashion-mnist]

writes ``explain-<dataset>-steps.png`` (the five steps for one test image),
``explain-<dataset>-gradcam.png`` (eight test images with their heatmaps, predicted
and true classes), ``explain-<dataset>-filters.png`` (conv1's filters and activation maps)
and ``explain-<dataset>-maximize.png`` (an input that excites each class). The docs build
runs this for MNIST and Fashion-MNIST; the images are not committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import autograd_lite as al
import nn
from nn import explain

CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion-mnist": ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Boot"],
}


def small_cnn() -> nn.Sequential:
    """conv(1->8, 5x5) ReLU pool, conv(8->16, 5x5) ReLU pool, linear 400 -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 25, 10))


def train(X: np.ndarray, y: np.ndarray, steps: int, seed: int) -> nn.Sequential:
    nn.manual_seed(seed)
    model = small_cnn()
    opt = nn.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.integers(0, len(X), 64)
        loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def _show(ax, img, title, **kw):
    ax.imshow(img, **kw)
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def draw(model: nn.Module, X: np.ndarray, y: np.ndarray, names: list[str], tag: str,
         out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    layer = model[4]  # the ReLU after the last convolution: its rectified feature maps
    written = []

    # The five steps, for the first test image.
    s = explain.grad_cam_steps(model, layer, X[:1])
    order = np.argsort(-np.abs(s.alpha[0]))[:4]
    fig = Figure(figsize=(11, 5.2), layout="constrained")
    axes = fig.subplots(2, 6)
    _show(axes[0, 0], X[0, 0], f"input (true {names[y[0]]})", cmap="gray")
    for j, k in enumerate(order):
        _show(axes[0, 1 + j], s.activations[0, k], f"1. A^{k}", cmap="magma")
    axes[0, 5].bar(range(len(s.alpha[0])), s.alpha[0],
                   color=["tab:red" if a < 0 else "tab:blue" for a in s.alpha[0]])
    axes[0, 5].set_title("3. alpha_k (mean gradient)", fontsize=8)
    axes[0, 5].set_xlabel("feature map k", fontsize=8)
    for j, k in enumerate(order[:2]):
        g = s.gradients[0, k]
        lim = float(np.abs(g).max()) or 1.0
        _show(axes[1, j], g, f"2. dy_c/dA^{k}", cmap="RdBu_r", vmin=-lim, vmax=lim)
    weighted = np.einsum("k,khw->hw", s.alpha[0], s.activations[0])
    lim = float(np.abs(weighted).max()) or 1.0
    _show(axes[1, 2], weighted, "4. sum_k alpha_k A^k", cmap="RdBu_r", vmin=-lim, vmax=lim)
    _show(axes[1, 3], s.cam[0], "4. ReLU of it", cmap="magma")
    _show(axes[1, 4], s.heatmap[0], "5. upsampled", cmap="magma")
    c = s.target[0]
    _show(axes[1, 5], explain.overlay(X[0], s.heatmap[0]),
          f"5. overlay: {names[c]} p={s.probs[0, c]:.2f}")
    written.append(out / f"explain-{tag}-steps.png")
    fig.savefig(written[-1], dpi=90)

    # Eight test images, their heatmaps, and the heatmap of another class for the first.
    s = explain.grad_cam_steps(model, layer, X[:8])
    fig = Figure(figsize=(11, 3.2), layout="constrained")
    axes = fig.subplots(2, 8)
    for i in range(8):
        c = s.target[i]
        _show(axes[0, i], X[i, 0], f"true {names[y[i]]}", cmap="gray")
        mark = "" if c == y[i] else " (wrong)"
        _show(axes[1, i], explain.overlay(X[i], s.heatmap[i]),
              f"{names[c]} p={s.probs[i, c]:.2f}{mark}")
    written.append(out / f"explain-{tag}-gradcam.png")
    fig.savefig(written[-1], dpi=90)

    fig = Figure(figsize=(8, 3), layout="constrained")
    a, b = fig.subplots(1, 2)
    _show(a, explain.filters(model[0], scale=4), "conv1 filters (gray 0)", cmap="gray",
          vmin=0, vmax=1, interpolation="nearest")
    _show(b, explain.activation_maps(model, model[1], X[:1]), "conv1 activation maps",
          cmap="magma", vmin=0, vmax=1, interpolation="nearest")
    written.append(out / f"explain-{tag}-filters.png")
    fig.savefig(written[-1], dpi=90)

    fig = Figure(figsize=(11, 1.8), layout="constrained")
    axes = fig.subplots(1, 10)
    for c in range(10):
        m = explain.maximize_activation(model, model[-1], c, steps=60, lr=0.5,
                                        shape=(1, 1, 28, 28), l2=1e-2, blur_every=4,
                                        blur_sigma=0.6, jitter=1, seed=c)
        _show(axes[c], m.image[0, 0], names[c], cmap="gray")
    written.append(out / f"explain-{tag}-maximize.png")
    fig.savefig(written[-1], dpi=90)
    return written


#: The pictures :func:`main` writes for a dataset.
def pictures(dataset: str) -> list[str]:
    return [f"explain-{dataset}-{what}.png"
            for what in ("steps", "gradcam", "filters", "maximize")]


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", default="docs/img", type=Path,
                        help="directory for the images (created if missing; default docs/img)")
    parser.add_argument("--dataset", choices=sorted(CLASSES), default="mnist")
    parser.add_argument("--data", help="directory holding the dataset [default: as load_mnist]")
    parser.add_argument("--no-download", dest="download", action="store_false",
                        help="fail (nn.DatasetError) instead of downloading missing files")
    parser.add_argument("--steps", type=int, default=200, help="training steps of 64 images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    data = nn.load_mnist(args.data, name=args.dataset.replace("-", "_"), normalize=True,
                         download=args.download, progress=False)
    (Xtr, ytr), (Xte, yte) = data.train, data.test
    Xtr = Xtr.reshape(-1, 1, 28, 28).astype(np.float32)
    Xte = Xte.reshape(-1, 1, 28, 28).astype(np.float32)
    model = train(Xtr, ytr, args.steps, args.seed)
    with al.no_grad():
        acc = float((model(Xte[:1000]).data.argmax(1) == yte[:1000]).mean())
    print(f"{args.dataset}: {args.steps} steps, test accuracy {100 * acc:.1f}% on 1000 images")
    written = draw(model, Xte, yte, CLASSES[args.dataset], args.dataset, args.out_dir)
    for path in written:
        print(path)
    return written


if __name__ == "__main__":
    main()
