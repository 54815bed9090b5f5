"""How a run trains: the loss and validation loss over steps, with accuracy when it was
recorded, and the reference losses (the trivial baseline, the noise floor) as labelled rules.

``loss_chart`` draws the whole chart; a live view calls ``loss_frame`` (rows and shape) and
``loss_view`` (the spec of a shape over named data) apart, so that only the rows change while a
run trains (see charts/vega.py). Pure: altair, numpy and pandas only.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from charts.style import (
    DARK,
    DASHED,
    PANEL_HEIGHT,
    RUN_COLOURS,
    SOLID,
    WIDE_WIDTH,
    fade,
    fit_rows,
    hover_points,
    lone_points,
    metric_rows,
    run_color,
    runs_in,
    sized,
    step_x,
)


def loss_chart(
    metrics: pd.DataFrame,
    labels: Mapping[str, str],
    baseline: float | None = None,
    floor: float | None = None,
) -> alt.TopLevelMixin:
    """Loss and validation loss vs step; a second panel for accuracy when it was recorded.

    One run: colour = split. Several runs: colour = run, so the runs overlay. Train lines are
    solid and validation lines dashed. Each panel has its own legend; clicking an entry
    highlights it in both. ``baseline``: the loss of a model that ignores its input, drawn as
    a labelled rule (the line to beat);
    ``floor``: the lowest loss any model can reach at the data's noise level (a second rule).
    """
    frame, shape = loss_frame(metrics, labels, baseline, floor)
    return loss_view(shape, labels, frame)


def loss_frame(
    metrics: pd.DataFrame,
    labels: Mapping[str, str],
    baseline: float | None = None,
    floor: float | None = None,
) -> tuple[pd.DataFrame, tuple]:
    """The loss chart's data, and its shape: what the spec depends on besides the rows.

    A live view keeps the spec of a shape and only swaps the data (see ``loss_view``).
    """
    order = ["loss", "val_loss", "accuracy", "val_accuracy"]
    rows = metric_rows(metrics, order)
    names = sorted(set(rows["name"]), key=order.index)
    split = [labels["train"], labels["validation"]]
    df = rows[["run", "step", "value"]].assign(
        metric=rows["name"].map({n: labels[n] for n in names}),
        split=np.where(rows["name"].str.startswith("val_"), split[1], split[0]),
        panel=rows["name"].str.removeprefix("val_"),
    )
    df = fit_rows(df, ["run", "metric"])
    return df, (tuple(names), tuple(runs_in(df)), baseline, floor)


@sized
def loss_view(
    shape: tuple, labels: Mapping[str, str], source: pd.DataFrame | alt.NamedData
) -> alt.TopLevelMixin:
    """The loss chart of a given shape over ``source``: the frame from ``loss_frame``, or a
    reference to a dataset that holds it."""
    names, runs, baseline, floor = shape
    split = [labels["train"], labels["validation"]]
    several = len(runs) > 1
    key = "run" if several else "split"
    panels = ["loss", *(["accuracy"] if {"accuracy", "val_accuracy"} & set(names) else [])]
    # Each panel has its own legend, listing what it draws (the loss legend listed accuracy,
    # the accuracy panel had none), and its own legend selection; what is picked in either
    # legend (a run, or one run's train or validation split) is highlighted in both panels.
    picks = {n: alt.selection_point(fields=[key], bind="legend", name=f"pick_{n}") for n in panels}
    picked = functools.reduce(operator.and_, picks.values())
    base = alt.Chart(source).encode(
        x=step_x("step:Q", labels),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("metric:N", title=labels["metric"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("value:Q", title=labels["value"], format=".4g"),
        ],
    )

    def splits(name: str) -> list[str]:
        """The splits a panel draws: one run's colour legend lists only these."""
        drawn = [n for n in names if n.removeprefix("val_") == name]
        return split if several else [split[n.startswith("val_")] for n in drawn]

    def colour(name: str) -> alt.Color:
        if several:
            return run_color(labels, runs)
        # One run: colour and dash both tell train from validation (one legend, and the
        # splits told apart without colour too).
        domain = splits(name)
        scale = alt.Scale(domain=domain, range=[RUN_COLOURS[split.index(d)] for d in domain])
        # Line symbols: a merged colour and dash legend drew its entries as dashed circles.
        legend = alt.Legend(symbolType="stroke")
        return alt.Color("split:N", title=labels["split"], sort=domain, scale=scale, legend=legend)

    def panel(name: str, title: str, y: alt.Y) -> alt.LayerChart:
        part = base.transform_filter(alt.datum.panel == name).encode(y=y)
        lines = part.mark_line().encode(
            color=colour(name),
            strokeDash=alt.StrokeDash(
                "split:N",
                title=labels["split"],
                scale=alt.Scale(
                    domain=splits(name),
                    range=[[SOLID, DASHED][split.index(d)] for d in splits(name)],
                ),
            ),
            opacity=fade(picked),
            tooltip=[
                alt.Tooltip("run:N", title=labels["run"]),
                alt.Tooltip("metric:N", title=labels["metric"]),
            ],
        )
        owner = lines.add_params(picks[name])
        extra = []
        if name == "loss":
            for value, text in ((baseline, "baseline"), (floor, "noise_floor")):
                if value:
                    below = text == "noise_floor"  # its label under its rule, clear of the other
                    extra += _reference_layers(value, labels[text], labels, below)
        series = list(dict.fromkeys([key, "split"]))
        points = lone_points(part, series, color=colour(name), opacity=fade(picked))
        return alt.layer(owner, points, hover_points(part), *extra, title=title)

    loss = panel("loss", labels["title_loss"], alt.Y("value:Q", title=labels["loss"]))
    if len(panels) == 1:
        return loss.properties(width="container", height=PANEL_HEIGHT)
    unit = alt.Scale(domain=[0, 1])
    accuracy = panel(
        "accuracy", labels["title_accuracy"], alt.Y("value:Q", title=labels["accuracy"], scale=unit)
    )
    size = {"width": WIDE_WIDTH, "height": PANEL_HEIGHT}
    return alt.vconcat(loss.properties(**size), accuracy.properties(**size)).resolve_scale(
        color="independent", strokeDash="independent"
    )


def _reference_layers(
    value: float, name: str, labels: Mapping[str, str], below: bool = False
) -> list[alt.Chart]:
    """A labelled horizontal rule at a reference loss (the trivial baseline, the noise floor);
    the label sits above the rule, or ``below`` it (two close rules keep their labels apart)."""
    df = pd.DataFrame({"value": [float(value)], "text": [f"{name} {value:.3g}"]})
    base = alt.Chart(df).encode(
        y=alt.Y("value:Q", title=labels["loss"]),
        tooltip=[alt.Tooltip("value:Q", title=name, format=".4g")],
    )
    return [
        base.mark_rule(color=DARK, strokeDash=[2, 2]),
        base.mark_text(
            align="left",
            baseline="top" if below else "bottom",
            dx=4,
            dy=2 if below else -2,
            color=DARK,
        ).encode(x=alt.value(0), text="text:N"),
    ]
