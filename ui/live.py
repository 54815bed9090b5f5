"""Drawing a run group: status and progress, the live charts, the divergence banner, downloads.

The charts are built by ``charts.py`` (pure Altair); this module turns the group's state into
the tidy frames those functions take, and places them. It is called from a fragment that
reruns several times a second while the group trains, so it draws from thinned frames.
"""

from __future__ import annotations

import functools
import io
import json
import re
import time
import zipfile

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

import charts
from models.config import DataConfig
from models.datasets import make_dataset, noise_floor, trivial_baseline
from models.export import keras_script
from models.jobs import CANCELLED_REASON
from ui.i18n import chart_labels, t
from ui.runs import LabRun, RunGroup
from ui.text import escape_markdown

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
            reason=result.reason or "",
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
            st.warning(t("dn.diverged_banner", label=run.label, step=step, reason=r.reason))
        elif r.status in ("failed", "interrupted"):
            st.error(status_text(run))
        elif r.status == "stopped" and r.reason and r.reason != CANCELLED_REASON:
            # A limit ended it (the time limit, a server shutting down): say which one.
            reason = r.reason.removeprefix("stopped: ")
            st.warning(t("dn.stopped_banner", label=run.label, step=r.steps, reason=reason))


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
    built once per shape (see ``chart_spec``); only the rows change from one redraw to the next.
    """
    version = _version(group)
    if version is None:
        return
    labels, m = chart_labels(), _Metrics(group)
    clip = group.runs[0].config.optimizer.clipping
    parts = {
        "loss": (
            lambda: charts.loss_frame(
                m.thinned, labels, *loss_references(group.runs[0].config.data)
            ),
            charts.loss_view,
        ),
        "grad": (
            lambda: charts.grad_norm_frame(m.thinned, labels, clip, m.floor),
            charts.grad_norm_view,
        ),
        "heatmap": (lambda: charts.grad_heatmap_frame(m.thinned, labels), charts.grad_heatmap_view),
        "bars": (
            lambda: charts.layer_bars_frame(m.thinned, labels, m.floor),
            charts.layer_bars_view,
        ),
    }
    specs = {
        name: _spec(group, name, version, functools.partial(chart_spec, name, *part, labels, group))
        for name, part in parts.items()
    }
    snapshots = tuple(len(r.result.snapshots) for r in group.runs)
    if any(snapshots) and not group.runs[0].config.task.is_sequence:
        frame = functools.partial(boundary_frame, group, labels)
        make = functools.partial(chart_spec, "boundary", frame, charts.boundary_view, labels, group)
        specs["boundary"] = _spec(group, "boundary", snapshots, make)
    _show(specs.pop("loss"))
    grid_ui(list(specs.values()), several=len(group.runs) > 1)


def grid_ui(views: list[dict], several: bool) -> None:
    """Chart specs two to a row, or (``several`` runs) one to a row: side-by-side runs are
    drawn as fixed-size small multiples, which ran past a half-page column. One run's charts
    stretch to their column or are narrower than it. (A stacked loss and accuracy chart is
    fixed-size at any run count: pages show it on a row of its own, before these.)"""
    if several:
        for view in views:
            _show(view)
        return
    for start in range(0, len(views), 2):
        for view, col in zip(views[start : start + 2], st.columns(2), strict=False):
            with col:
                _show(view)


def chart_spec(name: str, frame, view, labels, group) -> dict:
    """A chart's spec from its frame, building the Altair chart only for a new shape.

    ``frame()`` gives the rows and the shape (everything else the spec depends on); the spec
    of the current shape, built by ``view`` over a named dataset, is kept on the group, so a
    redraw only converts the new rows to Arrow.
    """
    data, shape = frame()
    hit = group.skeletons.get(name)
    if hit is None or hit[0] != shape:
        hit = (shape, vega_spec(view(shape, labels, alt.NamedData(f"{name}-live")), name))
        group.skeletons[name] = hit
    spec = dict(hit[1])
    spec["datasets"] = {**hit[1]["datasets"], f"{name}-live": _arrow_frame(data)}
    return spec


def _version(group: RunGroup) -> tuple | None:
    """What the charts' data depends on; None before the first record."""
    version = (group.active, *(len(r.frame) for r in group.runs))
    return version if any(version[1:]) else None


