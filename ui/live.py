"""Drawing a run group: status and progress, the live charts, the divergence banner, downloads.

The charts are built by the ``charts`` package (pure Altair); this module turns the group's
state into the tidy frames those functions take, and places them. It is called from a fragment
that reruns several times a second while the group trains, so it draws from thinned frames and
keeps each chart's spec until its data changes (``ChartSlots``, over charts/vega.py).

What every lab page uses to draw its own live charts: ``ChartSlots(group)`` (the specs and the
metrics of one redraw), ``show_chart(spec)`` and ``grid_ui(specs, several)`` (placing them),
``clip_of(config)`` (the clipping the gradient-norm chart marks) and ``loss_references``.
"""

from __future__ import annotations

import functools
import io
import time
import zipfile
from collections.abc import Callable, Hashable, Mapping

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from charts import boundary, gradients, training, vega
from charts.style import log_floor, thin_steps
from models.config import DataConfig, RunConfig
from models.datasets import make_dataset, noise_floor, trivial_baseline
from models.export import keras_script
from models.frames import frame_to_ipc
from models.infra.jobs import CANCELLED_REASON
from ui.i18n import chart_labels, t
from ui.runs import LabRun, RunGroup
from ui.text import escape_markdown, say_markdown

LIVE_STEPS = 100  # distinct steps per run drawn while training (all are kept and exported)
FINAL_STEPS = 400  # ... and once the runs have ended
LIVE_EVERY = 0.15  # seconds between redraws of the live view while training
QUEUED_EVERY = 1.0  # ... while every run of the group waits in the queue
MAX_POINTS = 500  # data points drawn over the decision boundary


def status_ui(group: RunGroup) -> None:
    """One progress bar per run, with a one-line status."""
    for run in group.runs:
        total = max(run.result.total_steps or run.config.total_steps, 1)
        elapsed = time.monotonic() - group.started_at
        st.progress(min(run.step / total, 1.0), text=status_text(run, elapsed))


def status_text(run: LabRun, elapsed: float = 0.0) -> str:
    result, label = run.result, run.label
    if result.finished:
        return t(
            f"dn.status.{result.status}",
            label=label,
            step=result.steps,
            wall=result.wall_time,
            reason=say_markdown(result.reason) if result.reason is not None else "",
        )
    if run.stopping:
        return t("dn.status.stopping", label=label, step=run.step)
    if run.queue_position is not None:
        return t("dn.status.queued", label=label, position=run.queue_position)
    if not run.started or not result.total_steps:
        return t("dn.status.starting", label=label)
    return t(
        "dn.status.running", label=label, step=run.step, total=result.total_steps, wall=elapsed
    )


def banners_ui(group: RunGroup) -> None:
    """A diverged run is an outcome, not an error: a warning that says what to try."""
    for run in group.runs:
        r = run.result
        if r.status == "diverged":
            step = r.diverged_at if r.diverged_at is not None else r.steps
            reason = say_markdown(r.reason) if r.reason is not None else ""
            st.warning(t("dn.diverged_banner", label=run.label, step=step, reason=reason))
        elif r.status in ("failed", "interrupted"):
            st.error(status_text(run))
        elif r.status == "stopped" and r.reason is not None and r.reason != CANCELLED_REASON:
            # A limit ended it (the time limit, a server shutting down): say which one, as the
            # `why` of the pool's job.stopped ("stopped: ..." would repeat the banner's words).
            why = say_markdown(r.reason.values.get("why", r.reason))
            st.warning(t("dn.stopped_banner", label=run.label, step=r.steps, reason=why))


@st.cache_data(max_entries=32, show_spinner=False)
def loss_references(data: DataConfig) -> tuple[float | None, float | None]:
    """The loss chart's two reference lines: the trivial baseline, the line to beat (for
    `adding`, always answering 1.0, ~0.167; otherwise the best constant guess: ln 2 for two
    balanced classes) and, for a regression task with noise, the noise floor, the lowest loss
    any model can reach (models.datasets.noise_floor)."""
    scores = trivial_baseline(make_dataset(data))
    return scores.get("mse_predict_one", scores["loss"]), noise_floor(data)


