"""The verdict a side-by-side group ends with (models/comparison.py): every outcome, from
records shaped like the trainer's, and the sentence the lab page shows for a real comparison."""

import pandas as pd
import pytest

from models.comparison import OUTCOMES, RUN_OUTCOMES, judge, judge_one


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


def test_a_preset_run_alone_states_its_claim_and_what_it_measured():
    from tests.test_dashboard import open_lab, train_until_done

    at = open_lab()
    at.sidebar.selectbox(key="dn:preset").set_value("dying_relu").run()
    texts = train_until_done(at)
    assert "completed" in texts[0]
    claim = " ".join(i.value for i in at.info)
    assert "The claim: Large updates push ReLU units" in claim  # kept after Train
    said = " ".join(m.value for m in at.markdown)
    assert "**What the run measured:** validation accuracy" in said
    assert "the net learned the task" in said and "Dead ReLU units at the end" in said


def test_a_regression_comparison_says_which_runs_reach_the_noise_floor():
    """Synthetic ended runs on a noisy regression task: the page gives the baseline and the
    floor for scale and names the run that ends at the floor (and not the one that does not)."""
    from models.config import parse_config
    from models.datasets import noise_floor
    from tests.test_dashboard import open_lab
    from ui.runs import LabRun, RunGroup

    cfg = parse_config({"data": {"name": "plane", "noise": 0.5}, "train": {"epochs": 1}})
    floor = noise_floor(cfg.data)
    runs = []
    for label, final in (("A", 0.2), ("B", 1.2 * floor)):
        run = LabRun(label, cfg)
        run.result.status = "completed"
        run.frame = frame(final, metric="val_loss").assign(t=None)
        runs.append(run)
    at = open_lab()
    group = RunGroup(runs)
    at.session_state["dn:group"] = group
    at.session_state["dn:saved_group"] = group  # nothing to save
    at.run()
    said = " ".join(m.value for m in at.markdown)
    assert "every other run ends clearly better than A on validation loss: B 0.018" in said
    assert f"the lowest loss any model can reach at this noise is {floor:.3g}" in said
    assert "At that floor (within 1.5 times it): **B**." in said