class _Metrics:
    """The group's metrics for one redraw, computed only if a chart needs them: thinned for
    drawing, and the log floor of every gradient norm recorded so far (thinning drops rows, so
    the thinned rows' floor would move up and down between redraws; this one only goes down)."""

    def __init__(self, group: RunGroup):
        self.group = group

    @functools.cached_property
    def all(self) -> pd.DataFrame:
        return self.group.metrics()

    @functools.cached_property
    def thinned(self) -> pd.DataFrame:
        steps = LIVE_STEPS if self.group.active else FINAL_STEPS
        return charts.thin_steps(self.all, max_steps=steps)

    @functools.cached_property
    def floor(self) -> float:
        norms = self.all["name"].isin(["grad_norm", "grad_norm_clipped"])
        return charts.log_floor(self.all.loc[norms, "value"])


def _spec(group: RunGroup, name: str, version: tuple, make) -> dict:
    """The chart's Vega-Lite spec (from ``make()``), made again only when `version` (its data)
    changed. Altair's schema validation is skipped here: tests/test_charts.py validates what the
    builders make."""
    hit = group.views.get(name)
    if hit is None or hit[0] != version:
        hit = (version, make())
        group.views[name] = hit
    return hit[1]


def vega_spec(chart, name: str) -> dict:
    """The chart's spec with its datasets under stable names and as Arrow IPC bytes.

    Altair names a dataset (and the views that use it) by a hash of its rows, so every redraw
    would change the spec and make the browser build a new Vega view. Named ``{name}-0``,
    ``{name}-1``... instead, a spec that only gained rows is unchanged, and Streamlit swaps the
    data in the existing view.
    Arrow bytes are passed through by Streamlit, where lists of records would be converted
    again at every redraw.
    """
    spec = chart.to_dict(validate=False)
    datasets = spec.pop("datasets", {})
    text = json.dumps(spec)
    renamed = {}
    for i, (old, records) in enumerate(datasets.items()):
        new = f"{name}-{i}"
        text = text.replace(json.dumps(old), json.dumps(new))
        renamed[new] = _arrow(records)
    # Altair also names views and selections by hashes that cover the data.
    for prefix in ("view", "param"):
        found = dict.fromkeys(re.findall(rf'"{prefix}_[0-9a-f]+(?:_[0-9]+)?"', text))
        for i, old in enumerate(found):
            text = text.replace(old, f'"{name}_{prefix}_{i}"')
    spec = json.loads(text)
    spec["datasets"] = renamed
    # Canvas: a live chart redraws several times a second, and updating thousands of SVG
    # nodes (heatmap and boundary cells) is what costs the browser most.
    spec["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    return spec


def _arrow_frame(frame: pd.DataFrame) -> bytes:
    return _arrow_table(pa.Table.from_pandas(frame, preserve_index=False))


def _arrow(records: list[dict]) -> bytes:
    return _arrow_frame(pd.DataFrame.from_records(records))


def _arrow_table(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _show(spec: dict) -> None:
    # A single view stretches to its column; concatenated panels have fixed sizes in Vega-Lite
    # and would be cut off if stretched.
    stretch = spec.get("width") == "container"
    st.vega_lite_chart(spec, width="stretch" if stretch else "content")


def boundary_frame(group: RunGroup, labels: dict[str, str]) -> tuple[pd.DataFrame, tuple]:
    """The decision boundary (or regression surface) over the 2-D input, with the data."""
    runs = [r for r in group.runs if r.last_snapshot() is not None]
    kind = "regression" if runs[0].config.task.kind == "regression" else "binary"
    grid = pd.concat([_grid_frame(r) for r in runs], ignore_index=True)
    return charts.boundary_frame(grid, _points_frame(runs[0].config.data), labels, kind)


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
