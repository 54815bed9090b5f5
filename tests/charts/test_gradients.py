"""The gradient charts (charts/gradients.py), read back from their Vega-Lite specs: per-layer
norms on a log scale with the clip threshold and the norms applied, the layer x step heatmap, and
the latest step's bars per layer."""

import numpy as np
import pandas as pd
import pytest

from charts import gradients
from tests.support.chart_data import (
    DEAD,
    LAYERS,
    L,
    StrictLabels,
    grad_norm,
    make_metrics,
)
from tests.support.specs import (
    legend_selection,
    of_mark,
    panel_units,
    scheme_name,
    spec_of,
    units,
)

# -- gradient norm chart ------------------------------------------------------------------------


def test_grad_norm_chart_is_log_scaled_coloured_by_depth_and_legend_selectable():
    spec = spec_of(gradients.grad_norm_chart(make_metrics(), StrictLabels()))
    [(line, data)] = of_mark(spec, "line")
    enc = line["encoding"]
    assert enc["y"]["field"] == "plot_value" and enc["y"]["scale"]["type"] == "log"
    assert set(data["layer"]) == {name for name, _ in LAYERS}
    # colour: the layer name, ordered by depth on a sequential scheme
    assert enc["color"]["field"] == "layer"
    assert enc["color"]["type"] == "ordinal"
    assert enc["color"]["sort"] == [name for name, _ in LAYERS]
    assert scheme_name(enc["color"]["scale"]) == "viridis"
    pick = legend_selection(spec, "layer")
    assert pick["name"] in str(enc["opacity"])  # unselected layers fade
    assert "strokeDash" not in enc  # no clipping, nothing to tell apart


@pytest.mark.parametrize(
    "clip, rule_expected",
    [
        (None, False),
        (("clipnorm", 0.5), True),
        (("global_clipnorm", 2.0), True),
        (("clipvalue", None), False),  # clipvalue bounds elements: no norm to draw
    ],
)
def test_clip_threshold_rule_and_applied_lines(clip, rule_expected):
    metrics = make_metrics()
    spec = spec_of(gradients.grad_norm_chart(metrics, StrictLabels(), clip=clip))
    rules = of_mark(spec, "rule")
    assert bool(rules) == rule_expected
    if rule_expected:
        [(rule, data)] = rules
        assert data[rule["encoding"]["y"]["field"]].tolist() == [clip[1]]
        [(text, words)] = of_mark(spec, "text")
        assert words[text["encoding"]["text"]["field"]].tolist() == [f"{L(clip[0])} = {clip[1]:g}"]
    [(line, data)] = of_mark(spec, "line")
    applied = data[data["kind"] == L("applied_norm")]
    if clip is None:
        assert applied.empty
        return
    # the applied lines are the recorded post-clip norms, dashed, in the layer's colour
    expected = metrics[metrics["name"] == "grad_norm_clipped"]
    assert sorted(applied["value"]) == sorted(expected["value"])
    dash = line["encoding"]["strokeDash"]
    assert dash["field"] == "kind" and dash["title"] == L("norm_kind")
    assert dash["scale"]["domain"] == [L("pre_clip"), L("applied_norm")]
    assert dash["scale"]["range"][0] != dash["scale"]["range"][1]
    assert line["encoding"]["color"]["field"] == "layer"


def test_rule_is_in_view_even_below_every_norm():
    spec = spec_of(
        gradients.grad_norm_chart(make_metrics(), StrictLabels(), clip=("clipnorm", 1e-9))
    )
    [(rule, _)] = of_mark(spec, "rule")
    assert rule["encoding"]["y"]["scale"]["domainMin"] <= 1e-9


def test_grad_norm_chart_with_several_runs_has_one_panel_per_run_on_shared_scales():
    spec = spec_of(gradients.grad_norm_chart(make_metrics(("A", "B")), StrictLabels()))
    assert len(spec["concat"]) == 2
    assert spec["resolve"]["scale"]["y"] == "shared"
    panels = [
        {r for _, d in panel_units(spec, p) if "run" in d for r in d["run"]} for p in spec["concat"]
    ]
    assert panels == [{"A"}, {"B"}]
    legend_selection(spec, "layer")  # one selection for all panels


@pytest.mark.parametrize("threshold", [0.0, -1.0])
def test_a_clip_threshold_that_is_not_positive_is_refused(threshold):
    with pytest.raises(ValueError, match="clip threshold"):
        gradients.grad_norm_chart(make_metrics(), StrictLabels(), clip=("clipnorm", threshold))


# -- heatmap ------------------------------------------------------------------------------------


def test_heatmap_puts_the_input_layer_at_the_bottom():
    spec = spec_of(gradients.grad_heatmap(make_metrics(), StrictLabels()))
    [(rect, _)] = of_mark(spec, "rect")
    # a y band scale lists its domain from the top down
    assert rect["encoding"]["y"]["sort"] == [name for name, _ in reversed(LAYERS)]


def test_heatmap_bins_long_runs_and_averages_log10_norms():
    metrics = make_metrics(steps=500, every=1)
    spec = spec_of(gradients.grad_heatmap(metrics, StrictLabels(), max_bins=40))
    [(rect, data)] = of_mark(spec, "rect")
    assert rect["encoding"]["x"]["field"] == "step_start"
    assert data["step_start"].nunique() <= 40
    assert data["step_start"].min() == 0 and data["step_end"].max() > 499
    # bins tile the steps without gaps: each bin ends where the next starts
    starts = np.sort(data["step_start"].unique())
    ends = np.sort(data["step_end"].unique())
    assert (starts[1:] == ends[:-1]).all()
    # oracle: the first bin's mean log10 norm of the output layer, computed directly
    first = data[(data["layer"] == "output") & (data["step_start"] == 0)].iloc[0]
    steps = range(int(first["step_start"]), int(first["step_end"]))
    assert first["log10"] == pytest.approx(np.mean([np.log10(grad_norm(3, s)) for s in steps]))


