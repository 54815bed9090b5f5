"""A session's group of runs (A, B, C, D): submit to the job pool, fold streamed events, frames.

Pure Python + pandas (no Streamlit, no TensorFlow), so it is tested without a browser. The
server keeps metrics column-wise in pandas frames rather than as millions of small dicts.
"""

from __future__ import annotations

import io
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from charts.vega import SpecCache
from models.config import RunConfig
from models.fields import FIELDS, applies, to_flat
from models.infra.jobs import Job, JobPool, JobRefused
from models.infra.store import LOCKED, READ_ONLY, StoreError
from models.record import CSV_COLUMNS, RunResult
from ui.i18n import say, t

RUN_LABELS = ("A", "B", "C", "D")  # at most four configs side by side


@dataclass
class LabRun:
    """One config of the group, its job and everything it has produced so far."""

    label: str
    config: RunConfig
    job: Job | None = None
    result: RunResult = field(init=False)  # status, layers, snapshots; metrics live in `frame`
    frame: pd.DataFrame = field(init=False)
    queue_position: int | None = None
    started: bool = False  # a worker has taken the job
    stopping: bool = False  # Stop was clicked; the end event has not arrived yet
    saved_id: str | None = None  # its id in the run store, once saved
    keras_file: bytes | None = None  # the trained model (.keras), sent by the worker at the end
    keras_error: str | None = None  # ... or why it could not be saved
    _pending: list[dict] = field(default_factory=list, repr=False)  # rows not yet in `frame`

    def __post_init__(self) -> None:
        self.result = RunResult(self.config)
        self.frame = _empty_frame()

    @property
    def finished(self) -> bool:
        return self.result.finished

    @property
    def step(self) -> int:
        return self.result.steps

    def add(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "queued":
            self.queue_position = event.get("position")
        elif kind == "started":
            self.queue_position, self.started = None, True
        elif kind == "records":
            self._pending.extend(event.get("records") or [])
            self.result.add({**event, "records": []})  # steps only; rows go to the frame
        elif kind == "model":
            self.keras_file, self.keras_error = event.get("keras"), event.get("error")
        else:
            self.result.add(event)

    def flush(self) -> None:
        """Append the rows received since the last flush to the frame (one concat per poll)."""
        if self._pending:
            chunk = _frame(self._pending)
            self.frame = (
                pd.concat([self.frame, chunk], ignore_index=True) if len(self.frame) else chunk
            )
            self._pending = []

    def last_snapshot(self) -> dict | None:
        return self.result.snapshots[-1] if self.result.snapshots else None

    def record_json(self) -> str:
        """The run record, the same JSON the CLI writes with --out."""
        record = self.result.to_json_dict()
        record["metrics"] = _records_from_frame(self.frame)
        return json.dumps(record, allow_nan=False)

    def record(self) -> dict:
        """The run record with its metrics as a frame (what the run store takes)."""
        return {**self.result.to_json_dict(), "metrics": self.frame}

    def metrics_parquet(self) -> bytes:
        """The long-form metrics as Parquet (pandas + pyarrow)."""
        buffer = io.BytesIO()
        self.frame.to_parquet(buffer, index=False)
        return buffer.getvalue()

    def metrics_csv(self) -> str:
        ints = self.frame.astype({"depth": "Int64", "t": "Int64"})  # 3, not 3.0; empty if n/a
        return ints.to_csv(index=False, columns=list(CSV_COLUMNS), lineterminator="\n")


@dataclass
class RunGroup:
    """The runs one Train click started. A session has at most one group running."""

    runs: list[LabRun]
    started_at: float = field(default_factory=time.monotonic)
    first_chart_after: float | None = None  # seconds from Train to the first records
    specs: SpecCache = field(default_factory=SpecCache, repr=False)  # live chart specs by name
    skeletons: SpecCache = field(default_factory=SpecCache, repr=False)  # ... and by shape
    judged: bool = False  # the ended group's verdict is computed (see ui.verdict)
    verdict: Any = None  # ... and is this (None: nothing to judge against)

    @classmethod
    def start(cls, pool: JobPool, configs: list[tuple[str, RunConfig]], owner: str) -> RunGroup:
        """Submit every config; if any is refused, cancel the others and raise JobRefused."""
        runs = [LabRun(label, cfg) for label, cfg in configs]
        try:
            for run in runs:
                run.job = pool.submit(run.config, owner=owner)
        except JobRefused:
            for run in runs:
                if run.job is not None:
                    run.job.cancel()
            raise
        return cls(runs)

    @property
    def active(self) -> bool:
        return any(not run.finished for run in self.runs)

    def poll(self) -> bool:
        """Fold the events that arrived since the last poll; True if anything changed."""
        changed = False
        for run in self.runs:
            if run.job is None:
                continue
            for event in run.job.poll():
                run.add(event)
                changed = True
            run.flush()
        if self.first_chart_after is None and any(len(r.frame) for r in self.runs):
            self.first_chart_after = time.monotonic() - self.started_at
        return changed

    def stop(self, wait: float = 0.0) -> None:
        """Cancel every run still going; then poll for up to `wait` seconds until they have
        all ended, so the page that follows the click can already say "stopped"."""
        for run in self.runs:
            if run.job is not None and not run.job.done:
                run.job.cancel()
                run.stopping = True
        deadline = time.monotonic() + wait
        while self.active and time.monotonic() < deadline:
            time.sleep(0.02)
            self.poll()

    def save(self, store, owner: str) -> str | None:
        """Save every ended run not saved yet; returns what went wrong (``store_problem``) if
        it failed."""
        try:
            names = run_names([(r.label, r.config) for r in self.runs])
            for run in self.runs:
                if run.finished and run.saved_id is None:
                    name = names[run.label]
                    run.saved_id = store.save(run.record(), owner=owner, name=name)
        except StoreError as exc:
            return store_problem(exc)
        return None

    def metrics(self) -> pd.DataFrame:
        """All runs' metrics, long form, with a ``run`` column (A, B, ...)."""
        frames = [r.frame.assign(run=r.label) for r in self.runs if len(r.frame)]
        if not frames:
            return _empty_frame().assign(run=pd.Series(dtype=str))
        return pd.concat(frames, ignore_index=True)


def store_problem(exc: StoreError) -> str:
    """What the pages say went wrong with the run store: a lock or a read-only database by
    name; anything else as unavailable, with the store's own words (English) in the server log."""
    if exc.problem.code == LOCKED:
        return t("lab.store_locked")
    if exc.problem.code == READ_ONLY:
        return t("lab.store_read_only")
    logging.getLogger("gradient_lab").warning("run store: %s", say(exc.problem))
    return t("lab.store_unavailable")


def _empty_frame() -> pd.DataFrame:
    return _frame([])


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(CSV_COLUMNS))
    return frame.astype(
        {"step": "int64", "name": "str", "layer": "object", "depth": "float64", "t": "float64"}
    ).astype({"value": "float64"})


