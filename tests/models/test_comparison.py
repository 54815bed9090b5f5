"""The verdict a side-by-side group ends with (models/comparison.py): every outcome, from
records shaped like the trainer's, and one run against chance, its baseline and the noise floor.
(The sentences the lab page words them in: tests/ui/test_verdict.py.)"""

import pandas as pd
import pytest

from models.comparison import OUTCOMES, RUN_OUTCOMES, judge, judge_one
from tests.support.records import frame

CASES = {
    "all_better": {"A": ("completed", frame(0.55)), "B": ("completed", frame(0.99, (0.5, 1.0))),
                   "C": ("completed", frame(0.97))},
    "some_better": {"A": ("completed", frame(0.55)), "B": ("completed", frame(0.99)),
                    "C": ("completed", frame(0.6))},
    "none_better": {"A": ("completed", frame(0.9)), "B": ("completed", frame(0.95))},
    "a_diverged": {"A": ("diverged", frame(0.5)), "B": ("completed", frame(0.7))},
}  # fmt: skip


@pytest.mark.parametrize("key", OUTCOMES)
def test_every_outcome_follows_from_the_numbers(key):
    verdict = judge(CASES[key], classification=True)
    assert verdict.key == key
    assert [r.label for r in verdict.runs] == list(CASES[key])


def test_the_numbers_are_the_last_records_and_the_step_zero_gradient_ratio():
    verdict = judge(CASES["all_better"], classification=True)
    a, b, c = verdict.runs
    assert (a.final, b.final, c.final) == (0.55, 0.99, 0.97)
    assert a.grad_ratio == pytest.approx(1e-4) and b.grad_ratio == pytest.approx(0.5)
    assert verdict.better == ("B", "C") and verdict.metric == "val_accuracy"
    diverged = judge(CASES["a_diverged"], classification=True).runs[0]
    assert diverged.final is None  # a diverged run has no final figure to compare


def test_regression_is_judged_on_the_loss_lower_is_better():
    runs = {"A": ("completed", frame(0.17, metric="val_loss")),
            "B": ("completed", frame(0.01, metric="val_loss")),
            "C": ("completed", frame(0.16, metric="val_loss"))}  # fmt: skip
    verdict = judge(runs, classification=False)
    assert (verdict.key, verdict.better, verdict.metric) == ("some_better", ("B",), "val_loss")


def dead(fraction: float) -> pd.DataFrame:
    rows = [(100, "dead_fraction", f"re_lu_{d}", d, fraction) for d in (1, 2)]
    rows += [(0, "dead_fraction", f"re_lu_{d}", d, 0.0) for d in (1, 2)]
    return pd.concat([frame(0.95), pd.DataFrame(rows, columns=frame(0).columns)])


@pytest.mark.parametrize(
    "a, b, fewer",
    [(0.3, 0.15, ("B",)), (0.3, 0.2, ()), (0.05, 0.0, ())],  # half of A's; not half; A alive
)
def test_fewer_dead_units_is_measured_at_the_last_record(a, b, fewer):
    verdict = judge({"A": ("completed", dead(a)), "B": ("completed", dead(b))}, True)
    assert verdict.runs[0].dead == pytest.approx(a) and verdict.fewer_dead == fewer
    assert verdict.key == "none_better"  # both fit the task: the dead units tell them apart


def loss_frame(final: float) -> pd.DataFrame:
    return frame(final, metric="val_loss")


@pytest.mark.parametrize(
    "status, run, classification, floor, key",
    [
        ("diverged", frame(0.5), True, None, "diverged"),
        ("completed", frame(0.95), True, None, "learned"),  # chance 0.5
        ("completed", frame(0.55), True, None, "chance"),
        ("completed", loss_frame(0.017), False, 0.0164, "at_floor"),  # baseline 0.167
        ("completed", loss_frame(0.05), False, 0.0164, "below_baseline"),
        ("completed", loss_frame(0.16), False, 0.0164, "at_baseline"),
        ("completed", loss_frame(0.017), False, None, "below_baseline"),  # no noise, no floor
    ],
)
def test_one_run_is_judged_against_chance_the_baseline_and_the_noise_floor(
    status, run, classification, floor, key
):
    reference = 0.5 if classification else 0.167
    verdict = judge_one(status, run, classification, reference, floor)
    assert verdict.key == key and verdict.key in RUN_OUTCOMES
