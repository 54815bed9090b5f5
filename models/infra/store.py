"""The run store: finished, stopped and diverged runs, kept in a database through SQLAlchemy 2.

One setting picks the database: ``GRADIENT_LAB_DB`` (models/infra/settings.py), either a
SQLAlchemy URL (``postgresql+psycopg://...`` for a hosted demo with several replicas) or a file
path for the embedded SQLite default (``~/.gradient-lab/runs.db`` when unset). The schema is
created on first use; its version is kept in the ``store_meta`` table, and a database written by
a newer version is refused (``store.newer_schema``) rather than misread (an upgrade adds a step
in ``models.infra.schema.migrate``; the tables are declared there).

Faults say what they are, as a ``StoreError`` whose ``problem`` is a code with values
(models.problems; the pages and the CLI word it): a database locked by another process
(``LOCKED``, after waiting at most ``BUSY_TIMEOUT`` for the lock) or read-only (``READ_ONLY``),
each with the call that failed (``doing``: opening, reading, saving); any other driver fault as
``store.failed`` with the driver's first line (``error``, diagnostic); a bad run name, URL or
owner by its rule. A store opened during a lock or read-only fault opens anyway and tries to
prepare its schema again at each call, so it recovers once the fault is gone.

A run's ``reason`` (why it ended: models/record.py) is kept in a text column as the JSON of its
code and values; a run saved before reasons were codes holds an English sentence there, which
``get`` returns as it is (``models.record.reason_problem`` reads both).

A run's metric records are stored as one Arrow IPC stream (zstd-compressed, models/frames.py) in
a binary column: a 20,000-step x 64-layer run is millions of rows, which load as one column read
and one decode instead of millions of ORM rows. Everything else is a plain column, written with
bound parameters only.

Privacy on a shared host: ``list_runs(owner)`` returns only that owner's runs (the pages pass
a hash of the browser's owner token, ui/owner.py; the CLI any name); ``delete_all(owner)``
forgets them all; ``get(run_id)`` serves anyone who holds the id, which is an unguessable
token, the share link. This module imports neither TensorFlow nor Streamlit.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import create_engine, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from models.frames import frame_from_ipc, frame_to_ipc
from models.infra import settings
from models.infra.schema import (  # noqa: F401  (runs_table: the tests read rows through it)
    MAX_NAME,
    SCHEMA_VERSION,
    lessons_table,
    meta_table,
    metadata,
    migrate,
    runs_table,
)
from models.problems import Problem, ProblemError, problem
from models.record import CSV_COLUMNS, reason_json

COMPRESSION = "zstd"  # of the metrics stream (bench/store.py compares it with lz4)
ID_BYTES = 16  # 128 random bits: the share link's id cannot be guessed
_ID = re.compile(rf"[0-9a-f]{{{2 * ID_BYTES}}}")
DEFAULT_PATH = Path.home() / ".gradient-lab" / "runs.db"
BUSY_TIMEOUT = 2.0  # seconds SQLite waits for another process's lock (its default is 5): a
# save or a Compare page blocked by a lock says so this soon; a normal write holds it for ms
LOCKED, READ_ONLY = "store.locked", "store.read_only"  # faults the pages name (problem codes)
# What a store call was doing when it failed: the first half of its problem's sentence.
_OPENING, _READING, _SAVING = (
    problem("store.opening"),
    problem("store.reading"),
    problem("store.saving"),
)

SUMMARY_COLUMNS = ("id", "name", "created_at", "status", "steps", "diverged_at", "wall_time")


class StoreError(ProblemError):
    """The store cannot do what was asked: ``err.problem`` says why, a code with values (its
    ``code`` is LOCKED or READ_ONLY when the database is)."""


@dataclass(frozen=True)
class RunSummary:
    id: str
    name: str
    created_at: datetime
    status: str
    steps: int
    diverged_at: int | None
    wall_time: float
    final_loss: float | None = None


def database_url(setting: str | None = None) -> str:
    """The SQLAlchemy URL for a setting (a URL or a file path); GRADIENT_LAB_DB by default."""
    setting = setting if setting is not None else settings.database()
    if not setting:
        return f"sqlite:///{DEFAULT_PATH}"
    if "://" in setting:
        return setting
    return f"sqlite:///{Path(setting).expanduser()}"


def check_name(name: str) -> str:
    """A run name as stored: stripped, at most MAX_NAME characters, no control characters."""
    if not isinstance(name, str):
        raise StoreError(problem("store.name_not_text"))
    name = name.strip()
    if not name:
        raise StoreError(problem("store.name_empty"))
    if len(name) > MAX_NAME:
        raise StoreError(problem("store.name_too_long", limit=MAX_NAME, length=len(name)))
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise StoreError(problem("store.name_control"))
    return name


METRICS_SCHEMA = pa.schema(
    [
        ("step", pa.int64()),
        ("name", pa.dictionary(pa.int32(), pa.string())),
        ("layer", pa.dictionary(pa.int32(), pa.string())),
        ("depth", pa.float64()),
        ("t", pa.float64()),
        ("value", pa.float64()),
    ]
)


def metrics_to_arrow(rows: list[dict] | pd.DataFrame) -> bytes:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(rows)
    frame = frame.reindex(columns=list(CSV_COLUMNS))
    typed = frame.astype({"step": "int64", "value": "float64", "depth": "float64", "t": "float64"})
    return frame_to_ipc(typed, METRICS_SCHEMA, compression=COMPRESSION)


def metrics_from_arrow(payload: bytes) -> pd.DataFrame:
    """The long-form metrics frame (CSV_COLUMNS). ``name`` and ``layer`` are categoricals (a
    handful of distinct strings over millions of rows): converting them to Python strings would
    take most of a large run's load time."""
    return frame_from_ipc(payload)


