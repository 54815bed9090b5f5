"""The live view's chart specs (ui/live.py): what lets the browser update a chart in place.

Streamlit's frontend rebuilds a Vega view whenever the spec (without its data) changes, and
only swaps the data when it does not. Rebuilding is what limits how often a live chart can
redraw, so the spec must not change while a run merely gains steps.
"""

import io
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import charts
from ui.i18n import chart_labels
from ui.live import chart_spec, vega_spec

LAYERS = [("dense_0", 0), ("dense_1", 1), ("output", 2)]


def live_metrics(steps: int, runs=("A", "B")) -> pd.DataFrame:
    """Per-step rows of a run that learns: loss falls, gradient norms wander within 0.02-0.09."""
    rng = np.random.default_rng(0)
    rows = []
    for run in runs:
        for s in range(steps):
            rows += [
                (run, s, "loss", None, None, 1 / (1 + s)),
                (run, s, "val_loss", None, None, 0.5),
            ]
            rows += [(run, s, "accuracy", None, None, 0.5 + s / (4 * steps))]
            for layer, depth in LAYERS:
                g = rng.uniform(0.02, 0.09)
                rows += [(run, s, "grad_norm", layer, depth, g)]
                rows += [(run, s, "grad_norm_clipped", layer, depth, min(g, 0.05))]
            rows += [(run, s, "dead_fraction", "act_0", 0, 0.1)]
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "value"])


BUILDERS = {
    "loss": lambda m, labels: charts.loss_chart(m, labels),
    "grad": lambda m, labels: charts.grad_norm_chart(m, labels, ("clipnorm", 0.05)),
    "heatmap": lambda m, labels: charts.grad_heatmap(m, labels),
    "bars": lambda m, labels: charts.layer_bars(m, labels),
}


def without_data(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "datasets"}


@pytest.mark.parametrize("runs", [("A",), ("A", "B")])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_growing_run_keeps_its_chart_spec_and_changes_only_the_data(name, runs):
    labels = chart_labels()
    early = vega_spec(BUILDERS[name](live_metrics(100, runs), labels), name)
    later = vega_spec(BUILDERS[name](live_metrics(200, runs), labels), name)
    assert without_data(early) == without_data(later)
    assert early["datasets"].keys() == later["datasets"].keys()
    assert all(k.startswith(f"{name}-") for k in early["datasets"])
    assert early["datasets"] != later["datasets"], "the data itself did change"


def test_the_arrow_datasets_hold_the_charts_rows():
    labels = chart_labels()
    chart = charts.loss_chart(live_metrics(30, ("A",)), labels)
    altair_datasets = chart.to_dict(validate=False)["datasets"]
    spec = vega_spec(chart, "loss")
    assert len(spec["datasets"]) == len(altair_datasets)
    for payload, records in zip(spec["datasets"].values(), altair_datasets.values(), strict=True):
        table = pa.ipc.open_stream(io.BytesIO(payload)).read_all().to_pandas()
        pd.testing.assert_frame_equal(table, pd.DataFrame.from_records(records))
    # every data reference in the spec points at one of the renamed datasets
    text = str(without_data(spec))
    assert all(f"'name': '{k}'" in text for k in spec["datasets"])
    assert "data-" not in text


def test_the_log_floor_changes_only_across_decades():
    labels = chart_labels()
    m = live_metrics(50, ("A",))
    smaller = m.assign(value=np.where(m["name"] == "grad_norm", m["value"] * 0.9, m["value"]))
    a = vega_spec(charts.grad_norm_chart(m, labels), "grad")
    b = vega_spec(charts.grad_norm_chart(smaller, labels), "grad")
    assert without_data(a) == without_data(b)  # 0.018 and 0.02 share the decade 0.01-0.1
    tiny = m.assign(value=np.where(m["name"] == "grad_norm", m["value"] / 1000, m["value"]))
    c = vega_spec(charts.grad_norm_chart(tiny, labels), "grad")
    assert without_data(c) != without_data(a)  # a new decade: the axis must reach it


