"""Classes: a lesson given to one class, its students and the runs they share to its board.

A teacher makes a class of a lesson (``create_class``) and gets two secrets: the class id, which
goes into the students' lesson link and opens the board read-only, and an admin key, which goes
only into the teacher's board link and lets it hide an entry or close the class. Both are 128
random bits; the database keeps the admin key's SHA-256 only, and compares in constant time.

A student joins once with a display name (the run store's name rules, unique in the class),
keyed by their browser's owner key (ui/owner.py), so a reload keeps it. Nothing is shared
without a click: ``share`` stores the runs of one Train (a batch) with what the student changed,
the final metrics, their prediction and what the runs measured. Limits: ``MAX_STUDENTS`` per
class and ``MAX_SHARED`` runs per class; a closed class takes neither. Each refusal is a
``StoreError`` whose problem is a ``class.*`` code with values.

Every id and key from a link is checked for its shape before it reaches a query, and every
query binds its values. Imports neither TensorFlow nor Streamlit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from models.infra.schema import class_runs_table, class_students_table, classes_table
from models.infra.store import ID_BYTES, RunStore, StoreError, check_name
from models.problems import problem

MAX_STUDENTS = 200  # per class
MAX_SHARED = 2_000  # runs shared to one class's board
_SECRET = re.compile(rf"[0-9a-f]{{{2 * ID_BYTES}}}")  # a class id or an admin key, exactly


@dataclass(frozen=True)
class ClassInfo:
    id: str
    lesson_id: str
    closed: bool
    students: int
    shared: int


@dataclass(frozen=True)
class SharedRun:
    """One run as a student shares it: its saved id and label (A-D), how it ended, the fields
    the student changed from the lesson ({path: value as text}), its final metrics, and the
    batch's prediction (the student's answer) and measured answer (indexes, or None)."""

    run_id: str
    label: str
    status: str
    changed: dict[str, str]
    metrics: dict[str, float | None]
    predicted: int | None = None
    measured: int | None = None


@dataclass(frozen=True)
class BoardEntry:
    id: int
    name: str  # the student's display name (text, never markup)
    batch: str
    run: SharedRun
    hidden: bool
    shared_at: datetime


def is_secret(value: object) -> bool:
    """True for text shaped like a class id or admin key (32 hex digits); anything else from a
    link (truncated, forged, 10 kB) is refused before any query."""
    return isinstance(value, str) and _SECRET.fullmatch(value) is not None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def create_class(store: RunStore, lesson_id: str) -> tuple[str, str]:
    """A new class of a stored lesson: (class id, admin key)."""
    if store.get_lesson(lesson_id) is None:
        raise StoreError(problem("class.no_lesson"))
    class_id, admin_key = secrets.token_hex(ID_BYTES), secrets.token_hex(ID_BYTES)
    values = {
        "id": class_id,
        "lesson_id": lesson_id,
        "admin_hash": _hash(admin_key),
        "created_at": datetime.now(UTC),
        "closed": False,
    }
    with store.writing() as conn:
        conn.execute(insert(classes_table).values(**values))
    return class_id, admin_key


def get_class(store: RunStore, class_id: object) -> ClassInfo | None:
    """The class a link's id names, with its counts; None for any other text."""
    if not is_secret(class_id):
        return None
    with store.reading() as conn:
        row = conn.execute(
            select(classes_table.c.lesson_id, classes_table.c.closed).where(
                classes_table.c.id == class_id
            )
        ).first()
        if row is None:
            return None
        students = _count(conn, class_students_table, class_id)
        shared = _count(conn, class_runs_table, class_id)
    return ClassInfo(class_id, row.lesson_id, bool(row.closed), students, shared)


def _count(conn, table, class_id: str) -> int:
    query = select(func.count()).select_from(table).where(table.c.class_id == class_id)
    return int(conn.execute(query).scalar_one())


def is_admin(store: RunStore, class_id: object, admin_key: object) -> bool:
    """True only for the class's own admin key (compared in constant time)."""
    if not is_secret(class_id) or not is_secret(admin_key):
        return False
    with store.reading() as conn:
        stored = conn.execute(
            select(classes_table.c.admin_hash).where(classes_table.c.id == class_id)
        ).scalar_one_or_none()
    return stored is not None and hmac.compare_digest(stored, _hash(admin_key))


def _open_class(conn, class_id: object) -> None:
    """Refuse (StoreError) a class that does not exist or is closed, inside a write."""
    closed = None
    if is_secret(class_id):
        closed = conn.execute(
            select(classes_table.c.closed).where(classes_table.c.id == class_id)
        ).scalar_one_or_none()
    if closed is None:
        raise StoreError(problem("class.not_found"))
    if closed:
        raise StoreError(problem("class.closed"))


def student_name(store: RunStore, class_id: object, student: str) -> str | None:
    """The name a student (an owner key) joined the class with, or None."""
    if not is_secret(class_id):
        return None
    with store.reading() as conn:
        return conn.execute(
            select(class_students_table.c.name).where(
                class_students_table.c.class_id == class_id,
                class_students_table.c.student == student,
            )
        ).scalar_one_or_none()


