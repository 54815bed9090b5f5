"""Gradient Lab's charts: pure functions from tidy pandas frames to Altair charts.

This module owns how the lab draws a run: loss curves, per-layer gradient norms (with the clip
threshold), the layer x step gradient heatmap, the latest per-layer bars and the decision
boundary. It imports only altair, numpy and pandas: no streamlit, no I/O, no TensorFlow.

Every user-facing string (titles, axis, legend and tooltip titles, the names of metrics and
splits shown in legends) is read from the ``labels`` mapping each function takes, so pages pass
their translation table; ``LABEL_KEYS`` lists every key read here.

Log scales: a gradient norm of exactly 0 (a dead layer) cannot sit on a log axis. Rather than
dropping those rows, which would make a dead layer look like a run that stopped, values <= 0
are CLAMPED to a floor, the power of ten one decade below the smallest positive value's decade
(``log_floor``), and log axes start at that floor: a zero norm lies on the axis line or has no
bar, and is the darkest cell of the heatmap. Tooltips show the raw value.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

LABEL_KEYS: tuple[str, ...] = (
    # shared field titles
    "run",
    "step",
    "value",
    "metric",
    "layer",
    "depth",
    "split",
    # metric and split names shown as legend entries
    "loss",
    "val_loss",
    "accuracy",
    "val_accuracy",
    "train",
    "validation",
    "test",
    # gradient norms and clipping
    "grad_norm",
    "log10_grad_norm",
    "norm_kind",
    "pre_clip",
    "applied_norm",
    "clip_threshold",
    "clipnorm",
    "global_clipnorm",
    # unit health
    "dead_fraction",
    "saturated_fraction",
    # decision boundary
    "x0",
    "x1",
    "prediction",
    "label",
    # chart titles
    "title_loss",
    "title_accuracy",
    "title_grad_norm",
    "title_heatmap",
    "title_layer_bars",
    "title_boundary",
    # recurrent nets
    "t",
    "input_grad_norm",
    "log10_input_grad_norm",
    "forget_gate_mean",
    "baseline",
    "noise_floor",
    "title_time_grad",
    "title_time_heatmap",
    "title_forget_gate",
    # comparing saved runs
    "title_compare_overview",
    "title_compare_loss",
    "title_compare_grad",
    # sweeps
    "val_loss_mean",
    "grad_first_mean",
    "spread",
    "title_sweep",
    "val_accuracy_mean",
    "params",
    "title_sweep_lines",
)

CLIP_RULES = ("clipnorm", "global_clipnorm", "clipvalue")
# clipvalue clips elements, so it has no norm line. The line marks the threshold itself: under
# clipnorm a layer's applied norm may sit above it (each variable, kernel and bias, is clipped
# alone), under global_clipnorm below it (the norm over all layers is clipped).
NORM_RULES = ("clipnorm", "global_clipnorm")
FRACTIONS = ("dead_fraction", "saturated_fraction")

# Concatenated panels cannot use width="container" in Vega-Lite, so their sizes are fixed:
# two small multiples and a legend fit half of a wide Streamlit page.
PANEL_WIDTH = 200
PANEL_HEIGHT = 200
WIDE_WIDTH = 600  # stacked (vconcat) loss and accuracy panels get a whole row
BOUNDARY_SIZE = 260  # one run; small multiples use PANEL_WIDTH
COLUMNS = 2  # up to 4 runs wrap into 2 x 2 panels
FADED = 0.15  # opacity of lines the legend selection did not pick
# A symbol legend's title and each entry, in px, as Streamlit's theme draws them (measured in
# Chromium): a container-wide chart ("fit-x") cuts off a legend taller than its plot.
LEGEND_TITLE, LEGEND_ROW = 30, 30
TINY = 1e-12  # floor for log scales when every value is 0
MAX_ROWS = 5000  # rows per dataset Altair accepts (more raise MaxRowsError)
MAX_LAYER_LINES = 16  # lines per panel at most: a deeper net shows evenly spaced layers
SOLID, DASHED = [1, 0], [6, 3]
DARK = "#222222"
# Dark = small: vanishing gradients read as a dark band. The yellow end is cut off for lines,
# where it would be nearly invisible on white.
SEQUENTIAL = "viridis"
LINE_SCHEME = alt.SchemeParams(SEQUENTIAL, extent=[0.0, 0.85])
DIVERGING = "blueorange"
DIVERGING_REGRESSION = "purpleorange"  # a different palette: a value, not a class probability
# Runs (and the metrics of one run) in the Okabe-Ito palette, safe for the common colour-vision
# deficiencies: four clearly different hues, where a theme's light/dark pairs made A look like B.
RUN_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")


# -- helpers ----------------------------------------------------------------------------------


def _sized(build: Callable[..., alt.TopLevelMixin]) -> Callable[..., alt.TopLevelMixin]:
    """Set autosize explicitly. Without it Streamlit applies "fit", which squeezes the title,
    axes and legends INTO the given height: a 100 px heatmap kept ~25 px for its cells.
    A container-wide view fits its width only; fixed-size panels keep their sizes ("pad")."""

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> alt.TopLevelMixin:
        chart = build(*args, **kwargs)
        fit = "fit-x" if getattr(chart, "width", None) == "container" else "pad"
        return chart.properties(autosize=alt.AutoSizeParams(type=fit, contains="padding"))

    return wrapper


def runs_in(frame: pd.DataFrame) -> list[str]:
    """The run ids present in ``frame`` (column ``run``), sorted."""
    return sorted({str(r) for r in frame["run"].dropna().unique()})


def thin_steps(metrics: pd.DataFrame, max_steps: int = 300) -> pd.DataFrame:
    """At most ``max_steps`` evenly spaced distinct steps per run, always the first and last.

    Keeps every row of a kept step, so the metrics of one step stay together. Returns a new frame;
    frames with few steps come back unchanged (as a copy).
    """
    if max_steps < 2:
        raise ValueError(f"max_steps must be at least 2 (the first and last step), not {max_steps}")
    run = metrics["run"].to_numpy()
    step = metrics["step"].to_numpy()
    keep = np.zeros(len(metrics), dtype=bool)
    for r in pd.unique(run):
        in_run = run == r
        distinct = np.unique(step[in_run])
        if len(distinct) > max_steps:
            picks = np.unique(np.linspace(0, len(distinct) - 1, max_steps).round().astype(int))
            distinct = distinct[picks]
        keep |= in_run & np.isin(step, distinct)
    return metrics[keep]


def fit_rows(frame: pd.DataFrame, series: Sequence[str], limit: int = MAX_ROWS) -> pd.DataFrame:
    """At most ``limit`` rows: every series (a combination of the ``series`` columns, which
    include ``run``) keeps its first and last step and evenly spaced ones between."""
    if len(frame) <= limit:
        return frame
    n_series = max(1, len(frame.drop_duplicates(list(series))))
    steps = max(2, limit // n_series)
    while steps > 2 and len(thinned := thin_steps(frame, steps)) > limit:
        steps = max(2, int(steps * limit / len(thinned)) - 1)
    return thin_steps(frame, steps)


def spread_layers(frame: pd.DataFrame, max_layers: int = MAX_LAYER_LINES) -> pd.DataFrame:
    """The rows of at most ``max_layers`` layers (per run), evenly spaced by depth, the first
    and the last always among them: 129 lines of a 64-layer net with batch norm are unreadable
    and past what Altair accepts."""
    keep = []
    for _, part in frame.groupby("run", sort=False):
        layers = _by_depth(part)
        if len(layers) > max_layers:
            picks = np.unique(np.linspace(0, len(layers) - 1, max_layers).round().astype(int))
            layers = [layers[i] for i in picks]
        keep.append(part[part["layer"].isin(layers)])
    return pd.concat(keep) if keep else frame


def _rows(metrics: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The rows of the named metrics, with clean dtypes and only the columns charts use."""
    rows = metrics[metrics["name"].isin(names)]
    return pd.DataFrame(
        {
            "run": rows["run"].astype(str),
            "step": rows["step"].astype("int64"),
            "name": rows["name"].astype(str),
            "layer": rows["layer"].astype(str),
            "depth": pd.to_numeric(rows["depth"], errors="coerce"),
            "value": rows["value"].astype(float),
        }
    ).reset_index(drop=True)


