"""The ``autograd-lite`` argument parser and entry point."""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from typing import Any, Callable, Sequence

from ..optim.registry import DEFAULT_LR, OPTIMIZERS, SCHEDULES
from .errors import Abort
from .explain import run_explain
from .export import DEFAULT_RUN, run_export
from .graph import run_graph
from .threads import DEFAULT_THREADS
from .train import (CHECKPOINT, CNN_DEFAULTS, CURVE, DATASETS, MODELS, NPZ_CHECKPOINT, RUN_DEFAULTS,
                    run_mnist)

__all__ = ["main", "build_parser"]


def _checked(convert: Callable[[str], Any], what: str, ok: Callable[[Any], bool],
             want: str) -> Callable[[str], Any]:
    """An argparse ``type``: ``convert(text)``, which must satisfy ``ok``."""
    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(value):
            # A float is shown as typed: its repr would turn "-1" into "-1.0".
            shown = text if isinstance(value, float) else value
            raise argparse.ArgumentTypeError(f"expected {want}, got {shown}")
        return value
    return parse


_positive_int = _checked(int, "a positive integer", lambda v: v >= 1, "a positive integer")
_nonneg_float = _checked(float, "a number", lambda v: v >= 0 and math.isfinite(v),
                         "a finite number >= 0")
_seed = _checked(int, "an integer seed", lambda v: v >= 0, "a seed >= 0")
_opset = _checked(int, "an integer", lambda v: v >= 17, "an ONNX opset >= 17")
_depth = _checked(int, "an integer", lambda v: v >= 0, "an integer >= 0")


def _wrap(text: str) -> str:
    return textwrap.fill(text, 79)


def _data_flags(parser: Any, data_help: str, when: str = "") -> None:
    """``--data DIR`` and ``--no-download``: where a command that loads a dataset finds
    its files (``load_mnist``'s path and ``download``); ``when`` prefixes both helps."""
    parser.add_argument("--data", metavar="DIR", help=when + data_help)
    parser.add_argument("--no-download", dest="download", action="store_false",
                        help=f"{when}fail with instructions instead of downloading missing files")