def charts_ui(group: RunGroup) -> None:
    """The five live charts; side-by-side runs overlay or appear as aligned small multiples.

    This runs several times a second while the group trains. Building an Altair chart costs
    tens of milliseconds per chart, so each chart is split into its frame (cheap) and a spec
    built once per shape (see ``ChartSlots.framed``); only the rows change between redraws.
    """
    slots = ChartSlots(group)
    if slots.empty:
        return
    labels, m = chart_labels(), slots.metrics
    first = group.runs[0].config
    clip = clip_of(first)
    parts = {
        "loss": (
            lambda: training.loss_frame(m.thinned, labels, *loss_references(first.data)),
            training.loss_view,
        ),
        "grad": (
            lambda: gradients.grad_norm_frame(m.thinned, labels, clip, m.floor),
            gradients.grad_norm_view,
        ),
        "heatmap": (
            lambda: gradients.grad_heatmap_frame(m.thinned, labels),
            gradients.grad_heatmap_view,
        ),
        "bars": (
            lambda: gradients.layer_bars_frame(m.thinned, labels, m.floor),
            gradients.layer_bars_view,
        ),
    }
    specs = {name: slots.framed(name, frame, view, labels) for name, (frame, view) in parts.items()}
    snapshots = tuple(len(r.result.snapshots) for r in group.runs)
    if any(snapshots) and not first.task.is_sequence:
        frame = functools.partial(boundary_frame, group, labels)
        specs["boundary"] = slots.framed(
            "boundary", frame, boundary.boundary_view, labels, version=snapshots
        )
    show_chart(specs.pop("loss"))
    grid_ui(list(specs.values()), several=len(group.runs) > 1)


def clip_of(config: RunConfig) -> tuple[str, float | None] | None:
    """The config's clipping as the gradient-norm chart marks it (charts.gradients.Clip): the
    rule, and the norm it clips to, or None for clipvalue, which bounds each element of a
    gradient, not a norm: there is no threshold line to draw."""
    clipping = config.optimizer.clipping
    if clipping is None:
        return None
    rule, threshold = clipping
    return rule, None if rule == "clipvalue" else threshold


def grid_ui(specs: list[dict], several: bool) -> None:
    """Chart specs two to a row, or (``several`` runs) one to a row: side-by-side runs are
    drawn as fixed-size small multiples, which ran past a half-page column. One run's charts
    stretch to their column or are narrower than it. (A stacked loss and accuracy chart is
    fixed-size at any run count: pages show it on a row of its own, before these.)"""
    if several:
        for spec in specs:
            show_chart(spec)
        return
    for start in range(0, len(specs), 2):
        for spec, col in zip(specs[start : start + 2], st.columns(2), strict=False):
            with col:
                show_chart(spec)


def show_chart(spec: dict) -> None:
    """Draw a spec from ``ChartSlots``: a single view stretches to its column; concatenated
    panels keep their fixed sizes (stretched, they would be cut off)."""
    st.vega_lite_chart(spec, width="stretch" if vega.stretches(spec) else "content")


def arrow_bytes(frame: pd.DataFrame) -> bytes:
    """The rows of one chart dataset as an Arrow IPC stream, which Streamlit hands the browser
    as it is (lists of records would be converted again at every redraw). The run store's
    codec, uncompressed: Streamlit's frontend reads the stream as it comes."""
    return frame_to_ipc(frame)


class Metrics:
    """The group's metrics for one redraw, computed only if a chart needs them: thinned for
    drawing, and the log floor of every gradient norm recorded so far (thinning drops rows, so
    the thinned rows' floor would move up and down between redraws; this one only goes down)."""

    def __init__(self, group: RunGroup):
        self.group = group

    @functools.cached_property
    def all(self) -> pd.DataFrame:
        """Every recorded row of every run of the group (column ``run``: the run's label)."""
        return self.group.metrics()

    @functools.cached_property
    def thinned(self) -> pd.DataFrame:
        """At most LIVE_STEPS distinct steps per run while the group trains, FINAL_STEPS after."""
        steps = LIVE_STEPS if self.group.active else FINAL_STEPS
        return thin_steps(self.all, max_steps=steps)

    @functools.cached_property
    def floor(self) -> float:
        """The log floor of every gradient norm (pre- and post-clip) recorded so far."""
        norms = self.all["name"].isin(["grad_norm", "grad_norm_clipped"])
        return log_floor(self.all.loc[norms, "value"])


class ChartSlots:
    """A run group's live charts at one redraw: each chart's Vega-Lite spec by name, made
    again only when its data changed (the specs are kept on the group, ``group.specs``).

    A lab page's chart function makes one, returns if it is ``empty`` (nothing recorded yet),
    and draws ``show_chart(slots.chart("loss", lambda: training.loss_chart(...)))``; the charts
    read ``slots.metrics`` (thinned rows and the gradient norms' log floor).
    """

    def __init__(self, group: RunGroup):
        self.group = group
        # What the charts' data depends on: whether the runs train, and how many rows each has.
        self.version: tuple = (group.active, *(len(r.frame) for r in group.runs))
        self.metrics = Metrics(group)

    @property
    def empty(self) -> bool:
        """True before the first record of any run: there is nothing to chart."""
        return not any(self.version[1:])

    def chart(self, name: str, build: Callable[[], alt.TopLevelMixin]) -> dict:
        """The spec of the Altair chart ``build()`` makes, built again only when the group's
        data changed."""
        return self.kept(name, self.version, lambda: vega.vega_spec(build(), name, arrow_bytes))

    def framed(
        self,
        name: str,
        frame: Callable[[], tuple[pd.DataFrame, Hashable]],
        view: Callable[..., alt.TopLevelMixin],
        labels: Mapping[str, str],
        version: Hashable | None = None,
    ) -> dict:
        """The spec of a chart split into ``frame`` and ``view`` (a chart module's ``*_frame``
        and ``*_view``): the Altair chart is built only for a new shape, and a redraw only
        serializes the new rows (charts.vega.live_spec). ``version``: what its data depends
        on, if not the group's rows (the boundary's: the count of snapshots)."""
        return self.kept(
            name,
            self.version if version is None else version,
            lambda: vega.live_spec(self.group.skeletons, name, frame, view, labels, arrow_bytes),
        )

    def kept(self, name: str, version: Hashable, make: Callable[[], dict]) -> dict:
        """``make()``'s spec, made again only when ``version`` changed (the CNN filters': the
        count of filter snapshots)."""
        return self.group.specs.get(name, version, make)