def _by_depth(frame: pd.DataFrame) -> list[str]:
    """Layer names from the input (depth 0) to the output; ties broken by name."""
    depth = frame.groupby("layer", as_index=False)["depth"].min()
    return depth.sort_values(["depth", "layer"], na_position="last")["layer"].tolist()


def log_floor(values: pd.Series) -> float:
    """Where values <= 0 go on a log scale: see the module docstring for why they are kept."""
    positive = values[values > 0]
    if not len(positive):
        return TINY
    # A power of ten, so the floor (and the chart's spec) changes only when the smallest value
    # enters a new decade: live charts whose spec is unchanged update their data in place.
    return float(10.0 ** (np.floor(np.log10(float(positive.min()))) - 1))


def _lower(floor: float, other: float | None) -> float:
    return floor if other is None else min(floor, other)


def _log_scale(floor: float) -> alt.Scale:
    return alt.Scale(type="log", domainMin=floor, nice=False)


def _fade(pick: alt.Parameter) -> dict:
    return alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(FADED))


def _run_title(labels: Mapping[str, str], run: str) -> str:
    return f"{labels['run']} {run}"


def _tall_enough(*legends: int) -> int:
    """The height of a container-wide plot beside symbol legends of these many entries: its
    own height, or more if they need it (fit-x autosizing clips what the plot does not span)."""
    return max(PANEL_HEIGHT, sum(LEGEND_TITLE + LEGEND_ROW * n for n in legends if n))


