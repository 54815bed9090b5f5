"""The Deep Networks page (pages/deep_networks.py) driven through Streamlit's AppTest, from
dashboard.py, with real training jobs.

The job pool is a cached resource, so every AppTest in this process shares its warm workers.
"""

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from models.config import MAX_PARAMS, MAX_STEPS
from models.infra.store import RunStore
from tests.support.apptest import (
    SMALL,
    button,
    field,
    one_sentence,
    open_lab,
    specs,
    statuses,
    train_until_done,
)


def spec_text(at: AppTest) -> str:
    """Every chart's spec and inline data as one string, to look for layer names and runs."""
    return " ".join(c.proto.spec + str(c.proto.datasets) for c in at.get("vega_lite_chart"))


def test_training_from_a_shared_url_draws_every_chart_for_every_layer():
    at = open_lab({**SMALL, "model.depth": "3", "model.activation": "relu"})
    assert field(at, "slider", "dn:model.depth").value == 3
    assert field(at, "selectbox", "dn:model.activation").value == "relu"
    texts = train_until_done(at)
    assert "completed" in texts[0]
    assert not at.warning  # a completed run shows no banner
    charts = specs(at)
    assert len(charts) == 5  # loss, grad norms, heatmap, layer bars, decision boundary
    data = spec_text(at)
    for layer in ("dense_0", "dense_1", "dense_2", "output"):
        assert layer in data
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("CSV" in x for x in labels) and any("JSON" in x for x in labels)
    assert any("Keras script" in x for x in labels)
    assert any("Trained model (.keras)" in x for x in labels)
    # Saved to the run store (the tests' temporary database), under this session.
    assert any("Saved to your runs (1)" in c.value for c in at.caption)
    saved_id = at.session_state["dn:group"].runs[0].saved_id
    [saved] = [r for _, r in RunStore().list_all() if r.id == saved_id]
    assert saved.name == "A · mlp relu" and saved.status == "completed"
    # The URL still reproduces the screen.
    assert at.query_params["model.depth"] == "3"
    assert at.query_params["model.activation"] == "relu"


def test_a_run_store_that_fails_leaves_training_working_and_says_so(monkeypatch):
    import ui.lab

    monkeypatch.setattr(ui.lab, "run_store", lambda: None)
    at = open_lab(SMALL)
    texts = train_until_done(at)
    assert "completed" in texts[0]
    warning = " ".join(w.value for w in at.warning)
    assert "were not saved (the run database is unavailable)" in warning
    assert [b for b in at.get("download_button")], "the downloads still work"
    assert len(specs(at)) == 5 and not at.exception


def test_a_diverging_config_shows_the_banner_and_keeps_its_charts():
    at = open_lab()
    at.sidebar.selectbox(key="dn:preset").select("exploding").run()
    assert field(at, "selectbox", "dn:model.initializer").value == "random_normal"
    texts = train_until_done(at)
    assert "diverged" in texts[0]
    banner = " ".join(w.value for w in at.warning)
    assert "diverged at step" in banner and "try clipnorm or a lower learning rate" in banner
    assert not at.error and not at.exception
    assert len(specs(at)) >= 4


def test_bad_query_params_are_ignored_with_a_visible_notice():
    at = open_lab(
        {
            "model.depth": "abc",
            "model.width": "9999",
            "model.arch": "lstm",
            "data.name": "adding",
            "nonsense": "1",
            "optimizer.learning_rate": "x" * 10_000,
            "model.activation": "sigmoid",
            "b.model.depth": "999",
            "c.model.arch": "lstm",
        }
    )
    notice = at.warning[0].value.replace("\\", "")  # user text is shown escaped
    for name in ("model.depth", "model.width", "model.arch", "data.name", "nonsense"):
        assert name in notice
    assert "ignored config B" in notice and "ignored config C" in notice
    assert "too long" in notice
    # The valid param still applies; the rest fall back to defaults.
    assert field(at, "selectbox", "dn:model.activation").value == "sigmoid"
    assert field(at, "slider", "dn:model.depth").value == 4
    assert not at.exception and not at.error


def test_side_by_side_configs_train_together_and_the_table_shows_only_differences():
    at = open_lab({**SMALL, "model.depth": "2", "b.model.activation": "relu"})
    editor, diff = (d.value for d in at.dataframe)
    assert editor.iloc[0].tolist() == ["model.activation", "relu", "", ""]
    assert list(diff.index) == ["Activation"]
    assert diff.loc["Activation"].tolist() == ["tanh", "relu"]
    texts = train_until_done(at)
    assert len(texts) == 2 and all("completed" in s for s in texts)
    assert texts[0].startswith("A") and texts[1].startswith("B")
    loss = next(c for c in at.get("vega_lite_chart") if "loss" in c.proto.spec)
    assert "B" in str(loss.proto.datasets) or '"B"' in loss.proto.spec  # B's curve is drawn
    assert at.query_params["b.model.activation"] == "relu"


