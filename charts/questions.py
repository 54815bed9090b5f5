"""The Questions cards' charts: the recorded metric a verdict reads, one series per run.

``evidence_chart`` picks the chart for what a verdict reads: the loss chart (charts/training.py)
and the per-layer gradient-norm chart (charts/gradients.py) for ``loss`` and ``grad_norm``, the
per-layer bars at the first step for ``grad_norm_first``, and ``run_lines_chart`` (one line per
run, the mean over layers where the metric is per layer) for the rest. Pure: tidy frame -> chart.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from charts.gradients import grad_norm_chart, layer_bars
from charts.style import FADED, PANEL_HEIGHT, STEP_AXIS, fit_rows, run_colours
from charts.training import loss_chart

UNIT_METRICS = ("dead_fraction", "saturated_fraction", "accuracy", "val_accuracy")  # in [0, 1]
RUN_LINE_METRICS = ("dead_fraction", "val_loss", "val_accuracy")  # titled title_runs_<name>
LABEL_KEYS: tuple[str, ...] = (
    *(f"title_runs_{m}" for m in RUN_LINE_METRICS),
    "title_first_step_grad",
)


def evidence_chart(
    metrics: pd.DataFrame, name: str, labels: Mapping[str, str]
) -> alt.TopLevelMixin | None:
    """The chart of what a verdict reads (``name``) from a card's runs (``metrics``: long form
    with ``run``), or None when no run recorded it (all failed at once, say)."""
    recorded = "grad_norm" if name == "grad_norm_first" else name
    if not (metrics["name"] == recorded).any():
        return None
    if name == "loss":
        # loss and val loss only: an accuracy panel would add a fixed-width second chart
        return loss_chart(metrics[metrics["name"].isin(["loss", "val_loss"])], labels)
    if name == "grad_norm":
        return grad_norm_chart(metrics, labels)
    if name == "grad_norm_first":  # each run's first recorded step, one bar per layer
        grads = metrics[metrics["name"] == "grad_norm"]
        first = grads.groupby("run")["step"].transform("min")
        bars = layer_bars(grads[grads["step"] == first], labels)  # its "latest" is the first
        return bars.properties(title=labels["title_first_step_grad"])
    if name not in RUN_LINE_METRICS:
        raise ValueError(f"no Questions chart for {name!r}")
    return run_lines_chart(metrics, name, labels)


def run_lines_frame(metrics: pd.DataFrame, name: str) -> pd.DataFrame:
    """``run, step, value`` of one metric: the mean over layers at each step, finite values
    only (a diverged run's last records are inf or NaN), at most MAX_ROWS rows."""
    rows = metrics[(metrics["name"] == name) & np.isfinite(metrics["value"].astype(float))]
    frame = rows.groupby(["run", "step"], as_index=False, sort=True)["value"].mean()
    frame = frame.astype({"run": str, "step": "int64", "value": float})
    return fit_rows(frame, ["run"]).reset_index(drop=True)


def run_lines_chart(
    metrics: pd.DataFrame, name: str, labels: Mapping[str, str]
) -> alt.TopLevelMixin:
    """One line per run of a metric over steps, coloured by run with a legend (a click on an
    entry highlights its run). Fractions and accuracies on [0, 1]; losses on a log axis, where
    a run that blew up and one that learned both stay readable. As wide as its column."""
    frame = run_lines_frame(metrics, name)
    # in the order the runs come (a card's order: filters 1, 2, 4, 16), not sorted as text
    present = set(frame["run"])
    runs = [r for r in pd.unique(metrics["run"].astype(str)) if r in present]
    if name in UNIT_METRICS:
        scale = alt.Scale(domain=[0, 1])
    else:
        scale = alt.Scale(type="log")
        frame = frame[frame["value"] > 0]  # a loss of exactly 0 has no place on a log axis
    pick = alt.selection_point(fields=["run"], bind="legend")
    base = alt.Chart(frame).encode(
        x=alt.X("step:Q", title=labels["step"], axis=STEP_AXIS),
        y=alt.Y("value:Q", title=labels[name], scale=scale),
        color=alt.Color("run:N", title=labels["run"], sort=runs, scale=run_colours(runs)),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(FADED)),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("value:Q", title=labels[name], format=".4g"),
        ],
    )
    lines = base.mark_line().add_params(pick)
    points = (  # a run with one finite record has no line: a point, so it is not lost
        base.transform_joinaggregate(records="count()", groupby=["run"])
        .transform_filter(alt.datum.records == 1)
        .mark_circle(size=50, opacity=1)
    )
    return alt.layer(lines, points).properties(
        title=labels[f"title_runs_{name}"],
        width="container",
        height=PANEL_HEIGHT,
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )
