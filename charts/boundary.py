"""The decision boundary: the model's output over the 2-D input plane (a class probability, or
a regression value) with the train and test points on top, one panel per run.

``boundary_chart`` draws the whole chart; a live view calls ``boundary_frame`` and
``boundary_view`` apart (see charts/training.py). Pure: altair, numpy and pandas only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from charts.style import (
    BOUNDARY_SIZE,
    DARK,
    DIVERGING,
    DIVERGING_REGRESSION,
    MAX_ROWS,
    PANEL_WIDTH,
    filled_by,
    run_panels,
    run_title,
    runs_in,
    sized,
)


def _edges(centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges halfway between neighbouring grid centres, so the rects tile without gaps."""
    u = np.unique(centres)
    step = np.diff(u)
    first, last = (step[0], step[-1]) if len(step) else (1.0, 1.0)
    edges = np.concatenate([[u[0] - first / 2], (u[:-1] + u[1:]) / 2, [u[-1] + last / 2]])
    i = np.searchsorted(u, centres)
    return edges[i], edges[i + 1]


def _cells(grid: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for run, part in grid.groupby(grid["run"].astype(str), sort=True):
        x0_lo, x0_hi = _edges(part["x0"].to_numpy(float))
        x1_lo, x1_hi = _edges(part["x1"].to_numpy(float))
        parts.append(
            pd.DataFrame(
                {
                    "run": run,
                    "x0": part["x0"].to_numpy(float),
                    "x1": part["x1"].to_numpy(float),
                    "value": part["value"].to_numpy(float),
                    "x0_lo": x0_lo,
                    "x0_hi": x0_hi,
                    "x1_lo": x1_lo,
                    "x1_hi": x1_hi,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _value_scale(cells: pd.DataFrame, points: pd.DataFrame, kind: str) -> alt.Scale:
    if kind == "binary":
        return alt.Scale(scheme=DIVERGING, domain=[0, 1], domainMid=0.5)
    # Anchored on the targets: a wild prediction saturates rather than washing the map out.
    values = points["label"] if len(points) else cells["value"]
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return alt.Scale(
        scheme=DIVERGING_REGRESSION, domain=[lo, hi], domainMid=(lo + hi) / 2, clamp=True
    )


def _extent(*columns: pd.Series) -> list[float]:
    values = pd.concat(columns, ignore_index=True)
    return [float(values.min()), float(values.max())]


def boundary_chart(
    grid: pd.DataFrame, points: pd.DataFrame, labels: Mapping[str, str], kind: str
) -> alt.TopLevelMixin:
    """The model's output over the input plane with the data points on top.

    ``kind`` "binary": the output is a probability, coloured on a diverging scheme centred at
    0.5; "regression": any real, on a diverging scheme spanning the targets. Train points are
    circles and test points diamonds, both outlined in dark. Several runs: one panel per run,
    same scales.
    """
    frame, shape = boundary_frame(grid, points, labels, kind)
    return boundary_view(shape, labels, frame)


def boundary_frame(
    grid: pd.DataFrame, points: pd.DataFrame, labels: Mapping[str, str], kind: str
) -> tuple[pd.DataFrame, tuple]:
    """The surface's cells, and the shape (see ``loss_frame``), which holds the points: they
    do not change while a run trains, the surface does."""
    if kind not in ("binary", "regression"):
        raise ValueError(f"kind must be 'binary' or 'regression', not {kind!r}")
    if not len(grid):
        raise ValueError("the grid is empty: there is no model output to draw")
    cells = _cells(_coarser(grid))
    splits = {"train": labels["train"], "test": labels["test"]}
    dots = points.assign(split=points["split"].map(splits))
    scale = json.dumps(_value_scale(cells, dots, kind).to_dict(), sort_keys=True)
    x_domain = _extent(cells["x0_lo"], cells["x0_hi"], dots["x0"])
    y_domain = _extent(cells["x1_lo"], cells["x1_hi"], dots["x1"])
    return cells, (_Frozen(dots), tuple(x_domain), tuple(y_domain), scale, tuple(runs_in(cells)))


def _coarser(grid: pd.DataFrame) -> pd.DataFrame:
    """The grid at a resolution whose cells, over all runs, Altair accepts: four runs of a
    40 x 40 grid are 6,400 cells; every run keeps an evenly spaced k x k subset of its points."""
    runs = max(1, grid["run"].nunique())
    if len(grid) <= MAX_ROWS:
        return grid
    k = int((MAX_ROWS // runs) ** 0.5)

    def spaced(values: pd.Series) -> np.ndarray:
        distinct = np.unique(values.to_numpy())
        return distinct[np.unique(np.linspace(0, len(distinct) - 1, k).round().astype(int))]

    return grid[grid["x0"].isin(spaced(grid["x0"])) & grid["x1"].isin(spaced(grid["x1"]))]


class _Frozen:
    """A frame in a chart's shape: equal to another when the rows are."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._key = (tuple(frame.columns), int(pd.util.hash_pandas_object(frame).sum()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)


@sized
def boundary_view(
    shape: tuple, labels: Mapping[str, str], source: pd.DataFrame | alt.NamedData
) -> alt.TopLevelMixin:
    """The boundary chart of a given shape over ``source``, the cells (see ``loss_view``)."""
    frozen, x_domain, y_domain, scale_json, runs = shape
    dots = frozen.frame
    splits = {"train": labels["train"], "test": labels["test"]}
    scale = alt.Scale.from_dict(json.loads(scale_json))
    x = {"title": labels["x0"], "scale": alt.Scale(domain=list(x_domain), nice=False, zero=False)}
    y = {"title": labels["x1"], "scale": alt.Scale(domain=list(y_domain), nice=False, zero=False)}
    legend_title = labels["prediction"]  # one legend: surface and points share the scale

    def panel(run: str) -> alt.LayerChart:
        surface = (
            alt.Chart(source)
            .transform_filter(alt.datum.run == run)
            .encode(
                x=alt.X("x0_lo:Q", **x),
                x2="x0_hi:Q",
                y=alt.Y("x1_lo:Q", **y),
                y2="x1_hi:Q",
                tooltip=[
                    alt.Tooltip("x0:Q", title=labels["x0"], format=".2f"),
                    alt.Tooltip("x1:Q", title=labels["x1"], format=".2f"),
                    alt.Tooltip("value:Q", title=labels["prediction"], format=".3f"),
                ],
            )
        )
        surface = filled_by(surface, "value", legend_title, scale)
        mine = dots[dots["run"].astype(str) == run] if "run" in dots.columns else dots
        data = alt.Chart(mine).encode(
            x=alt.X("x0:Q", **x),
            y=alt.Y("x1:Q", **y),
            color=alt.Color("label:Q", title=legend_title, scale=scale),
            shape=alt.Shape(
                "split:N",
                title=labels["split"],
                scale=alt.Scale(domain=list(splits.values()), range=["circle", "diamond"]),
            ),
            tooltip=[
                alt.Tooltip("split:N", title=labels["split"]),
                alt.Tooltip("x0:Q", title=labels["x0"], format=".2f"),
                alt.Tooltip("x1:Q", title=labels["x1"], format=".2f"),
                alt.Tooltip("label:Q", title=labels["label"], format=".3g"),
            ],
        )
        return alt.layer(
            surface.mark_rect(strokeWidth=1),
            data.mark_point(filled=True, size=40, stroke=DARK, strokeWidth=0.8),
        )

    if len(runs) == 1:
        size = {"width": BOUNDARY_SIZE, "height": BOUNDARY_SIZE}
        return panel(runs[0]).properties(title=labels["title_boundary"], **size)
    size = {"width": PANEL_WIDTH, "height": PANEL_WIDTH}
    charts = [panel(r).properties(title=run_title(labels, r), **size) for r in runs]
    return run_panels(
        charts, labels["title_boundary"], x="shared", y="shared", color="shared", stroke="shared"
    )