def _records_from_frame(frame: pd.DataFrame) -> list[dict]:
    """Frame rows back to the engine's record dicts (None where a key does not apply)."""
    out = []
    for step, name, layer, depth, at, value in frame[list(CSV_COLUMNS)].itertuples(index=False):
        out.append(
            {
                "step": int(step),
                "name": name,
                "layer": layer if isinstance(layer, str) else None,
                "depth": None if np.isnan(depth) else int(depth),
                "t": None if np.isnan(at) else int(at),  # `t` is the strings' lookup here
                "value": float(value),
            }
        )
    return out


def differing_fields(configs: list[tuple[str, RunConfig]]) -> list[str]:
    """The dotted paths in which the configs differ, each config counted only where the field
    applies to it (see models.fields.applies): an MLP's `model.pooling` is no difference. A
    field that applies to some configs only differs if one of them sets it off its default
    (an MLP with batch norm beside an LSTM, which has none)."""
    flats = [(cfg, to_flat(cfg)) for _, cfg in configs]
    paths = []
    for path in flats[0][1]:
        where = [flat[path] for cfg, flat in flats if applies(cfg, path)]
        differs = len({repr(v) for v in where}) > 1
        partial = where and len(where) < len(flats) and where[0] != FIELDS[path].default
        if differs or partial:
            paths.append(path)
    return paths


def diff_table(
    configs: list[tuple[str, RunConfig]], off: str = "off", not_applicable: str = "–"
) -> pd.DataFrame:
    """Only the fields in which the configs differ: one row per field (its label), one column
    per run label (values as text, so a column can mix numbers, words and `off`, shown for
    None; `not_applicable` where the field does nothing for that config)."""
    paths = differing_fields(configs)

    def cell(cfg: RunConfig, flat: dict, path: str) -> str:
        if not applies(cfg, path):
            return not_applicable
        return off if flat[path] is None else str(flat[path])

    flats = [(label, cfg, to_flat(cfg)) for label, cfg in configs]
    return pd.DataFrame(
        {label: [cell(cfg, flat, p) for p in paths] for label, cfg, flat in flats},
        index=pd.Index([t(f"field.{p}") for p in paths], name=t("dn.compare.field")),
    )


def run_names(configs: list[tuple[str, RunConfig]], most: int = 3) -> dict[str, str]:
    """A saved run's name says what sets it apart: in a side-by-side group each other run by
    what it changes from the first ("B · relu, he_normal"), the first by what it has that the
    second has not ("A · sigmoid, glorot_uniform"), up to `most` values; a run alone, or one
    whose label already says it ("LSTM"), by its label and net ("A · mlp tanh")."""
    paths = differing_fields(configs) if len(configs) > 1 else []
    flats = [(label, cfg, to_flat(cfg)) for label, cfg in configs]
    names = {}
    for i, (label, cfg, flat) in enumerate(flats):
        ref = flats[1 if i == 0 else 0][2] if len(flats) > 1 else flat
        words = [
            _value_word(p, flat[p])
            for p in paths
            if applies(cfg, p) and flat[p] != ref[p] and str(flat[p]).lower() != label.lower()
        ][:most]
        if words:
            names[label] = f"{label} · {', '.join(words)}"
        elif len(configs) > 1 and len(label) > 1:
            names[label] = label  # "LSTM": the label is the difference
        else:
            names[label] = f"{label} · {cfg.model.arch} {cfg.model.activation}"
    return names


def _value_word(path: str, value: Any) -> str:
    """A field's value as a short word for a run name: `relu`, `batch_norm`, `no clipnorm`,
    `learning_rate 0.2`."""
    name = path.split(".", 1)[1]
    if isinstance(value, bool):
        return name if value else f"no {name}"
    if value is None:
        return f"no {name}"
    if isinstance(value, str):
        return value
    return f"{name} {value:g}" if isinstance(value, float) else f"{name} {value}"
