"""What a side-by-side comparison measured: a verdict computed from its runs' numbers.

The first run (A) is the reference (a comparison's first preset: the net with the problem); the
others are judged against it on validation at their last recorded step: a classifier's accuracy,
otherwise the loss. A verdict is a key plus the numbers it rests on; the page words it
(``cmp.verdict.*``).

Outcomes: ``a_diverged`` (A's loss or gradient became non-finite and at least one other run
completed), ``all_better``, ``some_better`` and ``none_better`` (how many of the others end
clearly better than A: accuracy at least 0.1 higher, or loss at most 0.8 times A's). Beside the
outcome, ``fewer_dead`` names the runs that end with at most half of A's dead ReLU units, when
A completed with at least a tenth of its units dead: the dying-ReLU fix shows there, not in the
loss of an easy task every net still fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

ACCURACY_MARGIN = 0.1  # a run is clearly better than A: at least this much val accuracy more
LOSS_RATIO = 0.8  # ... or at most this fraction of A's val loss (regression)
DEAD_RATIO = 0.5  # a run has clearly fewer dead units than A: at most this fraction of A's
DEAD_MIN = 0.1  # ... and A has this share of its units dead, at least
OUTCOMES = ("a_diverged", "all_better", "some_better", "none_better")


@dataclass(frozen=True)
class RunNumbers:
    """One run's figures as the verdict reads them."""

    label: str
    status: str
    final: float | None  # val accuracy (classification) or val loss, at the last record
    grad_ratio: float | None  # first weight layer's gradient norm / the output's, at step 0
    dead: float | None = None  # share of ReLU units dead at the last record (mean over layers)


@dataclass(frozen=True)
class ComparisonVerdict:
    key: str
    metric: str  # "val_accuracy" or "val_loss"
    runs: tuple[RunNumbers, ...]
    better: tuple[str, ...] = ()  # labels of the runs clearly better than A
    fewer_dead: tuple[str, ...] = ()  # labels of the runs with clearly fewer dead units than A


def at_last(frame: pd.DataFrame, name: str) -> float | None:
    """A metric at the last step it was recorded, from a run's long-form metric rows (the mean
    over that step's rows: a run-wide metric has one); None when never recorded."""
    rows = frame[frame["name"] == name] if len(frame) else frame
    if rows.empty:
        return None
    return float(rows.loc[rows["step"] == rows["step"].max(), "value"].mean())


def _grad_ratio(frame: pd.DataFrame) -> float | None:
    rows = frame[(frame["name"] == "grad_norm") & (frame["step"] == 0)]
    if rows.empty:
        return None
    by_depth = rows.groupby("depth")["value"].max()
    first, last = float(by_depth.iloc[0]), float(by_depth.iloc[-1])
    return first / last if last > 0 else None


def numbers(label: str, status: str, frame: pd.DataFrame, classification: bool) -> RunNumbers:
    metric = "val_accuracy" if classification else "val_loss"
    final = None if status == "diverged" else at_last(frame, metric)
    return RunNumbers(label, status, final, _grad_ratio(frame), at_last(frame, "dead_fraction"))


def _better(run: RunNumbers, ref: RunNumbers, classification: bool) -> bool:
    if run.final is None or run.status == "diverged":
        return False
    if ref.final is None:
        return True  # A diverged or measured nothing
    if classification:
        return run.final >= ref.final + ACCURACY_MARGIN
    return run.final <= ref.final * LOSS_RATIO


def judge(runs: Mapping[str, tuple[str, pd.DataFrame]], classification: bool) -> ComparisonVerdict:
    """``runs``: label -> (end status, long metrics frame), A first."""
    summary = tuple(numbers(lbl, s, f, classification) for lbl, (s, f) in runs.items())
    metric = "val_accuracy" if classification else "val_loss"
    ref, others = summary[0], summary[1:]
    better = tuple(r.label for r in others if _better(r, ref, classification))
    if ref.status == "diverged" and any(r.status == "completed" for r in others):
        key = "a_diverged"
    elif len(better) == len(others):
        key = "all_better"
    elif better:
        key = "some_better"
    else:
        key = "none_better"
    fewer_dead = ()
    if ref.status == "completed" and ref.dead is not None and ref.dead >= DEAD_MIN:
        fewer_dead = tuple(
            r.label for r in others if r.dead is not None and r.dead <= DEAD_RATIO * ref.dead
        )
    return ComparisonVerdict(key, metric, summary, better, fewer_dead)


# -- one run alone --------------------------------------------------------------------------

CHANCE_MARGIN = 0.1  # a classifier learned: val accuracy at least this far above chance
FLOOR_RATIO = 1.5  # a regression reached the noise floor: val loss within 1.5 times it
RUN_OUTCOMES = ("diverged", "learned", "chance", "at_floor", "below_baseline", "at_baseline")


@dataclass(frozen=True)
class RunVerdict:
    """What one run measured: an outcome key and the numbers it rests on."""

    key: str
    numbers: RunNumbers
    reference: float  # chance accuracy (classification) or the trivial baseline's loss
    floor: float | None = None  # the noise floor (regression with noise)
    diverged_at: int | None = None


def judge_one(
    status: str,
    frame: pd.DataFrame,
    classification: bool,
    reference: float,
    floor: float | None = None,
    diverged_at: int | None = None,
) -> RunVerdict:
    """One run against the line any model that ignores its input reaches (``reference``: chance
    accuracy, or the trivial baseline's loss) and, for regression with noise, the ``floor``."""
    run = numbers("A", status, frame, classification)
    if status == "diverged":
        key = "diverged"
    elif run.final is None:  # stopped before its first validation record
        key = "chance" if classification else "at_baseline"
    elif classification:
        key = "learned" if run.final >= reference + CHANCE_MARGIN else "chance"
    elif floor is not None and run.final <= FLOOR_RATIO * floor:
        key = "at_floor"
    else:
        key = "below_baseline" if run.final <= LOSS_RATIO * reference else "at_baseline"
    return RunVerdict(key, run, reference, floor, diverged_at)
