"""The ``autograd-lite`` command: train the two-layer MNIST network, draw its graph.

    autograd-lite mnist --epochs 5             # train; checkpoint + learning curve in runs/mnist
    autograd-lite mnist --epochs 8 --resume    # continue that run up to epoch 8
    autograd-lite graph -o mnist.svg           # the network's forward/backward graph

It lives in ``nn`` (not ``autograd_lite``) because the engine never imports ``nn``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import autograd_lite as al

from . import optim
from .data import DataLoader
from .datasets import DatasetError, load_mnist
from .diagnostics import Monitor
from .rng import manual_seed
from .serialization import CheckpointError, load, save
from .twolayer import TwoLayerNet, evaluate, two_layer_net

__all__ = ["main", "build_parser", "make_optimizer", "make_scheduler", "DEFAULT_LR"]

CHECKPOINT = "checkpoint.npz"
CURVE = "learning_curve.png"
FORMAT = "autograd-lite-mnist"
VERSION = 1

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
SCHEDULES = ("none", "cosine", "step")
#: Default learning rate of each --optimizer choice.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 1e-3, "adam": 2e-3,
              "adamw": 2e-3}
# Options that define a run: a --resume must not silently change them.
_RUN_DEFAULTS: dict[str, Any] = {"hidden": 128, "batch_size": 64, "optimizer": "adam",
                                 "lr": None, "schedule": "cosine", "weight_decay": None,
                                 "seed": None, "limit": None}
_CURVE_POINTS = 20  # points per epoch of the fine-grained loss curve


class _Stop(Exception):
    """Ends a command with a message on stderr and an exit status."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------------- building


