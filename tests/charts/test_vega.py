"""Charts as a live page hands them to the browser (charts/vega.py): what lets the browser update
a chart in place.

Streamlit's frontend rebuilds a Vega view whenever the spec (without its data) changes, and
only swaps the data when it does not. Rebuilding is what limits how often a live chart can
redraw, so the spec must not change while a run merely gains steps.
"""

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from charts import boundary, gradients, training
from charts.vega import SpecCache, live_spec
from tests.support.live_specs import arrow_frame, live_metrics, vega_spec
from ui.i18n import chart_labels
from ui.live import arrow_bytes

BUILDERS = {
    "loss": lambda m, labels: training.loss_chart(m, labels),
    "grad": lambda m, labels: gradients.grad_norm_chart(m, labels, ("clipnorm", 0.05)),
    "heatmap": lambda m, labels: gradients.grad_heatmap(m, labels),
    "bars": lambda m, labels: gradients.layer_bars(m, labels),
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
    chart = training.loss_chart(live_metrics(30, ("A",)), labels)
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
    a = vega_spec(gradients.grad_norm_chart(m, labels), "grad")
    b = vega_spec(gradients.grad_norm_chart(smaller, labels), "grad")
    assert without_data(a) == without_data(b)  # 0.018 and 0.02 share the decade 0.01-0.1
    tiny = m.assign(value=np.where(m["name"] == "grad_norm", m["value"] / 1000, m["value"]))
    c = vega_spec(gradients.grad_norm_chart(tiny, labels), "grad")
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
        lambda m, g, labels: training.loss_frame(m, labels),
        training.loss_view,
        lambda m, g, labels: training.loss_chart(m, labels),
    ),
    "grad": (
        lambda m, g, labels: gradients.grad_norm_frame(m, labels, CLIP),
        gradients.grad_norm_view,
        lambda m, g, labels: gradients.grad_norm_chart(m, labels, CLIP),
    ),
    "heatmap": (
        lambda m, g, labels: gradients.grad_heatmap_frame(m, labels),
        gradients.grad_heatmap_view,
        lambda m, g, labels: gradients.grad_heatmap(m, labels),
    ),
    "bars": (
        lambda m, g, labels: gradients.layer_bars_frame(m, labels),
        gradients.layer_bars_view,
        lambda m, g, labels: gradients.layer_bars(m, labels),
    ),
    "boundary": (
        lambda m, g, labels: boundary.boundary_frame(g, POINTS, labels, "binary"),
        boundary.boundary_view,
        lambda m, g, labels: boundary.boundary_chart(g, POINTS, labels, "binary"),
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

    skeletons = SpecCache()
    for steps, shift in ((100, 0.0), (200, 0.5)):
        m, g = live_metrics(steps, runs), grid(runs, shift)
        rows = lambda m=m, g=g: frame(m, g, labels)  # noqa: E731
        live = live_spec(skeletons, name, rows, counting_view, labels, arrow_bytes)
        assert resolved(live) == resolved(vega_spec(whole(m, g, labels), name))
    assert len(built) == 1, "the second redraw reused the spec"
