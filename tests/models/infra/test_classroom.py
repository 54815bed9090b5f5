"""Classes in the run store (models/infra/classroom.py), on SQLite and on a real PostgreSQL: the
secrets a teacher gets, students joining under the store's name rules, sharing only what a
student shares, the admin key's powers and nobody else's, the limits, and the v3 -> v4 migration.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text

from models.infra import classroom
from models.infra.classroom import SharedRun, board, create_class, join, share, tally
from models.infra.store import SCHEMA_VERSION, RunStore, StoreError

HOSTILE = "<script>alert(1)</script> **b** [x](javascript:alert(1))"


@pytest.fixture
def lesson_id(store) -> str:
    return store.save_lesson(json.dumps({"page": "deep_networks"}))


@pytest.fixture
def made(store, lesson_id) -> tuple[str, str]:
    return create_class(store, lesson_id)


def run(label="A", loss=0.5, predicted=0, measured=1, **changed) -> SharedRun:
    return SharedRun(
        run_id=f"{label.lower()}" * 32,
        label=label,
        status="completed",
        changed={k.replace("__", "."): v for k, v in changed.items()},
        metrics={"val_loss": loss, "val_accuracy": None},
        predicted=predicted,
        measured=measured,
    )


def code_of(excinfo) -> str:
    return excinfo.value.problem.code


def test_a_class_has_two_unguessable_secrets_and_keeps_only_the_admin_keys_hash(store, made):
    class_id, admin_key = made
    assert classroom.is_secret(class_id) and classroom.is_secret(admin_key)
    assert class_id != admin_key
    info = classroom.get_class(store, class_id)
    assert info is not None and not info.closed and (info.students, info.shared) == (0, 0)
    with store.engine.connect() as conn:
        stored = " ".join(map(str, conn.execute(text("SELECT * FROM classes")).one()))
    assert admin_key not in stored
    assert classroom.is_admin(store, class_id, admin_key)
    assert not classroom.is_admin(store, admin_key, class_id)  # the two swapped


def test_a_class_of_no_lesson_is_refused(store):
    with pytest.raises(StoreError) as excinfo:
        create_class(store, "0" * 32)
    assert code_of(excinfo) == "class.no_lesson"


def test_forged_or_truncated_ids_and_keys_open_nothing(store, made):
    class_id, admin_key = made
    join(store, class_id, "s1", "Li")
    share(store, class_id, "s1", [run()])
    forged = [
        class_id[:-1],
        class_id + "0",
        class_id.upper(),
        "0" * 32,
        "' OR '1'='1",
        "x" * 10_000,
        None,
        42,
    ]
    for bad in forged:
        assert classroom.get_class(store, bad) is None
        assert board(store, bad) == [] and board(store, bad, hidden=True) == []
        assert not classroom.is_admin(store, class_id, bad)
        assert not classroom.is_admin(store, bad, admin_key)
        assert not classroom.set_closed(store, class_id, bad)
        with pytest.raises(StoreError) as excinfo:
            join(store, bad, "s2", "Wang")
        assert code_of(excinfo) == "class.not_found"
    entry = board(store, class_id)[0]
    assert not classroom.set_hidden(store, class_id, admin_key[:-1] + "0", entry.id)
    assert board(store, class_id) == [entry]


def test_names_follow_the_stores_rules_are_unique_and_kept_as_typed(store, made):
    class_id, _ = made
    assert join(store, class_id, "s1", f"  {HOSTILE}  ") == HOSTILE  # text, kept as text
    assert classroom.student_name(store, class_id, "s1") == HOSTILE
    assert join(store, class_id, "s1", "Li") == "Li"  # a rename, not a second student
    assert classroom.get_class(store, class_id).students == 1
    refusals = {
        "": "class.name_empty",
        "a" * 101: "class.name_too_long",
        "Li\x00": "class.name_control",
        "Li\u202e": "class.name_control",
        None: "class.name_not_text",
    }
    for name, code in refusals.items():
        with pytest.raises(StoreError) as excinfo:
            join(store, class_id, "s2", name)
        assert code_of(excinfo) == code
    with pytest.raises(StoreError) as excinfo:
        join(store, class_id, "s2", "Li")
    assert code_of(excinfo) == "class.name_taken"
    assert classroom.student_name(store, class_id, "s2") is None


def test_only_shared_runs_reach_the_board_with_their_name_changes_and_metrics(store, made):
    class_id, _ = made
    join(store, class_id, "s1", "Li")
    join(store, class_id, "s2", "Wang")
    with pytest.raises(StoreError) as excinfo:
        share(store, class_id, "s3", [run()])  # never joined
    assert code_of(excinfo) == "class.not_joined"
    assert board(store, class_id) == []  # joining shares nothing
    share(store, class_id, "s1", [run("A", 0.4, optimizer__learning_rate="0.1"), run("B", 0.7)])
    entries = board(store, class_id)
    assert [(e.name, e.run.label) for e in entries] == [("Li", "A"), ("Li", "B")]
    assert entries[0].run.changed == {"optimizer.learning_rate": "0.1"}
    assert entries[0].run.metrics == {"val_loss": 0.4, "val_accuracy": None}
    assert entries[0].batch == entries[1].batch


def test_the_admin_hides_entries_and_closes_the_class(store, made):
    class_id, admin_key = made
    join(store, class_id, "s1", "Li")
    share(store, class_id, "s1", [run("A")])
    share(store, class_id, "s1", [run("A", 0.3)])
    first, second = board(store, class_id)
    assert classroom.set_hidden(store, class_id, admin_key, first.id)
    assert board(store, class_id) == [second]
    assert [e.hidden for e in board(store, class_id, hidden=True)] == [True, False]
    assert classroom.set_hidden(store, class_id, admin_key, first.id, hidden=False)
    assert len(board(store, class_id)) == 2
    assert classroom.set_closed(store, class_id, admin_key)
    assert classroom.get_class(store, class_id).closed
    for attempt in (
        lambda: share(store, class_id, "s1", [run()]),
        lambda: join(store, class_id, "s2", "W"),
    ):
        with pytest.raises(StoreError) as excinfo:
            attempt()
        assert code_of(excinfo) == "class.closed"
    assert len(board(store, class_id)) == 2  # what was shared stays


def test_the_limits_refuse_the_201st_student_and_the_2001st_run(store, made):
    class_id, _ = made
    assert (classroom.MAX_STUDENTS, classroom.MAX_SHARED) == (200, 2_000)
    for i in range(200):
        join(store, class_id, f"s{i}", f"student {i}")
    with pytest.raises(StoreError) as excinfo:
        join(store, class_id, "s200", "one too many")
    assert excinfo.value.problem.code == "class.full"
    assert excinfo.value.problem.values == {"limit": 200}
    join(store, class_id, "s0", "renamed")  # a student already in may still rename
    share(store, class_id, "s0", [run("A")] * 1_999)
    with pytest.raises(StoreError) as excinfo:
        share(store, class_id, "s1", [run("A"), run("B")])  # 2,001 > 2,000: neither
    assert code_of(excinfo) == "class.board_full"
    assert excinfo.value.problem.values == {"limit": 2_000}
    share(store, class_id, "s1", [run("A")])
    assert classroom.get_class(store, class_id).shared == 2_000
    assert len(board(store, class_id)) == 2_000


def test_the_tally_counts_each_students_latest_prediction_and_each_batchs_measure(store, made):
    class_id, _ = made
    for s, name in (("s1", "Li"), ("s2", "Wang"), ("s3", "Zhang")):
        join(store, class_id, s, name)
    share(store, class_id, "s1", [run("A", predicted=0, measured=1)])
    share(store, class_id, "s1", [run("A", predicted=1, measured=1)])  # changed their mind
    share(
        store,
        class_id,
        "s2",
        [run("A", predicted=0, measured=0), run("B", predicted=0, measured=0)],
    )
    share(store, class_id, "s3", [run("A", predicted=None, measured=None)])
    got = tally(board(store, class_id), answers=2)
    assert got.chose == (1, 1)  # Li: 1 (latest), Wang: 0; Zhang predicted nothing
    assert got.measured == (1, 2)  # batches: Li's two measured 1, Wang's one measured 0


def test_a_schema_3_database_gains_the_class_tables_and_keeps_its_lessons(store, db_url):
    lesson_id = store.save_lesson("{}")
    with store.engine.begin() as conn:  # what schema 3 had: no class tables
        for table in ("class_runs", "class_students", "classes"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE store_meta SET value = '3' WHERE key = 'schema_version'"))
    store.engine.dispose()
    store = RunStore(db_url)
    tables = set(inspect(store.engine).get_table_names())
    assert {"classes", "class_students", "class_runs"} <= tables
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM store_meta")).scalar_one() == "4"
    assert SCHEMA_VERSION == 4
    class_id, _ = create_class(store, lesson_id)
    assert classroom.get_class(store, class_id).lesson_id == lesson_id
    store.engine.dispose()
