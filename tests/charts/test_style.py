"""What every chart shares (charts/style.py), read back from each chart's Vega-Lite spec: titles,
tooltips and legends from the labels, log scales that never see zero, a colour legend on every
heatmap, run colours told apart, legends that fit, the first record, and the row limits.

Every chart is turned into its spec with ``to_dict()`` (which validates it against the Vega-Lite
schema) and walked: marks, encodings, scales, params and the inline data the marks draw.

The size guard: no chart hands Altair more rows than it accepts (5,000 per dataset), at any run
length and size the schema permits, after the thinning the pages apply. Altair raises
MaxRowsError past 5,000 rows; a live page that hit it showed "This app has encountered an error"
(the Recurrent page's t x step heatmap, 9,000 rows at full length).
"""

import colorsys
import itertools
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest

from charts import boundary, compare, gradients, recurrent, style, sweep, training
from models.config import DataConfig, ModelConfig
from tests.support.chart_data import (
    DEAD,
    LAYERS,
    POINTS,
    SWEEP,
    SWEPT,
    SWEPT_TITLES,
    L,
    StrictLabels,
    make_grid,
    make_metrics,
    make_sequence_metrics,
)
from tests.support.specs import (
    of_mark,
    spec_of,
    units,
    walk,
)
from ui.live import FINAL_STEPS, LIVE_STEPS

# -- every chart, with every option that changes its shape --------------------------------------


def all_charts(runs=("A",)):
    """Every public chart with every option that changes its shape."""
    m = make_metrics(runs)
    labels = StrictLabels()
    made = {
        "loss": training.loss_chart(m, labels),
        "loss_regression": training.loss_chart(make_metrics(runs, accuracy=False), labels),
        "grad": gradients.grad_norm_chart(m, labels),
        "grad_clipnorm": gradients.grad_norm_chart(m, labels, clip=("clipnorm", 0.5)),
        "grad_global": gradients.grad_norm_chart(m, labels, clip=("global_clipnorm", 2.0)),
        "grad_clipvalue": gradients.grad_norm_chart(m, labels, clip=("clipvalue", None)),
        "heatmap": gradients.grad_heatmap(m, labels, max_bins=20),
        "bars_relu": gradients.layer_bars(m, labels),
        "bars_tanh": gradients.layer_bars(make_metrics(runs, activation="tanh"), labels),
        "binary": boundary.boundary_chart(make_grid(runs), POINTS, labels, "binary"),
        "regression": boundary.boundary_chart(
            make_grid(runs), POINTS.assign(label=[-2.0, 0.5, 1.0, 3.0]), labels, "regression"
        ),
        "loss_baseline": training.loss_chart(
            make_sequence_metrics(runs), labels, baseline=0.167, floor=0.016
        ),
        "time_grad": recurrent.time_grad_chart(make_sequence_metrics(runs), labels),
        "time_heatmap": recurrent.time_grad_heatmap(
            make_sequence_metrics(runs), labels, max_bins=5
        ),
        "forget_gate": recurrent.forget_gate_chart(make_sequence_metrics(runs), labels),
        "compare": compare.compare_chart(m, labels, depth=0),  # depth 0: the dead layer
        "sweep": sweep.sweep_chart(SWEEP, SWEPT, labels, "val_loss", SWEPT_TITLES),
        "sweep_grad": sweep.sweep_chart(SWEEP, SWEPT[:1], labels, "grad_first", SWEPT_TITLES),
        "sweep_lines": sweep.sweep_lines_chart(
            SWEEP.assign(val_accuracy=[0.5, 0.7, 0.9, 0.91], params=[10, 40, 160, 640]),
            "model.depth",
            labels,
            "L:model.depth",
        ),
    }
    return {name: spec_of(chart) for name, chart in made.items()}, labels


@pytest.fixture(scope="module", params=[("A",), ("A", "B", "C")], ids=["one_run", "three_runs"])
def gallery(request):
    return all_charts(request.param)


# -- labels and tooltips -----------------------------------------------------------------------