def _panels(charts: list[alt.TopLevelMixin], title: str, **shared: str) -> alt.ConcatChart:
    """One panel per run, wrapped in rows of COLUMNS, with the named scales shared."""
    return alt.concat(*charts, columns=COLUMNS, title=title).resolve_scale(**shared)


def _filled(chart: alt.Chart, field: str, title: str, scale: alt.Scale) -> alt.Chart:
    """Rects filled by ``field`` (a quantitative column) on ``scale``, with a colour legend.

    They are stroked in their own fill colour: antialiasing otherwise leaves hairline seams
    between neighbouring cells. The stroke reads a copy of the field: on the field itself,
    Vega-Lite merges the stroke's hidden legend into the fill's and hides both."""
    return chart.transform_calculate(edge=f"datum.{field}").encode(
        color=alt.Color(f"{field}:Q", title=title, scale=scale),
        stroke=alt.Stroke("edge:Q", scale=scale, legend=None),
    )


def run_colours(runs: Sequence[str], every: Sequence[str] | None = None) -> alt.Scale:
    """Each run's colour from RUN_COLOURS by its place among ``every`` run of the page (default:
    ``runs``), so a chart that draws only some runs colours them as the others do."""
    every = list(every) if every is not None else list(runs)
    picks = [every.index(r) if r in every else len(every) + i for i, r in enumerate(runs)]
    return alt.Scale(domain=list(runs), range=[RUN_COLOURS[k % len(RUN_COLOURS)] for k in picks])


def _run_color(
    labels: Mapping[str, str], runs: Sequence[str], every: Sequence[str] | None = None
) -> alt.Color:
    return alt.Color("run:N", title=labels["run"], sort=list(runs), scale=run_colours(runs, every))


# Steps are whole numbers: no "0.5" ticks early on, no "0.000000" when only step 0 is in.
STEP_AXIS = alt.Axis(format="d", tickMinStep=1)


def _step_x(field: str, labels: Mapping[str, str], **kwargs: Any) -> alt.X:
    return alt.X(field, title=labels["step"], axis=STEP_AXIS, **kwargs)


def _lone_points(part: alt.Chart, series: list[str], **encoding: Any) -> alt.Chart:
    """Points for the series that have one record so far (step 0, the first thing a run sends):
    a line needs two, and an empty chart would say nothing."""
    return (
        part.transform_joinaggregate(records="count()", groupby=series)
        .transform_filter(alt.datum.records == 1)
        .mark_point(filled=True, size=50, opacity=1)
        .encode(**encoding)
    )


def _hover(base: alt.Chart) -> alt.Chart:
    # Vega's tooltip on a line reports the line's FIRST point, so lines carry only their
    # identity in the tooltip and invisible points (still hit-tested) carry the values.
    return base.mark_circle(size=60, opacity=0)


# -- loss and accuracy -------------------------------------------------------------------------


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
    rows = _rows(metrics, order)
    names = sorted(set(rows["name"]), key=order.index)
    split = [labels["train"], labels["validation"]]
    df = rows[["run", "step", "value"]].assign(
        metric=rows["name"].map({n: labels[n] for n in names}),
        split=np.where(rows["name"].str.startswith("val_"), split[1], split[0]),
        panel=rows["name"].str.removeprefix("val_"),
    )
    df = fit_rows(df, ["run", "metric"])
    return df, (tuple(names), tuple(runs_in(df)), baseline, floor)


