"""The concept pages through AppTest (no exception, the expected charts and measured statements,
hostile URL params), and their charts' labels and fields (charts/concepts.py)."""

import re
import time
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from charts import concepts as concept_charts
from models.concepts import compute
from models.config import RunConfig, with_changes
from models.presets import COMPARISONS, PRESETS
from tests.test_charts import mark_type, spec_of, units, walk
from ui.i18n import LANGUAGES, concept_chart_labels, field_label, t


def open_page(name, widgets=None):
    """The page, then each widget (by key) set as a user would. (AppTest does not seed widgets
    bound to the URL; tests/test_browser.py opens these pages by URL in Chromium.)"""
    at = AppTest.from_file("../dashboard.py", default_timeout=120)
    at.run()
    at.switch_page(f"pages/{name}.py")
    at.run()
    for (kind, key), value in (widgets or {}).items():
        getattr(at, kind)(key=key).set_value(value)
        at.run()
    assert not at.exception, at.exception
    return at


def texts(at):
    return " ".join(m.value for m in at.markdown)


def in_order(node):
    """Every element under an AppTest node, in page order (containers included)."""
    for child in getattr(node, "children", {}).values():
        yield child
        yield from in_order(child)


def test_home_starts_with_a_link_that_opens_the_vanishing_comparison_on_deep_networks():
    home = AppTest.from_file("../dashboard.py", default_timeout=120)
    home.run()
    shown = [e for e in in_order(home.main) if e.type != "flex_container"]
    kinds = [e.type for e in shown]
    first = kinds.index("page_link")
    # the first step straight after the title and the intro: heading, what to do, the link
    assert kinds[:first] == ["title", "markdown", "subheader", "markdown"]
    link = shown[first].proto
    assert link.page == "deep_networks" and t("home.start.button") in link.label

    params = dict(parse_qsl(link.query_string, strict_parsing=True))
    at = AppTest.from_file("../dashboard.py", default_timeout=120)
    at.run()
    at.switch_page("pages/deep_networks.py")
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.error
    assert not [w for w in at.warning if w.value.startswith(t("dn.url_notice"))]
    a = with_changes(RunConfig(), at.session_state["dn:values"])
    loaded = {"A": a} | {x: with_changes(a, c) for x, c in at.session_state["dn:variants"].items()}
    # A sigmoid, B ReLU + He, C sigmoid + batch norm, D sigmoid + residual: the presets' own
    wanted = [PRESETS[name].config() for name in COMPARISONS["vanishing_fixes"]]
    assert loaded == dict(zip("ABCD", wanted, strict=True))
    # and the page's "what differs" table says so, as a user reads it
    differs = [d.value for d in at.dataframe if list(d.value.columns) == list("ABCD")]
    activations = differs[0].loc[field_label("model.activation")].tolist()
    assert activations == ["sigmoid", "relu", "sigmoid", "sigmoid"]


def test_activations_page_states_the_measured_maxima():
    at = open_page("activations")
    assert len(at.get("vega_lite_chart")) == 2 and not at.error
    body = texts(at)
    assert "**sigmoid**: f′ peaks at **0.25** at x = 0" in body
    assert "**tanh**: f′ peaks at **1** at x = 0" in body
    assert "for x > 0, f′ lies in [1, 1]" in body  # ReLU
    assert "After 10 layers, **sigmoid**'s best case is already **9.54e-07**" in body
    table = at.dataframe[0].value
    assert list(table["zero-centred"]) == ["no", "yes", "no", "no"]


def test_activations_page_draws_the_activations_picked():
    at = open_page("activations", {("multiselect", "act_names"): ["elu", "gelu"]})
    assert not at.error
    assert list(at.dataframe[0].value["activation"]) == ["ELU", "GELU"]
    at.multiselect(key="act_names").set_value([]).run()
    assert not at.exception and at.info and not at.get("vega_lite_chart")


def test_cnn_page_checks_both_pooling_rules():
    at = open_page(
        "cnn",
        {("selectbox", "pool_size"): 6, ("selectbox", "pool_k"): 3, ("radio", "pool_up"): "random"},
    )
    assert len(at.get("vega_lite_chart")) == 6 and not at.error
    body = texts(at)
    assert "**Max pooling** routed each window's whole gradient to its arg-max" in body
    assert "1/9 to each input: the tape's gradient equals that rule" in body
    assert "4 of 36 inputs receive a gradient (4 windows)" in " ".join(c.value for c in at.caption)


def test_cnn_page_trains_a_cnn_live_and_draws_its_filters():
    at = open_page("cnn")
    assert "1051 parameters" in " ".join(c.value for c in at.caption)
    next(b for b in at.button if b.label == "Train").click().run()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = [p.proto.text for p in at.get("progress")]
        if status and "completed" in status[0]:
            break
        time.sleep(0.5)
        at.run()
    assert not at.exception and "completed 125 steps" in status[0]
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    filters = [s for s in specs if "The first conv layer's filters" in s]
    assert len(filters) == 1 and '"initial"' in filters[0] and '"step 125"' in filters[0]
    assert any("Gradient norm" in s for s in specs)
    sweep = at.text_input(key="cnn:sweep:v1").value
    assert (at.selectbox(key="cnn:sweep:f1").value, sweep) == ("model.width", "1, 2, 4, 8, 16")


def test_cnn_page_refuses_a_size_the_pool_does_not_divide():
    at = open_page("cnn", {("selectbox", "pool_k"): 3})
    assert "does not split into 3 × 3 windows" in at.error[0].value


def test_optimizers_page_shows_newton_in_one_step_and_at_a_saddle():
    at = open_page("optimizers")
    assert len(at.get("vega_lite_chart")) == 2
    assert "landed on its stationary point in **one step**" in texts(at)
    at = open_page(
        "optimizers",
        {("selectbox", "opt_f"): "nonconvex", ("slider", "opt_x"): 0.2, ("slider", "opt_y"): 0.5},
    )
    assert "**Newton** stopped at a **saddle**" in texts(at)


def test_backprop_page_matches_the_tape_for_a_user_sized_net():
    at = open_page(
        "backprop",
        {
            ("number_input", "bp_in"): 3,
            ("number_input", "bp_h"): 4,
            ("number_input", "bp_out"): 2,
            ("selectbox", "bp_act"): "relu",
        },
    )
    assert not at.error
    assert re.search(r"All 26 gradients by hand equal GradientTape's", texts(at))
    params = list(at.dataframe[0].value["parameter"])
    assert len(params) == 26  # 3*4 + 4 + 4*2 + 2
    # named by row and column as the matrices are written above, counted from 1
    assert params[:2] == ["W(1) row 1, column 1", "W(1) row 1, column 2"]
    assert params[11:13] == ["W(1) row 3, column 4", "b(1) entry 1"]
    assert params[-1] == "b(2) entry 2"
    assert len(at.latex) > 8


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


def test_the_cnn_filters_sweep_shows_accuracy_and_parameters_per_value():
    at = open_page("cnn", {("text_input", "cnn:sweep:v1"): "1, 4"})
    at.number_input(key="cnn:train.epochs").set_value(1).run()
    next(b for b in at.button if b.label == "Run sweep").click().run()
    sweep = at.session_state["cnn:sweep"]
    deadline = time.monotonic() + 180
    while not sweep.done and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception and sweep.done
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("Accuracy and model size per value" in s for s in specs)
    table = at.dataframe[-1].value
    assert list(table["parameters"]) == [r.config.param_count for r in sweep.runs]
    assert table["parameters"].iloc[0] < table["parameters"].iloc[1]