class RunStore:
    """Runs in one database. Thread-safe: every call takes its own connection."""

    def __init__(self, url: str | None = None):
        self.url = database_url(url)
        try:
            parsed = make_url(self.url)
        except (ArgumentError, ValueError) as exc:
            raise StoreError(problem("store.bad_url", error=str(exc))) from exc
        database = parsed.database or ""
        if (
            parsed.get_backend_name() == "sqlite"
            and database not in ("", ":memory:")
            and not (
                database.startswith("file:")  # a SQLite URI names an existing file
            )
        ):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # e.g. a part of the path is a file, or not writable
                error = str(exc.strerror or exc)
                raise StoreError(problem("store.failed", doing=_OPENING, error=error)) from exc
        connect_args = {"timeout": BUSY_TIMEOUT} if parsed.get_backend_name() == "sqlite" else {}
        self.engine: Engine = create_engine(self.url, connect_args=connect_args)
        self._prepared = False
        self._prepare_lock = threading.Lock()
        try:
            self._ensure_prepared()
        except StoreError as exc:
            if exc.problem.code not in (LOCKED, READ_ONLY):
                raise  # not a database, or one from a newer version: refused now
            # Locked or read-only right now: every call prepares again until it works.

    def _ensure_prepared(self) -> None:
        if self._prepared:
            return
        with self._prepare_lock:
            if not self._prepared:
                self._prepare()
                self._prepared = True

    def _prepare(self) -> None:
        try:
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                row = conn.execute(
                    select(meta_table.c.value).where(meta_table.c.key == "schema_version")
                ).first()
                if row is None:
                    value = str(SCHEMA_VERSION)  # a new database has every column already
                    conn.execute(insert(meta_table).values(key="schema_version", value=value))
                    version = SCHEMA_VERSION
                else:
                    version = int(row[0])
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        problem("store.newer_schema", version=version, supported=SCHEMA_VERSION)
                    )
                migrate(conn, version)
        except SQLAlchemyError as exc:
            raise self._error(_OPENING, exc) from exc

    def save(self, record: dict[str, Any], owner: str, name: str | None = None) -> str:
        """Store a run record (the CLI's JSON, metrics included); returns its new id."""
        if record.get("status") not in ("completed", "stopped", "diverged", "interrupted"):
            raise StoreError(problem("store.not_ended"))
        config = record["config"]
        model = config.get("model", {})
        default = f"{model.get('arch', 'run')} {model.get('depth', '')}x{model.get('width', '')}"
        run_id = secrets.token_hex(ID_BYTES)
        values = {
            "id": run_id,
            "owner": str(owner)[:128],
            "name": check_name(name if name is not None else default),
            "created_at": datetime.now(UTC),
            "status": record["status"],
            "steps": int(record.get("steps") or 0),
            "diverged_at": record.get("diverged_at"),
            "reason": _reason_column(record.get("reason")),
            "wall_time": float(record.get("wall_time") or 0.0),
            "params": record.get("params"),
            "config": json.dumps(config, allow_nan=False),
            "layers": json.dumps(record.get("layers", []), allow_nan=False),
            "snapshots": json.dumps(record.get("snapshots", []), allow_nan=False),
            "filters": json.dumps(record.get("filters", []), allow_nan=False),
            "metrics": metrics_to_arrow(record.get("metrics", [])),
        }
        self._write(insert(runs_table).values(**values))
        return run_id

    def save_lesson(self, spec_json: str) -> str:
        """Store a lesson (its JSON, checked by the caller); returns its new, unguessable id."""
        lesson_id = secrets.token_hex(ID_BYTES)
        values = {"id": lesson_id, "created_at": datetime.now(UTC), "spec": spec_json}
        self._write(insert(lessons_table).values(**values))
        return lesson_id

    def get_lesson(self, lesson_id: str) -> str | None:
        """A stored lesson's JSON, or None for an id that names none (any text is safe)."""
        if not _ID.fullmatch(str(lesson_id)):
            return None
        with self.reading() as conn:
            row = conn.execute(
                select(lessons_table.c.spec).where(lessons_table.c.id == lesson_id)
            ).first()
        return None if row is None else row[0]

    def list_runs(self, owner: str) -> list[RunSummary]:
        """The owner's runs, newest first (never anyone else's)."""
        cols = [runs_table.c[c] for c in SUMMARY_COLUMNS]
        query = select(*cols).where(runs_table.c.owner == owner)
        with self.reading() as conn:
            rows = conn.execute(query.order_by(runs_table.c.created_at.desc())).all()
        return [RunSummary(*row) for row in rows]

    def list_all(self) -> list[tuple[str, RunSummary]]:
        """Every run with its owner: for the operator's CLI, never for a browser session."""
        cols = [runs_table.c.owner] + [runs_table.c[c] for c in SUMMARY_COLUMNS]
        with self.reading() as conn:
            rows = conn.execute(select(*cols).order_by(runs_table.c.created_at.desc())).all()
        return [(row[0], RunSummary(*row[1:])) for row in rows]

    def get(self, run_id: str) -> dict[str, Any] | None:
        """The run record (the CLI's JSON shape, plus id and name) for an id, or None."""
        if not isinstance(run_id, str) or len(run_id) != 2 * ID_BYTES:
            return None
        with self.reading() as conn:
            row = conn.execute(select(runs_table).where(runs_table.c.id == run_id)).first()
        if row is None:
            return None
        m = row._mapping
        return {
            "id": m["id"],
            "name": m["name"],
            "created_at": m["created_at"].isoformat(),
            "config": json.loads(m["config"]),
            "status": m["status"],
            "diverged_at": m["diverged_at"],
            "reason": _reason_of(m["reason"]),
            "steps": m["steps"],
            "wall_time": m["wall_time"],
            "params": m["params"],
            "layers": json.loads(m["layers"]),
            "metrics": metrics_from_arrow(m["metrics"]),
            "snapshots": json.loads(m["snapshots"]),
            "filters": json.loads(m["filters"]) if m["filters"] else [],
        }

    def rename(self, run_id: str, owner: str, name: str) -> bool:
        query = (
            update(runs_table)
            .where(runs_table.c.id == run_id, runs_table.c.owner == owner)
            .values(name=check_name(name))
        )
        return self._write(query) > 0

    def delete(self, run_id: str, owner: str | None = None) -> bool:
        """Delete a run; with an owner, only if it is theirs. True if a run was deleted."""
        query = delete(runs_table).where(runs_table.c.id == run_id)
        if owner is not None:
            query = query.where(runs_table.c.owner == owner)
        return self._write(query) > 0

    def delete_all(self, owner: str) -> int:
        """Delete every run of an owner (and nobody else's); returns how many were deleted."""
        if not isinstance(owner, str) or not owner:
            raise StoreError(problem("store.no_owner"))
        return self._write(delete(runs_table).where(runs_table.c.owner == owner))

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads, its faults as StoreError (doing: reading)."""
        self._ensure_prepared()
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:  # raised by the queries too, not only by connecting
            raise self._error(_READING, exc) from exc

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One transaction (committed at the end, rolled back on an error), its faults as
        StoreError: for the class tables' checks and writes that must see each other."""
        self._ensure_prepared()
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise self._error(_SAVING, exc) from exc

    def _write(self, statement) -> int:
        self._ensure_prepared()
        try:
            return self._execute(statement)
        except SQLAlchemyError as exc:
            if _fault(exc) != READ_ONLY:
                raise self._error(_SAVING, exc) from exc
        # Nothing was written. The pooled connection may be one a read opened while the file was
        # read-only, which stays so after the file is made writable: once more, on a fresh one.
        self.engine.dispose()
        try:
            return self._execute(statement)
        except SQLAlchemyError as exc:
            raise self._error(_SAVING, exc) from exc

    def _execute(self, statement) -> int:
        with self.engine.begin() as conn:
            return conn.execute(statement).rowcount

    def _error(self, doing: Problem, exc: SQLAlchemyError) -> StoreError:
        """A failed call (``doing``: _OPENING, _READING or _SAVING), with the fault it names."""
        fault = _fault(exc)
        if fault == READ_ONLY:
            # An SQLite connection opened on a read-only file stays read-only after the file is
            # made writable again: drop the pooled ones, so the next call opens fresh ones.
            self.engine.dispose()
            return StoreError(problem("store.read_only", doing=doing))
        if fault == LOCKED:
            return StoreError(problem("store.locked", doing=doing, seconds=BUSY_TIMEOUT))
        return StoreError(problem("store.failed", doing=doing, error=_short(exc)))


