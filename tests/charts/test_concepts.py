"""The concept pages' charts (charts/concepts.py) on the engine's real results, read back from
their Vega-Lite specs: every label they read and only those, fields that resolve, and what each
chart must let a reader tell apart."""

import pytest

from charts import concepts as concept_charts
from models.teaching.concept_runner import compute
from tests.support.specs import mark_type, spec_of, units, walk
from ui.i18n import LANGUAGES, concept_chart_labels

FILTERS = [[[0.1, -0.2], [0.3, 0.0]], [[-0.5, 0.5], [0.2, 0.1]], [[1.0, 0.0], [0.0, -1.0]]]


def test_the_filters_chart_draws_every_weight_of_every_filter_on_a_zero_centred_scale(gallery):
    specs, _ = gallery
    spec = specs["filters"]
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 2 * 3 * 2 * 2  # snapshots x filters x k x k
    cell = next(r for r in data if r["snapshot"] == "L:latest" and r["filter"] == 1)
    assert cell["value"] in (1.0, 0.0, -1.0)  # the last filter, first in the reversed list
    scale = spec["spec"]["encoding"]["color"]["scale"]
    assert scale["domainMid"] == 0 and scale["domain"] == [-1.0, 1.0]


class StrictLabels(dict):
    def __init__(self):
        super().__init__({k: "L:" + k for k in concept_charts.LABEL_KEYS})
        self.asked = set()

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)


@pytest.fixture(scope="module")
def gallery():
    labels = StrictLabels()
    names = {a: f"N:{a}" for a in ("sigmoid", "tanh", "relu")}
    acts = compute({"kind": "activations", "names": list(names), "depth": 5, "points": 41})
    pooling = compute({"kind": "pooling", "inputs": [[1, 2], [3, 4]]})
    paths = compute({"kind": "optimizers", "function": "saddle", "steps": 5, "grid": 10})
    specs = {
        "activations": spec_of(concept_charts.activation_chart(acts, names, labels)),
        "product": spec_of(concept_charts.product_chart(acts, names, labels)),
        "matrix": spec_of(
            concept_charts.matrix_chart(
                pooling["max"]["grad"], "L:title", labels, highlight=[[0, 0], [0, 1]]
            )
        ),
        "paths": spec_of(concept_charts.paths_chart(paths, labels)),
        "path_loss": spec_of(concept_charts.path_loss_chart(paths, labels)),
        "filters": spec_of(
            concept_charts.filters_chart(
                [{"step": 0, "kernels": FILTERS}, {"step": 9, "kernels": FILTERS[::-1]}],
                labels,
                ["L:initial", "L:latest"],
            )
        ),
    }
    return specs, labels


def test_concept_charts_read_every_listed_label_and_only_those(gallery):
    _, labels = gallery
    assert labels.asked == set(concept_charts.LABEL_KEYS)
    for lang in LANGUAGES:
        assert set(concept_charts.LABEL_KEYS) <= set(concept_chart_labels(lang))


def test_concept_chart_titles_come_from_the_labels_and_fields_resolve(gallery):
    specs, _ = gallery
    for name, spec in specs.items():
        for key, value in walk(spec):
            if key == "title" and value is not None:  # None: a facet row without a title
                text = value["text"] if isinstance(value, dict) else value
                assert str(text).startswith(("L:", "N:")), (name, value)
        for unit, data in units(spec):
            for channel, enc in unit.get("encoding", {}).items():
                for e in enc if isinstance(enc, list) else [enc]:
                    if isinstance(e, dict) and "field" in e:
                        assert e["field"] in data.columns, (name, channel, e["field"])


def test_the_activation_chart_marks_each_derivative_maximum(gallery):
    specs, _ = gallery
    peaks = [d for u, d in units(specs["activations"]) if mark_type(u) == "point"]
    assert peaks and all(len(d) == 1 for d in peaks)
    assert sorted(round(float(d["value"].iloc[0]), 4) for d in peaks) == [0.25, 1.0, 1.0]


