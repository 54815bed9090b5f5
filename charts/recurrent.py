"""Recurrent nets: the gradient through time (‖∂loss/∂x_t‖ against t at the latest record, and
as a t x step heatmap) and each LSTM layer's mean forget gate over training.

The loss and per-layer gradient-norm charts of a recurrent run are those of charts/training.py
and charts/gradients.py. Pure: altair, numpy and pandas only.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from charts.style import (
    MAX_ROWS,
    PANEL_HEIGHT,
    PANEL_WIDTH,
    SEQUENTIAL,
    bin_steps,
    fade,
    filled_by,
    fit_rows,
    hover_points,
    log_floor,
    log_scale,
    lone_points,
    metric_rows,
    run_color,
    run_panels,
    run_title,
    runs_in,
    sized,
    spread_layers,
    step_x,
    tall_enough,
)


@sized
def time_grad_chart(metrics: pd.DataFrame, labels: Mapping[str, str]) -> alt.TopLevelMixin:
    """‖∂loss/∂x_t‖ against t at each run's latest record, one line per run, log scale: a
    SimpleRNN's line falls toward early t (vanishing through time), an LSTM's stays up."""
    rows = metrics[metrics["name"] == "input_grad_norm"]
    last = rows.groupby("run")["step"].transform("max")
    rows = rows[rows["step"] == last]
    floor = log_floor(rows["value"])
    df = pd.DataFrame(
        {
            "run": rows["run"].astype(str),
            "step": rows["step"].astype("int64"),
            "t": rows["t"].astype("int64"),
            "value": rows["value"].astype(float),
            "plot_value": rows["value"].astype(float).clip(lower=floor),
        }
    )
    runs = runs_in(df)
    pick = alt.selection_point(fields=["run"], bind="legend")
    base = alt.Chart(df).encode(
        x=alt.X("t:Q", title=labels["t"]),
        y=alt.Y("plot_value:Q", title=labels["input_grad_norm"], scale=log_scale(floor)),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("t:Q", title=labels["t"]),
            alt.Tooltip("value:Q", title=labels["input_grad_norm"], format=".3g"),
        ],
    )
    lines = base.mark_line().encode(
        color=run_color(labels, runs, runs_in(metrics)),
        opacity=fade(pick),
        tooltip=[alt.Tooltip("run:N", title=labels["run"])],
    )
    return alt.layer(lines.add_params(pick), hover_points(base)).properties(
        title=labels["title_time_grad"], width="container", height=PANEL_HEIGHT
    )


@sized
def time_grad_heatmap(
    metrics: pd.DataFrame, labels: Mapping[str, str], max_bins: int = 60
) -> alt.TopLevelMixin:
    """t x step heatmap of log10 ‖∂loss/∂x_t‖, one panel per run on one colour scale: the
    gradient that reaches early time steps, and how training changes it."""
    rows = metrics[metrics["name"] == "input_grad_norm"]
    rows = pd.DataFrame(
        {
            "run": rows["run"].astype(str),
            "step": rows["step"].astype("int64"),
            "t": rows["t"].astype("int64"),
            "value": rows["value"].astype(float),
        }
    )
    # Time steps in bins of `width` when there are many (seq_len reaches 500), then step bins
    # so that step bins x time bins x runs stays within what Altair accepts.
    runs = max(1, rows["run"].nunique())
    width = max(1, -(-rows["t"].nunique() * runs * 20 // MAX_ROWS)) if len(rows) else 1
    rows = rows.assign(t=rows["t"] // width * width)
    t_bins = max(1, rows["t"].nunique())
    bins = max(1, min(max_bins, MAX_ROWS // (t_bins * runs)))
    df = (
        bin_steps(rows, bins, by=("t",))
        if len(rows)
        else rows.assign(log10=[], step_start=[], step_end=[])
    )
    df = df.assign(t_end=df["t"] + width)
    scale = alt.Scale(scheme=SEQUENTIAL)

    def panel(run: str) -> alt.Chart:
        rects = (
            alt.Chart(df)
            .transform_filter(alt.datum.run == run)
            .mark_rect(strokeWidth=1)
            .encode(
                x=step_x("step_start:Q", labels),
                x2="step_end:Q",
                y=alt.Y("t:Q", title=labels["t"]),
                y2="t_end:Q",
                tooltip=[
                    alt.Tooltip("run:N", title=labels["run"]),
                    alt.Tooltip("t:Q", title=labels["t"]),
                    alt.Tooltip("step_start:Q", title=labels["step"]),
                    alt.Tooltip("log10:Q", title=labels["log10_input_grad_norm"], format=".2f"),
                ],
            )
            .properties(title=run_title(labels, run), width=PANEL_WIDTH, height=PANEL_HEIGHT)
        )
        return filled_by(rects, "log10", labels["log10_input_grad_norm"], scale)

    charts = [panel(r) for r in runs_in(df)] or [panel("")]
    return run_panels(
        charts,
        labels["title_time_heatmap"],
        x="shared",
        y="shared",
        color="shared",
        stroke="shared",
    )


@sized
def forget_gate_chart(metrics: pd.DataFrame, labels: Mapping[str, str]) -> alt.TopLevelMixin:
    """Each LSTM layer's mean forget gate over training (0..1), colour = run, dash = layer:
    near 1 the cell state carries information across time steps."""
    rows = fit_rows(spread_layers(metric_rows(metrics, ("forget_gate_mean",))), ["run", "layer"])
    runs = runs_in(rows)
    # Only LSTMs have a forget gate: their colours are those they have in the page's other charts.
    color = run_color(labels, runs, runs_in(metrics))
    pick = alt.selection_point(fields=["run"], bind="legend")
    base = alt.Chart(rows).encode(
        x=step_x("step:Q", labels),
        y=alt.Y("value:Q", title=labels["forget_gate_mean"], scale=alt.Scale(domain=[0, 1])),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("layer:N", title=labels["layer"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("value:Q", title=labels["forget_gate_mean"], format=".3f"),
        ],
    )
    lines = base.mark_line().encode(
        color=color,
        strokeDash=alt.StrokeDash("layer:N", title=labels["layer"]),
        opacity=fade(pick),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("layer:N", title=labels["layer"]),
        ],
    )
    points = lone_points(base, ["run", "layer"], color=color)
    height = tall_enough(len(runs), rows["layer"].nunique())
    return alt.layer(lines.add_params(pick), points, hover_points(base)).properties(
        title=labels["title_forget_gate"], width="container", height=height
    )
