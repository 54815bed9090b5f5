"""What every chart module shares: sizes, palettes, run colours, the row limits and the helpers
that keep a chart within them, and the small Altair pieces several charts are built from.

``LABEL_KEYS`` lists every key the training, gradient, boundary, recurrent, compare and sweep
charts read from the ``labels`` mapping each chart function takes (pages pass their translation
table); the concept and Questions charts list their own.

Log scales: a gradient norm of exactly 0 (a dead layer) cannot sit on a log axis. Rather than
dropping those rows, which would make a dead layer look like a run that stopped, values <= 0
are CLAMPED to a floor, the power of ten one decade below the smallest positive value's decade
(``log_floor``), and log axes start at that floor: a zero norm lies on the axis line or has no
bar, and is the darkest cell of the heatmap. Tooltips show the raw value.

Pure: altair, numpy and pandas only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

# Chart text in the page's own font, then CJK fonts, so Chinese titles, axes and legends draw as
# glyphs (Debian's fonts-noto-cjk gives Noto Sans CJK SC), then any sans-serif.
FONT = (
    '"Source Sans", "Source Sans Pro", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", '
    '"Microsoft YaHei", sans-serif'
)


def with_font(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with every text in FONT (titles, axes, legends, text marks)."""
    return chart.configure(font=FONT)


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


# -- sizing, thinning and binning ------------------------------------------------------------


def sized(build: Callable[..., alt.TopLevelMixin]) -> Callable[..., alt.TopLevelMixin]:
    """Decorate a chart function to set autosize explicitly.

    Without it Streamlit applies "fit", which squeezes the title, axes and legends INTO the
    given height: a 100 px heatmap kept ~25 px for its cells. A container-wide view fits its
    width only; fixed-size panels keep their sizes ("pad")."""

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
        layers = layers_by_depth(part)
        if len(layers) > max_layers:
            picks = np.unique(np.linspace(0, len(layers) - 1, max_layers).round().astype(int))
            layers = [layers[i] for i in picks]
        keep.append(part[part["layer"].isin(layers)])
    return pd.concat(keep) if keep else frame


def metric_rows(metrics: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
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


def layers_by_depth(frame: pd.DataFrame) -> list[str]:
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


def bin_steps(
    rows: pd.DataFrame, max_bins: int, by: Sequence[str] = ("layer", "depth")
) -> pd.DataFrame:
    """Mean log10 gradient norm (and mean norm) per run, ``by`` (a layer; or a time step) and
    step bin, the steps of each run split into at most ``max_bins`` bins (see ``_step_bins``)."""
    rows = rows.assign(log10=np.log10(rows["value"].clip(lower=log_floor(rows["value"]))))
    parts = []
    for _, part in rows.groupby("run", sort=True):
        starts, ends = _step_bins(part["step"].to_numpy(), max_bins)
        i = np.searchsorted(starts, part["step"].to_numpy(), side="right") - 1
        parts.append(part.assign(step_start=starts[i], step_end=ends[i]))
    keys = ["run", *by, "step_start", "step_end"]
    binned = pd.concat(parts).groupby(keys, as_index=False, dropna=False)
    return binned.agg(log10=("log10", "mean"), value=("value", "mean"))


# -- pieces of charts ------------------------------------------------------------------------


def log_scale(floor: float) -> alt.Scale:
    """A log scale starting at ``floor`` (see ``log_floor``), not rounded to a nicer decade."""
    return alt.Scale(type="log", domainMin=floor, nice=False)


def fade(pick: alt.Parameter) -> dict:
    """An opacity condition: full for what the legend selection ``pick`` picked, FADED else."""
    return alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(FADED))


def run_title(labels: Mapping[str, str], run: str) -> str:
    """A small multiple's title: the run it shows ("Run A")."""
    return f"{labels['run']} {run}"


def tall_enough(*legends: int) -> int:
    """The height of a container-wide plot beside symbol legends of these many entries: its
    own height, or more if they need it (fit-x autosizing clips what the plot does not span)."""
    return max(PANEL_HEIGHT, sum(LEGEND_TITLE + LEGEND_ROW * n for n in legends if n))


def run_panels(charts: list[alt.TopLevelMixin], title: str, **shared: str) -> alt.ConcatChart:
    """One panel per run, wrapped in rows of COLUMNS, with the named scales shared."""
    return alt.concat(*charts, columns=COLUMNS, title=title).resolve_scale(**shared)


def filled_by(chart: alt.Chart, field: str, title: str, scale: alt.Scale) -> alt.Chart:
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


def run_color(
    labels: Mapping[str, str], runs: Sequence[str], every: Sequence[str] | None = None
) -> alt.Color:
    """Colour by run, in ``runs``' order, each run's colour from ``run_colours``."""
    return alt.Color("run:N", title=labels["run"], sort=list(runs), scale=run_colours(runs, every))


# Steps are whole numbers: no "0.5" ticks early on, no "0.000000" when only step 0 is in.
STEP_AXIS = alt.Axis(format="d", tickMinStep=1)


def step_x(field: str, labels: Mapping[str, str], **kwargs: Any) -> alt.X:
    """An x channel of training steps on whole-number ticks (``kwargs`` go to ``alt.X``)."""
    return alt.X(field, title=labels["step"], axis=STEP_AXIS, **kwargs)


def lone_points(part: alt.Chart, series: list[str], **encoding: Any) -> alt.Chart:
    """Points for the series that have one record so far (step 0, the first thing a run sends):
    a line needs two, and an empty chart would say nothing."""
    return (
        part.transform_joinaggregate(records="count()", groupby=series)
        .transform_filter(alt.datum.records == 1)
        .mark_point(filled=True, size=50, opacity=1)
        .encode(**encoding)
    )


def hover_points(base: alt.Chart) -> alt.Chart:
    """Invisible points over a line chart's ``base`` that carry its tooltip values.

    Vega's tooltip on a line reports the line's FIRST point, so lines carry only their identity
    in the tooltip and these points (invisible, still hit-tested) carry the values."""
    return base.mark_circle(size=60, opacity=0)