def build_parser() -> argparse.ArgumentParser:
    """The ``autograd-lite`` argument parser (subcommands mnist, graph, export, explain)."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite",
        description="autograd_lite's command line: train the lessons' two-layer network on "
                    "MNIST, draw a computation graph, or export a trained network to ONNX.",
        epilog="Run 'autograd-lite COMMAND --help' (mnist, graph, export, explain) for the options of "
               "each command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    m = sub.add_parser(
        "mnist", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="train the two-layer network (784 -> H -> 10, ReLU) on MNIST",
        description=_wrap(
            "Train the two-layer network (784 -> H -> 10, ReLU, softmax cross-entropy, "
            "He/Xavier initialisation) on MNIST, showing a progress bar with the live loss "
            f"and one line per epoch. After every epoch the checkpoint ({CHECKPOINT}, or "
            f"{NPZ_CHECKPOINT} without the safetensors package; written atomically) and the learning curve ({CURVE}) are saved in --out. Ctrl-C stops "
            "cleanly and keeps the last checkpoint."),
        epilog="examples:\n"
               "  autograd-lite mnist --epochs 5            # the defaults: ~97.9% test accuracy\n"
               "  autograd-lite mnist --epochs 10 --resume  # continue that run up to epoch 10\n"
               "  autograd-lite mnist --hidden 10 --optimizer sgd --schedule none  # H=10 SGD\n"
               "  autograd-lite mnist --optimizer sgd --lr 5 --diagnose   # see it diverge\n"
               "  autograd-lite mnist --model cnn --epochs 3 --out runs/cnn   # LeNet-5: ~99%\n"
               "  autograd-lite mnist --model cnn --dataset fashion-mnist --out runs/fashion\n\n"
               + _wrap("The MNIST files are looked up in --data, else in "
                       "$AUTOGRAD_LITE_DATA/mnist, else in ~/.cache/autograd_lite/mnist, and "
                       "downloaded when missing."))
    run = m.add_argument_group("model and training (a --resume run keeps the checkpoint's)")
    run.add_argument("--model", choices=MODELS,
                     help="mlp: the two-layer network 784 -> H -> 10; cnn: LeNet-5 (two 5x5 "
                          "conv + max-pool blocks, three linear layers) [default: "
                          f"{RUN_DEFAULTS['model']}]")
    run.add_argument("--dataset", choices=DATASETS,
                     help="the dataset: handwritten digits, or Zalando's Fashion-MNIST (the "
                          "same file format, ten kinds of clothing) "
                          f"[default: {RUN_DEFAULTS['dataset']}]")
    run.add_argument("--hidden", type=_positive_int, metavar="H",
                     help=f"hidden units of the mlp (the cnn's sizes are fixed) "
                          f"[default: {RUN_DEFAULTS['hidden']}]")
    run.add_argument("--batch-size", type=_positive_int, metavar="B",
                     help=f"mini-batch size [default: {RUN_DEFAULTS['batch_size']}; "
                          f"{CNN_DEFAULTS['batch_size']} for the cnn]")
    run.add_argument("--optimizer", choices=OPTIMIZERS,
                     help="momentum and nesterov are SGD with momentum 0.9 "
                          f"[default: {RUN_DEFAULTS['optimizer']}]")
    run.add_argument("--lr", type=_nonneg_float, metavar="LR",
                     help="initial learning rate [default: "
                          + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items())
                          + f"; adam {CNN_DEFAULTS['adam_lr']:g} for the cnn]")
    run.add_argument("--schedule", choices=SCHEDULES,
                     help="learning-rate schedule over all the steps: cosine decays to 0; step "
                          "multiplies by 0.1 at 1/2 and 3/4 of training "
                          f"[default: {RUN_DEFAULTS['schedule']}]")
    run.add_argument("--weight-decay", type=_nonneg_float, metavar="WD",
                     help="L2 weight decay (decoupled for adamw) [default: 0; adamw 0.01]")
    run.add_argument("--seed", type=_seed,
                     help="seed for initialisation and shuffling: the same seed repeats a run "
                          "exactly [default: a random seed, printed]")
    run.add_argument("--limit", type=_positive_int, metavar="N",
                     help="train on the first N training images only, for quick trials (the "
                          "test set stays whole)")

    length = m.add_argument_group("length, output and resuming")
    length.add_argument("--epochs", type=_positive_int, default=5, metavar="N",
                        help="train until epoch N (with --resume: the total, counting the "
                             "epochs already done) [default: %(default)s]")
    length.add_argument("--out", default="runs/mnist", metavar="DIR",
                        help="where the checkpoint and the learning curve go "
                             "[default: %(default)s]")
    length.add_argument("--resume", nargs="?", const="auto", metavar="CHECKPOINT",
                        help=f"continue from a checkpoint [default path: OUT/{CHECKPOINT}, "
                             f"or an older run's OUT/{NPZ_CHECKPOINT}]")
    length.add_argument("--overwrite", action="store_true",
                        help="start a new run even if OUT already holds a checkpoint (which "
                             "is replaced after the first epoch)")
    length.add_argument("--diagnose", action="store_true",
                        help="after each epoch show per-layer gradient norms, update/weight "
                             "ratios and dead ReLUs; if the loss turns NaN or inf or explodes "
                             "to 10x its first value, stop and name the likely cause")
    length.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bars (for logs)")
    length.add_argument("--threads", type=_positive_int, metavar="N",
                        help="threads NumPy's BLAS may use (set with threadpoolctl). Measured on "
                             "a busy 2-core machine, epochs with one thread were >10x faster "
                             "than with two; on a quiet machine two are ~20%% faster "
                             f"[default: {DEFAULT_THREADS}]")

    data = m.add_argument_group("data")
    _data_flags(data, "directory holding the dataset's four files (or DIR/mnist, "
                      "DIR/fashion-mnist) [default: $AUTOGRAD_LITE_DATA/mnist, then "
                      "~/.cache/autograd_lite/mnist; for Fashion-MNIST also "
                      "/usr/share/datasets/fashion-mnist, where Debian's "
                      "dataset-fashion-mnist package puts them]")
    m.set_defaults(func=run_mnist)

    g = sub.add_parser(
        "graph", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="draw the two-layer network's graph, or a tensor's graph from your script",
        description=_wrap(
            "Render a computation graph with autograd_lite.viz: ops with shapes, parameters by "
            "name, one cluster per module and, after backward, gradient statistics coloured to "
            "flag vanishing (blue), exploding (orange) or NaN/inf (red) gradients. Without "
            "--script: the two-layer MNIST network's forward pass with the gradients of one "
            "backward pass on a random batch (with --checkpoint: a trained network on a batch "
            "of MNIST's test images). svg, png and pdf need Graphviz's 'dot' program; "
            "dot output does not."),
        epilog="examples:\n"
               "  autograd-lite graph -o mnist.svg --hidden 16\n"
               "  autograd-lite graph --html -o mnist.html   # the interactive explorer\n"
               "  autograd-lite graph --checkpoint runs/mnist/checkpoint.safetensors -o run.svg\n"
               "  autograd-lite graph --script train.py --tensor loss -o loss.png\n"
               "  autograd-lite graph --script train.py --tensor loss -o loss.svg -- --epochs 1")
    g.add_argument("-o", "--output", default="mnist_graph.svg", metavar="FILE",
                   help="file to write [default: %(default)s]")
    g.add_argument("--format", choices=("svg", "png", "pdf", "dot"),
                   help="output format [default: from FILE's suffix, else svg]")
    g.add_argument("--html", action="store_true",
                   help="write the interactive explorer instead (one self-contained HTML page: "
                        "click nodes, step through backward, search, collapse modules); also "
                        "chosen by a FILE ending in .html")
    g.add_argument("--model", choices=MODELS, default="mlp",
                   help="the drawn network: the two-layer mlp or the LeNet-5 cnn (one cluster "
                        "per conv block) [default: %(default)s]")
    g.add_argument("--hidden", type=_positive_int, metavar="H",
                   help="hidden units of the drawn mlp (the cnn's sizes are fixed) [default: "
                        "128; a --checkpoint has its own]")
    g.add_argument("--batch-size", type=_positive_int, default=8, metavar="B",
                   help="batch size of the drawn network [default: %(default)s]")
    g.add_argument("--no-backward", dest="backward", action="store_false",
                   help="draw the forward graph only, without gradient statistics")
    g.add_argument("--checkpoint", metavar="PATH",
                   help="draw this trained (or diverged) network, an 'autograd-lite mnist' "
                        "checkpoint or a TwoLayerNet state_dict, on the first B images of "
                        "MNIST's test set (read as 'mnist' reads them: --data, --no-download)")
    _data_flags(g, "the directory holding the MNIST files (or DIR/mnist) [default: "
                   "$AUTOGRAD_LITE_DATA/mnist, then ~/.cache/autograd_lite/mnist]",
                when="with --checkpoint: ")
    g.add_argument("--script", metavar="PATH",
                   help="run this Python script and draw one of its global tensors")
    g.add_argument("--tensor", metavar="NAME", help="the script's global Tensor to draw")
    g.add_argument("--collapse", type=_depth, metavar="K",
                   help="draw modules nested deeper than K levels as single boxes")
    g.add_argument("script_args", nargs="*", metavar="-- ARGS",
                   help="arguments for the script (after --)")
    g.set_defaults(func=run_graph)

    e = sub.add_parser(
        "export", help="write a checkpoint's network as an ONNX model (for onnxruntime)",
        description=_wrap("Export the two-layer network of an 'autograd-lite mnist' checkpoint "
                          "(or a TwoLayerNet state_dict) as an ONNX model that takes a batch of "
                          "flattened images and returns the logits, and check it with "
                          "onnxruntime if installed. Needs the onnx package: pip install "
                          "'autograd-lite[onnx]'."))
    e.add_argument("--checkpoint", metavar="PATH",
                   help=f"the checkpoint [default: the one in {DEFAULT_RUN}]")
    e.add_argument("-o", "--output", default="mnist.onnx", metavar="FILE",
                   help="the ONNX file to write [default: %(default)s]")
    e.add_argument("--opset", type=_opset, default=17, metavar="N",
                   help="ONNX opset version, 17 or newer [default: %(default)s]")
    e.set_defaults(func=run_export)

    x = sub.add_parser(
        "explain", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="what a trained CNN looked at: Grad-CAM, conv1 filters and activation maps",
        description=_wrap(
            "For one test image, write four PNGs into -o DIR: the input; the Grad-CAM "
            "heatmap of the predicted class over it (the last convolution's rectified "
            "feature maps weighted by the average gradient of the class score), with the "
            "predicted and true class and the class probabilities; the first convolution's "
            "filters; and its activation maps for the image. Needs a CNN checkpoint "
            "('autograd-lite mnist --model cnn') and matplotlib."),
        epilog="example:\n"
               "  autograd-lite explain --checkpoint runs/cnn/checkpoint.safetensors "
               "--index 0 -o explain/")
    x.add_argument("--checkpoint", required=True, metavar="PATH", help="the CNN's checkpoint")
    x.add_argument("--index", type=int, default=0, metavar="I",
                   help="which test image [default: %(default)s]")
    x.add_argument("-o", "--output", default="explain", metavar="DIR",
                   help="directory for the PNGs [default: %(default)s]")
    _data_flags(x, "directory holding the dataset's files [default: as for mnist]")
    x.set_defaults(func=run_explain)
    parser.commands = tuple(sub.choices)  # for the error when none is given
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autograd-lite`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        names = ", ".join(parser.commands)
        print(f"autograd-lite: error: a command is required: one of {names}", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except Abort as e:
        print(e, file=sys.stderr)
        return e.status
    except KeyboardInterrupt:  # while loading data or drawing: nothing to keep
        print("\nInterrupted.", file=sys.stderr)
        return 130
