"""Charts of the concept pages (activations, pooling, optimizers): pure functions from the
engine's results (``models.concepts``) to Altair charts. No st.* calls, no I/O.

Like ``charts``, every user-facing string comes from ``labels`` (keys in ``LABEL_KEYS``,
translated in ui/i18n.py under "concept_chart.").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from charts import DARK, DASHED, PANEL_HEIGHT, SEQUENTIAL, SOLID, _hover, _sized

LABEL_KEYS: tuple[str, ...] = (
    "x",
    "value",
    "activation",
    "curve",
    "function",
    "derivative",
    "max_derivative",
    "title_activations",
    "depth",
    "product",
    "bound",
    "bound_max",
    "bound_typical",
    "title_product",
    "row",
    "column",
    "method",
    "step",
    "f",
    "grad_norm",
    "title_paths",
    "title_loss",
    "x1",
    "x2",
    "gd",
    "momentum",
    "adam",
    "newton",
    "filter",
    "weight",
    "kernel_row",
    "kernel_column",
    "title_filters",
)
PATH_COLOURS = {"gd": "#1f77b4", "momentum": "#2ca02c", "adam": "#9467bd", "newton": "#d62728"}


@_sized
def activation_chart(
    result: Mapping[str, Any], names: Mapping[str, str], labels: Mapping[str, str]
) -> alt.TopLevelMixin:
    """Each activation (one panel) and its derivative by autodiff, overlaid; the derivative's
    maximum marked and labelled; y = 0 drawn so zero-centredness shows. ``names``: display names."""
    rows, peaks = [], []
    for act in result["activations"]:
        shown = names[act["name"]]
        for curve, key in ((labels["function"], "f"), (labels["derivative"], "df")):
            rows += [
                {"activation": shown, "curve": curve, "x": x, "value": v}
                for x, v in zip(act["x"], act[key], strict=True)
            ]
        peaks.append(
            {
                "activation": shown,
                "curve": labels["derivative"],
                "x": act["argmax_df"],
                "value": act["max_df"],
                "text": f"{labels['max_derivative']} {act['max_df']:.3g}",
            }
        )
    df = pd.DataFrame(rows)
    top = pd.DataFrame(peaks)
    order = [names[a["name"]] for a in result["activations"]]
    curves = [labels["function"], labels["derivative"]]
    x = alt.X("x:Q", title=labels["x"])
    y = alt.Y("value:Q", title=labels["value"])
    lines = (
        alt.Chart(df)
        .mark_line()
        .encode(
            x=x,
            y=y,
            color=alt.Color("curve:N", title=labels["curve"], sort=curves),
            strokeDash=alt.StrokeDash(
                "curve:N", sort=curves, scale=alt.Scale(domain=curves, range=[SOLID, DASHED]),
                legend=None,
            ),
            tooltip=[alt.Tooltip("curve:N", title=labels["curve"])],
        )
    )  # fmt: skip
    hover = _hover(alt.Chart(df).encode(x=x, y=y)).encode(
        tooltip=[
            alt.Tooltip("curve:N", title=labels["curve"]),
            alt.Tooltip("x:Q", title=labels["x"], format=".3g"),
            alt.Tooltip("value:Q", title=labels["value"], format=".4g"),
        ]
    )
    zero = alt.Chart(pd.DataFrame({"value": [0.0]})).mark_rule(color="#999999").encode(y="value:Q")
    points = (
        alt.Chart(top)
        .mark_point(color=DARK, size=60, filled=True)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("text:N", title=labels["max_derivative"]),
                alt.Tooltip("x:Q", title=labels["x"], format=".3g"),
            ],
        )
    )
    text = points.mark_text(align="left", dx=6, dy=-8, color=DARK).encode(text="text:N")
    panels = []
    for name in order:
        keep = alt.datum.activation == name
        panels.append(
            alt.layer(
                zero,
                lines.transform_filter(keep),
                hover.transform_filter(keep),
                points.transform_filter(keep),
                text.transform_filter(keep),
            ).properties(title=name, width=230, height=PANEL_HEIGHT - 40)
        )
    return alt.concat(*panels, columns=3, title=labels["title_activations"]).resolve_scale(
        y="shared"
    )


@_sized
def product_chart(
    result: Mapping[str, Any], names: Mapping[str, str], labels: Mapping[str, str]
) -> alt.TopLevelMixin:
    """The product of n derivative factors along a path vs n, log scale: at best max f'^n (e.g.
    (1/4)^n for sigmoid), and typically mean f'(x)^n over x ~ N(0, 1)."""
    bounds = {"path_max": labels["bound_max"], "path_typical": labels["bound_typical"]}
    rows = [
        {"activation": names[a["name"]], "bound": bounds[key], "depth": n, "value": v}
        for a in result["activations"]
        for key in bounds
        for n, v in zip(result["depth"], a[key], strict=True)
        if v > 0  # a log axis: ReLU's typical factor is 0.5, never 0; a zero product is omitted
    ]
    df = pd.DataFrame(rows)
    pick = alt.selection_point(fields=["activation"], bind="legend")
    base = alt.Chart(df).encode(
        x=alt.X("depth:Q", title=labels["depth"]),
        y=alt.Y("value:Q", title=labels["product"], scale=alt.Scale(type="log")),
    )
    lines = base.mark_line().encode(
        color=alt.Color("activation:N", title=labels["activation"]),
        strokeDash=alt.StrokeDash(
            "bound:N", title=labels["bound"], sort=list(bounds.values()),
            scale=alt.Scale(domain=list(bounds.values()), range=[SOLID, DASHED]),
        ),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.15)),
        tooltip=[
            alt.Tooltip("activation:N", title=labels["activation"]),
            alt.Tooltip("bound:N", title=labels["bound"]),
        ],
    )  # fmt: skip
    hover = _hover(base).encode(
        tooltip=[
            alt.Tooltip("activation:N", title=labels["activation"]),
            alt.Tooltip("bound:N", title=labels["bound"]),
            alt.Tooltip("depth:Q", title=labels["depth"]),
            alt.Tooltip("value:Q", title=labels["product"], format=".3g"),
        ]
    )
    return alt.layer(lines.add_params(pick), hover).properties(
        title=labels["title_product"], width="container", height=PANEL_HEIGHT + 60
    )