def test_heatmap_of_a_short_run_keeps_every_step():
    spec = spec_of(gradients.grad_heatmap(make_metrics(steps=12), StrictLabels(), max_bins=120))
    [(_, data)] = of_mark(spec, "rect")
    assert data["step_start"].nunique() == 12


def test_heatmap_dead_layer_is_the_darkest_on_a_sequential_scale():
    spec = spec_of(gradients.grad_heatmap(make_metrics(), StrictLabels()))
    [(rect, data)] = of_mark(spec, "rect")
    assert scheme_name(rect["encoding"]["color"]["scale"]) in {"viridis", "inferno", "magma"}
    darkest = data.loc[data["log10"] == data["log10"].min(), "layer"]
    assert set(darkest) == {DEAD}


def test_heatmap_runs_share_one_colour_scale():
    metrics = make_metrics(("A", "B"))
    metrics.loc[metrics["run"] == "B", "value"] *= 100  # B's norms are much larger
    spec = spec_of(gradients.grad_heatmap(metrics, StrictLabels()))
    assert len(spec["concat"]) == 2
    assert spec["resolve"]["scale"]["color"] == "shared"
    assert spec["resolve"]["scale"]["stroke"] == "shared"
    # The domain is the data's (Vega computes it over every panel): none is fixed in the spec,
    # which would otherwise change at every live redraw.
    for rect, _ in of_mark(spec, "rect"):
        for channel in ("color", "stroke"):
            scale = rect["encoding"][channel]["scale"]
            assert "domain" not in scale and scheme_name(scale) == "viridis"


def with_batch_norm(metrics: pd.DataFrame, run: str) -> pd.DataFrame:
    """``run`` also records a batch-norm layer bn_i beside each dense_i (same depth), as the
    trainer does for an MLP with batch norm."""
    dense = metrics[
        (metrics["run"] == run)
        & (metrics["name"] == "grad_norm")
        & metrics["layer"].astype(str).str.startswith("dense")
    ]
    return pd.concat([metrics, dense.assign(layer=dense["layer"].str.replace("dense", "bn"))])


def test_heatmap_panels_list_only_their_own_layers_at_one_height():
    """A run with batch norm has twice the rows; on a shared layer axis its bn_* rows striped
    the other panels with empty rows. Each panel lists its own layers, input at the bottom;
    the panels share one height, so a depth sits at the same height in each."""
    spec = spec_of(
        gradients.grad_heatmap(with_batch_norm(make_metrics(("A", "B")), "B"), StrictLabels())
    )
    assert spec["resolve"]["scale"]["y"] == "independent"
    (a, b), heights = spec["concat"], {p["height"] for p in spec["concat"]}
    assert len(heights) == 1
    want = {
        "A": ["output", "dense_2", "dense_1", "dense_0"],
        "B": ["output", "dense_2", "bn_2", "dense_1", "bn_1", "dense_0", "bn_0"],
    }
    for run, panel in (("A", a), ("B", b)):
        [(rect, data)] = panel_units(spec, panel)
        assert rect["encoding"]["y"]["sort"] == want[run]
        assert set(data["layer"]) == set(want[run]) and set(data["run"]) == {run}


def test_the_heatmap_step_axis_is_in_whole_steps():
    spec = spec_of(gradients.grad_heatmap(make_metrics(steps=1), StrictLabels()))
    [(rect, data)] = of_mark(spec, "rect")
    assert rect["encoding"]["x"]["axis"]["format"] == "d"
    assert len(data) == len(LAYERS) and (data["step_start"] == 0).all()


# -- layer bars ---------------------------------------------------------------------------------


def test_layer_bars_show_the_latest_step_ordered_by_depth():
    metrics = make_metrics(steps=30)
    spec = spec_of(gradients.layer_bars(metrics, StrictLabels()))
    grad, dead = spec["vconcat"]  # stacked: side by side they overflowed a half-page column
    [(bar, data)] = panel_units(spec, grad)
    assert bar["encoding"]["x"]["scale"]["type"] == "log"
    assert set(data["step"]) == {metrics["step"].max()}
    assert bar["encoding"]["y"]["sort"] == [name for name, _ in reversed(LAYERS)]
    [(frac, frac_data)] = panel_units(spec, dead)
    assert frac["encoding"]["x"]["title"] == L("dead_fraction")
    assert frac["encoding"]["x"]["scale"]["domain"] == [0, 1]
    assert set(frac_data["layer"]) == {"act_0", "act_1", "act_2"}


def test_layer_bars_without_unit_fractions_show_only_gradients():
    metrics = make_metrics()
    metrics = metrics[~metrics["name"].str.endswith("_fraction")]
    spec = spec_of(gradients.layer_bars(metrics, StrictLabels()))
    assert len(spec["vconcat"]) == 1


def test_layer_bars_with_several_runs_sit_side_by_side_per_layer():
    spec = spec_of(
        gradients.layer_bars(make_metrics(("A", "B"), activation="tanh"), StrictLabels())
    )
    titles = [u["encoding"]["x"]["title"] for u, _ in units(spec)]
    assert titles == [L("grad_norm"), L("saturated_fraction")]
    for bar, data in units(spec):
        assert bar["encoding"]["yOffset"]["field"] == "run"
        assert bar["encoding"]["color"]["field"] == "run"
        assert set(data["run"]) == {"A", "B"}
