"""Charts of the concept pages (activations, pooling, optimizers): pure functions from the
engine's results (``models.teaching.concepts``) to Altair charts. No st.* calls, no I/O.

Like the lab's charts, every user-facing string comes from ``labels`` (keys in ``LABEL_KEYS``,
translated in ui/i18n.py under "concept_chart.").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from charts.style import DARK, DASHED, PANEL_HEIGHT, SEQUENTIAL, SOLID, hover_points, sized

LABEL_KEYS: tuple[str, ...] = (
    "x",
    "value",
    "curve_value",
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
CURVE_COLOURS = ["#1f77b4", "#ff7f0e"]  # f, f′: blue and orange, apart for colour-blind eyes too
PATH_COLOURS = {"gd": "#1f77b4", "momentum": "#2ca02c", "adam": "#9467bd", "newton": "#d62728"}
# Paths often overlap (Adam's and Newton's both run straight down the diagonal of a quadratic),
# so each method differs in more than colour: drawn in this order, each line thinner than the
# one under it, with its own dash and point shape, so a later path shows inside an earlier one.
PATH_ORDER = ("adam", "gd", "momentum", "newton")
PATH_WIDTHS = {"adam": 6.0, "gd": 4.0, "momentum": 2.5, "newton": 2.0}
PATH_DASHES = {"adam": SOLID, "gd": SOLID, "momentum": [6, 3], "newton": [3, 2]}
PATH_SHAPES = {"gd": "circle", "momentum": "square", "adam": "triangle-up", "newton": "diamond"}


@sized
def activation_chart(
    result: Mapping[str, Any], names: Mapping[str, str], labels: Mapping[str, str]
) -> alt.TopLevelMixin:
    """Each activation (one panel) and its derivative by autodiff, overlaid; the derivative's
    maximum marked and labelled; y = 0 drawn so zero-centredness shows. ``names``: display names.

    Each panel has its own y scale (a shared one would flatten sigmoid's f′, whose peak is 1/4,
    next to ReLU's f reaching x_max); the legend above the panels says which line is which."""
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
    y = alt.Y("value:Q", title=labels["curve_value"])
    # color and strokeDash on one field with one title merge into ONE legend (a legend=None on
    # either would drop it): a solid line for f, a dashed one for f′
    legend = alt.Legend(orient="top", direction="horizontal", symbolStrokeWidth=2.5)
    lines = (
        alt.Chart(df)
        .mark_line(strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "curve:N", title=labels["curve"], sort=curves, legend=legend,
                scale=alt.Scale(domain=curves, range=CURVE_COLOURS),
            ),
            strokeDash=alt.StrokeDash(
                "curve:N", title=labels["curve"], sort=curves, legend=legend,
                scale=alt.Scale(domain=curves, range=[SOLID, DASHED]),
            ),
            tooltip=[alt.Tooltip("curve:N", title=labels["curve"])],
        )
    )  # fmt: skip
    hover = hover_points(alt.Chart(df).encode(x=x, y=y)).encode(
        tooltip=[
            alt.Tooltip("curve:N", title=labels["curve"]),
            alt.Tooltip("x:Q", title=labels["x"], format=".3g"),
            alt.Tooltip("value:Q", title=labels["curve_value"], format=".4g"),
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
        y="independent"
    )


@sized
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
    hover = hover_points(base).encode(
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


@sized
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


@sized
def paths_chart(
    result: Mapping[str, Any], labels: Mapping[str, str], height: int = 340
) -> alt.TopLevelMixin:
    """The function over the plane (colour, symmetric-log scale) with each method's path drawn
    over it and (when known) the minimum marked; as wide as its column, the methods' legend
    below (styles as in ``path_loss_chart``)."""
    grid = pd.DataFrame(result["grid"])
    step = float(sorted(set(grid["x"]))[1] - sorted(set(grid["x"]))[0])
    grid = grid.assign(x2=grid["x"] + step, y2=grid["y"] + step)
    # every layer gets the grid's own extent, unpadded: otherwise Vega "nices" the union of
    # the layers' domains and the plane ends short of the axes
    x_scale = alt.Scale(domain=_extent(grid["x"], step), nice=False, zero=False)
    y_scale = alt.Scale(domain=_extent(grid["y"], step), nice=False, zero=False)
    surface = (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("x:Q", title=labels["x1"], scale=x_scale),
            y=alt.Y("y:Q", title=labels["x2"], scale=y_scale),
            x2="x2:Q",
            y2="y2:Q",
            # filled contours: f in bands whose edges are evenly spaced in symlog(f); fill, so
            # the paths' colour and shape (by method) share one legend of their own
            fill=alt.Fill(
                "f:Q",
                title=labels["f"],
                scale=alt.Scale(type="threshold", domain=_levels(grid["f"]), scheme=SEQUENTIAL),
                legend=alt.Legend(format="~g"),
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
    base = alt.Chart(path_df).encode(
        x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), order="step:Q"
    )
    legend = alt.Legend(orient="bottom", direction="horizontal", columns=2, symbolSize=80)
    layers = [surface]
    if result.get("minimum") is not None:  # under the paths: a path ending there stays visible
        mx, my = result["minimum"]
        minimum = pd.DataFrame({"x": [mx], "y": [my]})
        layers.append(
            alt.Chart(minimum).mark_point(shape="cross", size=150, color="white", filled=True)
            .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale))
        )  # fmt: skip
    layers += _method_layers(base, result, labels, legend)
    return alt.layer(*layers).properties(
        title=labels["title_paths"], width="container", height=height
    )


def _method_layers(
    base: alt.Chart, result: Mapping[str, Any], labels: Mapping[str, str], legend: alt.Legend
) -> list[alt.Chart]:
    """Each method's line and points (``base`` encodes x, y and order), one pair of layers per
    method in PATH_ORDER, so overlapping paths stay apart (see PATH_WIDTHS). Colour and point
    shape share one legend."""
    present = [p["method"] for p in result["paths"]]
    names = [labels[m] for m in present]

    def channel(kind: type, table: Mapping[str, Any]) -> Any:
        scale = alt.Scale(domain=names, range=[table[m] for m in present])
        return kind("method:N", title=labels["method"], scale=scale, legend=legend)

    colour, shape = channel(alt.Color, PATH_COLOURS), channel(alt.Shape, PATH_SHAPES)
    layers = []
    for method in (m for m in PATH_ORDER if m in present):
        part = base.transform_filter(alt.datum.method == labels[method])
        line = part.mark_line(strokeWidth=PATH_WIDTHS[method], strokeDash=PATH_DASHES[method])
        points = part.mark_point(
            filled=True, opacity=1, size=70 if method == "newton" else 35, stroke="white",
            strokeWidth=0.7,
        )  # fmt: skip
        layers += [
            line.encode(color=colour, tooltip=[alt.Tooltip("method:N", title=labels["method"])]),
            points.encode(
                color=colour,
                shape=shape,
                tooltip=[
                    alt.Tooltip("method:N", title=labels["method"]),
                    alt.Tooltip("step:Q", title=labels["step"]),
                    alt.Tooltip("f:Q", title=labels["f"], format=".4g"),
                    alt.Tooltip("grad_norm:Q", title=labels["grad_norm"], format=".3g"),
                ],
            ),
        ]
    return layers


def _levels(values: pd.Series, bands: int = 12) -> list[float]:
    """The inner edges of `bands` contour bands, evenly spaced in sign(f) log10(1 + |f|) (so
    a function spanning decades gets bands near its minimum too), rounded to 2 digits."""
    sym = np.sign(values) * np.log10(1 + np.abs(values))
    edges = np.linspace(float(sym.min()), float(sym.max()), bands + 1)[1:-1]
    raw = np.sign(edges) * (10 ** np.abs(edges) - 1)
    return sorted({float(f"{v:.2g}") for v in raw})


def _extent(values: pd.Series, step: float) -> list[float]:
    return [float(values.min()), float(values.max() + step)]


@sized
def path_loss_chart(result: Mapping[str, Any], labels: Mapping[str, str]) -> alt.TopLevelMixin:
    """f vs iteration for each method (symmetric-log scale: f may be negative at a saddle),
    ticks at round numbers spread over the decades f spans."""
    rows = [{**r, "method": labels[p["method"]]} for p in result["paths"] for r in p["rows"]]
    df = pd.DataFrame(rows)
    ticks = symlog_ticks(df["f"])
    # -1,000 rather than -1e+3 while that stays short; powers of ten beyond
    short = "abs(datum.value) < 1e5 ? format(datum.value, ',') : format(datum.value, '.0e')"
    axis = alt.Axis(format="~g") if ticks is None else alt.Axis(values=ticks, labelExpr=short)
    base = alt.Chart(df).encode(
        x=alt.X("step:Q", title=labels["step"]),
        y=alt.Y("f:Q", title=labels["f"], scale=alt.Scale(type="symlog"), axis=axis),
        order="step:Q",
    )
    legend = alt.Legend(symbolSize=80)
    return alt.layer(*_method_layers(base, result, labels, legend)).properties(
        title=labels["title_loss"], width="container", height=PANEL_HEIGHT + 100
    )


def symlog_ticks(values: pd.Series, most: int = 8) -> list[float] | None:
    """Round tick values for a symmetric-log axis over ``values``: 0 (when inside) and powers of
    ten, or 1, 2 and 5 times them when that gives under 4 ticks; at most ``most``, thinned
    evenly from 0 outwards. None when even those give under 4 (a narrow range, nearly linear on
    this scale, where Vega's own ticks serve). Vega's own symlog ticks are those of a linear
    axis: two (0 and -10^8) for a range that runs from 0 to -1.3 x 10^8."""
    lo, hi = float(values.min()), float(values.max())
    decades = range(int(np.ceil(np.log10(max(abs(lo), abs(hi), 1.0)))) + 1)
    ticks: list[float] = []
    for mantissas in ((1,), (1, 2, 5)):
        magnitudes = [m * 10.0**k for k in decades for m in mantissas]
        candidates = sorted({0.0, *magnitudes, *(-v for v in magnitudes)})
        ticks = [v for v in candidates if lo <= v <= hi]
        if len(ticks) >= 4:
            break
    else:
        return None
    stride = int(np.ceil(len(ticks) / most))
    zero = min(range(len(ticks)), key=lambda i: abs(ticks[i]))
    return [v for i, v in enumerate(ticks) if (i - zero) % stride == 0]


@sized
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