def make_optimizer(name: str, params: Any, lr: float | None = None,
                   weight_decay: float | None = None) -> optim.Optimizer:
    """The optimiser behind each ``--optimizer`` choice.

    ``momentum`` and ``nesterov`` are SGD with momentum 0.9. ``lr`` defaults to
    :data:`DEFAULT_LR`; ``weight_decay`` to 0 (0.01 for ``adamw``, whose decay is
    decoupled from the gradient).
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    lr = DEFAULT_LR[name] if lr is None else lr
    wd = (0.01 if name == "adamw" else 0.0) if weight_decay is None else weight_decay
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=wd)
    if name in ("momentum", "nesterov"):
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=name == "nesterov",
                         weight_decay=wd)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=wd)
    cls = optim.Adam if name == "adam" else optim.AdamW
    return cls(params, lr=lr, weight_decay=wd)


def make_scheduler(name: str, optimizer: optim.Optimizer,
                   total_steps: int) -> optim.lr_scheduler.LambdaLR | None:
    """The per-step schedule behind each ``--schedule`` choice (None for ``none``).

    ``cosine`` anneals the lr from its initial value to 0 over ``total_steps``;
    ``step`` multiplies it by 0.1 after half and again after three quarters of them.
    The factor is a function of the step alone, so a resumed run that trains for
    more epochs simply follows the longer schedule from where it is.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")
    if name == "none":
        return None
    total = max(int(total_steps), 1)
    if name == "cosine":
        def factor(step: int) -> float:
            return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
    else:
        def factor(step: int) -> float:
            return 0.1 ** ((step >= total // 2) + (step >= 3 * total // 4))
    return optim.lr_scheduler.LambdaLR(optimizer, factor)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _epoch_seed(seed: int, epoch: int) -> int:
    # Each epoch's shuffle depends only on (seed, epoch), so a resumed run visits the
    # batches in the same order as an uninterrupted one.
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


# ------------------------------------------------------------------------------ output


def _progress(iterable: Any, total: int, desc: str, enabled: bool) -> Any:
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return tqdm(iterable, total=total, desc=desc, unit="batch", leave=False,
                        dynamic_ncols=True)
    return iterable


def _say(text: str) -> None:
    """Print without breaking a tqdm bar that may be on screen."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(text, flush=True)
    else:
        tqdm.write(text, file=sys.stdout)
        sys.stdout.flush()


def plot_history(history: dict[str, list[float]], path: str | os.PathLike) -> Path | None:
    """Write the learning curve (loss, and train/test accuracy, per epoch) as a PNG.

    Written to a temporary file and renamed, so a previous curve survives a failure.
    Returns the path, or None when matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure  # no pyplot: no global backend, no GUI
    except ImportError:
        return None
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    if history["step_loss"]:
        ax_loss.plot(history["step_epoch"], history["step_loss"], color="0.6", lw=1,
                     label="train (running)")
    # An epoch's mean loss belongs to the middle of the epoch.
    ax_loss.plot(epochs - 0.5, history["train_loss"], "o", label="train (epoch mean)")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="Loss")
    ax_loss.legend()
    ax_acc.plot(epochs, 100 * np.asarray(history["train_acc"]), "o-", label="train")
    ax_acc.plot(epochs, 100 * np.asarray(history["test_acc"]), "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    ax_acc.legend()
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=100)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# ---------------------------------------------------------------------------- training


def _run_config(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in _RUN_DEFAULTS}


def _resume_state(args: argparse.Namespace, out: Path) -> dict[str, Any] | None:
    """The checkpoint to resume from, with the run's options merged into ``args``."""
    if args.resume is None:
        return None
    path = Path(args.resume) if args.resume != "auto" else out / CHECKPOINT
    try:
        state = load(path)
    except FileNotFoundError:
        raise _Stop(f"--resume: no checkpoint at {path} (train without --resume first, or "
                    f"pass the checkpoint's path: --resume PATH)") from None
    except CheckpointError as e:
        raise _Stop(f"--resume: {e}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise _Stop(f"--resume: {path} is an nn checkpoint but not one written by "
                    f"'autograd-lite mnist' (expected format {FORMAT!r})")
    if state.get("version") != VERSION:
        raise _Stop(f"--resume: {path} has version {state.get('version')!r}; this "
                    f"autograd-lite reads version {VERSION}")
    saved = state["config"]
    clashes = [f"--{k.replace('_', '-')} {getattr(args, k)} (the checkpoint has {saved[k]})"
               for k in _RUN_DEFAULTS if getattr(args, k) not in (None, saved[k])]
    if clashes:
        raise _Stop(f"--resume: {path} was trained with other settings: you passed "
                    + "; ".join(clashes) + ". Drop those options to continue that run, or "
                    "start a new one with a different --out.")
    for k in _RUN_DEFAULTS:
        setattr(args, k, saved[k])
    return state


def _fill_defaults(args: argparse.Namespace) -> None:
    for k, v in _RUN_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer]
    if args.weight_decay is None:
        args.weight_decay = 0.01 if args.optimizer == "adamw" else 0.0
    if args.seed is None:
        # A run without --seed still gets one, printed and checkpointed, so it can be
        # repeated and resumed exactly.
        args.seed = int(np.random.SeedSequence().generate_state(1)[0] % 1_000_000)


