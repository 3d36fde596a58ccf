"""``autograd-lite explain``: what a trained CNN looked at, for one test image, as PNGs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from .. import explain
from ..datasets import DatasetError, load_mnist
from ..module import Module
from ..serialization import CheckpointError, load
from .errors import Abort
from .train import FORMAT

__all__ = ["run_explain", "FILES", "CLASS_NAMES", "cam_layer", "rectified"]

#: What ``explain`` writes into the output directory.
FILES = {"input": "input.png", "gradcam": "gradcam.png", "filters": "conv1_filters.png",
         "activations": "conv1_activations.png"}
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"],
}


def _network(path: Path) -> tuple[Module, str]:
    """The CNN of an ``autograd-lite mnist --model cnn`` checkpoint, and its dataset."""
    try:
        state = load(path)
    except FileNotFoundError:
        raise Abort(f"explain: no checkpoint at {path} (train one with 'autograd-lite mnist "
                    f"--model cnn', or pass --checkpoint PATH)") from None
    except CheckpointError as e:
        raise Abort(f"explain: {e}") from None
    if not (isinstance(state, dict) and state.get("format") == FORMAT):
        raise Abort(f"explain: {path} is not an 'autograd-lite mnist' checkpoint")
    config = state.get("config", {})
    weights = state["model"]
    convs = [k for k, v in weights.items() if k.endswith("weight") and np.ndim(v) == 4]
    if config.get("model", "mlp") != "cnn" or not convs:
        raise Abort(f"explain: the network in {path} ({config.get('model', 'mlp')}) has no "
                    f"convolution layer, so there are no filters, feature maps or Grad-CAM to "
                    f"show; train a CNN with 'autograd-lite mnist --model cnn'")
    from ..models import LeNet  # the only CNN the trainer makes

    first = weights[convs[0]]
    model = LeNet(num_classes=np.shape(weights.get("fc3.bias", np.zeros(10)))[0],
                  in_channels=first.shape[1],
                  batch_norm=any(np.ndim(v) == 1 and k.endswith("running_mean")
                                 for k, v in weights.items()), dtype=first.dtype)
    try:
        model.load_state_dict(weights)
    except RuntimeError as e:
        raise Abort(f"explain: {path}: {e}") from None
    return model.eval(), config.get("dataset", "mnist")


def rectified(model: Module, index: int = -1) -> tuple[str, Module]:
    """A convolution's rectified output (the first ReLU after it in its block, past any
    batch norm), or the convolution itself: ``index`` picks the convolution."""
    named = list(model.named_modules())
    name, conv = explain.conv_layers(model)[index]
    parent = name.rpartition(".")[0]
    after = [i for i, (n, m) in enumerate(named) if m is conv][0]
    for n, m in named[after + 1:]:
        if n.rpartition(".")[0] != parent:
            break
        if type(m).__name__ == "ReLU":
            return n, m
    return name, conv


def cam_layer(model: Module) -> tuple[str, Module]:
    """The layer Grad-CAM looks at: the last convolution's rectified output."""
    return rectified(model, -1)


def _figure(size: tuple[float, float]) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global backend, no GUI

    return Figure(figsize=size, layout="constrained")


def _save(fig: Any, path: Path) -> None:
    fig.savefig(path, format="png", dpi=100)


def _picture(path: Path, size: tuple[float, float], pixels: np.ndarray, title: str,
             fontsize: int = 9, **imshow: Any) -> None:
    """One image, titled, without axes, written to ``path``."""
    fig = _figure(size)
    ax = fig.subplots()
    ax.imshow(pixels, **imshow)
    ax.set_title(title, fontsize=fontsize)
    ax.axis("off")
    _save(fig, path)


