"""What the CLI tells a user beyond the figures: data errors in the CLI's own terms, what a
resumed schedule will do, and a hint when a run ends near chance."""

from __future__ import annotations

import re

__all__ = ["in_cli_terms", "schedule_note", "chance_note", "CHANCE"]

# load_mnist's words for what a user of the command line sets with a flag.
_FLAGS = [
    (re.compile(r"\(download=False\)"), "(--no-download)"),
    (re.compile(r"pass path=<directory> to load_mnist"), "pass --data DIR"),
    (re.compile(r"pass checksums=None to check only the format"),
     "replace it with the published file, or delete it and rerun without --no-download to "
     "download it again"),
]
CHANCE = 0.1  # ten classes


def in_cli_terms(message: str) -> str:
    """A dataset error's message with load_mnist's keyword arguments replaced by the CLI's
    flags (--data, --no-download)."""
    for pattern, flag in _FLAGS:
        message = pattern.sub(flag, message)
    return message


def schedule_note(schedule: str, done: int, epochs: int, ended_lr: float, lr: float,
                  steps_per_epoch: int) -> str | None:
    """What a resumed ``schedule`` does over epochs ``done + 1 .. epochs``, given the lr the
    checkpoint's last epoch ended at and the lr the resumed run starts at (None: no
    schedule)."""
    if schedule == "none":
        return None
    total = epochs * steps_per_epoch
    if schedule == "cosine":
        after = f"then decays to 0 by the end of epoch {epochs}"
    else:  # step: x0.1 after half and three quarters of the steps
        drops = sorted({s // steps_per_epoch + 1 for s in (total // 2, 3 * total // 4)
                        if s >= done * steps_per_epoch})
        after = ("then is multiplied by 0.1 during epoch" + "s" * (len(drops) > 1) + " "
                 + " and ".join(map(str, drops)) if drops else "and stays there")
    if lr > 1.01 * ended_lr:
        return (f"Note: the {schedule} schedule now spans {epochs} epochs, longer than the "
                f"checkpoint's run planned, so the learning rate rises from {ended_lr:.3g} "
                f"(where epoch {done} ended) to {lr:.3g}, {after}. For one {schedule} schedule "
                f"over all {epochs} epochs, start a new run with --epochs {epochs} instead.")
    return (f"The {schedule} schedule continues over {epochs} epochs: the learning rate "
            f"resumes at {lr:.3g} (epoch {done} ended at {ended_lr:.3g}), {after}.")


def chance_note(test_acc: float) -> str | None:
    """A hint to rerun with --diagnose when a run ends near chance. (A NaN or inf loss stops
    training at once, with its own hint.)"""
    if test_acc < 2 * CHANCE:
        return (f"The test accuracy ({100 * test_acc:.2f}%) is near chance ({100 * CHANCE:.0f}% "
                f"for ten classes): the network did not learn. Rerun with --diagnose to see "
                f"per-layer gradient norms, update ratios and dead ReLUs (often a learning "
                f"rate far too high or too low).")
    return None