def test_charts_read_only_listed_label_keys_and_every_listed_key_is_used(gallery):
    _, labels = gallery
    assert len(set(style.LABEL_KEYS)) == len(style.LABEL_KEYS)
    assert labels.asked <= set(style.LABEL_KEYS), labels.asked - set(style.LABEL_KEYS)
    assert labels.asked == set(style.LABEL_KEYS), "listed but never read"


def test_an_unknown_label_key_would_raise():
    with pytest.raises(KeyError):
        StrictLabels()["not_a_key"]


def test_every_title_comes_from_the_labels(gallery):
    specs, _ = gallery
    for name, spec in specs.items():
        titles = [v for k, v in walk(spec) if k == "title"]
        assert titles, name
        for title in titles:
            text = title["text"] if isinstance(title, dict) else title
            assert isinstance(text, str) and text.startswith("L:"), (name, title)


def test_every_axis_and_legend_field_has_a_title_from_the_labels(gallery):
    # Without an explicit title Vega-Lite would show the raw column name, untranslated.
    silent = {"x2", "y2", "xOffset", "yOffset", "detail", "order", "text", "tooltip"}
    specs, _ = gallery
    for name, spec in specs.items():
        for unit, _ in units(spec):
            for channel, enc in unit.get("encoding", {}).items():
                if channel in silent or "field" not in enc or enc.get("legend", 0) is None:
                    continue
                assert str(enc.get("title", "")).startswith("L:"), (name, channel, enc)


def test_every_encoded_field_is_a_column_of_the_rows_drawn(gallery):
    # Vega-Lite reads "a.b" as nested access and "a\\.b" as the column "a.b"; a field that does
    # not resolve draws everything at "undefined".
    specs, _ = gallery
    for name, spec in specs.items():
        for unit, data in units(spec):
            for channel, enc in unit.get("encoding", {}).items():
                for e in enc if isinstance(enc, list) else [enc]:
                    if "field" not in e or "aggregate" in e:
                        continue
                    column = re.sub(r"\\(.)", r"\1", e["field"])
                    assert "." not in re.sub(r"\\.", "", e["field"]), (name, channel, e)
                    assert column in data.columns, (name, channel, e["field"], list(data.columns))


def test_legend_entries_for_metrics_and_splits_are_translated(gallery):
    specs, _ = gallery
    data = pd.concat([d for _, d in units(specs["loss"])])  # the loss and accuracy panels
    assert set(data["metric"]) == {L("loss"), L("val_loss"), L("accuracy"), L("val_accuracy")}
    assert set(data["split"]) == {L("train"), L("validation")}
    (_, points), *_ = of_mark(specs["binary"], "point")
    assert set(points["split"]) == {L("train"), L("test")}


def test_every_mark_has_a_tooltip_with_titles_from_the_labels(gallery):
    specs, _ = gallery
    for name, spec in specs.items():
        for unit, _ in units(spec):
            tips = unit["encoding"]["tooltip"]
            tips = tips if isinstance(tips, list) else [tips]
            assert tips, (name, unit["mark"])
            assert all(t["title"].startswith("L:") for t in tips), (name, tips)


def test_lines_show_values_through_hover_points_not_their_first_point(gallery):
    # A line's own tooltip would show its first point's value wherever it is hovered.
    specs, _ = gallery
    for name in ("loss", "grad", "grad_clipnorm"):
        spec = specs[name]
        for unit, _ in of_mark(spec, "line"):
            fields = {t["field"] for t in unit["encoding"]["tooltip"]}
            assert not fields & {"step", "value", "plot_value"}, name
        hover = of_mark(spec, "circle")
        assert hover and all(u["mark"]["opacity"] == 0 for u, _ in hover)
        for unit, _ in hover:
            assert {"step", "value"} <= {t["field"] for t in unit["encoding"]["tooltip"]}


# -- log scales never see zero -----------------------------------------------------------------