def boundary_frame(group: RunGroup, labels: dict[str, str]) -> tuple[pd.DataFrame, tuple]:
    """The decision boundary (or regression surface) over the 2-D input, with the data."""
    runs = [r for r in group.runs if r.last_snapshot() is not None]
    kind = "regression" if runs[0].config.task.kind == "regression" else "binary"
    grid = pd.concat([_grid_frame(r) for r in runs], ignore_index=True)
    return boundary.boundary_frame(grid, _points_frame(runs[0].config.data), labels, kind)


def _grid_frame(run: LabRun) -> pd.DataFrame:
    snap = run.last_snapshot()
    xs, ys = np.asarray(snap["xs"]), np.asarray(snap["ys"])
    values = np.asarray(snap["values"], dtype=float)  # rows along y
    gx, gy = np.meshgrid(xs, ys)
    return pd.DataFrame(
        {"run": run.label, "x0": gx.ravel(), "x1": gy.ravel(), "value": values.ravel()}
    )


@st.cache_data(max_entries=64, show_spinner=False)
def _points_frame(data: DataConfig) -> pd.DataFrame:
    """The data points drawn over the boundary (seeded, so the same points the worker trains on)."""
    ds = make_dataset(data)
    parts = []
    for split, x, y in (("train", ds.x_train, ds.y_train), ("test", ds.x_test, ds.y_test)):
        parts.append(pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "label": y[:, 0], "split": split}))
    frame = pd.concat(parts, ignore_index=True)
    if len(frame) > MAX_POINTS:
        frame = frame.sample(MAX_POINTS, random_state=0).sort_index()
    return frame


def _run_files(run: LabRun) -> list[tuple[str, object, str, str]]:
    """(kind, data or a callable that makes it, file name, MIME type) of one run's downloads."""
    name = f"gradient-lab-{run.label.lower()}-{run.config.model.activation}"
    files = [
        ("csv", run.metrics_csv, f"{name}.metrics.csv", "text/csv"),
        ("parquet", run.metrics_parquet, f"{name}.metrics.parquet", "application/octet-stream"),
        ("json", run.record_json, f"{name}.run.json", "application/json"),
        ("script", functools.partial(keras_script, run.config), f"{name}.py", "text/x-python"),
    ]
    if run.keras_file is not None:
        files.append(("keras", run.keras_file, f"{name}.keras", "application/octet-stream"))
    return files


def runs_archive(runs: list[LabRun]) -> bytes:
    """Every run's files in one zip archive, made when the button is clicked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for run in runs:
            for _, data, file_name, _ in _run_files(run):
                archive.writestr(file_name, data() if callable(data) else data)
    return buffer.getvalue()


def downloads_ui(group: RunGroup) -> None:
    """One download menu per run (metrics as CSV or Parquet, the run record as the CLI's JSON,
    a Keras script, the trained model) and, side by side, one archive of every run's files."""
    runs = [r for r in group.runs if len(r.frame) or r.finished]
    if not runs:
        return
    several = len(runs) > 1
    cols = st.columns(len(runs) + several)
    for run, col in zip(runs, cols, strict=False):
        menu = col.popover(t("dn.download.menu", label=run.label), width="stretch")
        if run.keras_file is None and run.keras_error:
            menu.caption(t("dn.download.keras_unavailable", error=escape_markdown(run.keras_error)))
        for kind, data, file_name, mime in _run_files(run):
            menu.download_button(
                t(f"dn.download.{kind}"),
                data=data,  # a callable: the file is made only when clicked
                file_name=file_name,
                mime=mime,
                on_click="ignore",
                help=t(f"dn.download.{kind}_help"),
                key=f"dl-{kind}-{run.label}",
                width="stretch",
            )
    if several:
        cols[-1].download_button(
            t("dn.download.all"),
            data=functools.partial(runs_archive, runs),
            file_name="gradient-lab-runs.zip",
            mime="application/zip",
            on_click="ignore",
            help=t("dn.download.all_help"),
            key="dl-all",
            width="stretch",
        )