@_sized
def matrix_chart(
    values: Sequence[Sequence[float]],
    title: str,
    labels: Mapping[str, str],
    highlight: Sequence[Sequence[bool]] | None = None,
) -> alt.TopLevelMixin:
    """A small matrix drawn as cells with their numbers (row 0 at the top). ``highlight``:
    cells to outline (e.g. each pooling window's arg-max)."""
    rows = [
        {
            "row": i,
            "column": j,
            "value": float(v),
            "text": f"{v:.3g}",
            "mark": bool(highlight[i][j]) if highlight is not None else False,
        }
        for i, line in enumerate(values)
        for j, v in enumerate(line)
    ]
    df = pd.DataFrame(rows)
    lo, hi = df["value"].min(), df["value"].max()
    df["tone"] = ["light" if hi > lo and v > (lo + hi) / 2 else "dark" for v in df["value"]]
    size = 44
    base = alt.Chart(df).encode(
        x=alt.X("column:O", title=labels["column"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("row:O", title=labels["row"]),
        tooltip=[
            alt.Tooltip("row:O", title=labels["row"]),
            alt.Tooltip("column:O", title=labels["column"]),
            alt.Tooltip("value:Q", title=labels["value"], format=".4g"),
        ],
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "value:Q", title=labels["value"], scale=alt.Scale(scheme="blues"), legend=None
        ),
        strokeWidth=alt.condition(alt.datum.mark, alt.value(3), alt.value(0.5)),
        stroke=alt.condition(alt.datum.mark, alt.value("#d62728"), alt.value("white")),
    )
    # white numbers on the dark half of the scale, dark ones on the light half
    tones = alt.Scale(domain=["dark", "light"], range=[DARK, "white"])
    text = base.mark_text(fontSize=12).encode(
        text="text:N", color=alt.Color("tone:N", scale=tones, legend=None)
    )
    return alt.layer(cells, text).properties(
        title=title,
        width=size * len(values[0]),
        height=size * len(values),
    )


@_sized
def paths_chart(
    result: Mapping[str, Any], labels: Mapping[str, str], width: int = 360
) -> alt.TopLevelMixin:
    """The function over the plane (colour, symmetric-log scale) with each method's path drawn
    over it and (when known) the minimum marked. The methods' colours are those of
    ``path_loss_chart``, whose legend names them."""
    grid = pd.DataFrame(result["grid"])
    step = float(sorted(set(grid["x"]))[1] - sorted(set(grid["x"]))[0])
    grid = grid.assign(x2=grid["x"] + step, y2=grid["y"] + step)
    surface = (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("x:Q", title=labels["x1"], scale=alt.Scale(domain=_extent(grid["x"], step))),
            y=alt.Y("y:Q", title=labels["x2"], scale=alt.Scale(domain=_extent(grid["y"], step))),
            x2="x2:Q",
            y2="y2:Q",
            # filled contours: f in bands whose edges are evenly spaced in symlog(f)
            color=alt.Color(
                "f:Q",
                title=labels["f"],
                scale=alt.Scale(type="threshold", domain=_levels(grid["f"]), scheme=SEQUENTIAL),
            ),
            tooltip=[
                alt.Tooltip("x:Q", title=labels["x1"], format=".2f"),
                alt.Tooltip("y:Q", title=labels["x2"], format=".2f"),
                alt.Tooltip("f:Q", title=labels["f"], format=".3g"),
            ],
        )
    )
    lo, hi = float(grid["x"].min()), float(grid["x"].max() + step)
    rows = [
        {**r, "method": labels[p["method"]]}
        for p in result["paths"]
        for r in p["rows"]
        if lo <= r["x"] <= hi and lo <= r["y"] <= float(grid["y"].max() + step)
    ]
    path_df = pd.DataFrame(rows, columns=["step", "x", "y", "f", "grad_norm", "method"])
    methods = [labels[p["method"]] for p in result["paths"]]
    colours = [PATH_COLOURS[p["method"]] for p in result["paths"]]
    colour = alt.Color(
        "method:N",
        title=labels["method"],
        scale=alt.Scale(domain=methods, range=colours),
        legend=None,
    )
    base = alt.Chart(path_df).encode(x="x:Q", y="y:Q")
    line = base.mark_line(strokeWidth=2).encode(
        color=colour, order="step:Q", tooltip=[alt.Tooltip("method:N", title=labels["method"])]
    )
    dots = base.mark_circle(size=30, stroke="white", strokeWidth=0.5).encode(
        color=colour,
        tooltip=[
            alt.Tooltip("method:N", title=labels["method"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("f:Q", title=labels["f"], format=".4g"),
            alt.Tooltip("grad_norm:Q", title=labels["grad_norm"], format=".3g"),
        ],
    )
    layers = [surface, line, dots]
    if result.get("minimum") is not None:
        mx, my = result["minimum"]
        minimum = pd.DataFrame({"x": [mx], "y": [my]})
        layers.append(
            alt.Chart(minimum).mark_point(shape="cross", size=150, color="white", filled=True)
            .encode(x="x:Q", y="y:Q")
        )  # fmt: skip
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(title=labels["title_paths"], width=width, height=width)
    )


def _levels(values: pd.Series, bands: int = 12) -> list[float]:
    """The inner edges of `bands` contour bands, evenly spaced in sign(f) log10(1 + |f|) (so
    a function spanning decades gets bands near its minimum too), rounded to 2 digits."""
    sym = np.sign(values) * np.log10(1 + np.abs(values))
    edges = np.linspace(float(sym.min()), float(sym.max()), bands + 1)[1:-1]
    raw = np.sign(edges) * (10 ** np.abs(edges) - 1)
    return sorted({float(f"{v:.2g}") for v in raw})


def _extent(values: pd.Series, step: float) -> list[float]:
    return [float(values.min()), float(values.max() + step)]


@_sized
def path_loss_chart(result: Mapping[str, Any], labels: Mapping[str, str]) -> alt.TopLevelMixin:
    """f vs iteration for each method (symmetric-log scale: f may be negative at a saddle)."""
    rows = [{**r, "method": labels[p["method"]]} for p in result["paths"] for r in p["rows"]]
    df = pd.DataFrame(rows)
    methods = [labels[p["method"]] for p in result["paths"]]
    colours = [PATH_COLOURS[p["method"]] for p in result["paths"]]
    base = alt.Chart(df).encode(
        x=alt.X("step:Q", title=labels["step"]),
        y=alt.Y("f:Q", title=labels["f"], scale=alt.Scale(type="symlog")),
    )
    line = base.mark_line(point=True).encode(
        color=alt.Color(
            "method:N", title=labels["method"], scale=alt.Scale(domain=methods, range=colours)
        ),
        tooltip=[alt.Tooltip("method:N", title=labels["method"])],
    )
    hover = _hover(base).encode(
        tooltip=[
            alt.Tooltip("method:N", title=labels["method"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("f:Q", title=labels["f"], format=".4g"),
        ]
    )
    return alt.layer(line, hover).properties(
        title=labels["title_loss"], width="container", height=PANEL_HEIGHT + 100
    )


@_sized
def filters_chart(
    snapshots: Sequence[Mapping[str, Any]], labels: Mapping[str, str], step_titles: Sequence[str]
) -> alt.TopLevelMixin:
    """The first conv layer's filters as images: one row per snapshot (e.g. initial and latest,
    titled by ``step_titles``), one small k x k panel per filter, on one diverging colour scale
    centred at 0 (blue negative, orange positive)."""
    rows = [
        {"snapshot": title, "filter": f + 1, "i": i, "j": j, "value": float(v)}
        for snap, title in zip(snapshots, step_titles, strict=True)
        for f, kernel in enumerate(snap["kernels"])
        for i, line in enumerate(kernel)
        for j, v in enumerate(line)
    ]
    df = pd.DataFrame(rows)
    extent = float(df["value"].abs().max()) or 1.0
    size = 12 * len(snapshots[0]["kernels"][0])
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("j:O", title=labels["kernel_column"], axis=None),
            y=alt.Y("i:O", title=labels["kernel_row"], axis=None),
            color=alt.Color(
                "value:Q",
                title=labels["weight"],
                scale=alt.Scale(scheme="blueorange", domain=[-extent, extent], domainMid=0),
            ),
            tooltip=[
                alt.Tooltip("filter:O", title=labels["filter"]),
                alt.Tooltip("i:O", title=labels["kernel_row"]),
                alt.Tooltip("j:O", title=labels["kernel_column"]),
                alt.Tooltip("value:Q", title=labels["weight"], format=".3g"),
            ],
        )
        .properties(width=size, height=size)
        .facet(
            row=alt.Row("snapshot:N", title=None, sort=list(step_titles)),
            column=alt.Column("filter:O", title=labels["filter"]),
        )
        .properties(title=labels["title_filters"])
    )