def _pictures(model: Module, image: np.ndarray, label: int, names: list[str], index: int,
              out: Path, dataset: str) -> dict[str, Any]:
    """Write the four PNGs for one image (1, C, H, W); returns what Grad-CAM found."""
    lname, layer = cam_layer(model)
    steps = explain.grad_cam_steps(model, layer, image)
    pred, probs = int(steps.target[0]), steps.probs[0]
    conv1_name, conv1 = explain.conv_layers(model)[0]

    _picture(out / FILES["input"], (3.2, 3.4), image[0].transpose(1, 2, 0).squeeze(-1),
             f"{dataset} test image {index}\ntrue class: {names[label]}", fontsize=10,
             cmap="gray")

    fig = _figure((8, 3.6))
    ax_img, ax_p = fig.subplots(1, 2, width_ratios=[1, 1.3])
    ax_img.imshow(explain.overlay(image[0], steps.heatmap[0], alpha=0.45))
    ok = "right" if pred == label else "WRONG"
    ax_img.set_title(f"Grad-CAM ({lname}) for the predicted class\npredicted {names[pred]} "
                     f"(p={probs[pred]:.2f}), true {names[label]}: {ok}", fontsize=9)
    ax_img.axis("off")
    colours = ["tab:green" if c == label else "tab:red" if c == pred else "0.6"
               for c in range(len(names))]
    ax_p.barh(range(len(names)), probs, color=colours)
    ax_p.set_yticks(range(len(names)), names, fontsize=8)
    ax_p.invert_yaxis()
    ax_p.set_xlim(0, 1)
    ax_p.set_xlabel("probability (green: true class, red: wrong prediction)")
    _save(fig, out / FILES["gradcam"])

    grid = dict(vmin=0, vmax=1, interpolation="nearest")  # tiles in [0, 1], pixel for pixel
    _picture(out / FILES["filters"], (4, 4), explain.filters(conv1, scale=4),
             f"{conv1_name} filters {tuple(conv1.weight.shape)}\n"
             f"gray 0, white positive, black negative", cmap="gray", **grid)

    act_name, act = rectified(model, 0)
    _picture(out / FILES["activations"], (4, 4), explain.activation_maps(model, act, image),
             f"{act_name} (conv1 rectified) maps of image {index}\n(one scale: dark = quiet)",
             cmap="magma", **grid)
    return {"layer": lname, "pred": pred, "probs": probs}


def run_explain(args: argparse.Namespace) -> int:
    """``autograd-lite explain``: see ``autograd-lite explain --help``."""
    model, dataset = _network(Path(args.checkpoint))
    out = Path(args.output)
    if not args.output:
        raise Abort("explain: -o: expected a directory, got an empty path")
    # Checked before the (slow) data loading and forward pass, not found after them.
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir():
        raise Abort(f"explain: -o {out}: {existing} is a file, not a directory")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise Abort("explain: writing PNGs needs matplotlib: pip install matplotlib") from None
    try:
        data = load_mnist(args.data, name=dataset.replace("-", "_"), download=args.download,
                          normalize=True, progress=False)
    except (DatasetError, OSError) as e:
        raise Abort(f"explain: cannot load the {dataset} test set: {e}") from None
    X, y = data.test
    if not -len(X) <= args.index < len(X):
        raise Abort(f"explain: --index {args.index} is out of range: the test set has "
                    f"{len(X)} images (0 to {len(X) - 1})")
    image = np.asarray(X[args.index], next(model.parameters()).dtype).reshape(1, 1, 28, 28)
    label = int(y[args.index])
    try:
        out.mkdir(parents=True, exist_ok=True)
        found = _pictures(model, image, label, CLASS_NAMES.get(dataset, CLASS_NAMES["mnist"]),
                          args.index, out, dataset)
    except OSError as e:
        raise Abort(f"explain: cannot write into {out}: {e.strerror or e}") from None
    names = CLASS_NAMES.get(dataset, CLASS_NAMES["mnist"])
    print(f"Test image {args.index}: true {names[label]}, predicted {names[found['pred']]} "
          f"(p={found['probs'][found['pred']]:.3f}); Grad-CAM of layer {found['layer']}.")
    print("Wrote " + ", ".join(str(out / f) for f in FILES.values()))
    return 0
