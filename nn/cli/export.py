"""``autograd-lite export``: a checkpoint's two-layer network as an ONNX model."""

from __future__ import annotations

import argparse
import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np

import autograd_lite as al

from .._atomic import make_dirs, remove_empty
from ..export import UnsupportedModuleError, export_onnx
from ..models import LeNet, TwoLayerNet
from ..module import Module
from ..serialization import CheckpointError, load
from .errors import Abort
from .train import FORMAT, checkpoint_path

__all__ = ["run_export", "DEFAULT_RUN", "network"]

DEFAULT_RUN = "runs/mnist"
_CHECK_BATCH = 64  # random images on which onnxruntime is compared with nn


def network(path: Path, command: str = "export") -> tuple[Module, str]:
    """The network saved at ``path`` (an ``autograd-lite mnist`` checkpoint of the MLP or
    the CNN, or a TwoLayerNet's or LeNet's ``state_dict``), and a description of where it
    came from; errors name ``command``."""
    try:
        state = load(path)
    except FileNotFoundError:
        raise Abort(f"{command}: no checkpoint at {path} (train one with 'autograd-lite mnist', or "
                    f"pass --checkpoint PATH)") from None
    except CheckpointError as e:
        raise Abort(f"{command}: {e}") from None
    if isinstance(state, dict) and state.get("format") == FORMAT:
        weights = state["model"]
        hist = state.get("history", {}).get("test_acc") or [None]
        about = (f"epoch {state.get('epoch')}"
                 + (f", test accuracy {100 * hist[-1]:.2f}%" if hist[-1] is not None else ""))
    else:
        weights, about = state, "a state_dict"
    convs = [v for v in weights.values() if np.ndim(v) == 4] if isinstance(weights, dict) else []
    if convs:  # the LeNet of 'autograd-lite mnist --model cnn'
        model = LeNet(num_classes=np.shape(weights.get("fc3.bias", np.zeros(10)))[0],
                      in_channels=convs[0].shape[1], dtype=convs[0].dtype,
                      batch_norm=any(k.endswith("running_mean") for k in weights))
        return _loaded(model, weights, path, command), about
    w = weights.get("fc1.weight") if isinstance(weights, dict) else None
    if not isinstance(w, np.ndarray) or w.ndim != 2:
        raise Abort(f"{command}: {path} holds neither an 'autograd-lite mnist' checkpoint nor a "
                    f"TwoLayerNet state_dict (no 2-d 'fc1.weight')")
    model = TwoLayerNet(w.shape[0], in_features=w.shape[1],
                        num_classes=np.shape(weights.get("fc2.bias", np.zeros(10)))[0],
                        batch_norm="bn1.weight" in weights, dtype=w.dtype)
    return _loaded(model, weights, path, command), about


def _in_features(model: Module) -> int:
    """The length of one input row: a LeNet takes 28x28 images per channel as rows too."""
    return model.fc1.in_features if isinstance(model, TwoLayerNet) else 784 * model.in_channels


def _loaded(model: Module, weights: dict, path: Path, command: str) -> Module:
    try:
        model.load_state_dict(weights)
    except RuntimeError as e:
        raise Abort(f"{command}: {path}: {e}") from None
    return model


def run_export(args: argparse.Namespace) -> int:
    """``autograd-lite export``: see ``autograd-lite export --help``."""
    if not args.output or args.output.endswith(("/", os.sep)) or Path(args.output).is_dir():
        raise Abort(f"export: -o: expected a file name, got {args.output!r}")
    path = Path(args.checkpoint) if args.checkpoint else checkpoint_path(Path(DEFAULT_RUN))
    model, about = network(path)
    example = np.zeros((1, _in_features(model)), next(model.parameters()).dtype)
    out = Path(args.output)
    try:
        made = make_dirs(out.parent)
    except OSError as e:  # FileExistsError: a file where a directory should be
        raise Abort(f"export: cannot create directory {out.parent}: "
                    f"{'a file is in the way' if isinstance(e, FileExistsError) else e.strerror or e}"
                    ) from None
    try:
        export_onnx(model, example, out, opset_version=args.opset)
        made = []
    except ImportError as e:
        raise Abort(f"export: {e}") from None
    except (UnsupportedModuleError, ValueError) as e:
        raise Abort(f"export: {e}") from None
    except OSError as e:
        raise Abort(f"export: cannot write {out}: {e.strerror or e}") from None
    finally:
        remove_empty(made)  # a failed export leaves no empty directory behind
    print(f"Wrote {out}: TwoLayerNet {_in_features(model)}-{model.hidden}-"
          f"{model.fc2.out_features} from {path} ({about}), ONNX opset {args.opset}; input "
          f"'input' (batch, {_in_features(model)}) {example.dtype}, output 'output' (batch, "
          f"{model.fc2.out_features}) logits.")
    print(_check(model, out, example.dtype))
    return 0


def _check(model: TwoLayerNet, path: Path, dtype: Any) -> str:
    """onnxruntime's logits against nn's on random images, as a sentence."""
    if importlib.util.find_spec("onnxruntime") is None:
        return "(pip install onnxruntime to check it against nn)"
    import onnxruntime

    from ..models import predict

    x = np.random.default_rng(0).random((_CHECK_BATCH, _in_features(model))).astype(dtype)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ours = session.run(None, {"input": x})[0]
    model.eval()
    with al.no_grad():
        theirs = model(x).data
    same = int(np.count_nonzero(ours.argmax(1) == predict(model, x)))
    return (f"onnxruntime {onnxruntime.__version__} gives nn's logits to "
            f"{float(np.max(np.abs(ours - theirs))):.1e} (largest difference) on "
            f"{_CHECK_BATCH} random images, and the same class for {same} of them.")
