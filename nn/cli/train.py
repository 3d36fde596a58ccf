"""``autograd-lite mnist``: train the two-layer network (or the CNN, ``--model cnn``) on
MNIST or Fashion-MNIST, checkpoint every epoch, resume."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import autograd_lite as al

from .._atomic import make_dirs, remove_empty
from ..data import DataLoader
from ..datasets import DatasetError, load_mnist
from ..diagnostics import Monitor
from ..models import evaluate
from ..optim.registry import DEFAULT_LR, OPTIMIZERS, SCHEDULES, make_optimizer, make_scheduler
from ..rng import get_rng_state, manual_seed, set_rng_state
from ..serialization import CheckpointError, load, save
from .errors import Abort
from .plots import plot_history
from .output import progress_bar as _progress, say as _say
from .notes import chance_note, in_cli_terms, schedule_note
from .runs import (CHECKPOINT, CNN_DEFAULTS, CURVE, DATASETS, FORMAT, HIDDEN_FOR_MLP, MODELS,
                   NPZ_CHECKPOINT, RUN_DEFAULTS, VERSION, checkpoint_path, describe_model,
                   make_model)
from .threads import blas_threads, check_threads

__all__ = ["run_mnist", "checkpoint_path", "make_model", "describe_model", "CHECKPOINT",
           "NPZ_CHECKPOINT", "CURVE", "FORMAT", "VERSION", "RUN_DEFAULTS", "MODELS", "DATASETS"]

_CURVE_POINTS = 20  # points per epoch of the fine-grained loss curve


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _epoch_seed(seed: int, epoch: int) -> int:
    # Each epoch's shuffle depends only on (seed, epoch), so a resumed run visits the
    # batches in the same order as an uninterrupted one.
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


# ---------------------------------------------------------------------------- training


def _run_config(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in RUN_DEFAULTS}


def _one_line(e: BaseException) -> str:
    """An exception's message on one line (some list their problems one per line)."""
    return " ".join(str(e).split())


def _fresh(out: Path) -> str:
    """How to start afresh instead of resuming into ``out``."""
    if (out / CHECKPOINT).exists():
        return (f"To start a fresh run instead, drop --resume and pass --overwrite (the new run "
                f"replaces {out / CHECKPOINT} after its first epoch) or --out DIR.")
    return "To start a fresh run instead, drop --resume."


_ENTRIES = {"epoch": "an int >= 0", "config": "a dict", "model": "a dict", "optimizer": "a dict",
            "scheduler": "a dict or None", "history": "a dict"}


def _state_problem(state: dict[str, Any]) -> str | None:
    """What makes a checkpoint of the right format unusable for a resume, or None."""
    for key, kind in _ENTRIES.items():
        if key not in state:
            return f"it has no {key!r} entry"
        value = state[key]
        ok = {"an int >= 0": _is_int(value, 0), "a dict": isinstance(value, dict),
              "a dict or None": value is None or isinstance(value, dict)}[kind]
        if not ok:
            return f"its {key!r} entry is {value!r:.60}, expected {kind}"
    config = state["config"]
    # (model and dataset came later: a checkpoint without them is of the MLP on MNIST)
    missing = [k for k in RUN_DEFAULTS if k not in config and k not in ("model", "dataset")]
    if missing:
        return f"its 'config' entry lacks {', '.join(map(repr, missing))}"
    checks = {"hidden": lambda v: _is_int(v, 1), "batch_size": lambda v: _is_int(v, 1),
              "limit": lambda v: v is None or _is_int(v, 1), "seed": lambda v: _is_int(v, 0),
              "optimizer": lambda v: v in OPTIMIZERS, "schedule": lambda v: v in SCHEDULES,
              "lr": _is_rate, "weight_decay": _is_rate,
              "model": lambda v: v in MODELS, "dataset": lambda v: v in DATASETS}
    for k, ok in checks.items():
        if k in config and not ok(config[k]):
            return (f"its config has {k} = {config[k]!r:.60}, which is not a valid "
                    f"--{k.replace('_', '-')}")
    if not all(isinstance(v, list) for v in state["history"].values()):
        return "its 'history' entry is not a dict of lists"
    return None


