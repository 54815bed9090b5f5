"""Chart tests: what a reader of each chart relies on, read back from the Vega-Lite spec.

Every chart is turned into its spec with ``to_dict()`` (which validates it against the Vega-Lite
schema) and walked: marks, encodings, scales, params and the inline data the marks draw.
"""

import colorsys
import itertools
import re
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
import pytest

import charts

LAYERS = [("dense_0", 0), ("dense_1", 1), ("dense_2", 2), ("output", 3)]
DEAD = "dense_0"  # its gradient norm is exactly 0 at every step


def grad_norm(depth: int, step: int) -> float:
    return 0.0 if depth == 0 else 10.0 ** (depth - 3) * (1 + step / 100)


def make_metrics(runs=("A",), steps=50, every=10, accuracy=True, activation="relu") -> pd.DataFrame:
    """A trainer-shaped long frame: run-level, per-layer and per-activation rows."""
    fraction = "dead_fraction" if activation == "relu" else "saturated_fraction"
    rows = []
    for k, run in enumerate(runs):
        for s in range(0, steps * every, every):
            rows += [
                (run, s, "loss", None, None, 1 / (1 + s) + k),
                (run, s, "val_loss", None, None, 2),
            ]
            if accuracy:
                rows += [
                    (run, s, "accuracy", None, None, 0.5),
                    (run, s, "val_accuracy", None, None, 0.4),
                ]
            for layer, depth in LAYERS:
                g = grad_norm(depth, s)
                rows += [
                    (run, s, "grad_norm", layer, depth, g),
                    (run, s, "grad_norm_clipped", layer, depth, min(g, 0.05)),
                    (run, s, "weight_norm", layer, depth, 1.0),
                ]
            for depth in range(len(LAYERS) - 1):
                rows.append((run, s, fraction, f"act_{depth}", depth, depth / 10 + s / 10_000))
    frame = pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "value"])
    return frame.assign(t=None)


SEQ_LEN = 12


def input_grad(t: int, step: int, run_index: int) -> float:
    """A gradient through time that decays toward early t, less as training goes on; run 0
    vanishes completely at t = 0 (a value of exactly 0 must still reach a log scale)."""
    if run_index == 0 and t == 0:
        return 0.0
    return 10.0 ** (-(SEQ_LEN - 1 - t) / (1 + step / 50 + run_index))


def make_sequence_metrics(runs=("A",), steps=20, every=10) -> pd.DataFrame:
    """Records of recurrent runs: loss, ‖∂loss/∂x_t‖ per t, forget-gate means of two layers."""
    rows = []
    for k, run in enumerate(runs):
        for s in range(0, steps * every, every):
            rows += [(run, s, "loss", None, None, None, 0.3 / (1 + s / 100) + k / 100)]
            rows += [(run, s, "val_loss", None, None, None, 0.32 / (1 + s / 100))]
            rows += [(run, s, "grad_norm", "lstm_0", 0, None, 0.1)]
            for t in range(SEQ_LEN):
                rows += [(run, s, "input_grad_norm", None, None, t, input_grad(t, s, k))]
            for depth in (0, 1):
                value = 0.5 + 0.4 * s / (steps * every)
                rows += [(run, s, "forget_gate_mean", f"lstm_{depth}", depth, None, value)]
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "t", "value"])


SWEPT = ["model.activation", "model.depth"]
SWEPT_TITLES = {f: f"L:{f}" for f in SWEPT}
SWEEP = pd.DataFrame(
    {
        "model.activation": ["relu", "relu", "tanh", "tanh"],
        "model.depth": [2, 8, 2, 8],
        "val_loss": [0.2, 0.5, 0.1, None],  # a cell whose runs all diverged has no value
        "val_loss_sd": [0.01, 0.0, 0.02, 0.0],
        "grad_first": [1e-3, 0.0, 0.5, 2.0],
        "grad_first_sd": [0.0, 0.0, 0.1, 0.0],
    }
)


