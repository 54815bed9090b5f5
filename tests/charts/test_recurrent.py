"""The recurrent charts (charts/recurrent.py), read back from their Vega-Lite specs: the gradient
through time at the latest step and over training, and the forget gate's mean."""

import numpy as np
import pytest

from charts import recurrent
from tests.support.chart_data import SEQ_LEN, StrictLabels, input_grad, make_sequence_metrics
from tests.support.specs import (
    legend_selection,
    of_mark,
    panel_units,
    spec_of,
)


def test_time_grad_chart_draws_each_runs_latest_step_on_a_log_scale():
    metrics = make_sequence_metrics(("A", "B"))
    spec = spec_of(recurrent.time_grad_chart(metrics, StrictLabels()))
    [(line, data)] = of_mark(spec, "line")
    assert line["encoding"]["y"]["scale"]["type"] == "log"
    assert set(data["step"]) == {metrics["step"].max()}
    for k, run in enumerate(("A", "B")):
        part = data[data["run"] == run].sort_values("t")
        assert part["t"].tolist() == list(range(SEQ_LEN))
        want = [input_grad(t, metrics["step"].max(), k) for t in range(SEQ_LEN)]
        np.testing.assert_allclose(part["value"], want)
    zero = data[(data["run"] == "A") & (data["t"] == 0)]
    assert zero["value"].tolist() == [0.0] and (zero["plot_value"] > 0).all()
    legend_selection(spec, "run")


def test_time_heatmap_has_one_panel_per_run_and_the_mean_log10_per_cell():
    metrics = make_sequence_metrics(("A", "B"), steps=20)
    spec = spec_of(recurrent.time_grad_heatmap(metrics, StrictLabels(), max_bins=4))
    assert len(spec["concat"]) == 2 and spec["resolve"]["scale"]["color"] == "shared"
    [(_, a), (_, b)] = [panel_units(spec, p)[0] for p in spec["concat"]]
    assert set(a["run"]) == {"A"} and set(b["run"]) == {"B"}
    assert len(set(b["step_start"])) == 4 and set(b["t"]) == set(range(SEQ_LEN))
    cell = b[(b["t"] == 3) & (b["step_start"] == b["step_start"].min())].iloc[0]
    steps = metrics[(metrics["run"] == "B") & (metrics["name"] == "input_grad_norm")]
    steps = steps[(steps["t"] == 3) & (steps["step"] < cell["step_end"])]
    assert cell["log10"] == pytest.approx(np.log10(steps["value"]).mean())


def test_forget_gate_chart_is_on_zero_to_one_with_a_line_per_run_and_layer():
    spec = spec_of(recurrent.forget_gate_chart(make_sequence_metrics(("A", "B")), StrictLabels()))
    [(line, data)] = of_mark(spec, "line")
    assert line["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert line["encoding"]["color"]["field"] == "run"
    assert line["encoding"]["strokeDash"]["field"] == "layer"
    assert set(zip(data["run"], data["layer"], strict=True)) == {
        (r, f"lstm_{d}") for r in ("A", "B") for d in (0, 1)
    }
