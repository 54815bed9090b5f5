"""The run store's tables and their migrations (models/infra/store.py opens the database;
models/infra/classroom.py keeps a class's students and shared runs in the same one).

Every table is declared here, on one ``metadata``, so ``metadata.create_all`` makes all of them
in a new database and adds the ones an older database lacks; ``migrate`` then changes what
``create_all`` cannot (a new column in an existing table) and records ``SCHEMA_VERSION``.
Imports neither TensorFlow nor Streamlit.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    update,
)
from sqlalchemy.engine import Connection

# 2: runs.filters (a CNN's first-layer filters); 3: the lessons table; 4: classes, their
# students and the runs shared to a class board
SCHEMA_VERSION = 4
MAX_NAME = 100  # characters of a run name, and of a student's name in a class

metadata = MetaData()
meta_table = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)
runs_table = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(128), nullable=False, index=True),
    Column("name", String(MAX_NAME), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("steps", Integer, nullable=False),
    Column("diverged_at", Integer),
    Column("reason", Text),  # JSON {"code", "values"}; older runs: an English sentence
    Column("wall_time", Float, nullable=False),
    Column("params", Integer),
    Column("config", Text, nullable=False),  # the normalized config, JSON
    Column("layers", Text, nullable=False),  # JSON
    Column("snapshots", Text, nullable=False),  # JSON
    Column("filters", Text),  # JSON; NULL for runs saved before schema 2 (no filters then)
    Column("metrics", LargeBinary, nullable=False),  # Arrow IPC stream, zstd
)
lessons_table = Table(  # a teacher's lesson (models.teaching.lessons), by an unguessable id
    "lessons",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("spec", Text, nullable=False),  # the lesson, JSON
)
classes_table = Table(  # a lesson given to one class: its board (models.infra.classroom)
    "classes",
    metadata,
    Column("id", String(32), primary_key=True),  # unguessable: in the students' link
    Column("lesson_id", String(32), nullable=False),
    Column("admin_hash", String(64), nullable=False),  # SHA-256 of the teacher's admin key
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed", Boolean, nullable=False, default=False),  # no new students or runs
)
class_students_table = Table(  # who joined a class, by their browser's owner key
    "class_students",
    metadata,
    Column("class_id", String(32), primary_key=True),
    Column("student", String(128), primary_key=True),  # the run store's owner (a hash)
    Column("name", String(MAX_NAME), nullable=False),  # as typed, checked; shown as text
    Column("joined_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("class_id", "name", name="uq_class_student_name"),
)
class_runs_table = Table(  # a run a student shared to the class board (one row per run)
    "class_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", String(32), nullable=False, index=True),
    Column("student", String(128), nullable=False),
    Column("batch", String(16), nullable=False),  # one share click: the runs of one Train
    Column("run_id", String(32), nullable=False),  # in the runs table: opens in Compare
    Column("label", String(1), nullable=False),  # A-D
    Column("status", String(16), nullable=False),
    Column("changed", Text, nullable=False),  # JSON {field: value}: what the student changed
    Column("metrics", Text, nullable=False),  # JSON {metric: final value or null}
    Column("predicted", Integer),  # the student's answer to the lesson's prediction
    Column("measured", Integer),  # the answer the runs of this batch measured
    Column("hidden", Boolean, nullable=False, default=False),  # by the teacher
    Column("shared_at", DateTime(timezone=True), nullable=False),
)


def migrate(conn: Connection, version: int) -> None:
    """Upgrade a database written by an older schema to SCHEMA_VERSION, one step at a time, in
    the caller's transaction (a failed step leaves the database as it was). New tables are made
    by ``metadata.create_all`` before this runs."""
    assert version <= SCHEMA_VERSION
    if version < 2:  # v1 -> v2: the runs table gains its filters column
        conn.execute(text("ALTER TABLE runs ADD COLUMN filters TEXT"))
    # v2 -> v3: the lessons table; v3 -> v4: the three class tables (all new tables)
    if version < SCHEMA_VERSION:
        conn.execute(
            update(meta_table)
            .where(meta_table.c.key == "schema_version")
            .values(value=str(SCHEMA_VERSION))
        )