@_sized
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
        x=_step_x("step:Q", labels),
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
            return _run_color(labels, runs)
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
            opacity=_fade(picked),
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
        points = _lone_points(part, series, color=colour(name), opacity=_fade(picked))
        return alt.layer(owner, points, _hover(part), *extra, title=title)

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


# -- gradient norms over steps -----------------------------------------------------------------


def _check_clip(clip: tuple[str, float] | None) -> None:
    if clip is None:
        return
    rule, threshold = clip
    if rule not in CLIP_RULES:
        raise ValueError(f"clip rule must be one of {', '.join(CLIP_RULES)}, not {rule!r}")
    if not threshold > 0:
        raise ValueError(f"clip threshold must be positive, not {threshold}")


@_sized
def grad_norm_chart(
    metrics: pd.DataFrame,
    labels: Mapping[str, str],
    clip: tuple[str, float] | None = None,
) -> alt.TopLevelMixin:
    """Per-layer gradient norm vs step on a log axis, one line per layer coloured by depth.

    ``clip`` = (rule, threshold) with rule in CLIP_RULES adds the applied (post-clip) norms as
    dashed lines and, for norm rules, the threshold as a labelled horizontal rule. Several runs:
    one panel per run, all on the same scales.
    """
    frame, shape = grad_norm_frame(metrics, labels, clip)
    return grad_norm_view(shape, labels, frame)


def grad_norm_frame(
    metrics: pd.DataFrame,
    labels: Mapping[str, str],
    clip: tuple[str, float] | None = None,
    floor: float | None = None,
) -> tuple[pd.DataFrame, tuple]:
    """The gradient-norm chart's data, and its shape (see ``loss_frame``).

    ``floor``: a log floor to use if it is lower than these rows' own (``log_floor``); a live
    view passes the floor of the whole run, so thinning the rows does not move the axis.
    """
    _check_clip(clip)
    rows = _rows(metrics, ("grad_norm", "grad_norm_clipped") if clip else ("grad_norm",))
    kinds = [labels["pre_clip"], labels["applied_norm"]]
    floor = _lower(log_floor(rows["value"]), floor)
    df = rows[["run", "step", "layer", "depth", "value"]].assign(
        plot_value=rows["value"].clip(lower=floor),
        kind=np.where(rows["name"] == "grad_norm", kinds[0], kinds[1]),
    )
    df = fit_rows(spread_layers(df), ["run", "layer", "kind"])
    if clip is not None and clip[0] in NORM_RULES:
        floor = min(floor, clip[1])  # a threshold below every norm stays in view
    return df, (clip, floor, tuple(_by_depth(df)), tuple(runs_in(df)))


@_sized
def grad_norm_view(
    shape: tuple, labels: Mapping[str, str], source: pd.DataFrame | alt.NamedData
) -> alt.TopLevelMixin:
    """The gradient-norm chart of a given shape over ``source`` (see ``loss_view``)."""
    clip, floor, layers, runs = shape
    kinds = [labels["pre_clip"], labels["applied_norm"]]
    rule = clip is not None and clip[0] in NORM_RULES
    log_y = alt.Y("plot_value:Q", title=labels["grad_norm"], scale=_log_scale(floor))
    # Legend binding needs the legend's field to be the selection's field, so colour encodes
    # the layer NAME, its domain ordered by depth on a sequential scheme: colour follows depth.
    color = alt.Color(
        "layer:O", title=labels["layer"], sort=list(layers), scale=alt.Scale(scheme=LINE_SCHEME)
    )
    dash = alt.StrokeDash(
        "kind:N", title=labels["norm_kind"], scale=alt.Scale(domain=kinds, range=[SOLID, DASHED])
    )
    # One selection, owned by the first panel and read by all (Altair warns when the same
    # selection is added to several concatenated views).
    pick = alt.selection_point(fields=["layer"], bind="legend")
    extra = _threshold_layers(clip, labels, log_y) if rule else []

    def panel(run: str | None = None, owner: bool = True) -> alt.LayerChart:
        data = alt.Chart(source)
        if run is not None:  # one dataset for all panels, each filtered to its run
            data = data.transform_filter(alt.datum.run == run)
        base = data.encode(
            x=_step_x("step:Q", labels),
            y=log_y,
            tooltip=[
                alt.Tooltip("run:N", title=labels["run"]),
                alt.Tooltip("layer:N", title=labels["layer"]),
                alt.Tooltip("depth:Q", title=labels["depth"]),
                alt.Tooltip("kind:N", title=labels["norm_kind"]),
                alt.Tooltip("step:Q", title=labels["step"]),
                alt.Tooltip("value:Q", title=labels["grad_norm"], format=".3g"),
            ],
        )
        lines = base.mark_line().encode(
            color=color,
            opacity=_fade(pick),
            tooltip=[
                alt.Tooltip("run:N", title=labels["run"]),
                alt.Tooltip("layer:N", title=labels["layer"]),
                alt.Tooltip("kind:N", title=labels["norm_kind"]),
            ],
        )
        if clip:
            lines = lines.encode(strokeDash=dash)
        points = _lone_points(base, ["layer", "kind"], color=color, opacity=_fade(pick))
        owned = lines.add_params(pick) if owner else lines
        return alt.layer(owned, points, _hover(base), *extra)

    if len(runs) <= 1:
        height = _tall_enough(len(layers), len(kinds) if clip else 0)
        return panel().properties(title=labels["title_grad_norm"], width="container", height=height)
    charts = [
        panel(r, owner=i == 0).properties(
            title=_run_title(labels, r), width=PANEL_WIDTH, height=PANEL_HEIGHT
        )
        for i, r in enumerate(runs)
    ]
    return _panels(charts, labels["title_grad_norm"], x="shared", y="shared", color="shared")