def _reason_column(reason: Any) -> str | None:
    """A record's reason as the reason column keeps it: the JSON of its code and values (a
    record read from an older file may hold an English sentence: kept as it is)."""
    if reason is None or isinstance(reason, str):
        return reason
    if isinstance(reason, Problem):
        reason = reason_json(reason)
    return json.dumps(reason, allow_nan=False)


def _reason_of(column: str | None) -> dict | str | None:
    """The reason column as a record holds it: ``{"code", "values"}``, or the English sentence
    a run saved before reasons were codes has (none of those starts with a brace)."""
    if column is None or not column.startswith("{"):
        return column
    try:
        reason = json.loads(column)
    except ValueError:
        return column
    return reason if isinstance(reason, dict) and "code" in reason else column


def _fault(exc: SQLAlchemyError) -> str | None:
    """LOCKED or READ_ONLY if the driver's error says the database is, else None."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)  # sqlite3 (Python 3.11+): the extended code
    if code is not None:
        primary = code & 0xFF
        if primary in (5, 6):  # SQLITE_BUSY: another connection holds the lock; SQLITE_LOCKED
            return LOCKED
        if primary == 8:  # SQLITE_READONLY: a read-only file, directory, mount or open mode
            return READ_ONLY
        return None
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # PostgreSQL
    return {"55P03": LOCKED, "25006": READ_ONLY}.get(sqlstate)


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return text[:200]


def record_json(record: dict[str, Any]) -> str:
    """A stored run as the CLI's run-record JSON (metrics as a list of rows)."""
    out = {k: v for k, v in record.items() if k != "metrics"}
    frame = record["metrics"]
    rows = []
    for r in frame.itertuples(index=False):
        rows.append(
            {
                "step": int(r.step),
                "name": str(r.name),
                "layer": None if pd.isna(r.layer) else str(r.layer),
                "depth": None if pd.isna(r.depth) else int(r.depth),
                "t": None if pd.isna(r.t) else int(r.t),
                "value": float(r.value),
            }
        )
    out["metrics"] = rows
    return json.dumps(out, allow_nan=False)