def _is_int(v: Any, minimum: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _is_rate(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < math.inf


def _resume_state(args: argparse.Namespace, out: Path) -> dict[str, Any] | None:
    """The checkpoint to resume from, with the run's options merged into ``args``."""
    if args.resume is None:
        return None
    path = Path(args.resume) if args.resume != "auto" else checkpoint_path(out)
    try:
        state = load(path)
    except FileNotFoundError:
        raise Abort(f"--resume: no checkpoint at {path} (train without --resume first, or "
                    f"pass the checkpoint's path: --resume PATH)") from None
    except CheckpointError as e:
        raise Abort(f"--resume: {_one_line(e)}. {_fresh(out)}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise Abort(f"--resume: {path} is an nn checkpoint but not one written by "
                    f"'autograd-lite mnist' (expected format {FORMAT!r}). {_fresh(out)}")
    if state.get("version") != VERSION:
        raise Abort(f"--resume: {path} has version {state.get('version')!r}; this "
                    f"autograd-lite reads version {VERSION}")
    problem = _state_problem(state)
    if problem:
        raise Abort(f"--resume: {path} cannot be resumed: {problem}. {_fresh(out)}")
    # Checkpoints written before --model and --dataset existed are of the MLP on MNIST.
    saved = {k: state["config"].get(k, RUN_DEFAULTS[k] if k in ("model", "dataset") else None)
             for k in RUN_DEFAULTS}
    if saved["model"] == "cnn" and args.hidden is not None and args.model in (None, "cnn"):
        raise Abort(f"--resume: {path} is a --model cnn run; {HIDDEN_FOR_MLP}")
    clashes = [f"--{k.replace('_', '-')} {getattr(args, k)} (the checkpoint has {saved[k]})"
               for k in RUN_DEFAULTS if getattr(args, k) not in (None, saved[k])]
    if clashes:
        raise Abort(f"--resume: {path} was trained with other settings: you passed "
                    + "; ".join(clashes) + ". Drop those options to continue that run, or "
                    "start a new one with a different --out.")
    for k in RUN_DEFAULTS:
        setattr(args, k, saved[k])
    args.resume_path = path
    return state


def _fill_defaults(args: argparse.Namespace) -> None:
    cnn = (args.model or RUN_DEFAULTS["model"]) == "cnn"
    for k, v in RUN_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, CNN_DEFAULTS["batch_size"] if cnn and k == "batch_size" else v)
    if args.lr is None:
        args.lr = CNN_DEFAULTS["adam_lr"] if cnn and args.optimizer == "adam" \
            else DEFAULT_LR[args.optimizer]
    if args.weight_decay is None:
        args.weight_decay = 0.01 if args.optimizer == "adamw" else 0.0
    if args.seed is None:
        # A run without --seed still gets one, printed and checkpointed, so it can be
        # repeated and resumed exactly.
        args.seed = int(np.random.SeedSequence().generate_state(1)[0] % 1_000_000)


def _load_data(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    try:
        data = load_mnist(args.data, name=args.dataset, download=args.download, normalize=True,
                          flatten=True, progress=args.progress)
    except DatasetError as e:
        hint = ("\n--data DIR names the directory of the files, --dataset which dataset "
                "they must be." if "wrong dataset" in str(e) else "")
        raise Abort(f"autograd-lite mnist: cannot load {DATASETS[args.dataset]} "
                    f"(--dataset {args.dataset}).\n{in_cli_terms(str(e))}{hint}") from None
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
        self.model = make_model(args.model, args.hidden, args.seed)
        self.opt = make_optimizer(args.optimizer, list(self.model.parameters()), args.lr,
                                  args.weight_decay)
        self.steps_per_epoch = -(-n_train // args.batch_size)
        self.sched = make_scheduler(args.schedule, self.opt, args.epochs * self.steps_per_epoch)
        self.history = _new_history()
        self.epoch = self.step = 0
        if state:
            try:
                self._restore(state)
            except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as e:
                # The entries are all there (see _state_problem) but do not fit this run:
                # arrays of other shapes, an optimiser state of another kind...
                raise Abort(f"--resume: {args.resume_path} cannot be resumed: {_one_line(e)}. "
                            f"{_fresh(Path(args.out))}") from None
        self.monitor = Monitor(self.model) if args.diagnose else None

    def _restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        if self.sched is not None:
            self.sched.load_state_dict(state["scheduler"])
            # The schedule may be longer now (--epochs grew): take its current lr.
            for group, lr in zip(self.opt.param_groups, self.sched.lr_at(self.sched.last_epoch)):
                group["lr"] = lr
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.epoch = int(state["epoch"])
        if "rng" in state:  # not in checkpoints written before it was saved
            set_rng_state(state["rng"])

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
              "rng": get_rng_state(), "history": self.history}, path)


def run_mnist(args: argparse.Namespace) -> int:
    """``autograd-lite mnist``: see ``autograd-lite mnist --help``."""
    if not args.out:
        raise Abort("--out: expected a directory, got an empty path")
    out = Path(args.out)
    for d in (out, *out.parents):  # fail now, not after loading the data
        if d.exists():
            if not d.is_dir():
                raise Abort(f"--out: {d} is a file, not a directory")
            break
    check_threads(args.threads)
    if args.model == "cnn" and args.hidden is not None:
        raise Abort(f"autograd-lite mnist: {HIDDEN_FOR_MLP}")
    args.progress = args.progress and sys.stderr.isatty()  # no bar redraws in a log
    state = _resume_state(args, out)
    _fill_defaults(args)
    ckpt = checkpoint_path(out)
    if not state and ckpt.exists() and not args.overwrite:
        raise Abort(f"{ckpt} already exists: pass --resume to continue that run, "
                    f"--overwrite to replace it with a new one, or --out DIR to start elsewhere")
    if state and state["epoch"] >= args.epochs:
        raise Abort(f"--resume: the checkpoint has already trained {_n(state['epoch'], 'epoch')}; "
                    f"pass --epochs N with N > {state['epoch']} to train further", status=0)
    X, y, X_test, y_test = _load_data(args)
    run = _Trainer(args, len(X), state)
    try:
        made = make_dirs(out)
    except OSError as e:
        raise Abort(f"--out: cannot create directory {out}: {e.strerror or e}") from None
    try:
        with blas_threads(args.threads) as args.blas:
            return _train(args, run, out, state, (X, y, X_test, y_test))
    finally:
        remove_empty(made)  # only those still empty: a run that saved nothing leaves nothing


def _train(args: argparse.Namespace, run: _Trainer, out: Path, state: dict | None,
           data: tuple[np.ndarray, ...]) -> int:
    X, y, X_test, y_test = data
    ckpt, curve = checkpoint_path(out), None
    saved = run.epoch if state else None  # the epoch the checkpoint on disk holds
    verb = f"Resuming {ckpt} at epoch {run.epoch + 1}" if state else "Training"
    print(f"{verb}: {describe_model(args.model, args.hidden)} on {len(X)} "
          f"{DATASETS[args.dataset]} images, "
          f"{args.optimizer} lr {args.lr:g}"
          f"{f' weight decay {args.weight_decay:g}' if args.weight_decay else ''}, "
          f"{args.schedule} schedule, batch {args.batch_size}, seed {args.seed}, "
          f"{_n(args.epochs, 'epoch')}, {args.blas} -> {out}", flush=True)
    # What a stretched schedule does to the lr, rather than a silent jump.
    note = state and run.history["lr"] and schedule_note(
        args.schedule, run.epoch, args.epochs, run.history["lr"][-1],
        run.opt.param_groups[0]["lr"], run.steps_per_epoch)
    if note:
        print(note, flush=True)
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
                curve = plot_history(run.history, out / CURVE,
                                     model=f"{describe_model(args.model, args.hidden)}, "
                                           f"{DATASETS[args.dataset]}", optimizer=args.optimizer,
                                     lr=args.lr, schedule=args.schedule)
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
    note = not args.diagnose and chance_note(h["test_acc"][-1])
    if note:
        print(note)
    return 0


