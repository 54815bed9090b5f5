"""The decision boundary (charts/boundary.py), read back from its Vega-Lite spec: cells that
tile the plane under the train and test points, a probability or a target scale, a panel per run."""

import numpy as np
import pytest

from charts import boundary
from tests.support.chart_data import (
    POINTS,
    L,
    StrictLabels,
    make_grid,
)
from tests.support.specs import (
    of_mark,
    spec_of,
)


def test_binary_boundary_draws_both_splits_on_a_probability_scale():
    spec = spec_of(boundary.boundary_chart(make_grid(), POINTS, StrictLabels(), "binary"))
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
    spec = spec_of(boundary.boundary_chart(make_grid(n=7), POINTS, StrictLabels(), "binary"))
    [(_, cells)] = of_mark(spec, "rect")
    for lo, hi in (("x0_lo", "x0_hi"), ("x1_lo", "x1_hi")):
        edges = cells[[lo, hi]].drop_duplicates().sort_values(lo).to_numpy()
        assert len(edges) == 7
        assert np.allclose(edges[1:, 0], edges[:-1, 1])  # each cell ends where the next begins


def test_regression_boundary_spans_the_targets():
    points = POINTS.assign(label=[-2.0, 0.5, 1.0, 3.0])
    spec = spec_of(boundary.boundary_chart(make_grid(), points, StrictLabels(), "regression"))
    [(rect, _)] = of_mark(spec, "rect")
    assert rect["encoding"]["color"]["scale"]["domain"] == [-2.0, 3.0]


def test_boundary_with_several_runs_has_one_panel_per_run_on_the_same_scales():
    spec = spec_of(boundary.boundary_chart(make_grid(("A", "B")), POINTS, StrictLabels(), "binary"))
    assert len(spec["concat"]) == 2
    for channel in ("x", "y", "color"):
        assert spec["resolve"]["scale"][channel] == "shared"
    cells = [d for _, d in of_mark(spec, "rect")]
    assert [set(c["run"]) for c in cells] == [{"A"}, {"B"}]


def test_boundary_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        boundary.boundary_chart(make_grid(), POINTS, StrictLabels(), "multiclass")