def test_zero_gradient_norms_never_reach_a_log_scale_and_dead_layers_stay(gallery):
    specs, _ = gallery
    checked = 0
    for name, spec in specs.items():
        for unit, data in units(spec):
            for channel in ("x", "y"):
                enc = unit["encoding"].get(channel, {})
                if enc.get("scale", {}).get("type") != "log":
                    continue
                if data.empty:  # a layer with nothing to draw (lone points, most of the time)
                    continue
                checked += 1
                values = data[enc["field"]]
                assert (values > 0).all(), (name, channel)
                assert values.min() >= enc["scale"]["domainMin"], "drawn below the axis"
                if "layer" in data and "value" in data:
                    dead = data[data["layer"] == DEAD]
                    assert len(dead) and (dead["value"] == 0).all(), "the dead layer is kept"
    assert checked >= 5


def test_an_all_zero_network_still_draws():
    m = make_metrics()
    m.loc[m["name"].str.startswith("grad_norm"), "value"] = 0.0
    spec = spec_of(gradients.grad_norm_chart(m, StrictLabels()))
    (unit, data), *_ = of_mark(spec, "line")
    assert (data["plot_value"] > 0).all()


# -- heatmap legends, run colours, room for legends ---------------------------------------------


HEATMAPS = {
    "layer_step_one_run": lambda: gradients.grad_heatmap(make_metrics(), StrictLabels()),
    "layer_step_two_runs": lambda: gradients.grad_heatmap(make_metrics(("A", "B")), StrictLabels()),
    "time_step": lambda: recurrent.time_grad_heatmap(
        make_sequence_metrics(("A", "B")), StrictLabels()
    ),
    "compare": lambda: compare.compare_chart(make_metrics(("A", "B")), StrictLabels()),
    "boundary": lambda: boundary.boundary_chart(make_grid(), POINTS, StrictLabels(), "binary"),
}
HEATMAP_TITLES = {"time_step": L("log10_input_grad_norm"), "boundary": L("prediction")}


@pytest.mark.parametrize("name", sorted(HEATMAPS))
def test_every_heatmap_has_a_colour_legend_with_a_title(name):
    """The Deep Networks heatmap had no colour scale: its cells' stroke, on the fill's field
    with its legend hidden, made Vega-Lite merge the two legends and hide both."""
    rects = of_mark(spec_of(HEATMAPS[name]()), "rect")
    assert rects
    for rect, data in rects:
        encoding = rect["encoding"]
        color = encoding["color"]
        assert color.get("legend", {}) is not None
        assert color["title"] == HEATMAP_TITLES.get(name, L("log10_grad_norm"))
        for channel, enc in encoding.items():
            if channel != "color" and isinstance(enc, dict) and enc.get("field") == color["field"]:
                assert enc.get("legend", {}) is not None, (channel, enc)
        stroke = encoding["stroke"]  # still stroked in the fill's colour (no seams)
        assert stroke["scale"] == color["scale"]
        assert np.allclose(data[stroke["field"]], data[color["field"]])


