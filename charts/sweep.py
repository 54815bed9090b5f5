"""Sweeps: the result grid of a sweep over one or two config fields (one cell per combination,
coloured by the mean over seeds) and, for a one-field sweep, the final validation accuracy and
the parameter count per value side by side.

Pure: altair, numpy and pandas only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from charts.style import DARK, PANEL_HEIGHT, PANEL_WIDTH, SEQUENTIAL, log_floor, log_scale, sized


@sized
def sweep_chart(
    results: pd.DataFrame,
    fields: Sequence[str],
    labels: Mapping[str, str],
    metric: str,
    field_titles: Mapping[str, str],
) -> alt.TopLevelMixin:
    """The result grid of a sweep: one cell per combination of the swept fields' values,
    coloured by ``metric`` (``val_loss`` or ``grad_first``, the mean over seeds, log scale) and
    labelled "mean ± spread". One field: a single row. ``field_titles``: each field's name as
    the page shows it."""
    if metric not in ("val_loss", "grad_first"):
        raise ValueError(f"metric must be 'val_loss' or 'grad_first', not {metric!r}")
    title = labels[f"{metric}_mean"]
    # Config paths ("model.depth") become plain column names: Vega-Lite reads a dot in a field
    # name as nested access, and every cell would land on one "undefined" column.
    columns = [f"swept_{i}" for i in range(len(fields))]
    names = {c: field_titles[f] for c, f in zip(columns, fields, strict=True)}
    df = results.rename(columns=dict(zip(fields, columns, strict=True)))
    fields = columns
    for f in fields:
        df[f] = df[f].astype(str)
    value = df[metric].astype(float)
    floor = log_floor(value.dropna())
    plot_value = value.clip(lower=floor)
    # Dark text on the light half of the colour scale, white on the dark half (viridis is dark
    # at the low end), so every cell's label stays readable.
    logs = np.log10(plot_value)
    middle = (logs.min() + logs.max()) / 2
    df = df.assign(
        plot_value=plot_value,
        tone=np.where(logs > middle, "dark", "light"),
        text=[
            "" if pd.isna(m) else f"{m:.3g} ± {sd:.2g}"
            for m, sd in zip(df[metric], df[f"{metric}_sd"], strict=True)
        ],
    )
    x = alt.X(
        f"{fields[0]}:O",
        title=names[fields[0]],
        sort=list(dict.fromkeys(df[fields[0]])),
        axis=alt.Axis(labelAngle=0),
    )
    enc: dict[str, Any] = {"x": x}
    if len(fields) > 1:
        order = list(dict.fromkeys(df[fields[1]]))
        enc["y"] = alt.Y(f"{fields[1]}:O", title=names[fields[1]], sort=order)
    tips = [alt.Tooltip(f"{f}:N", title=names[f]) for f in fields] + [
        alt.Tooltip(f"{metric}:Q", title=title, format=".4g"),
        alt.Tooltip(f"{metric}_sd:Q", title=labels["spread"], format=".3g"),
    ]
    base = alt.Chart(df).encode(**enc, tooltip=tips)
    log_colour = alt.Scale(type="log", scheme=SEQUENTIAL)
    rects = base.mark_rect().encode(
        color=alt.Color(
            "plot_value:Q", title=title, scale=log_colour, legend=alt.Legend(format=".3g")
        )
    )
    tones = alt.Scale(domain=["dark", "light"], range=[DARK, "white"])
    text = base.mark_text(fontSize=11).encode(
        text="text:N", color=alt.Color("tone:N", scale=tones, legend=None)
    )
    rows = df[fields[1]].nunique() if len(fields) > 1 else 1
    return alt.layer(rects, text).properties(
        title=labels["title_sweep"],
        width=max(PANEL_WIDTH, 90 * df[fields[0]].nunique()),
        height=max(60, 40 * rows),
    )


@sized
def sweep_lines_chart(
    results: pd.DataFrame, field: str, labels: Mapping[str, str], field_title: str
) -> alt.TopLevelMixin:
    """A one-field sweep's final val accuracy (mean ± spread over seeds is in the table) and the
    model's parameter count per value, side by side on the same x: what each step up buys."""
    df = results.rename(columns={field: "swept"}).assign(swept=lambda d: d["swept"].astype(str))[
        ["swept", "val_accuracy", "params"]
    ]
    order = list(dict.fromkeys(df["swept"]))
    x = alt.X("swept:O", title=field_title, sort=order, axis=alt.Axis(labelAngle=0))
    panels = []
    for column, title, scale in (
        ("val_accuracy", labels["val_accuracy_mean"], alt.Scale(zero=False)),
        ("params", labels["params"], log_scale(log_floor(df["params"]))),
    ):
        base = alt.Chart(df).encode(
            x=x,
            y=alt.Y(f"{column}:Q", title=title, scale=scale),
            tooltip=[
                alt.Tooltip("swept:N", title=field_title),
                alt.Tooltip(f"{column}:Q", title=title, format=".4g"),
            ],
        )
        panels.append(
            alt.layer(base.mark_line(), base.mark_circle(size=60)).properties(
                width=PANEL_WIDTH + 60, height=PANEL_HEIGHT - 40
            )
        )
    return alt.hconcat(*panels, title=labels["title_sweep_lines"])