def editor_labels(at: AppTest) -> dict[str, str]:
    """What the side-by-side editor's Field column shows for each field it holds."""
    columns = json.loads(at.dataframe[0].proto.columns)
    options = columns["Field"]["type_config"]["options"]
    return {o["value"]: o["label"] for o in options}


def test_the_side_by_side_editor_shows_field_labels_and_blank_cells_for_same_as_a():
    """It showed dotted paths and "None" for "same as A"; the URL keeps the dotted paths."""
    at = open_lab({"b.model.activation": "relu", "c.optimizer.learning_rate": "0.2"})
    editor = at.dataframe[0].value
    assert editor.to_dict("records") == [
        {"Field": "model.activation", "B": "relu", "C": "", "D": ""},
        {"Field": "optimizer.learning_rate", "B": "", "C": "0.2", "D": ""},
    ]
    shown = editor_labels(at)
    assert shown["model.activation"] == "Activation"
    assert shown["optimizer.learning_rate"] == "Learning rate"
    assert not any("." in label for label in shown.values())
    columns = json.loads(at.dataframe[0].proto.columns)
    assert all(columns[x]["default"] == "" for x in "BCD")  # a new row's cells start blank
    assert any("A blank cell is the same as A" in c.value for c in at.caption)
    assert at.query_params["b.model.activation"] == "relu"
    assert at.query_params["c.optimizer.learning_rate"] == "0.2"


def test_stop_ends_a_long_run_and_the_stopped_run_is_saved():
    at = open_lab({"train.epochs": "2000", "model.depth": "2"})
    button(at, "Train").click().run()
    deadline = time.monotonic() + 180  # a guard: workers start while the machine is busy
    while not any("step" in s and "of" in s for s in statuses(at)):
        assert time.monotonic() < deadline, statuses(at)
        time.sleep(0.2)
        at.run()
    button(at, "Stop").click().run()
    deadline = time.monotonic() + 60  # a guard against a hang; bench/dashboard.py times Stop
    while "stopped" not in statuses(at)[0]:
        assert time.monotonic() < deadline, statuses(at)
        time.sleep(0.1)
        at.run()
    at.run()
    assert not at.exception
    run = at.session_state["dn:group"].runs[0]
    saved = RunStore().get(run.saved_id)  # a stopped run is kept like any other
    assert saved["status"] == "stopped" and saved["steps"] == run.result.steps
    assert "Saved to your runs" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("bad", [-1.0, 0.0])
def test_an_invalid_learning_rate_typed_in_the_widget_is_one_sentence(bad):
    at = open_lab()
    field(at, "number_input", "dn:optimizer.learning_rate").set_value(bad).run()
    message = at.error[0].value.replace("\\", "")  # shown escaped
    assert "optimizer.learning_rate" in message and "above 0" in message
    assert button(at, "Train").disabled
    assert not at.exception


def test_a_run_that_ends_between_drawing_stop_and_the_live_view_leaves_stop_disabled():
    """A short run can end after a script run drew Train and Stop (enabled, the group still
    active) and before its live view polled: the page must be drawn again, or Stop stays
    enabled with no timer left to redraw it."""
    from models.fields import parse_config
    from ui.runs import LabRun, RunGroup

    class EndsMidRun(RunGroup):
        asked = 0

        @property
        def active(self) -> bool:  # active for Train/Stop, ended by the time the view polls
            EndsMidRun.asked += 1
            return EndsMidRun.asked == 1

        def poll(self) -> bool:
            return False

    at = open_lab(SMALL)
    run = LabRun("A", parse_config({"train": {"epochs": 1}}))
    run.result.status = "completed"
    at.session_state["dn:group"] = EndsMidRun([run])
    at.session_state["dn:saved_group"] = at.session_state["dn:group"]  # nothing to save
    at.run()
    assert not at.exception, at.exception
    [stop] = [b for b in at.button if b.label == "Stop"]
    assert stop.disabled, "Stop enabled after the runs ended"


# -- the config's limits, each one sentence on the page -----------------------------------------


def test_a_model_over_the_parameter_budget_is_refused_before_it_is_built():
    at = open_lab()
    field(at, "number_input", "dn:model.width").set_value(512).run()
    field(at, "slider", "dn:model.depth").set_value(8).run()
    text = one_sentence(at.error)
    params = 2 * 512 + 512 + 7 * (512 * 512 + 512) + 512 + 1  # 7 hidden-to-hidden layers
    assert text == (
        f"This config cannot be trained: the model would have {params:,} parameters, over the "
        f"budget of {MAX_PARAMS:,}; lower model.depth or model.width."
    )
    assert button(at, "Train").disabled and not at.exception


def test_a_run_over_the_step_limit_is_refused_with_one_sentence():
    at = open_lab()
    field(at, "number_input", "dn:data.n_samples").set_value(20000).run()
    field(at, "number_input", "dn:train.epochs").set_value(2000).run()
    text = one_sentence(at.error)
    assert f"over the limit of {MAX_STEPS:,}; lower train.epochs" in text
    assert button(at, "Train").disabled