def hue(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 360 * colorsys.rgb_to_hsv(red, green, blue)[0]


def run_colours(spec: dict) -> dict[str, str]:
    """Run -> colour, read from every colour scale of the spec that encodes the run."""
    found: dict[str, str] = {}
    for unit, _ in units(spec):
        color = unit.get("encoding", {}).get("color", {})
        if color.get("field") == "run":
            scale = color["scale"]
            for run, colour in zip(scale["domain"], scale["range"], strict=True):
                assert found.setdefault(run, colour) == colour, (run, colour, found)
    return found


FOUR = ("A", "B", "C", "D")
BY_RUN = {
    "loss": lambda: training.loss_chart(make_metrics(FOUR), StrictLabels()),
    "layer_bars": lambda: gradients.layer_bars(make_metrics(FOUR), StrictLabels()),
    "time_grad": lambda: recurrent.time_grad_chart(make_sequence_metrics(FOUR), StrictLabels()),
    "forget_gate": lambda: recurrent.forget_gate_chart(make_sequence_metrics(FOUR), StrictLabels()),
    "compare": lambda: compare.compare_chart(make_metrics(FOUR), StrictLabels()),
}


@pytest.mark.parametrize("name", sorted(BY_RUN))
def test_four_runs_get_four_clearly_different_hues(name):
    """Runs were coloured by the theme's light/dark pairs: A and B, C and D looked alike.
    Each pair of runs differs in hue by 30 degrees at least (Okabe-Ito's palette)."""
    colours = run_colours(spec_of(BY_RUN[name]()))
    assert sorted(colours) == list(FOUR)
    for a, b in itertools.combinations(colours.values(), 2):
        gap = abs(hue(a) - hue(b))
        assert min(gap, 360 - gap) >= 30, colours


def test_a_run_keeps_its_colour_in_a_chart_that_draws_only_some_runs():
    metrics = make_sequence_metrics(("A", "B", "C"))
    only_b = metrics[(metrics["name"] != "forget_gate_mean") | (metrics["run"] == "B")]
    everywhere = run_colours(spec_of(training.loss_chart(only_b, StrictLabels())))
    assert run_colours(spec_of(recurrent.forget_gate_chart(only_b, StrictLabels()))) == {
        "B": everywhere["B"]
    }
    assert run_colours(spec_of(recurrent.time_grad_chart(only_b, StrictLabels()))) == everywhere


LEGEND_PX = 30  # a symbol legend's title, and each entry, in Streamlit's theme (Chromium)


def deep_metrics(layers: int = 16, steps: int = 20) -> pd.DataFrame:
    rows = [
        ("A", s, name, f"dense_{d}", d, None, 10.0 ** (d - layers))
        for s in range(steps)
        for d in range(layers)
        for name in ("grad_norm", "grad_norm_clipped")
    ]
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "t", "value"])


TALL_LEGENDS = {  # chart: (build, the fields its symbol legends list)
    "grad_norm": (
        lambda: gradients.grad_norm_chart(deep_metrics(), StrictLabels(), clip=("clipnorm", 1.0)),
        ("layer", "kind"),
    ),
    "forget_gate": (
        lambda: recurrent.forget_gate_chart(make_sequence_metrics(FOUR), StrictLabels()),
        ("run", "layer"),
    ),
}


@pytest.mark.parametrize("name", sorted(TALL_LEGENDS))
def test_a_container_wide_chart_is_tall_enough_for_its_legends(name):
    """A chart stretched to its column is autosized "fit-x", which cuts off whatever the plot
    does not span: the layer legend of a 10-layer MLP's gradient norms lost its last layers."""
    build, fields = TALL_LEGENDS[name]
    spec = spec_of(build())
    assert spec["width"] == "container" and spec["autosize"]["type"] == "fit-x"
    [(_, lines)] = of_mark(spec, "line")
    entries = [lines[f].nunique() for f in fields]
    assert entries == ([16, 2] if name == "grad_norm" else [4, 2])
    assert spec["height"] >= sum(LEGEND_PX * (1 + n) for n in entries)


# -- thin_steps --------------------------------------------------------------------------------


def test_thin_steps_keeps_first_and_last_and_at_most_max_steps_per_run():
    metrics = pd.concat([make_metrics(("A",), steps=1000, every=1), make_metrics(("B",), steps=40)])
    thinned = style.thin_steps(metrics, max_steps=100)
    for run, part in thinned.groupby("run"):
        original = metrics[metrics["run"] == run]
        kept = np.unique(part["step"])
        assert len(kept) <= 100
        assert kept[0] == original["step"].min() and kept[-1] == original["step"].max()
        # every row of a kept step is kept
        assert len(part) == original["step"].isin(kept).sum()
    assert thinned[thinned["run"] == "A"]["step"].nunique() == 100
    assert thinned[thinned["run"] == "B"]["step"].nunique() == 40  # short run untouched
    gaps = np.diff(np.unique(thinned[thinned["run"] == "A"]["step"]))
    assert gaps.max() - gaps.min() <= 1  # evenly spaced


def test_thin_steps_is_a_pure_no_op_on_short_frames():
    metrics = make_metrics(steps=20)
    before = metrics.copy()
    thinned = style.thin_steps(metrics, max_steps=300)
    pd.testing.assert_frame_equal(thinned, metrics)
    assert thinned is not metrics
    pd.testing.assert_frame_equal(metrics, before)