def _threshold_layers(
    clip: tuple[str, float], labels: Mapping[str, str], log_y: alt.Y
) -> list[alt.Chart]:
    """A horizontal rule at the clip threshold and its label, on the lines' log scale."""
    rule, threshold = clip
    df = pd.DataFrame(
        {"plot_value": [float(threshold)], "text": [f"{labels[rule]} = {threshold:g}"]}
    )
    base = alt.Chart(df).encode(
        y=log_y, tooltip=[alt.Tooltip("plot_value:Q", title=labels["clip_threshold"])]
    )
    return [
        base.mark_rule(color=DARK, strokeDash=[2, 2]),
        base.mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=DARK).encode(
            x=alt.value(0), text="text:N"
        ),
    ]


# -- layer x step heatmap ----------------------------------------------------------------------


def _step_bins(steps: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Split the distinct steps into at most ``max_bins`` runs of consecutive steps.

    Returns each bin's first step and the next bin's first step, so rects tile without gaps
    even when the record interval is irregular.
    """
    distinct = np.unique(steps)
    starts = np.array([g[0] for g in np.array_split(distinct, min(max_bins, len(distinct)))])
    last_width = np.median(np.diff(distinct)) if len(distinct) > 1 else 1
    ends = np.append(starts[1:], distinct[-1] + last_width)
    return starts, ends


def _binned(
    rows: pd.DataFrame, max_bins: int, by: Sequence[str] = ("layer", "depth")
) -> pd.DataFrame:
    """Mean log10 gradient norm (and mean norm) per run, `by` (a layer; or a time step) and
    step bin."""
    rows = rows.assign(log10=np.log10(rows["value"].clip(lower=log_floor(rows["value"]))))
    parts = []
    for _, part in rows.groupby("run", sort=True):
        starts, ends = _step_bins(part["step"].to_numpy(), max_bins)
        i = np.searchsorted(starts, part["step"].to_numpy(), side="right") - 1
        parts.append(part.assign(step_start=starts[i], step_end=ends[i]))
    keys = ["run", *by, "step_start", "step_end"]
    binned = pd.concat(parts).groupby(keys, as_index=False, dropna=False)
    return binned.agg(log10=("log10", "mean"), value=("value", "mean"))


def grad_heatmap(
    metrics: pd.DataFrame, labels: Mapping[str, str], max_bins: int = 120
) -> alt.TopLevelMixin:
    """Layer x step heatmap of log10(gradient norm), input layer at the bottom.

    Steps are binned into at most ``max_bins`` bins (mean of log10 values). Dark = small, so a
    vanishing gradient shows as a dark band near the input. Several runs: one panel per run
    with one shared colour scale.
    """
    frame, shape = grad_heatmap_frame(metrics, labels, max_bins)
    return grad_heatmap_view(shape, labels, frame)


def grad_heatmap_frame(
    metrics: pd.DataFrame, labels: Mapping[str, str], max_bins: int = 120
) -> tuple[pd.DataFrame, tuple]:
    """The heatmap's binned data, and its shape (see ``loss_frame``): each run's layers by
    depth (one entry, all the rows' layers, when there is one run or none) and the runs."""
    if max_bins < 1:
        raise ValueError(f"max_bins must be at least 1, not {max_bins}")
    rows = _rows(metrics, ("grad_norm",))
    cells = max(1, len(rows.drop_duplicates(["run", "layer"])))
    bins = max(1, min(max_bins, MAX_ROWS // cells))  # bins x layers x runs rows
    df = _binned(rows, bins) if len(rows) else rows.assign(log10=[], step_start=[], step_end=[])
    runs = tuple(runs_in(df))
    if len(runs) <= 1:
        return df, ((tuple(_by_depth(df)),), runs)
    layers = tuple(tuple(_by_depth(df[df["run"] == r])) for r in runs)
    return df, (layers, runs)


def _heatmap_panel(
    source: pd.DataFrame | alt.NamedData,
    labels: Mapping[str, str],
    scale: alt.Scale,
    y_order: Sequence[str],
    run: str | None = None,
    brush: alt.Parameter | None = None,
    pick: alt.Parameter | None = None,
) -> alt.Chart:
    """One layer x step heatmap (of ``run``, or of all of ``source``): rects over the step bins,
    layers top-down in ``y_order``, fill and stroke the binned log10 gradient norm on ``scale``.
    With ``brush`` its x axis follows that interval; with ``pick`` the runs not picked fade."""
    data = alt.Chart(source)
    if run is not None:
        data = data.transform_filter(alt.datum.run == run)
    x_scale = alt.Scale(domain=brush) if brush is not None else alt.Undefined
    extra = {"opacity": _fade(pick)} if pick is not None else {}
    rects = data.mark_rect(strokeWidth=1, clip=brush is not None).encode(
        x=_step_x("step_start:Q", labels, scale=x_scale),
        x2="step_end:Q",
        y=alt.Y("layer:N", title=labels["layer"], sort=list(y_order)),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("layer:N", title=labels["layer"]),
            alt.Tooltip("depth:Q", title=labels["depth"]),
            alt.Tooltip("step_start:Q", title=labels["step"]),
            alt.Tooltip("log10:Q", title=labels["log10_grad_norm"], format=".2f"),
            alt.Tooltip("value:Q", title=labels["grad_norm"], format=".3g"),
        ],
        **extra,
    )
    return _filled(rects, "log10", labels["log10_grad_norm"], scale)


@_sized
def grad_heatmap_view(
    shape: tuple, labels: Mapping[str, str], source: pd.DataFrame | alt.NamedData
) -> alt.TopLevelMixin:
    """The heatmap of a given shape over ``source`` (see ``loss_view``).

    Several runs: each panel lists only its own layers (a run with batch norm has twice the
    rows; shared, they striped the other panels with empty ones). The panels share one height,
    so a layer sits at the same relative depth in each, input at the bottom, output on top."""
    layers, runs = shape
    height = max(PANEL_HEIGHT // 2, 22 * max((len(own) for own in layers), default=0))
    # The colour domain is left to Vega (the data's extent), so the spec does not change as the
    # data grows; panels share it through resolve_scale, and fill and stroke the same values.
    scale = alt.Scale(scheme=SEQUENTIAL)

    def panel(own: Sequence[str], run: str | None = None) -> alt.Chart:
        # A y band scale lists its domain top-down: output first puts the input at the bottom.
        return _heatmap_panel(source, labels, scale, list(own)[::-1], run)

    if len(runs) <= 1:
        return panel(layers[0]).properties(
            title=labels["title_heatmap"], width="container", height=height
        )
    charts = [
        panel(own, r).properties(title=_run_title(labels, r), width=PANEL_WIDTH, height=height)
        for own, r in zip(layers, runs, strict=True)
    ]
    return _panels(
        charts, labels["title_heatmap"], x="shared", y="independent", color="shared",
        stroke="shared",
    )  # fmt: skip


# -- latest per-layer bars ---------------------------------------------------------------------


def _latest(rows: pd.DataFrame) -> pd.DataFrame:
    """Each run's rows at the latest step that recorded each metric."""
    last = rows.groupby(["run", "name"])["step"].transform("max")
    return rows[rows["step"] == last]


def layer_bars(metrics: pd.DataFrame, labels: Mapping[str, str]) -> alt.TopLevelMixin:
    """At each run's latest step: gradient norm per layer (log axis) and, when recorded, the
    dead or saturated fraction per hidden layer (0..1), side by side, input layer at the bottom.

    Several runs: bars of the runs side by side within each layer, coloured by run.
    """
    frame, shape = layer_bars_frame(metrics, labels)
    return layer_bars_view(shape, labels, frame)


def layer_bars_frame(
    metrics: pd.DataFrame, labels: Mapping[str, str], floor: float | None = None
) -> tuple[pd.DataFrame, tuple]:
    """The bars' data (each run's latest step), and its shape (see ``loss_frame``; ``floor``
    as in ``grad_norm_frame``)."""
    df = _latest(_rows(metrics, ("grad_norm", *FRACTIONS)))
    floor = _lower(log_floor(df.loc[df["name"] == "grad_norm", "value"]), floor)
    df = df.assign(plot_value=df["value"].where(df["name"] != "grad_norm", df["value"].clip(floor)))
    names = [n for n in ("grad_norm", *FRACTIONS) if n == "grad_norm" or (df["name"] == n).any()]
    layers = tuple((n, tuple(_by_depth(df[df["name"] == n]))) for n in names)
    return df, (floor, layers, tuple(runs_in(df)))


@_sized
def layer_bars_view(
    shape: tuple, labels: Mapping[str, str], source: pd.DataFrame | alt.NamedData
) -> alt.TopLevelMixin:
    """The bars of a given shape over ``source`` (see ``loss_view``)."""
    floor, layers, runs = shape
    by_run = {}
    if len(runs) > 1:
        by_run = {
            "color": _run_color(labels, runs),
            "yOffset": alt.YOffset("run:N", sort=list(runs)),
        }

    def bars(name: str, order: tuple, scale: alt.Scale) -> alt.Chart:
        base = (
            alt.Chart(source)
            .transform_filter(alt.datum.name == name)
            .encode(
                # stack=None: a stacked bar's zero baseline would enter the log domain
                x=alt.X("plot_value:Q", title=labels[name], scale=scale, stack=None),
                y=alt.Y("layer:N", title=labels["layer"], sort=list(order)[::-1]),
                tooltip=[
                    alt.Tooltip("run:N", title=labels["run"]),
                    alt.Tooltip("layer:N", title=labels["layer"]),
                    alt.Tooltip("depth:Q", title=labels["depth"]),
                    alt.Tooltip("step:Q", title=labels["step"]),
                    alt.Tooltip("value:Q", title=labels[name], format=".3g"),
                ],
            )
        )
        height = len(order) * (20 if len(runs) <= 1 else 12 * len(runs))
        return base.mark_bar().encode(**by_run).properties(width=PANEL_WIDTH, height=height)

    charts = [
        bars(n, order, _log_scale(floor) if n == "grad_norm" else alt.Scale(domain=[0, 1]))
        for n, order in layers
    ]
    # Stacked, not side by side: a single run draws this chart in half the page, where two
    # panels with their layer names ran past the column (the second's title was cut).
    return alt.vconcat(*charts, title=labels["title_layer_bars"])


# -- decision boundary -------------------------------------------------------------------------


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


@_sized
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
        surface = _filled(surface, "value", legend_title, scale)
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
    charts = [panel(r).properties(title=_run_title(labels, r), **size) for r in runs]
    return _panels(
        charts, labels["title_boundary"], x="shared", y="shared", color="shared", stroke="shared"
    )


# -- recurrent nets: the gradient through time and the forget gate ----------------------------


@_sized
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
        y=alt.Y("plot_value:Q", title=labels["input_grad_norm"], scale=_log_scale(floor)),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("t:Q", title=labels["t"]),
            alt.Tooltip("value:Q", title=labels["input_grad_norm"], format=".3g"),
        ],
    )
    lines = base.mark_line().encode(
        color=_run_color(labels, runs, runs_in(metrics)),
        opacity=_fade(pick),
        tooltip=[alt.Tooltip("run:N", title=labels["run"])],
    )
    return alt.layer(lines.add_params(pick), _hover(base)).properties(
        title=labels["title_time_grad"], width="container", height=PANEL_HEIGHT
    )


@_sized
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
        _binned(rows, bins, by=("t",))
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
                x=_step_x("step_start:Q", labels),
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
            .properties(title=_run_title(labels, run), width=PANEL_WIDTH, height=PANEL_HEIGHT)
        )
        return _filled(rects, "log10", labels["log10_input_grad_norm"], scale)

    charts = [panel(r) for r in runs_in(df)] or [panel("")]
    return _panels(
        charts,
        labels["title_time_heatmap"],
        x="shared",
        y="shared",
        color="shared",
        stroke="shared",
    )


@_sized
def forget_gate_chart(metrics: pd.DataFrame, labels: Mapping[str, str]) -> alt.TopLevelMixin:
    """Each LSTM layer's mean forget gate over training (0..1), colour = run, dash = layer:
    near 1 the cell state carries information across time steps."""
    rows = fit_rows(spread_layers(_rows(metrics, ("forget_gate_mean",))), ["run", "layer"])
    runs = runs_in(rows)
    # Only LSTMs have a forget gate: their colours are those they have in the page's other charts.
    color = _run_color(labels, runs, runs_in(metrics))
    pick = alt.selection_point(fields=["run"], bind="legend")
    base = alt.Chart(rows).encode(
        x=_step_x("step:Q", labels),
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
        opacity=_fade(pick),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("layer:N", title=labels["layer"]),
        ],
    )
    points = _lone_points(base, ["run", "layer"], color=color)
    height = _tall_enough(len(runs), rows["layer"].nunique())
    return alt.layer(lines.add_params(pick), points, _hover(base)).properties(
        title=labels["title_forget_gate"], width="container", height=height
    )


