"""Saved runs compared (charts/compare.py), read back from the Vega-Lite spec: every detail view
zooms to the overview's brush, the heatmaps share a colour scale, the legend picks runs."""

import pandas as pd

from charts import compare
from tests.support.chart_data import (
    StrictLabels,
    make_metrics,
)
from tests.support.specs import (
    legend_selection,
    mark_type,
    params,
    spec_of,
    units,
)


def test_compare_chart_zooms_every_detail_view_to_the_overview_brush():
    metrics = make_metrics(("A", "B"))
    spec = spec_of(compare.compare_chart(metrics, StrictLabels(), depth=2))
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
