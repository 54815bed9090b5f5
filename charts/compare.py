"""Comparing saved runs: linked views of several runs (the Compare page), an overview strip of
the loss that selects a step range, and below it, zoomed to that range, the loss and validation
loss, the gradient norm of one layer and each run's layer x step heatmap.

Pure: altair, numpy and pandas only.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from charts.gradients import grad_heatmap_frame, heatmap_panel
from charts.style import (
    DASHED,
    PANEL_HEIGHT,
    PANEL_WIDTH,
    SEQUENTIAL,
    SOLID,
    WIDE_WIDTH,
    fade,
    fit_rows,
    hover_points,
    layers_by_depth,
    log_floor,
    log_scale,
    metric_rows,
    run_color,
    run_panels,
    run_title,
    runs_in,
    sized,
    step_x,
)


@sized
def compare_chart(
    metrics: pd.DataFrame, labels: Mapping[str, str], depth: int = 0
) -> alt.TopLevelMixin:
    """Linked views of several runs (column ``run``): an overview strip of the loss where
    dragging selects a step range, and below it the loss and val loss, the gradient norm of
    the layer at ``depth`` and each run's layer x step heatmap (one colour scale), all zoomed
    to that range. Clicking a legend entry highlights a run in every view."""
    rows = metric_rows(metrics, ("loss", "val_loss", "grad_norm"))
    runs = runs_in(rows)
    split = [labels["train"], labels["validation"]]
    losses = rows[rows["name"].isin(["loss", "val_loss"])]
    losses = losses[["run", "step", "value"]].assign(
        split=np.where(losses["name"] == "val_loss", split[1], split[0])
    )
    losses = fit_rows(losses, ["run", "split"])
    grads = rows[(rows["name"] == "grad_norm") & (rows["depth"] == depth)]
    floor = log_floor(grads["value"])
    grads = grads[["run", "step", "layer", "depth", "value"]].assign(
        plot_value=grads["value"].clip(lower=floor)
    )
    grads = fit_rows(grads, ["run", "layer"])
    brush = alt.selection_interval(encodings=["x"])
    pick = alt.selection_point(fields=["run"], bind="legend")
    color = run_color(labels, runs)
    dash = alt.StrokeDash(
        "split:N", title=labels["split"], scale=alt.Scale(domain=split, range=[SOLID, DASHED])
    )
    tips = [
        alt.Tooltip("run:N", title=labels["run"]),
        alt.Tooltip("step:Q", title=labels["step"]),
        alt.Tooltip("value:Q", title=labels["value"], format=".4g"),
    ]
    step = step_x("step:Q", labels)
    zoomed = step_x("step:Q", labels, scale=alt.Scale(domain=brush))
    overview = (
        alt.Chart(losses)
        .transform_filter(alt.datum.split == split[0])
        .mark_line()
        .encode(x=step, y=alt.Y("value:Q", title=labels["loss"]), color=color, tooltip=tips)
        .add_params(brush)
        .properties(title=labels["title_compare_overview"], width=WIDE_WIDTH, height=70)
    )
    loss_base = alt.Chart(losses).encode(
        x=zoomed,
        y=alt.Y("value:Q", title=labels["loss"]),
        tooltip=[*tips, alt.Tooltip("split:N", title=labels["split"])],
    )
    loss = alt.layer(
        loss_base.mark_line(clip=True)
        .encode(color=color, strokeDash=dash, opacity=fade(pick))
        .add_params(pick),
        hover_points(loss_base),
    ).properties(title=labels["title_compare_loss"], width=WIDE_WIDTH, height=PANEL_HEIGHT)
    grad_base = alt.Chart(grads).encode(
        x=zoomed,
        y=alt.Y("plot_value:Q", title=labels["grad_norm"], scale=log_scale(floor)),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("layer:N", title=labels["layer"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("value:Q", title=labels["grad_norm"], format=".3g"),
        ],
    )
    grad = alt.layer(
        grad_base.mark_line(clip=True).encode(color=color, opacity=fade(pick)),
        hover_points(grad_base),
    ).properties(
        title=f"{labels['title_compare_grad']} {depth}", width=WIDE_WIDTH, height=PANEL_HEIGHT
    )
    heatmaps = _compare_heatmaps(metrics, labels, brush, pick)
    # Colour is resolved per view: the runs' colours agree anyway (one sorted domain), and the
    # heatmaps' colour is log10 of the gradient norm, shared among their panels only.
    return alt.vconcat(overview, loss, grad, heatmaps).resolve_scale(color="independent")


def _compare_heatmaps(
    metrics: pd.DataFrame, labels: Mapping[str, str], brush: alt.Parameter, pick: alt.Parameter
) -> alt.ConcatChart:
    """compare_chart's layer x step heatmaps: one panel per run on one colour scale, zoomed by
    the overview's brush and faded with the legend's pick like the other views."""
    frame, (_, runs) = grad_heatmap_frame(metrics, labels)
    height = max(PANEL_HEIGHT // 2, 22 * max(frame.groupby("run")["layer"].nunique(), default=1))
    scale = alt.Scale(scheme=SEQUENTIAL)

    def panel(run: str) -> alt.Chart:
        # its own layers, input at the bottom
        y_order = layers_by_depth(frame[frame["run"] == run])[::-1]
        return heatmap_panel(frame, labels, scale, y_order, run, brush, pick).properties(
            title=run_title(labels, run), width=PANEL_WIDTH, height=height
        )

    # y per panel: runs of different depths each list their own layers, output on top
    return run_panels(
        [panel(r) for r in runs], labels["title_heatmap"], y="independent", color="shared",
        stroke="shared",
    )  # fmt: skip