def test_sweep_chart_is_a_grid_of_mean_and_spread_on_a_log_colour_scale():
    spec = spec_of(charts.sweep_chart(SWEEP, SWEPT, StrictLabels(), "val_loss", SWEPT_TITLES))
    [(rect, data)] = of_mark(spec, "rect")
    x, y = rect["encoding"]["x"], rect["encoding"]["y"]
    assert (x["title"], y["title"]) == ("L:model.activation", "L:model.depth")
    assert data[x["field"]].tolist() == ["relu", "relu", "tanh", "tanh"]
    assert data[y["field"]].tolist() == ["2", "8", "2", "8"]
    [(_, text)] = of_mark(spec, "text")
    assert text["text"].tolist() == ["0.2 ± 0.01", "0.5 ± 0", "0.1 ± 0.02", ""]
    # readable: dark text on the light (high, viridis) half of the scale, white on the dark half
    tone = dict(zip(text["text"], text["tone"], strict=True))
    assert (tone["0.5 ± 0"], tone["0.1 ± 0.02"]) == ("dark", "light")
    scale = of_mark(spec, "text")[0][0]["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True))["light"] == "white"
    assert rect["encoding"]["color"]["scale"]["type"] == "log"
    assert data["plot_value"].iloc[2] == pytest.approx(0.1)


def make_grid(runs=("A",), n=10) -> pd.DataFrame:
    xs = np.linspace(-1.0, 1.0, n)
    rows = [(r, a, b, 1 / (1 + np.exp(-3 * (a + b)))) for r in runs for a in xs for b in xs]
    return pd.DataFrame(rows, columns=["run", "x0", "x1", "value"])


POINTS = pd.DataFrame(
    {
        "x0": [0.1, -0.5, 0.3, 0.7],
        "x1": [0.2, 0.4, -0.9, 0.0],
        "label": [1.0, 0.0, 1.0, 0.0],
        "split": ["train", "train", "test", "test"],
    }
)


class StrictLabels(Mapping):
    """The labels every chart gets: records each key asked for; unknown keys raise."""

    def __init__(self):
        self.table = {k: "L:" + k for k in charts.LABEL_KEYS}
        self.asked: set[str] = set()

    def __getitem__(self, key):
        self.asked.add(key)
        return self.table[key]

    def __iter__(self):
        return iter(self.table)

    def __len__(self):
        return len(self.table)


def L(key: str) -> str:
    return "L:" + key


# -- reading specs -----------------------------------------------------------------------------


def spec_of(chart) -> dict:
    return chart.to_dict()  # validates against the Vega-Lite schema


def mark_type(unit: dict) -> str:
    mark = unit["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def units(spec: dict, data=None, datasets=None) -> Iterator[tuple[dict, pd.DataFrame]]:
    """Every single-mark view and the rows it draws (data is inherited from parents)."""
    datasets = spec.get("datasets", {}) if datasets is None else datasets
    if "data" in spec:
        d = spec["data"]
        data = pd.DataFrame(datasets[d["name"]] if "name" in d else d["values"])
    for transform in spec.get("transform", []) if data is not None else []:
        data = filtered(data, transform)
    if "mark" in spec:
        yield spec, data if data is not None else pd.DataFrame()
    for key in ("layer", "concat", "hconcat", "vconcat"):
        for child in spec.get(key, []):
            yield from units(child, data, datasets)


def panel_units(spec: dict, panel: dict) -> list[tuple[dict, pd.DataFrame]]:
    """The units of one panel of a concatenated chart, with the data it inherits from the top."""
    datasets = spec.get("datasets", {})
    top = pd.DataFrame(datasets[spec["data"]["name"]]) if "data" in spec else None
    return list(units(panel, top, datasets))


def filtered(data: pd.DataFrame, transform: dict) -> pd.DataFrame:
    """Apply a transform of the kinds the charts use: a filter Altair writes for
    ``alt.datum.field == value``, a count per group (``joinaggregate``) and a copy of a
    column (``calculate`` of ``datum.field``)."""
    if "calculate" in transform:
        match = re.fullmatch(r"datum\.(\w+)", transform["calculate"])
        assert match, f"a transform these tests cannot apply: {transform}"
        return data.assign(**{transform["as"]: data[match.group(1)]})
    if "joinaggregate" in transform:
        [agg] = transform["joinaggregate"]
        assert agg["op"] == "count", f"a transform these tests cannot apply: {transform}"
        if data.empty:
            return data.assign(**{agg["as"]: []})
        counts = data.groupby(transform["groupby"], dropna=False)[data.columns[0]].transform("size")
        return data.assign(**{agg["as"]: counts})
    text = transform.get("filter", "")
    match = re.fullmatch(r"\(datum\.(\w+) === '?([^']*?)'?\)", text)
    assert match, f"a transform these tests cannot apply: {transform}"
    field, value = match.groups()
    return data[data[field].astype(str) == value]


def walk(node) -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def params(spec: dict) -> list[dict]:
    return [p for k, v in walk(spec) if k == "params" for p in v]


def legend_selection(spec: dict, field: str, count: int = 1) -> dict:
    found = [p for p in params(spec) if p.get("bind") == "legend"]
    assert [p["select"]["fields"] for p in found] == [[field]] * count
    return found[0]


def of_mark(spec: dict, mark: str) -> list[tuple[dict, pd.DataFrame]]:
    return [(u, d) for u, d in units(spec) if mark_type(u) == mark]


def scheme_name(scale: dict) -> str:
    scheme = scale["scheme"]
    return scheme if isinstance(scheme, str) else scheme["name"]


def all_charts(runs=("A",)):
    """Every public chart with every option that changes its shape."""
    m = make_metrics(runs)
    labels = StrictLabels()
    made = {
        "loss": charts.loss_chart(m, labels),
        "loss_regression": charts.loss_chart(make_metrics(runs, accuracy=False), labels),
        "grad": charts.grad_norm_chart(m, labels),
        "grad_clipnorm": charts.grad_norm_chart(m, labels, clip=("clipnorm", 0.5)),
        "grad_global": charts.grad_norm_chart(m, labels, clip=("global_clipnorm", 2.0)),
        "grad_clipvalue": charts.grad_norm_chart(m, labels, clip=("clipvalue", 0.5)),
        "heatmap": charts.grad_heatmap(m, labels, max_bins=20),
        "bars_relu": charts.layer_bars(m, labels),
        "bars_tanh": charts.layer_bars(make_metrics(runs, activation="tanh"), labels),
        "binary": charts.boundary_chart(make_grid(runs), POINTS, labels, "binary"),
        "regression": charts.boundary_chart(
            make_grid(runs), POINTS.assign(label=[-2.0, 0.5, 1.0, 3.0]), labels, "regression"
        ),
        "loss_baseline": charts.loss_chart(
            make_sequence_metrics(runs), labels, baseline=0.167, floor=0.016
        ),
        "time_grad": charts.time_grad_chart(make_sequence_metrics(runs), labels),
        "time_heatmap": charts.time_grad_heatmap(make_sequence_metrics(runs), labels, max_bins=5),
        "forget_gate": charts.forget_gate_chart(make_sequence_metrics(runs), labels),
        "compare": charts.compare_chart(m, labels, depth=0),  # depth 0: the dead layer
        "sweep": charts.sweep_chart(SWEEP, SWEPT, labels, "val_loss", SWEPT_TITLES),
        "sweep_grad": charts.sweep_chart(SWEEP, SWEPT[:1], labels, "grad_first", SWEPT_TITLES),
        "sweep_lines": charts.sweep_lines_chart(
            SWEEP.assign(val_accuracy=[0.5, 0.7, 0.9, 0.91], params=[10, 40, 160, 640]),
            "model.depth",
            labels,
            "L:model.depth",
        ),
    }
    return {name: spec_of(chart) for name, chart in made.items()}, labels


# -- recurrent charts -------------------------------------------------------------------------


def test_loss_baseline_is_a_labelled_rule_at_its_value():
    spec = spec_of(charts.loss_chart(make_sequence_metrics(), StrictLabels(), baseline=0.167))
    [(rule, data)] = of_mark(spec, "rule")
    assert data["value"].tolist() == [0.167]
    [(_, text)] = of_mark(spec, "text")
    assert text["text"].tolist() == [f"{L('baseline')} 0.167"]
    assert not of_mark(spec_of(charts.loss_chart(make_sequence_metrics(), StrictLabels())), "rule")


def test_the_noise_floor_is_a_second_labelled_rule_below_the_baseline():
    chart = charts.loss_chart(make_sequence_metrics(), StrictLabels(), baseline=0.167, floor=0.016)
    spec = spec_of(chart)
    rules = sorted(d["value"].tolist()[0] for _, d in of_mark(spec, "rule"))
    assert rules == [0.016, 0.167]
    texts = sorted(d["text"].tolist()[0] for _, d in of_mark(spec, "text"))
    assert texts == [f"{L('baseline')} 0.167", f"{L('noise_floor')} 0.016"]


def test_time_grad_chart_draws_each_runs_latest_step_on_a_log_scale():
    metrics = make_sequence_metrics(("A", "B"))
    spec = spec_of(charts.time_grad_chart(metrics, StrictLabels()))
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
    spec = spec_of(charts.time_grad_heatmap(metrics, StrictLabels(), max_bins=4))
    assert len(spec["concat"]) == 2 and spec["resolve"]["scale"]["color"] == "shared"
    [(_, a), (_, b)] = [panel_units(spec, p)[0] for p in spec["concat"]]
    assert set(a["run"]) == {"A"} and set(b["run"]) == {"B"}
    assert len(set(b["step_start"])) == 4 and set(b["t"]) == set(range(SEQ_LEN))
    cell = b[(b["t"] == 3) & (b["step_start"] == b["step_start"].min())].iloc[0]
    steps = metrics[(metrics["run"] == "B") & (metrics["name"] == "input_grad_norm")]
    steps = steps[(steps["t"] == 3) & (steps["step"] < cell["step_end"])]
    assert cell["log10"] == pytest.approx(np.log10(steps["value"]).mean())


def test_forget_gate_chart_is_on_zero_to_one_with_a_line_per_run_and_layer():
    spec = spec_of(charts.forget_gate_chart(make_sequence_metrics(("A", "B")), StrictLabels()))
    [(line, data)] = of_mark(spec, "line")
    assert line["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert line["encoding"]["color"]["field"] == "run"
    assert line["encoding"]["strokeDash"]["field"] == "layer"
    assert set(zip(data["run"], data["layer"], strict=True)) == {
        (r, f"lstm_{d}") for r in ("A", "B") for d in (0, 1)
    }


# -- comparing saved runs -----------------------------------------------------------------------


def test_compare_chart_zooms_every_detail_view_to_the_overview_brush():
    metrics = make_metrics(("A", "B"))
    spec = spec_of(charts.compare_chart(metrics, StrictLabels(), depth=2))
    overview, loss, grad, heatmaps = spec["vconcat"]
    [brush] = [p for p in params(spec) if p.get("select", {}).get("type") == "interval"]
    assert brush["select"]["encodings"] == ["x"]
    for view in (loss, grad, heatmaps):
        for unit, _ in units(view, datasets=spec["datasets"]):
            assert unit["encoding"]["x"]["scale"]["domain"] == {"param": brush["name"]}
    legend_selection(spec, "run")
    # the heatmaps: one panel per run, faded with the legend's pick, one shared colour scale
    panels = list(units(heatmaps, datasets=spec["datasets"]))
    assert len(panels) == 2 and heatmaps["resolve"]["scale"]["color"] == "shared"
    pick = legend_selection(spec, "run")
    for unit, _ in panels:
        assert mark_type(unit) == "rect"
        [condition] = unit["encoding"]["opacity"]["condition"]
        assert condition["param"] == pick["name"]
    cells = pd.concat([d for _, d in panels])
    want = metrics[metrics["name"] == "grad_norm"]
    assert set(cells["layer"]) == set(want["layer"]) and set(cells["run"]) == {"A", "B"}
    [(line, data)] = [
        (u, d) for u, d in units(grad, datasets=spec["datasets"]) if mark_type(u) == "line"
    ]
    assert set(data["depth"]) == {2} and set(data["run"]) == {"A", "B"}
    assert line["encoding"]["y"]["scale"]["type"] == "log"
    want = metrics[(metrics["name"] == "grad_norm") & (metrics["depth"] == 2)]
    assert sorted(data["value"]) == sorted(want["value"])


@pytest.fixture(scope="module", params=[("A",), ("A", "B", "C")], ids=["one_run", "three_runs"])
def gallery(request):
    return all_charts(request.param)


# -- labels and tooltips -----------------------------------------------------------------------


def test_charts_read_only_listed_label_keys_and_every_listed_key_is_used(gallery):
    _, labels = gallery
    assert len(set(charts.LABEL_KEYS)) == len(charts.LABEL_KEYS)
    assert labels.asked <= set(charts.LABEL_KEYS), labels.asked - set(charts.LABEL_KEYS)
    assert labels.asked == set(charts.LABEL_KEYS), "listed but never read"


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
    spec = spec_of(charts.grad_norm_chart(m, StrictLabels()))
    (unit, data), *_ = of_mark(spec, "line")
    assert (data["plot_value"] > 0).all()


# -- gradient norm chart -----------------------------------------------------------------------


def test_grad_norm_chart_is_log_scaled_coloured_by_depth_and_legend_selectable():
    spec = spec_of(charts.grad_norm_chart(make_metrics(), StrictLabels()))
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
        (("clipvalue", 0.5), False),
    ],
)
def test_clip_threshold_rule_and_applied_lines(clip, rule_expected):
    metrics = make_metrics()
    spec = spec_of(charts.grad_norm_chart(metrics, StrictLabels(), clip=clip))
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
    spec = spec_of(charts.grad_norm_chart(make_metrics(), StrictLabels(), clip=("clipnorm", 1e-9)))
    [(rule, _)] = of_mark(spec, "rule")
    assert rule["encoding"]["y"]["scale"]["domainMin"] <= 1e-9


def test_grad_norm_chart_with_several_runs_has_one_panel_per_run_on_shared_scales():
    spec = spec_of(charts.grad_norm_chart(make_metrics(("A", "B")), StrictLabels()))
    assert len(spec["concat"]) == 2
    assert spec["resolve"]["scale"]["y"] == "shared"
    panels = [
        {r for _, d in panel_units(spec, p) if "run" in d for r in d["run"]} for p in spec["concat"]
    ]
    assert panels == [{"A"}, {"B"}]
    legend_selection(spec, "layer")  # one selection for all panels


def test_unknown_clip_rule_is_refused():
    with pytest.raises(ValueError, match="clip rule"):
        charts.grad_norm_chart(make_metrics(), StrictLabels(), clip=("clipmax", 1.0))


# -- heatmap -----------------------------------------------------------------------------------


def test_heatmap_puts_the_input_layer_at_the_bottom():
    spec = spec_of(charts.grad_heatmap(make_metrics(), StrictLabels()))
    [(rect, _)] = of_mark(spec, "rect")
    # a y band scale lists its domain from the top down
    assert rect["encoding"]["y"]["sort"] == [name for name, _ in reversed(LAYERS)]


def test_heatmap_bins_long_runs_and_averages_log10_norms():
    metrics = make_metrics(steps=500, every=1)
    spec = spec_of(charts.grad_heatmap(metrics, StrictLabels(), max_bins=40))
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
    spec = spec_of(charts.grad_heatmap(make_metrics(steps=12), StrictLabels(), max_bins=120))
    [(_, data)] = of_mark(spec, "rect")
    assert data["step_start"].nunique() == 12


def test_heatmap_dead_layer_is_the_darkest_on_a_sequential_scale():
    spec = spec_of(charts.grad_heatmap(make_metrics(), StrictLabels()))
    [(rect, data)] = of_mark(spec, "rect")
    assert scheme_name(rect["encoding"]["color"]["scale"]) in {"viridis", "inferno", "magma"}
    darkest = data.loc[data["log10"] == data["log10"].min(), "layer"]
    assert set(darkest) == {DEAD}


def test_heatmap_runs_share_one_colour_scale():
    metrics = make_metrics(("A", "B"))
    metrics.loc[metrics["run"] == "B", "value"] *= 100  # B's norms are much larger
    spec = spec_of(charts.grad_heatmap(metrics, StrictLabels()))
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
        charts.grad_heatmap(with_batch_norm(make_metrics(("A", "B")), "B"), StrictLabels())
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


HEATMAPS = {
    "layer_step_one_run": lambda: charts.grad_heatmap(make_metrics(), StrictLabels()),
    "layer_step_two_runs": lambda: charts.grad_heatmap(make_metrics(("A", "B")), StrictLabels()),
    "time_step": lambda: charts.time_grad_heatmap(
        make_sequence_metrics(("A", "B")), StrictLabels()
    ),
    "compare": lambda: charts.compare_chart(make_metrics(("A", "B")), StrictLabels()),
    "boundary": lambda: charts.boundary_chart(make_grid(), POINTS, StrictLabels(), "binary"),
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
    "loss": lambda: charts.loss_chart(make_metrics(FOUR), StrictLabels()),
    "layer_bars": lambda: charts.layer_bars(make_metrics(FOUR), StrictLabels()),
    "time_grad": lambda: charts.time_grad_chart(make_sequence_metrics(FOUR), StrictLabels()),
    "forget_gate": lambda: charts.forget_gate_chart(make_sequence_metrics(FOUR), StrictLabels()),
    "compare": lambda: charts.compare_chart(make_metrics(FOUR), StrictLabels()),
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
    everywhere = run_colours(spec_of(charts.loss_chart(only_b, StrictLabels())))
    assert run_colours(spec_of(charts.forget_gate_chart(only_b, StrictLabels()))) == {
        "B": everywhere["B"]
    }
    assert run_colours(spec_of(charts.time_grad_chart(only_b, StrictLabels()))) == everywhere


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
        lambda: charts.grad_norm_chart(deep_metrics(), StrictLabels(), clip=("clipnorm", 1.0)),
        ("layer", "kind"),
    ),
    "forget_gate": (
        lambda: charts.forget_gate_chart(make_sequence_metrics(FOUR), StrictLabels()),
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
    thinned = charts.thin_steps(metrics, max_steps=100)
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
    thinned = charts.thin_steps(metrics, max_steps=300)
    pd.testing.assert_frame_equal(thinned, metrics)
    assert thinned is not metrics
    pd.testing.assert_frame_equal(metrics, before)


def test_thin_steps_refuses_fewer_than_two_steps():
    with pytest.raises(ValueError):
        charts.thin_steps(make_metrics(), max_steps=1)


# -- loss chart --------------------------------------------------------------------------------


def test_loss_chart_has_an_accuracy_panel_only_when_accuracy_was_recorded():
    with_acc = spec_of(charts.loss_chart(make_metrics(), StrictLabels()))
    assert len(with_acc["vconcat"]) == 2
    y_titles = [u["encoding"]["y"]["title"] for p in with_acc["vconcat"] for u, _ in units(p)]
    assert set(y_titles) == {L("loss"), L("accuracy")}
    without = spec_of(charts.loss_chart(make_metrics(accuracy=False), StrictLabels()))
    assert "vconcat" not in without and "layer" in without
    assert {u["encoding"]["y"]["title"] for u, _ in units(without)} == {L("loss")}


def test_loss_chart_one_run_tells_the_splits_apart_by_colour_and_dash():
    spec = spec_of(charts.loss_chart(make_metrics(accuracy=False), StrictLabels()))
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
    spec = spec_of(charts.loss_chart(metrics, StrictLabels()))
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
    spec = spec_of(charts.loss_chart(make_metrics(("A", "B", "C")), StrictLabels()))
    lines = of_mark(spec, "line")
    assert len(lines) == 2  # loss and accuracy panels, each with every run overlaid
    for line, data in lines:
        assert line["encoding"]["color"]["field"] == "run"
        assert line["encoding"]["color"]["sort"] == ["A", "B", "C"]
        assert line["encoding"]["strokeDash"]["field"] == "split"
        assert set(data["run"]) == {"A", "B", "C"}
    legend_selection(spec, "run", count=2)  # one per panel's legend


# -- layer bars --------------------------------------------------------------------------------


def test_layer_bars_show_the_latest_step_ordered_by_depth():
    metrics = make_metrics(steps=30)
    spec = spec_of(charts.layer_bars(metrics, StrictLabels()))
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
    spec = spec_of(charts.layer_bars(metrics, StrictLabels()))
    assert len(spec["vconcat"]) == 1


def test_layer_bars_with_several_runs_sit_side_by_side_per_layer():
    spec = spec_of(charts.layer_bars(make_metrics(("A", "B"), activation="tanh"), StrictLabels()))
    titles = [u["encoding"]["x"]["title"] for u, _ in units(spec)]
    assert titles == [L("grad_norm"), L("saturated_fraction")]
    for bar, data in units(spec):
        assert bar["encoding"]["yOffset"]["field"] == "run"
        assert bar["encoding"]["color"]["field"] == "run"
        assert set(data["run"]) == {"A", "B"}


# -- decision boundary -------------------------------------------------------------------------


def test_binary_boundary_draws_both_splits_on_a_probability_scale():
    spec = spec_of(charts.boundary_chart(make_grid(), POINTS, StrictLabels(), "binary"))
    [(rect, cells)] = of_mark(spec, "rect")
    [(point, points)] = of_mark(spec, "point")
    assert set(points["split"]) == {L("train"), L("test")}
    shapes = point["encoding"]["shape"]["scale"]["range"]
    assert len(set(shapes)) == 2  # train and test look different
    assert point["mark"]["stroke"]  # outlined, visible on any background
    for enc in (rect["encoding"]["color"], point["encoding"]["color"]):
        assert enc["scale"]["domain"] == [0, 1]
        assert enc["scale"]["domainMid"] == 0.5
    assert point["encoding"]["color"]["field"] == "label"


def test_boundary_cells_tile_the_plane_without_gaps():
    spec = spec_of(charts.boundary_chart(make_grid(n=7), POINTS, StrictLabels(), "binary"))
    [(_, cells)] = of_mark(spec, "rect")
    for lo, hi in (("x0_lo", "x0_hi"), ("x1_lo", "x1_hi")):
        edges = cells[[lo, hi]].drop_duplicates().sort_values(lo).to_numpy()
        assert len(edges) == 7
        assert np.allclose(edges[1:, 0], edges[:-1, 1])  # each cell ends where the next begins


def test_regression_boundary_spans_the_targets():
    points = POINTS.assign(label=[-2.0, 0.5, 1.0, 3.0])
    spec = spec_of(charts.boundary_chart(make_grid(), points, StrictLabels(), "regression"))
    [(rect, _)] = of_mark(spec, "rect")
    assert rect["encoding"]["color"]["scale"]["domain"] == [-2.0, 3.0]


def test_boundary_with_several_runs_has_one_panel_per_run_on_the_same_scales():
    spec = spec_of(charts.boundary_chart(make_grid(("A", "B")), POINTS, StrictLabels(), "binary"))
    assert len(spec["concat"]) == 2
    for channel in ("x", "y", "color"):
        assert spec["resolve"]["scale"][channel] == "shared"
    cells = [d for _, d in of_mark(spec, "rect")]
    assert [set(c["run"]) for c in cells] == [{"A"}, {"B"}]


def test_boundary_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        charts.boundary_chart(make_grid(), POINTS, StrictLabels(), "multiclass")


# -- the module itself -------------------------------------------------------------------------


def test_runs_in_lists_sorted_run_ids():
    assert charts.runs_in(make_metrics(("C", "A"))) == ["A", "C"]


@pytest.mark.parametrize(
    "draw", [charts.loss_chart, charts.grad_norm_chart, charts.grad_heatmap, charts.layer_bars]
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
        "loss": charts.loss_chart(first, StrictLabels()),
        "grad_norm": charts.grad_norm_chart(first, StrictLabels()),
        "forget_gate": charts.forget_gate_chart(seq, StrictLabels()),
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
        d.empty for _, d in of_mark(spec_of(charts.loss_chart(later, StrictLabels())), "point")
    )


def test_the_heatmap_step_axis_is_in_whole_steps():
    spec = spec_of(charts.grad_heatmap(make_metrics(steps=1), StrictLabels()))
    [(rect, data)] = of_mark(spec, "rect")
    assert rect["encoding"]["x"]["axis"]["format"] == "d"
    assert len(data) == len(LAYERS) and (data["step_start"] == 0).all()