def test_thin_steps_refuses_fewer_than_two_steps():
    with pytest.raises(ValueError):
        style.thin_steps(make_metrics(), max_steps=1)


# -- the module itself -------------------------------------------------------------------------


def test_runs_in_lists_sorted_run_ids():
    assert style.runs_in(make_metrics(("C", "A"))) == ["A", "C"]


@pytest.mark.parametrize(
    "draw",
    [training.loss_chart, gradients.grad_norm_chart, gradients.grad_heatmap, gradients.layer_bars],
)
def test_charts_draw_before_the_first_layer_record(draw):
    # A live page redraws from the first record on, when only run-level rows (or none) exist.
    early = make_metrics(steps=1)
    early = early[early["name"] == "loss"]
    for frame in (early, early.iloc[:0]):
        spec_of(draw(frame, StrictLabels()))


# -- the first record ----------------------------------------------------------------------------


@pytest.mark.parametrize("runs", [("A",), ("A", "B")])
def test_a_run_at_step_zero_is_drawn_as_points_on_a_whole_step_axis(runs):
    """The first thing a run sends is step 0: a line needs two records, so every live chart
    shows it as points, one per series, and its step axis has whole-number ticks."""
    first = make_metrics(runs=runs, steps=1)
    seq = make_sequence_metrics(runs=runs, steps=1)
    built = {
        "loss": training.loss_chart(first, StrictLabels()),
        "grad_norm": gradients.grad_norm_chart(first, StrictLabels()),
        "forget_gate": recurrent.forget_gate_chart(seq, StrictLabels()),
    }
    series = {
        "loss": 4 * len(runs),  # loss, val_loss, accuracy, val_accuracy
        "grad_norm": len(LAYERS) * len(runs),
        "forget_gate": 2 * len(runs),
    }
    for name, chart in built.items():
        spec = spec_of(chart)
        drawn = pd.concat([d for _, d in of_mark(spec, "point")])
        assert len(drawn) == series[name], name
        assert (drawn["step"] == 0).all()
        for unit, _ in units(spec):
            x = unit.get("encoding", {}).get("x", {})
            if x.get("field") == "step":
                assert x["axis"]["format"] == "d" and x["axis"]["tickMinStep"] == 1
    # once a series has two records it is a line, and no point is drawn for it
    later = make_metrics(runs=runs, steps=2)
    assert all(
        d.empty for _, d in of_mark(spec_of(training.loss_chart(later, StrictLabels())), "point")
    )


# -- the size guard: Altair's row limit at every run length the schema allows -------------------


MAX_ROWS = 5000


RUNS = ("A", "B", "C", "D")  # four configs side by side


DEPTH = ModelConfig.model_fields["depth"].metadata[-1].le  # hidden layers at most


SEQ_LEN = DataConfig.model_fields["seq_len"].metadata[-1].le  # time steps at most


class Labels(dict):
    def __missing__(self, key):
        return key


def mlp_metrics(steps: int, depth: int = DEPTH) -> pd.DataFrame:
    """Records of four runs of the deepest MLP the schema allows, with batch norm (two weight
    layers per block), every name the trainer records, at `steps` distinct steps."""
    layers = [(f"dense_{i}", i) for i in range(depth)] + [(f"bn_{i}", i) for i in range(depth)]
    layers.append(("output", depth))
    rows = []
    for run, step in itertools.product(RUNS, range(steps)):
        for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
            rows.append((run, step, name, None, None, None, 0.5 + 0.1 * np.sin(step)))
        for (layer, d), name in itertools.product(
            layers, ("grad_norm", "grad_norm_clipped", "weight_norm", "update_ratio")
        ):
            rows.append((run, step, name, layer, d, None, 10.0 ** (d / depth - 1)))
        for d in range(depth):
            rows.append((run, step, "dead_fraction", f"dense_{d}", d, None, d / depth))
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "t", "value"])


