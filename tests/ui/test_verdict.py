"""What an ended run group measured, in words (ui/verdict.py), on the Deep Networks page: a
comparison's verdict over its table, a preset's claim and what its run measured, and a regression
comparison set against the baseline and the noise floor. (The verdicts themselves:
tests/models/test_comparison.py.)"""

from tests.support.records import frame


def test_the_lab_page_says_what_a_comparison_measured_when_it_ends():
    from tests.support.apptest import open_lab, train_until_done

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


def test_a_preset_run_alone_states_its_claim_and_what_it_measured():
    from tests.support.apptest import open_lab, train_until_done

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
    from models.datasets import noise_floor
    from models.fields import parse_config
    from tests.support.apptest import open_lab
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
