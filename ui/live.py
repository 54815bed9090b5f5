"""Drawing a run group: status and progress, the live charts, the divergence banner, downloads.

The charts are built by ``charts.py`` (pure Altair); this module turns the group's state into
the tidy frames those functions take, and places them. It is called from a fragment that
reruns several times a second while the group trains, so it draws from thinned frames.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

import charts
from models.config import DataConfig
from models.datasets import make_dataset
from ui.i18n import chart_labels, t
from ui.runs import LabRun, RunGroup

LIVE_STEPS = 150  # distinct steps per run drawn while training (all are kept and exported)
FINAL_STEPS = 400  # ... and once the runs have ended
# Seconds: while training, a chart is rebuilt at most this often. Redrawing Vega charts is the
# browser's main cost, so the curves users watch step by step redraw 4 times a second and the
# per-layer summaries once a second; the status lines update at every redraw of the view.
REBUILD_EVERY = {"loss": 0.25, "grad": 0.25, "heatmap": 1.0, "bars": 1.0, "boundary": 1.0}
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


def charts_ui(group: RunGroup) -> None:
    """The five live charts; side-by-side runs overlay or appear as aligned small multiples.

    Building an Altair chart costs tens of milliseconds, and this runs several times a second:
    each chart's spec is kept on the group and rebuilt only when its data has changed.
    """
    labels = chart_labels()
    version = (group.active, *(len(r.frame) for r in group.runs))
    if not any(version[1:]):
        return
    memo: dict[str, pd.DataFrame] = {}
    steps = LIVE_STEPS if group.active else FINAL_STEPS

    def metrics() -> pd.DataFrame:
        if "m" not in memo:
            memo["m"] = charts.thin_steps(group.metrics(), max_steps=steps)
        return memo["m"]

    clip = group.runs[0].config.optimizer.clipping
    loss = _spec(group, "loss", version, lambda: charts.loss_chart(metrics(), labels))
    views = [
        _spec(group, "grad", version, lambda: charts.grad_norm_chart(metrics(), labels, clip)),
        _spec(group, "heatmap", version, lambda: charts.grad_heatmap(metrics(), labels)),
        _spec(group, "bars", version, lambda: charts.layer_bars(metrics(), labels)),
    ]
    snapshots = tuple(len(r.result.snapshots) for r in group.runs)
    if any(snapshots) and not group.runs[0].config.task.is_sequence:
        views.append(_spec(group, "boundary", snapshots, lambda: boundary_chart(group, labels)))
    _show(loss)
    if len(group.runs) > 1:  # small multiples need the whole width
        for view in views:
            _show(view)
        return
    for pair in (views[:2], views[2:]):
        for view, col in zip(pair, st.columns(2), strict=False):
            with col:
                _show(view)


def _spec(group: RunGroup, name: str, version: tuple, build) -> dict:
    """The chart's Vega-Lite spec, rebuilt when `version` (its data) changed, and while the
    group trains at most every REBUILD_EVERY[name] seconds. Altair's schema validation is
    skipped here: tests/test_charts.py validates what the builders make."""
    hit = group.views.get(name)
    now = time.monotonic()
    fresh = hit is not None and (
        hit[0] == version or (group.active and now - hit[2] < REBUILD_EVERY[name])
    )
    if not fresh:
        spec = build().to_dict(validate=False)
        # Inline datasets as Arrow IPC bytes, once: Streamlit passes bytes through, whereas
        # lists of records are converted again on every redraw (the live view's main cost).
        spec["datasets"] = {k: _arrow(v) for k, v in spec.get("datasets", {}).items()}
        hit = (version, spec, now)
        group.views[name] = hit
    return hit[1]


def _arrow(records: list[dict]) -> bytes:
    table = pa.Table.from_pandas(pd.DataFrame.from_records(records), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _show(spec: dict) -> None:
    # A single view stretches to its column; concatenated panels have fixed sizes in Vega-Lite
    # and would be cut off if stretched.
    stretch = spec.get("width") == "container"
    st.vega_lite_chart(spec, width="stretch" if stretch else "content")


def boundary_chart(group: RunGroup, labels: dict[str, str]):
    """The decision boundary (or regression surface) over the 2-D input, with the data."""
    runs = [r for r in group.runs if r.last_snapshot() is not None]
    kind = "regression" if runs[0].config.task.kind == "regression" else "binary"
    grid = pd.concat([_grid_frame(r) for r in runs], ignore_index=True)
    return charts.boundary_chart(grid, _points_frame(runs[0].config.data), labels, kind)


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


def downloads_ui(group: RunGroup) -> None:
    """Per run: the metrics as long-form CSV and the run record as the CLI's JSON."""
    runs = [r for r in group.runs if len(r.frame) or r.finished]
    if not runs:
        return
    for run, col in zip(runs, st.columns(len(runs)), strict=True):
        name = f"gradient-lab-{run.label.lower()}-{run.config.model.activation}"
        suffix = f" — {run.label}" if len(runs) > 1 else ""
        for kind, data, file_name, mime in (
            ("csv", run.metrics_csv, f"{name}.metrics.csv", "text/csv"),
            ("json", run.record_json, f"{name}.run.json", "application/json"),
        ):
            col.download_button(
                t(f"dn.download.{kind}") + suffix,
                data=data,  # a callable: the file is made only when clicked
                file_name=file_name,
                mime=mime,
                on_click="ignore",
                help=t("dn.download.help") if kind == "csv" else None,
                key=f"dl-{kind}-{run.label}",
            )
