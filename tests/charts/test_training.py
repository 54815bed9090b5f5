"""The loss chart (charts/training.py), read back from its Vega-Lite spec: a loss panel and an
accuracy panel only when accuracy was recorded, the splits or the runs told apart, a legend per
panel, and the trivial baseline and the noise floor as labelled rules."""

import pytest

from charts import training
from tests.support.chart_data import (
    L,
    StrictLabels,
    make_metrics,
    make_sequence_metrics,
)
from tests.support.specs import (
    legend_selection,
    mark_type,
    of_mark,
    panel_units,
    params,
    spec_of,
    units,
)


def test_loss_baseline_is_a_labelled_rule_at_its_value():
    spec = spec_of(training.loss_chart(make_sequence_metrics(), StrictLabels(), baseline=0.167))
    [(rule, data)] = of_mark(spec, "rule")
    assert data["value"].tolist() == [0.167]
    [(_, text)] = of_mark(spec, "text")
    assert text["text"].tolist() == [f"{L('baseline')} 0.167"]
    assert not of_mark(
        spec_of(training.loss_chart(make_sequence_metrics(), StrictLabels())), "rule"
    )


def test_the_noise_floor_is_a_second_labelled_rule_below_the_baseline():
    chart = training.loss_chart(
        make_sequence_metrics(), StrictLabels(), baseline=0.167, floor=0.016
    )
    spec = spec_of(chart)
    rules = sorted(d["value"].tolist()[0] for _, d in of_mark(spec, "rule"))
    assert rules == [0.016, 0.167]
    texts = sorted(d["text"].tolist()[0] for _, d in of_mark(spec, "text"))
    assert texts == [f"{L('baseline')} 0.167", f"{L('noise_floor')} 0.016"]


def test_loss_chart_has_an_accuracy_panel_only_when_accuracy_was_recorded():
    with_acc = spec_of(training.loss_chart(make_metrics(), StrictLabels()))
    assert len(with_acc["vconcat"]) == 2
    y_titles = [u["encoding"]["y"]["title"] for p in with_acc["vconcat"] for u, _ in units(p)]
    assert set(y_titles) == {L("loss"), L("accuracy")}
    without = spec_of(training.loss_chart(make_metrics(accuracy=False), StrictLabels()))
    assert "vconcat" not in without and "layer" in without
    assert {u["encoding"]["y"]["title"] for u, _ in units(without)} == {L("loss")}


def test_loss_chart_one_run_tells_the_splits_apart_by_colour_and_dash():
    spec = spec_of(training.loss_chart(make_metrics(accuracy=False), StrictLabels()))
    [(line, data)] = of_mark(spec, "line")
    color, dash = line["encoding"]["color"], line["encoding"]["strokeDash"]
    assert color["field"] == dash["field"] == "split"  # one legend, readable without colour
    assert color["scale"]["domain"] == dash["scale"]["domain"] == [L("train"), L("validation")]
    solid, dashed = dash["scale"]["range"]
    assert solid != dashed
    assert len(set(color["scale"]["range"])) == 2
    val = data[data["metric"] == L("val_loss")]
    assert (val["split"] == L("validation")).all()
    legend_selection(spec, "split")


@pytest.mark.parametrize("runs", [("A",), ("A", "B", "C")])
def test_each_loss_panel_has_its_own_legend_of_what_it_draws(runs):
    """The loss legend once listed accuracy and the accuracy panel had none: each panel's
    colour scale is its own (a legend per panel) and lists exactly the series it draws."""
    metrics = make_metrics(runs)
    metrics = metrics[metrics["name"] != "val_accuracy"]  # the accuracy panel: train only
    spec = spec_of(training.loss_chart(metrics, StrictLabels()))
    assert spec["resolve"]["scale"]["color"] == "independent"
    assert spec["resolve"]["scale"]["strokeDash"] == "independent"
    for panel in spec["vconcat"]:
        [(line, data)] = [(u, d) for u, d in panel_units(spec, panel) if mark_type(u) == "line"]
        color = line["encoding"]["color"]
        assert color.get("legend", {}) is not None
        drawn = list(dict.fromkeys(data.sort_values(color["field"])[color["field"]]))
        assert sorted(color["scale"]["domain"]) == drawn, (color["scale"]["domain"], drawn)
    # a pick in either legend highlights in both panels: every line reads every selection
    picks = {p["name"] for p in params(spec) if p.get("bind") == "legend"}
    assert len(picks) == 2
    for line, _ in of_mark(spec, "line"):
        assert all(name in str(line["encoding"]["opacity"]) for name in picks)


def test_loss_chart_several_runs_overlay_coloured_by_run():
    spec = spec_of(training.loss_chart(make_metrics(("A", "B", "C")), StrictLabels()))
    lines = of_mark(spec, "line")
    assert len(lines) == 2  # loss and accuracy panels, each with every run overlaid
    for line, data in lines:
        assert line["encoding"]["color"]["field"] == "run"
        assert line["encoding"]["color"]["sort"] == ["A", "B", "C"]
        assert line["encoding"]["strokeDash"]["field"] == "split"
        assert set(data["run"]) == {"A", "B", "C"}
    legend_selection(spec, "run", count=2)  # one per panel's legend