def rnn_metrics(steps: int, seq_len: int = SEQ_LEN, depth: int = 4) -> pd.DataFrame:
    rows = []
    for run, step in itertools.product(RUNS, range(steps)):
        rows += [
            (run, step, "loss", None, None, None, 0.2),
            (run, step, "val_loss", None, None, None, 0.2),
        ]
        for t in range(seq_len):
            rows.append((run, step, "input_grad_norm", None, None, t, 10.0 ** (t / seq_len - 2)))
        for d in range(depth):
            rows.append((run, step, "grad_norm", f"lstm_{d}", d, None, 0.1))
            rows.append((run, step, "forget_gate_mean", f"lstm_{d}", d, None, 0.6))
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "t", "value"])


def dataset_rows(chart) -> dict[str, int]:
    """Rows of every dataset the chart hands Vega-Lite; to_dict() raises MaxRowsError itself."""
    spec = chart.to_dict()
    return {name: len(values) for name, values in spec.get("datasets", {}).items()}


BUILDERS = {
    "loss": lambda m, L: training.loss_chart(m, L),
    "grad_norm": lambda m, L: gradients.grad_norm_chart(m, L),
    "grad_heatmap": lambda m, L: gradients.grad_heatmap(m, L),
    "layer_bars": lambda m, L: gradients.layer_bars(m, L),
    "compare": lambda m, L: compare.compare_chart(m, L),
}


RNN_BUILDERS = {
    "loss": lambda m, L: training.loss_chart(m, L),
    "time_grad": lambda m, L: recurrent.time_grad_chart(m, L),
    "time_heatmap": lambda m, L: recurrent.time_grad_heatmap(m, L),
    "forget_gate": lambda m, L: recurrent.forget_gate_chart(m, L),
    "grad_norm": lambda m, L: gradients.grad_norm_chart(m, L),
}


CASES = [("mlp", name) for name in BUILDERS] + [("recurrent", name) for name in RNN_BUILDERS]


@pytest.mark.parametrize("steps", [LIVE_STEPS, FINAL_STEPS])
@pytest.mark.parametrize("net, name", CASES)
def test_no_chart_exceeds_altairs_row_limit(net, name, steps):
    records, builders = (mlp_metrics, BUILDERS) if net == "mlp" else (rnn_metrics, RNN_BUILDERS)
    metrics = style.thin_steps(records(steps), max_steps=steps)
    rows = dataset_rows(builders[name](metrics, Labels()))
    assert rows and max(rows.values()) <= MAX_ROWS, rows


def test_the_recurrent_presets_full_length_heatmap_fits():
    """What crashed the Recurrent page: three cells, 50 time steps, 400 recorded steps."""
    metrics = rnn_metrics(FINAL_STEPS, seq_len=50, depth=1)
    metrics = metrics[metrics["run"].isin(["A", "B", "C"])]
    rows = dataset_rows(recurrent.time_grad_heatmap(metrics, Labels()))
    assert max(rows.values()) <= MAX_ROWS


def test_altair_still_refuses_more_rows_than_it_accepts():
    """The guard above rests on Altair raising: it must still do so."""
    frame = pd.DataFrame({"x": range(MAX_ROWS + 1)})
    with pytest.raises(alt.MaxRowsError):
        alt.Chart(frame).mark_point().encode(x="x:Q").to_dict()


def test_four_decision_boundaries_fit():
    xs = np.linspace(-1.0, 1.0, 40)  # the trainer's 40 x 40 grid
    grid = pd.DataFrame(
        [(r, a, b, 0.5) for r in RUNS for a in xs for b in xs], columns=["run", "x0", "x1", "value"]
    )
    points = pd.DataFrame({"x0": [0.1] * 800, "x1": [0.2] * 800, "label": 1.0, "split": "train"})
    rows = dataset_rows(boundary.boundary_chart(grid, points, Labels(), "binary"))
    assert max(rows.values()) <= MAX_ROWS
    one = dataset_rows(
        boundary.boundary_chart(grid[grid["run"] == "A"], points, Labels(), "binary")
    )
    assert max(one.values()) == 1600  # one run keeps its whole grid
