"""The verdict a side-by-side group ends with (models/comparison.py): every outcome, from
records shaped like the trainer's, and the sentence the lab page shows for a real comparison."""

import pandas as pd
import pytest

from models.comparison import OUTCOMES, judge


def frame(final: float, grads=(1e-4, 1.0), metric: str = "val_accuracy") -> pd.DataFrame:
    rows = [(0, metric, None, None, 0.5), (100, metric, None, None, final)]
    rows += [(0, "grad_norm", f"dense_{d}", d, g) for d, g in enumerate(grads)]
    return pd.DataFrame(rows, columns=["step", "name", "layer", "depth", "value"])


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


def test_the_lab_page_says_what_a_comparison_measured_when_it_ends():
    from tests.test_dashboard import open_lab, train_until_done

    at = open_lab()
    at.sidebar.selectbox(key="dn:comparison").set_value("exploding_clip").run()
    texts = train_until_done(at)
    assert [s[:3] for s in texts] == ["A: ", "B: "] and "diverged" in texts[0]
    said = " ".join(m.value for m in at.markdown)
    assert "**What the runs measured:** A diverged" in said and "B trained to the end" in said
    table = at.dataframe[-1].value
    assert list(table["Run"]) == ["A", "B"] and list(table["Status"]) == ["diverged", "completed"]
    ratio = table["First layer's gradient ÷ output layer's, at step 0"]
    assert all(float(v) > 1 for v in ratio)  # exploding: the first layer's gradient is larger