def test_the_paths_chart_draws_filled_contour_bands_inside_the_functions_range(gallery):
    specs, _ = gallery
    rect = next(u for u, _ in units(specs["paths"]) if mark_type(u) == "rect")
    _, grid = next((u, d) for u, d in units(specs["paths"]) if mark_type(u) == "rect")
    scale = rect["encoding"]["fill"]["scale"]
    assert scale["type"] == "threshold"
    edges = scale["domain"]
    assert edges == sorted(edges) and len(edges) >= 8
    assert grid["f"].min() < edges[0] and edges[-1] < grid["f"].max()


def test_each_activation_panel_has_its_own_y_scale_and_a_legend_says_which_line_is_f(gallery):
    specs, _ = gallery
    spec = specs["activations"]
    # a shared y scale drew sigmoid's f′ (peak 1/4) as a flat line next to ReLU's f
    assert spec["resolve"]["scale"]["y"] == "independent"
    lines = [u for u, _ in units(spec) if mark_type(u) == "line"]
    assert len(lines) == 3  # one panel per activation
    for line in lines:
        enc = line["encoding"]
        curves = ["L:function", "L:derivative"]
        for channel in ("color", "strokeDash"):
            assert enc[channel]["field"] == "curve" and enc[channel]["scale"]["domain"] == curves
            # a legend=None on either channel of one field drops the merged legend
            assert enc[channel].get("legend", {}) is not None
            assert enc[channel]["title"] == "L:curve"
        assert len({str(v) for v in enc["strokeDash"]["scale"]["range"]}) == 2
        assert len(set(enc["color"]["scale"]["range"])) == 2
        assert enc["y"]["title"] == "L:curve_value"


def test_overlapping_optimizer_paths_stay_apart_and_one_legend_names_them(gallery):
    specs, _ = gallery
    for name in ("paths", "path_loss"):
        lines = [(u, d) for u, d in units(specs[name]) if mark_type(u) == "line"]
        points = [u for u, _ in units(specs[name]) if "shape" in u.get("encoding", {})]
        drawn = [d["method"].iloc[0] for _, d in lines]
        assert sorted(drawn) == sorted(f"L:{m}" for m in ("gd", "momentum", "adam", "newton"))
        widths = [u["mark"]["strokeWidth"] for u, _ in lines]
        # each path is drawn thinner than every path under it, so none hides another (Newton's
        # one straight step ran under Adam's diagonal)
        assert widths == sorted(set(widths), reverse=True), (name, widths)
        styles = {(u["mark"]["strokeWidth"], str(u["mark"].get("strokeDash"))) for u, _ in lines}
        assert len(styles) == 4
        shapes = points[0]["encoding"]["shape"]["scale"]["range"]
        assert len(points) == 4 and len(set(shapes)) == 4
        for u, _ in lines:  # colour and shape on one field and title: one legend
            colour = u["encoding"]["color"]
            assert colour["legend"] is not None and colour["title"] == "L:method"
        assert all(p["encoding"]["shape"]["title"] == "L:method" for p in points)


@pytest.mark.parametrize("function", ["saddle", "quadratic"])
def test_the_f_axis_has_round_ticks_across_the_decades_f_spans(function):
    result = compute({"kind": "optimizers", "function": function})  # the page's defaults
    spec = spec_of(concept_charts.path_loss_chart(result, concept_chart_labels()))
    f = [r["f"] for p in result["paths"] for r in p["rows"]]
    axis = next(u["encoding"]["y"]["axis"] for u, _ in units(spec) if "y" in u["encoding"])
    ticks = axis["values"]
    # Vega's own ticks on this symlog axis were 0 and -1e8 alone for the saddle
    assert len(ticks) >= 4 and min(f) <= min(ticks) < max(ticks) <= max(f)
    assert 0 in ticks and min(ticks) <= min(f) / 100  # from 0 to within two decades of the end
    assert len(ticks) <= 8
