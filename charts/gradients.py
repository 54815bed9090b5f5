"""The gradients of a run, layer by layer: each layer's gradient norm over steps (with the
clipping threshold and the post-clip norms), the layer x step heatmap of log10 norms, and at the
latest step the per-layer bars of gradient norm and of dead or saturated units.

Each chart is a ``*_chart`` function and, for the live view, a ``*_frame`` (rows and shape) and
``*_view`` (the spec of a shape over named data) pair: see charts/training.py and
charts/vega.py. Log axes clamp a zero norm to a floor (see charts/style.py). Pure: altair,
numpy and pandas only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from charts.style import (
    DARK,
    DASHED,
    LINE_SCHEME,
    MAX_ROWS,
    PANEL_HEIGHT,
    PANEL_WIDTH,
    SEQUENTIAL,
    SOLID,
    bin_steps,
    fade,
    filled_by,
    fit_rows,
    hover_points,
    layers_by_depth,
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

FRACTIONS = ("dead_fraction", "saturated_fraction")  # of a hidden layer's units, in [0, 1]


# -- gradient norms over steps -----------------------------------------------------------------


Clip = tuple[str, float | None]
# (rule, threshold): the optimizer's clipping rule, as the caller names it (the name is also the
# labels key of the threshold line), and the norm it clips to, or None when the rule bounds no
# norm (clipvalue clips each element). The line marks the threshold itself: under clipnorm a
# layer's applied norm may sit above it (each variable, kernel and bias, is clipped alone),
# under global_clipnorm below it (the norm over all layers is clipped).


def _check_clip(clip: Clip | None) -> None:
    if clip is None or clip[1] is None:
        return
    if not clip[1] > 0:
        raise ValueError(f"clip threshold must be positive, not {clip[1]}")


def _lower(floor: float, other: float | None) -> float:
    return floor if other is None else min(floor, other)


@sized
def grad_norm_chart(
    metrics: pd.DataFrame,
    labels: Mapping[str, str],
    clip: Clip | None = None,
) -> alt.TopLevelMixin:
    """Per-layer gradient norm vs step on a log axis, one line per layer coloured by depth.

    ``clip`` = (rule, threshold) (see ``Clip``) adds the applied (post-clip) norms as dashed
    lines and, when the rule clips to a norm, the threshold as a horizontal rule labelled
    ``labels[rule]``. Several runs: one panel per run, all on the same scales.
    """
    frame, shape = grad_norm_frame(metrics, labels, clip)
    return grad_norm_view(shape, labels, frame)


def grad_norm_frame(
    metrics: pd.DataFrame,
    labels: Mapping[str, str],
    clip: Clip | None = None,
    floor: float | None = None,
) -> tuple[pd.DataFrame, tuple]:
    """The gradient-norm chart's data, and its shape (see ``loss_frame``).

    ``floor``: a log floor to use if it is lower than these rows' own (``log_floor``); a live
    view passes the floor of the whole run, so thinning the rows does not move the axis.
    """
    _check_clip(clip)
    rows = metric_rows(metrics, ("grad_norm", "grad_norm_clipped") if clip else ("grad_norm",))
    kinds = [labels["pre_clip"], labels["applied_norm"]]
    floor = _lower(log_floor(rows["value"]), floor)
    df = rows[["run", "step", "layer", "depth", "value"]].assign(
        plot_value=rows["value"].clip(lower=floor),
        kind=np.where(rows["name"] == "grad_norm", kinds[0], kinds[1]),
    )
    df = fit_rows(spread_layers(df), ["run", "layer", "kind"])
    if clip is not None and clip[1] is not None:
        floor = min(floor, clip[1])  # a threshold below every norm stays in view
    return df, (clip, floor, tuple(layers_by_depth(df)), tuple(runs_in(df)))


@sized
def grad_norm_view(
    shape: tuple, labels: Mapping[str, str], source: pd.DataFrame | alt.NamedData
) -> alt.TopLevelMixin:
    """The gradient-norm chart of a given shape over ``source`` (see ``loss_view``)."""
    clip, floor, layers, runs = shape
    kinds = [labels["pre_clip"], labels["applied_norm"]]
    rule = clip is not None and clip[1] is not None
    log_y = alt.Y("plot_value:Q", title=labels["grad_norm"], scale=log_scale(floor))
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
            x=step_x("step:Q", labels),
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
            opacity=fade(pick),
            tooltip=[
                alt.Tooltip("run:N", title=labels["run"]),
                alt.Tooltip("layer:N", title=labels["layer"]),
                alt.Tooltip("kind:N", title=labels["norm_kind"]),
            ],
        )
        if clip:
            lines = lines.encode(strokeDash=dash)
        points = lone_points(base, ["layer", "kind"], color=color, opacity=fade(pick))
        owned = lines.add_params(pick) if owner else lines
        return alt.layer(owned, points, hover_points(base), *extra)

    if len(runs) <= 1:
        height = tall_enough(len(layers), len(kinds) if clip else 0)
        return panel().properties(title=labels["title_grad_norm"], width="container", height=height)
    charts = [
        panel(r, owner=i == 0).properties(
            title=run_title(labels, r), width=PANEL_WIDTH, height=PANEL_HEIGHT
        )
        for i, r in enumerate(runs)
    ]
    return run_panels(charts, labels["title_grad_norm"], x="shared", y="shared", color="shared")


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
    rows = metric_rows(metrics, ("grad_norm",))
    cells = max(1, len(rows.drop_duplicates(["run", "layer"])))
    bins = max(1, min(max_bins, MAX_ROWS // cells))  # bins x layers x runs rows
    df = bin_steps(rows, bins) if len(rows) else rows.assign(log10=[], step_start=[], step_end=[])
    runs = tuple(runs_in(df))
    if len(runs) <= 1:
        return df, ((tuple(layers_by_depth(df)),), runs)
    layers = tuple(tuple(layers_by_depth(df[df["run"] == r])) for r in runs)
    return df, (layers, runs)


def heatmap_panel(
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
    extra = {"opacity": fade(pick)} if pick is not None else {}
    rects = data.mark_rect(strokeWidth=1, clip=brush is not None).encode(
        x=step_x("step_start:Q", labels, scale=x_scale),
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
    return filled_by(rects, "log10", labels["log10_grad_norm"], scale)


@sized
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
        return heatmap_panel(source, labels, scale, list(own)[::-1], run)

    if len(runs) <= 1:
        return panel(layers[0]).properties(
            title=labels["title_heatmap"], width="container", height=height
        )
    charts = [
        panel(own, r).properties(title=run_title(labels, r), width=PANEL_WIDTH, height=height)
        for own, r in zip(layers, runs, strict=True)
    ]
    return run_panels(
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
    df = _latest(metric_rows(metrics, ("grad_norm", *FRACTIONS)))
    floor = _lower(log_floor(df.loc[df["name"] == "grad_norm", "value"]), floor)
    df = df.assign(plot_value=df["value"].where(df["name"] != "grad_norm", df["value"].clip(floor)))
    names = [n for n in ("grad_norm", *FRACTIONS) if n == "grad_norm" or (df["name"] == n).any()]
    layers = tuple((n, tuple(layers_by_depth(df[df["name"] == n]))) for n in names)
    return df, (floor, layers, tuple(runs_in(df)))


@sized
def layer_bars_view(
    shape: tuple, labels: Mapping[str, str], source: pd.DataFrame | alt.NamedData
) -> alt.TopLevelMixin:
    """The bars of a given shape over ``source`` (see ``loss_view``)."""
    floor, layers, runs = shape
    by_run = {}
    if len(runs) > 1:
        by_run = {
            "color": run_color(labels, runs),
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
        bars(n, order, log_scale(floor) if n == "grad_norm" else alt.Scale(domain=[0, 1]))
        for n, order in layers
    ]
    # Stacked, not side by side: a single run draws this chart in half the page, where two
    # panels with their layer names ran past the column (the second's title was cut).
    return alt.vconcat(*charts, title=labels["title_layer_bars"])