def _load_data(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    try:
        data = load_mnist(args.data, download=args.download, normalize=True, flatten=True,
                          progress=args.progress)
    except DatasetError as e:
        raise _Stop(f"autograd-lite mnist: cannot load MNIST.\n{e}") from None
    X, y = data.train
    if args.limit is not None:
        X, y = X[:args.limit], y[:args.limit]
    return X, y, data.test.images, data.test.labels


def _new_history() -> dict[str, list[float]]:
    return {k: [] for k in ("train_loss", "train_acc", "test_acc", "seconds", "lr",
                            "step_epoch", "step_loss")}


class _Diverged(Exception):
    def __init__(self, value: float, batch: np.ndarray) -> None:
        super().__init__(value)
        self.value, self.batch = value, batch


class _Trainer:
    """One run: the model, its optimiser and schedule, the history, and where it is."""

    def __init__(self, args: argparse.Namespace, n_train: int, state: dict | None) -> None:
        self.args = args
        manual_seed(args.seed)  # dropout, and anything else drawing from nn's generator
        self.model = two_layer_net(args.hidden, seed=args.seed)
        self.opt = make_optimizer(args.optimizer, list(self.model.parameters()), args.lr,
                                  args.weight_decay)
        self.steps_per_epoch = -(-n_train // args.batch_size)
        self.sched = make_scheduler(args.schedule, self.opt, args.epochs * self.steps_per_epoch)
        self.history = _new_history()
        self.epoch = self.step = 0
        if state:
            self.model.load_state_dict(state["model"])
            self.opt.load_state_dict(state["optimizer"])
            if self.sched is not None:
                self.sched.load_state_dict(state["scheduler"])
                # The schedule may be longer now (--epochs grew): take its current lr.
                for group, lr in zip(self.opt.param_groups,
                                     self.sched.lr_at(self.sched.last_epoch)):
                    group["lr"] = lr
            self.history = {k: list(v) for k, v in state["history"].items()}
            self.epoch = int(state["epoch"])
        self.monitor = Monitor(self.model) if args.diagnose else None

    def train_epoch(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
        """One pass over (X, y); returns mean loss, accuracy and seconds. Raises
        :class:`_Diverged` when the loss is NaN/inf (or, under --diagnose, explodes)."""
        args, model, opt, sched, mon = self.args, self.model, self.opt, self.sched, self.monitor
        loader = DataLoader((X, y), batch_size=args.batch_size, shuffle=True,
                            seed=_epoch_seed(args.seed, self.epoch))
        bar = _progress(loader, len(loader), f"epoch {self.epoch + 1}/{args.epochs}",
                        args.progress)
        every = max(1, self.steps_per_epoch // _CURVE_POINTS)
        loss_sum, correct, seen, chunk = 0.0, 0, 0, []
        if mon:
            mon.reset()
        t0 = time.perf_counter()
        try:
            for self.step, (xb, yb) in enumerate(bar):
                logits = model(xb)
                loss = al.cross_entropy(logits, yb)
                loss.backward()
                value = loss.item()
                if mon:
                    mon.before_step(value)
                if not math.isfinite(value) or (mon and mon.diverged()):
                    raise _Diverged(value, xb)
                opt.step()
                opt.zero_grad()
                if mon:
                    mon.after_step()
                if sched is not None:
                    sched.step()
                loss_sum += value * len(yb)
                seen += len(yb)
                correct += int(np.count_nonzero(logits.data.argmax(axis=1) == yb))
                chunk.append(value)
                if len(chunk) == every:
                    self.history["step_epoch"].append(
                        self.epoch + (self.step + 1) / self.steps_per_epoch)
                    self.history["step_loss"].append(float(np.mean(chunk)))
                    chunk = []
                if self.step % 10 == 0 and hasattr(bar, "set_postfix_str"):
                    bar.set_postfix_str(f"loss {loss_sum / seen:.4f}", refresh=False)
        finally:
            if hasattr(bar, "close"):
                bar.close()
        return loss_sum / len(X), correct / len(X), time.perf_counter() - t0

    def save(self, path: Path) -> None:
        save({"format": FORMAT, "version": VERSION, "epoch": self.epoch,
              "config": _run_config(self.args), "model": self.model.state_dict(),
              "optimizer": self.opt.state_dict(),
              "scheduler": self.sched.state_dict() if self.sched is not None else None,
              "history": self.history}, path)


def run_mnist(args: argparse.Namespace) -> int:
    """``autograd-lite mnist``: see ``autograd-lite mnist --help``."""
    out = Path(args.out)
    state = _resume_state(args, out)
    _fill_defaults(args)
    if not state and (out / CHECKPOINT).exists() and not args.overwrite:
        raise _Stop(f"{out / CHECKPOINT} already exists: pass --resume to continue that run, "
                    f"--overwrite to replace it with a new one, or --out DIR to start elsewhere")
    if state and state["epoch"] >= args.epochs:
        raise _Stop(f"--resume: the checkpoint has already trained {_n(state['epoch'], 'epoch')}; "
                    f"pass --epochs N with N > {state['epoch']} to train further", status=0)
    X, y, X_test, y_test = _load_data(args)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _Stop(f"--out: cannot create directory {out}: {e.strerror or e}") from None

    run = _Trainer(args, len(X), state)
    ckpt, curve = out / CHECKPOINT, None
    saved = run.epoch if state else None  # the epoch the checkpoint on disk holds
    verb = f"Resuming {ckpt} at epoch {run.epoch + 1}" if state else "Training"
    print(f"{verb}: two-layer network 784-{args.hidden}-10 on {len(X)} MNIST images, "
          f"{args.optimizer} lr {args.lr:g}"
          f"{f' weight decay {args.weight_decay:g}' if args.weight_decay else ''}, "
          f"{args.schedule} schedule, batch {args.batch_size}, seed {args.seed}, "
          f"{_n(args.epochs, 'epoch')} -> {out}", flush=True)
    if run.monitor:
        run.monitor.open()
    # Adam's moments decay into subnormal floats where a pixel is rarely lit, and those
    # made every epoch after the first 40-100% slower (see al.set_flush_denormal).
    flushing = al.set_flush_denormal(True)
    try:
        # A diverging run overflows; the loss checks stop it with an explanation, which
        # NumPy's overflow warnings would only precede with noise.
        with np.errstate(over="ignore", invalid="ignore"):
            while run.epoch < args.epochs:
                loss, acc, seconds = run.train_epoch(X, y)
                test_acc = evaluate(run.model, X_test, y_test)
                for k, v in (("train_loss", loss), ("train_acc", acc), ("test_acc", test_acc),
                             ("seconds", seconds), ("lr", run.opt.param_groups[0]["lr"])):
                    run.history[k].append(float(v))
                run.epoch += 1
                _say(f"epoch {run.epoch}/{args.epochs}  train loss {loss:.4f}  "
                     f"train acc {100 * acc:.2f}%  test acc {100 * test_acc:.2f}%  "
                     f"{seconds:.1f} s")
                if run.monitor:
                    _say(run.monitor.report())
                run.save(ckpt)
                saved = run.epoch
                curve = plot_history(run.history, out / CURVE)
    except _Diverged as d:
        where = f"epoch {run.epoch + 1}, step {run.step + 1}/{run.steps_per_epoch}"
        if run.monitor is None:
            msg = (f"The loss became {d.value} at {where}. Rerun with --diagnose to see the "
                   f"likely cause (often a learning rate that is too high: this run used "
                   f"--lr {args.lr:g}).")
        else:
            # The lr the user chose (--lr), which the advice refers to, not the scheduled one.
            msg = run.monitor.explain_divergence(lr=args.lr, inputs=d.batch, where=where).message
        kept = (f"The checkpoint of epoch {saved} ({ckpt}) was left as it was." if saved
                else "Nothing was saved.")
        print(f"Training stopped. {msg}\n{kept}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        kept = (f"the checkpoint of epoch {saved} is intact at {ckpt}; continue with: "
                f"autograd-lite mnist --out {out} --resume" if saved
                else "no epoch had finished, so nothing was saved")
        print(f"\nInterrupted in epoch {run.epoch + 1} (step {run.step + 1}/"
              f"{run.steps_per_epoch}): {kept}", file=sys.stderr, flush=True)
        return 130
    finally:
        if flushing:
            al.set_flush_denormal(False)
        if run.monitor:
            run.monitor.close()
    h = run.history
    best = int(np.argmax(h["test_acc"]))
    print(f"Done: test accuracy {100 * h['test_acc'][-1]:.2f}% after {_n(args.epochs, 'epoch')} "
          f"(best {100 * h['test_acc'][best]:.2f}% at epoch {best + 1}), "
          f"{np.mean(h['seconds']):.1f} s per epoch of training.\nCheckpoint: {ckpt}"
          + (f"\nLearning curve: {curve}" if curve else
             "\n(no learning curve: matplotlib is not installed; pip install matplotlib)"))
    return 0


# ------------------------------------------------------------------------------- graph


def run_graph(args: argparse.Namespace) -> int:
    """``autograd-lite graph``: see ``autograd-lite graph --help``."""
    from autograd_lite.viz import GraphvizNotFoundError

    out = Path(args.output)
    fmt = args.format or out.suffix.lstrip(".").lower() or "svg"
    if not out.suffix:
        out = out.with_suffix(f".{fmt}")
    draw = {"collapse": args.collapse}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _Stop(f"graph: cannot create directory {out.parent}: {e.strerror or e}") from None
    try:
        if args.script:
            if not args.tensor:
                raise _Stop("graph: --script needs --tensor NAME, the script's global Tensor to "
                            "draw (e.g. --tensor loss)")
            path = al.viz.render_script(args.script, args.tensor, out, fmt,
                                        argv=args.script_args, **draw)
        else:
            if args.tensor:
                raise _Stop("graph: --tensor names a tensor of a --script; without --script the "
                            "two-layer MNIST network is drawn")
            rng = np.random.default_rng(0)
            model = TwoLayerNet(args.hidden, generator=rng)
            # Random pixels and labels: the graph's structure is the same as on MNIST.
            x = al.Tensor(rng.random((args.batch_size, 784), dtype=np.float32))
            labels = al.Tensor(rng.integers(0, 10, args.batch_size), dtype=np.int64)
            loss = al.cross_entropy(model(x), labels)
            rec = None
            if args.backward:
                with al.viz.record() as rec:
                    loss.backward()
            names = [("", model), ("images", x), ("labels", labels), ("loss", loss)]
            path = al.viz.render(loss, out, fmt, params=names, grads=rec, **draw)
    except GraphvizNotFoundError as e:
        raise _Stop(f"graph: {e}\n(--format dot writes the DOT source without Graphviz)") from None
    except (FileNotFoundError, NameError, TypeError, ValueError) as e:
        # viz's own errors start with the function's name; anything else was raised by
        # the user's script, and its traceback is what they need.
        if not str(e).startswith(("render_script:", "render:", "draw:")):
            raise
        raise _Stop(f"graph: {e}") from None
    print(f"Wrote {path}")
    return 0


# ------------------------------------------------------------------------------ parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a seed >= 0, got {value}")
    return value


def _wrap(text: str) -> str:
    return textwrap.fill(text, 79)


def build_parser() -> argparse.ArgumentParser:
    """The ``autograd-lite`` argument parser (subcommands ``mnist`` and ``graph``)."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite",
        description="autograd_lite's command line: train the lessons' two-layer network on "
                    "MNIST, or draw a computation graph.",
        epilog="Run 'autograd-lite mnist --help' or 'autograd-lite graph --help' for the "
               "options of each command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    m = sub.add_parser(
        "mnist", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="train the two-layer network (784 -> H -> 10, ReLU) on MNIST",
        description=_wrap(
            "Train the two-layer network (784 -> H -> 10, ReLU, softmax cross-entropy, "
            "He/Xavier initialisation) on MNIST, showing a progress bar with the live loss "
            f"and one line per epoch. After every epoch the checkpoint ({CHECKPOINT}, written "
            f"atomically) and the learning curve ({CURVE}) are saved in --out. Ctrl-C stops "
            "cleanly and keeps the last checkpoint."),
        epilog="examples:\n"
               "  autograd-lite mnist --epochs 5            # the defaults: ~97.9% test accuracy\n"
               "  autograd-lite mnist --epochs 10 --resume  # continue that run up to epoch 10\n"
               "  autograd-lite mnist --hidden 10 --optimizer sgd --schedule none  # H=10 SGD\n"
               "  autograd-lite mnist --optimizer sgd --lr 5 --diagnose   # see it diverge\n\n"
               + _wrap("The MNIST files are looked up in --data, else in "
                       "$AUTOGRAD_LITE_DATA/mnist, else in ~/.cache/autograd_lite/mnist, and "
                       "downloaded when missing."))
    run = m.add_argument_group("model and training (a --resume run keeps the checkpoint's)")
    run.add_argument("--hidden", type=_positive_int, metavar="H",
                     help=f"hidden units [default: {_RUN_DEFAULTS['hidden']}]")
    run.add_argument("--batch-size", type=_positive_int, metavar="B",
                     help=f"mini-batch size [default: {_RUN_DEFAULTS['batch_size']}]")
    run.add_argument("--optimizer", choices=OPTIMIZERS,
                     help="momentum and nesterov are SGD with momentum 0.9 "
                          f"[default: {_RUN_DEFAULTS['optimizer']}]")
    run.add_argument("--lr", type=_nonneg_float, metavar="LR",
                     help="initial learning rate [default: "
                          + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + "]")
    run.add_argument("--schedule", choices=SCHEDULES,
                     help="learning-rate schedule over all the steps: cosine decays to 0; step "
                          "multiplies by 0.1 at 1/2 and 3/4 of training "
                          f"[default: {_RUN_DEFAULTS['schedule']}]")
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
                        help=f"continue from a checkpoint [default path: OUT/{CHECKPOINT}]")
    length.add_argument("--overwrite", action="store_true",
                        help="start a new run even if OUT already holds a checkpoint (which "
                             "is replaced after the first epoch)")
    length.add_argument("--diagnose", action="store_true",
                        help="after each epoch show per-layer gradient norms, update/weight "
                             "ratios and dead ReLUs; if the loss turns NaN or inf or explodes "
                             "to 10x its first value, stop and name the likely cause")
    length.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bars (for logs)")

    data = m.add_argument_group("data")
    data.add_argument("--data", metavar="DIR",
                      help="directory holding the MNIST files (or DIR/mnist) [default: "
                           "$AUTOGRAD_LITE_DATA/mnist, then ~/.cache/autograd_lite/mnist]")
    data.add_argument("--no-download", dest="download", action="store_false",
                      help="fail with instructions instead of downloading missing files")
    m.set_defaults(func=run_mnist)

    g = sub.add_parser(
        "graph", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="draw the two-layer network's graph, or a tensor's graph from your script",
        description=_wrap(
            "Render a computation graph with autograd_lite.viz: ops with shapes, parameters by "
            "name, one cluster per module and, after backward, gradient statistics coloured to "
            "flag vanishing (blue), exploding (orange) or NaN/inf (red) gradients. Without "
            "--script: the two-layer MNIST network's forward pass with the gradients of one "
            "backward pass on a random batch. svg, png and pdf need Graphviz's 'dot' program; "
            "dot output does not."),
        epilog="examples:\n"
               "  autograd-lite graph -o mnist.svg --hidden 16\n"
               "  autograd-lite graph --script train.py --tensor loss -o loss.png\n"
               "  autograd-lite graph --script train.py --tensor loss -o loss.svg -- --epochs 1")
    g.add_argument("-o", "--output", default="mnist_graph.svg", metavar="FILE",
                   help="file to write [default: %(default)s]")
    g.add_argument("--format", choices=("svg", "png", "pdf", "dot"),
                   help="output format [default: from FILE's suffix, else svg]")
    g.add_argument("--hidden", type=_positive_int, default=128, metavar="H",
                   help="hidden units of the drawn network [default: %(default)s]")
    g.add_argument("--batch-size", type=_positive_int, default=8, metavar="B",
                   help="batch size of the drawn network [default: %(default)s]")
    g.add_argument("--no-backward", dest="backward", action="store_false",
                   help="draw the forward graph only, without gradient statistics")
    g.add_argument("--script", metavar="PATH",
                   help="run this Python script and draw one of its global tensors")
    g.add_argument("--tensor", metavar="NAME", help="the script's global Tensor to draw")
    g.add_argument("--collapse", type=int, metavar="K",
                   help="draw modules nested deeper than K levels as single boxes")
    g.add_argument("script_args", nargs="*", metavar="-- ARGS",
                   help="arguments for the script (after --)")
    g.set_defaults(func=run_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autograd-lite`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except _Stop as e:
        print(e, file=sys.stderr)
        return e.status
    except KeyboardInterrupt:  # while loading data or drawing: nothing to keep
        print("\nInterrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