def resolved(spec: dict) -> dict:
    """The spec with every named-data reference replaced by the rows it names."""
    tables = {k: arrow_frame(v) for k, v in spec["datasets"].items()}

    def rows(name: str) -> list:
        frame = tables[name].astype(object)
        return frame.where(frame.notna(), None).to_dict("records")

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"name"} and node["name"] in tables:
                return {"rows": rows(node["name"])}
            return {k: walk(v) for k, v in node.items() if k != "datasets"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(spec)


def arrow_frame(payload: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(io.BytesIO(payload)).read_all().to_pandas()


def grid(runs, shift: float) -> pd.DataFrame:
    xs = np.linspace(-1.0, 1.0, 8)
    rows = [(r, a, b, 1 / (1 + np.exp(-3 * (a + b + shift)))) for r in runs for a in xs for b in xs]
    return pd.DataFrame(rows, columns=["run", "x0", "x1", "value"])


POINTS = pd.DataFrame(
    {"x0": [0.1, -0.5], "x1": [0.2, 0.4], "label": [1.0, 0.0], "split": ["train", "test"]}
)
CLIP = ("clipnorm", 0.05)
PARTS = {  # name: (frame from (metrics, grid, labels), view, whole chart from the same)
    "loss": (
        lambda m, g, labels: charts.loss_frame(m, labels),
        charts.loss_view,
        lambda m, g, labels: charts.loss_chart(m, labels),
    ),
    "grad": (
        lambda m, g, labels: charts.grad_norm_frame(m, labels, CLIP),
        charts.grad_norm_view,
        lambda m, g, labels: charts.grad_norm_chart(m, labels, CLIP),
    ),
    "heatmap": (
        lambda m, g, labels: charts.grad_heatmap_frame(m, labels),
        charts.grad_heatmap_view,
        lambda m, g, labels: charts.grad_heatmap(m, labels),
    ),
    "bars": (
        lambda m, g, labels: charts.layer_bars_frame(m, labels),
        charts.layer_bars_view,
        lambda m, g, labels: charts.layer_bars(m, labels),
    ),
    "boundary": (
        lambda m, g, labels: charts.boundary_frame(g, POINTS, labels, "binary"),
        charts.boundary_view,
        lambda m, g, labels: charts.boundary_chart(g, POINTS, labels, "binary"),
    ),
}


@pytest.mark.parametrize("runs", [("A",), ("A", "B")])
@pytest.mark.parametrize("name", sorted(PARTS))
def test_a_live_chart_is_the_whole_chart_with_its_data_swapped_in(name, runs):
    """The live path (a kept spec + the new rows) draws what building the whole chart draws,
    and builds the Altair chart once while only the rows change."""
    labels = chart_labels()
    frame, view, whole = PARTS[name]
    built = []

    def counting_view(*args):
        built.append(args[0])
        return view(*args)

    group = SimpleNamespace(skeletons={})
    for steps, shift in ((100, 0.0), (200, 0.5)):
        m, g = live_metrics(steps, runs), grid(runs, shift)
        live = chart_spec(name, lambda m=m, g=g: frame(m, g, labels), counting_view, labels, group)
        assert resolved(live) == resolved(vega_spec(whole(m, g, labels), name))
    assert len(built) == 1, "the second redraw reused the spec"


def grid_app(several: bool) -> None:
    """A page that places the live charts of one run or of two, as the lab pages do."""
    import charts
    from tests.test_ui_live import live_metrics
    from ui.i18n import chart_labels
    from ui.live import grid_ui, vega_spec

    labels = chart_labels()
    m = live_metrics(30, ("A", "B") if several else ("A",))
    builders = {
        "grad": lambda: charts.grad_norm_chart(m, labels),
        "heatmap": lambda: charts.grad_heatmap(m, labels),
        "bars": lambda: charts.layer_bars(m, labels),
    }
    grid_ui([vega_spec(build(), name) for name, build in builders.items()], several=several)


@pytest.mark.parametrize("several", [False, True], ids=["one_run", "two_runs"])
def test_side_by_side_panels_get_a_row_each_and_one_runs_charts_share_rows(several):
    """Side-by-side runs are fixed-size small multiples, which ran past a half-page column:
    each gets a whole row. One run's charts go two to a row: the first two stretch to their
    column, the third, narrow bars, sits in a column of the next row."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(grid_app, kwargs={"several": several}).run()
    assert not at.exception
    drawn = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    in_columns = [
        json.loads(c.proto.spec) for col in at.columns for c in col.get("vega_lite_chart")
    ]
    assert len(drawn) == 3
    if several:
        assert not in_columns and all(spec.get("width") != "container" for spec in drawn)
        return
    assert in_columns == drawn and len(at.columns) == 4  # two rows of two columns
    assert [spec.get("width") for spec in in_columns[:2]] == ["container", "container"]