def join(store: RunStore, class_id: object, student: str, name: object) -> str:
    """A student joins (or renames themself in) a class; returns the name as stored."""
    name = _student_name(name)
    try:
        with store.writing() as conn:
            _open_class(conn, class_id)
            where = (
                class_students_table.c.class_id == class_id,
                class_students_table.c.student == student,
            )
            known = conn.execute(select(class_students_table.c.name).where(*where)).first()
            if known is not None:
                conn.execute(update(class_students_table).where(*where).values(name=name))
                return name
            if _count(conn, class_students_table, class_id) >= MAX_STUDENTS:
                raise StoreError(problem("class.full", limit=MAX_STUDENTS))
            values = {"class_id": class_id, "student": student, "name": name}
            conn.execute(insert(class_students_table).values(**values, joined_at=_now()))
    except StoreError as exc:
        if _is_duplicate(exc):
            raise StoreError(problem("class.name_taken", name=name)) from None
        raise
    return name


def _student_name(name: object) -> str:
    """The run store's name rules (``check_name``), said of a student's name."""
    try:
        return check_name(name)
    except StoreError as exc:
        said = {
            "store.name_not_text": problem("class.name_not_text"),
            "store.name_empty": problem("class.name_empty"),
            "store.name_too_long": problem("class.name_too_long", **exc.problem.values),
            "store.name_control": problem("class.name_control"),
        }[exc.problem.code]
        raise StoreError(said) from None


def _is_duplicate(exc: StoreError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, IntegrityError)


def _now() -> datetime:
    return datetime.now(UTC)


def share(store: RunStore, class_id: object, student: str, runs: list[SharedRun]) -> str:
    """Put the runs of one Train on the class board; returns the batch's id. Refused when the
    student has not joined, the class is closed, or the board would pass MAX_SHARED runs."""
    batch = secrets.token_hex(8)
    with store.writing() as conn:
        _open_class(conn, class_id)
        joined = conn.execute(
            select(class_students_table.c.name).where(
                class_students_table.c.class_id == class_id,
                class_students_table.c.student == student,
            )
        ).first()
        if joined is None:
            raise StoreError(problem("class.not_joined"))
        if _count(conn, class_runs_table, class_id) + len(runs) > MAX_SHARED:
            raise StoreError(problem("class.board_full", limit=MAX_SHARED))
        rows = [
            {
                "class_id": class_id,
                "student": student,
                "batch": batch,
                "run_id": run.run_id,
                "label": run.label,
                "status": run.status,
                "changed": json.dumps(run.changed, allow_nan=False),
                "metrics": json.dumps(run.metrics, allow_nan=False),
                "predicted": run.predicted,
                "measured": run.measured,
                "hidden": False,
                "shared_at": _now(),
            }
            for run in runs
        ]
        if rows:
            conn.execute(insert(class_runs_table), rows)
    return batch


def board(store: RunStore, class_id: object, hidden: bool = False) -> list[BoardEntry]:
    """The runs shared to a class, oldest first; the ones the teacher hid only with
    ``hidden=True`` (the admin's view). Empty for an id that names no class."""
    if not is_secret(class_id):
        return []
    t, s = class_runs_table, class_students_table
    query = (
        select(t, s.c.name)
        .join(s, (s.c.class_id == t.c.class_id) & (s.c.student == t.c.student))
        .where(t.c.class_id == class_id)
        .order_by(t.c.id)
    )
    if not hidden:
        query = query.where(t.c.hidden.is_(False))
    with store.reading() as conn:
        rows = conn.execute(query).mappings().all()
    return [_entry(row) for row in rows]


def _entry(row: Any) -> BoardEntry:
    run = SharedRun(
        run_id=row["run_id"],
        label=row["label"],
        status=row["status"],
        changed=json.loads(row["changed"]),
        metrics=json.loads(row["metrics"]),
        predicted=row["predicted"],
        measured=row["measured"],
    )
    return BoardEntry(row["id"], row["name"], row["batch"], run, row["hidden"], row["shared_at"])


def set_hidden(
    store: RunStore, class_id: object, admin_key: object, entry_id: int, hidden: bool = True
) -> bool:
    """The teacher hides (or shows again) one board entry; False without the admin key."""
    if not is_admin(store, class_id, admin_key):
        return False
    t = class_runs_table
    with store.writing() as conn:
        query = update(t).where(t.c.class_id == class_id, t.c.id == int(entry_id))
        return conn.execute(query.values(hidden=hidden)).rowcount > 0


def set_closed(store: RunStore, class_id: object, admin_key: object, closed: bool = True) -> bool:
    """The teacher closes the class to new students and runs (or opens it again); False
    without the admin key."""
    if not is_admin(store, class_id, admin_key):
        return False
    with store.writing() as conn:
        query = update(classes_table).where(classes_table.c.id == class_id)
        return conn.execute(query.values(closed=closed)).rowcount > 0


@dataclass(frozen=True)
class Tally:
    """The prediction's tally: how many students chose each answer (each student's latest
    shared prediction), and how many share batches measured each answer."""

    chose: tuple[int, ...]
    measured: tuple[int, ...]


def tally(entries: list[BoardEntry], answers: int) -> Tally:
    latest: dict[str, int | None] = {}  # by student name, in share order
    batches: dict[str, int | None] = {}
    for entry in entries:
        latest[entry.name] = entry.run.predicted
        batches[entry.batch] = entry.run.measured
    chose, measured = Counter(latest.values()), Counter(batches.values())
    return Tally(
        tuple(chose.get(i, 0) for i in range(answers)),
        tuple(measured.get(i, 0) for i in range(answers)),
    )