# -- comparing saved runs ----------------------------------------------------------------------


@_sized
def compare_chart(
    metrics: pd.DataFrame, labels: Mapping[str, str], depth: int = 0
) -> alt.TopLevelMixin:
    """Linked views of several runs (column ``run``): an overview strip of the loss where
    dragging selects a step range, and below it the loss and val loss, the gradient norm of
    the layer at ``depth`` and each run's layer x step heatmap (one colour scale), all zoomed
    to that range. Clicking a legend entry highlights a run in every view."""
    rows = _rows(metrics, ("loss", "val_loss", "grad_norm"))
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
    color = _run_color(labels, runs)
    dash = alt.StrokeDash(
        "split:N", title=labels["split"], scale=alt.Scale(domain=split, range=[SOLID, DASHED])
    )
    tips = [
        alt.Tooltip("run:N", title=labels["run"]),
        alt.Tooltip("step:Q", title=labels["step"]),
        alt.Tooltip("value:Q", title=labels["value"], format=".4g"),
    ]
    step = _step_x("step:Q", labels)
    zoomed = _step_x("step:Q", labels, scale=alt.Scale(domain=brush))
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
        .encode(color=color, strokeDash=dash, opacity=_fade(pick))
        .add_params(pick),
        _hover(loss_base),
    ).properties(title=labels["title_compare_loss"], width=WIDE_WIDTH, height=PANEL_HEIGHT)
    grad_base = alt.Chart(grads).encode(
        x=zoomed,
        y=alt.Y("plot_value:Q", title=labels["grad_norm"], scale=_log_scale(floor)),
        tooltip=[
            alt.Tooltip("run:N", title=labels["run"]),
            alt.Tooltip("layer:N", title=labels["layer"]),
            alt.Tooltip("step:Q", title=labels["step"]),
            alt.Tooltip("value:Q", title=labels["grad_norm"], format=".3g"),
        ],
    )
    grad = alt.layer(
        grad_base.mark_line(clip=True).encode(color=color, opacity=_fade(pick)),
        _hover(grad_base),
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
        y_order = _by_depth(frame[frame["run"] == run])[::-1]  # its layers, input at the bottom
        return _heatmap_panel(frame, labels, scale, y_order, run, brush, pick).properties(
            title=_run_title(labels, run), width=PANEL_WIDTH, height=height
        )

    # y per panel: runs of different depths each list their own layers, output on top
    return _panels(
        [panel(r) for r in runs], labels["title_heatmap"], y="independent", color="shared",
        stroke="shared",
    )  # fmt: skip


# -- sweeps ------------------------------------------------------------------------------------


@_sized
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


@_sized
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
        ("params", labels["params"], _log_scale(log_floor(df["params"]))),
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
