"""The run store (models/infra/store.py) on SQLite in a temp dir and on a throwaway PostgreSQL:
round trips, privacy, hostile names, migrations, read-only databases."""

import json
import re

import pytest
from sqlalchemy import inspect, text

from locales import say
from models.fields import parse_config
from models.infra.jobs import time_limit_reason
from models.infra.store import (
    MAX_NAME,
    READ_ONLY,
    SCHEMA_VERSION,
    RunStore,
    StoreError,
    database_url,
    record_json,
)
from models.problems import Problem
from models.record import CSV_COLUMNS, reason_json, reason_problem
from models.trainer import train
from tests.support.postgres import with_options


@pytest.fixture(scope="module")
def record():
    cfg = parse_config(
        {
            "data": {"n_samples": 200},
            "model": {"depth": 2, "width": 4},
            "train": {"epochs": 2, "record_every": 2, "snapshot_every": 5},
        }
    )
    return json.loads(json.dumps(train(cfg).to_json_dict()))  # exactly what the CLI writes


@pytest.fixture(scope="module")
def cnn_record():
    cfg = parse_config(
        {
            "data": {"name": "shapes", "n_samples": 200},
            "model": {"arch": "cnn", "depth": 1, "width": 2},
            "train": {"epochs": 1},
        }
    )
    return json.loads(json.dumps(train(cfg).to_json_dict()))


def test_a_run_round_trips_with_every_field_and_metric(store, record):
    run_id = store.save(record, owner="alice", name="first try")
    got = store.get(run_id)
    assert got["name"] == "first try" and got["id"] == run_id
    for key in ("config", "status", "diverged_at", "reason", "steps", "params", "layers"):
        assert got[key] == record[key], key
    assert got["snapshots"] == record["snapshots"]
    frame = got["metrics"]
    assert list(frame.columns) == list(CSV_COLUMNS) and len(frame) == len(record["metrics"])
    assert frame["value"].tolist() == [r["value"] for r in record["metrics"]]
    # ... and as the CLI's run record again
    again = json.loads(record_json(got))
    assert again["metrics"] == record["metrics"]
    assert again["config"] == record["config"]


def test_a_new_database_file_is_created_on_first_use(tmp_path, record):
    path = tmp_path / "deep" / "dir" / "runs.db"
    RunStore(str(path)).save(record, owner="o")
    assert path.exists()
    assert RunStore(str(path)).list_runs("o")  # and reopened


def test_a_session_lists_only_its_own_runs_but_a_share_link_opens_any(store, record):
    a = store.save(record, owner="session-a", name="mine")
    b = store.save(record, owner="session-b", name="theirs")
    assert [r.id for r in store.list_runs("session-a")] == [a]
    assert [r.id for r in store.list_runs("session-b")] == [b]
    assert store.list_runs("session-c") == []
    assert store.get(b)["name"] == "theirs"  # the id is the share link
    assert not store.delete(b, owner="session-a"), "only the owner deletes"
    assert not store.rename(b, "session-a", "stolen")
    assert store.get(b)["name"] == "theirs"
    assert store.delete(b, owner="session-b") and store.get(b) is None


def test_ids_are_unguessable_tokens(store, record):
    ids = {store.save(record, owner="o") for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids)
    # not a counter or a clock: even the first 8 hex digits differ across the 50
    assert len({i[:8] for i in ids}) == 50
    assert store.get("0" * 32) is None
    assert store.get("' OR 1=1 --") is None


@pytest.mark.parametrize(
    "name",
    [
        "'; DROP TABLE runs; --",
        "Robert'); DELETE FROM runs WHERE ('1'='1",
        "<script>alert('x')</script>",
        '<img src=x onerror="alert(1)">',
        "**bold** [link](javascript:alert(1)) $x$",
        "名前 — ünïcödé",
    ],
)
def test_hostile_names_round_trip_as_text_and_harm_nothing(store, record, name):
    keep = store.save(record, owner="o", name="keep me")
    run_id = store.save(record, owner="o", name=name)
    assert store.get(run_id)["name"] == name
    assert {r.name for r in store.list_runs("o")} == {"keep me", name}
    assert store.get(keep)["name"] == "keep me"


@pytest.mark.parametrize(
    "name, words",
    [
        ("x" * (MAX_NAME + 1), "at most 100 characters"),
        ("   ", "must not be empty"),
        ("bell\x07", "control characters"),
        ("line\nbreak", "control characters"),
        ("right-to-left\u202eoverride", "control characters"),
    ],
)
def test_bad_names_are_refused_with_one_sentence(store, record, name, words):
    with pytest.raises(StoreError) as err:
        store.save(record, owner="o", name=name)
    assert err.value.problem.code.startswith("store.name_")
    assert words in say(err.value.problem)
    assert store.list_runs("o") == []


def test_only_ended_runs_are_saved(store, record):
    with pytest.raises(StoreError) as err:
        store.save({**record, "status": "running"}, owner="o")
    assert say(err.value.problem) == "Only a run that has ended can be saved."


def test_a_database_from_a_newer_version_is_refused(store, db_url, record):
    store.save(record, owner="o")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'"))
    with pytest.raises(StoreError) as err:
        RunStore(db_url)
    assert err.value.problem == Problem(
        "store.newer_schema", {"version": 99, "supported": SCHEMA_VERSION}
    )
    assert "newer Gradient Lab" in say(err.value.problem)


def test_a_runs_reason_is_kept_as_its_code_and_values(store, record):
    """Why a run ended is stored as the JSON of its code (models/record.py): the same record
    back, worded the same in any language's table."""
    stopped = {**record, "status": "stopped", "reason": reason_json(time_limit_reason(600))}
    got = store.get(store.save(stopped, owner="o"))
    assert got["reason"] == {
        "code": "job.stopped",
        "values": {"why": {"code": "job.time_limit", "values": {"seconds": 600}}},
    }
    assert reason_problem(got["reason"]) == time_limit_reason(600)
    assert say(reason_problem(got["reason"])) == "stopped: the run reached the time limit of 600 s"
    assert json.loads(record_json(got))["reason"] == got["reason"]
    with store.engine.connect() as conn:
        column = conn.execute(text("SELECT reason FROM runs WHERE id = :i"), {"i": got["id"]})
        assert json.loads(column.scalar_one())["code"] == "job.stopped"


def test_a_reason_saved_as_an_english_sentence_still_reads_as_that_text(store, record):
    """Runs saved before reasons were codes hold the sentence itself: it is shown as it is."""
    run_id = store.save({**record, "status": "diverged", "diverged_at": 3}, owner="o")
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE runs SET reason = 'loss became nan' WHERE id = :i"), {"i": run_id}
        )
    got = store.get(run_id)
    assert got["reason"] == "loss became nan"
    assert say(reason_problem(got["reason"])) == "loss became nan"
    assert json.loads(record_json(got))["reason"] == "loss became nan"
    # an old run-record file saved to the store keeps its sentence too
    old = store.get(store.save({**record, "status": "stopped", "reason": "{odd} text"}, "o"))
    assert old["reason"] == "{odd} text" and say(reason_problem(old["reason"])) == "{odd} text"


def test_a_cnn_runs_filters_are_kept(store, cnn_record):
    record = cnn_record
    assert record["filters"] and len(record["filters"][0]["kernels"]) == 2
    got = store.get(store.save(record, owner="o"))
    assert got["filters"] == record["filters"]
    assert json.loads(record_json(got))["filters"] == record["filters"]


def test_a_schema_1_database_is_migrated_and_keeps_its_runs(store, db_url, record):
    old_id = store.save(record, owner="o", name="from v1")
    with store.engine.begin() as conn:  # what schema 1 wrote: no filters column
        conn.execute(text("ALTER TABLE runs DROP COLUMN filters"))
        conn.execute(text("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'"))
    store.engine.dispose()
    store = RunStore(db_url)
    columns = [c["name"] for c in inspect(store.engine).get_columns("runs")]
    with store.engine.connect() as conn:
        version = conn.execute(text("SELECT value FROM store_meta")).scalar_one()
    assert "filters" in columns and version == str(SCHEMA_VERSION)
    old = store.get(old_id)
    assert old["name"] == "from v1" and old["filters"] == [] and len(old["metrics"])
    new = store.get(store.save({**record, "filters": [{"step": 0, "kernels": [[[1.0]]]}]}, "o"))
    assert new["filters"] == [{"step": 0, "kernels": [[[1.0]]]}]
    assert {r.id for r in store.list_runs("o")} == {old_id, new["id"]}


def test_a_schema_2_database_gains_the_lessons_table_and_keeps_its_runs(store, db_url, record):
    old_id = store.save(record, owner="o", name="from v2")
    with store.engine.begin() as conn:  # what schema 2 had: no lessons table
        conn.execute(text("DROP TABLE lessons"))
        conn.execute(text("UPDATE store_meta SET value = '2' WHERE key = 'schema_version'"))
    store.engine.dispose()
    store = RunStore(db_url)
    lesson_id = store.save_lesson('{"page": "deep_networks"}')
    with store.engine.connect() as conn:
        version = conn.execute(text("SELECT value FROM store_meta")).scalar_one()
    assert version == str(SCHEMA_VERSION)
    assert store.get(old_id)["name"] == "from v2"
    assert store.get_lesson(lesson_id) == '{"page": "deep_networks"}'


def test_a_lesson_is_found_by_its_id_only(store):
    lesson_id = store.save_lesson("{}")
    assert len(lesson_id) == 32 and lesson_id != store.save_lesson("{}")
    for forged in (lesson_id[:-1], lesson_id.upper(), lesson_id + "0", "' OR 1=1 --", "x" * 10_000):
        assert store.get_lesson(forged) is None
    assert store.get_lesson("0" * 32) is None


def test_the_setting_is_a_url_or_a_path(tmp_path, monkeypatch):
    assert database_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("GRADIENT_LAB_DB", str(tmp_path / "env.db"))
    assert database_url() == f"sqlite:///{tmp_path / 'env.db'}"
    with pytest.raises(StoreError) as err:
        RunStore("nonsense://::/")
    assert err.value.problem.code == "store.bad_url"
    assert say(err.value.problem).startswith("GRADIENT_LAB_DB is not a database URL or path: ")


def test_a_read_only_database_gives_one_sentence_and_loses_nothing(store, db_url, record):
    kept = store.save(record, owner="o", name="kept")
    if "://" in db_url:  # PostgreSQL: every transaction read-only, as on a hot standby
        readonly = RunStore(with_options(db_url, "-cdefault_transaction_read_only=on"))
    else:  # as a read-only mount
        readonly = RunStore(f"sqlite:///file:{db_url}?mode=ro&uri=true")
    with pytest.raises(StoreError) as err:
        readonly.save(record, owner="o")
    assert err.value.problem.code == READ_ONLY
    assert say(err.value.problem) == "The run could not be saved: the database is read-only."
    assert readonly.get(kept)["name"] == "kept"
    assert [r.name for r in RunStore(db_url).list_runs("o")] == ["kept"]


@pytest.fixture(params=["sqlite-default", "postgres"])
def any_store(request, tmp_path, monkeypatch):
    if request.param == "postgres":
        return RunStore(request.getfixturevalue("postgres_url"))
    # The default setting: GRADIENT_LAB_DB a plain file path, as a demo is deployed.
    monkeypatch.setenv("GRADIENT_LAB_DB", str(tmp_path / "default.db"))
    return RunStore()


def test_forgetting_an_owner_deletes_all_their_runs_and_nobody_elses(any_store, record):
    mine = [any_store.save(record, owner="alice", name=f"mine {i}") for i in range(3)]
    theirs = any_store.save(record, owner="bob", name="theirs")
    assert any_store.delete_all("alice") == 3
    assert any_store.list_runs("alice") == []
    assert all(any_store.get(run_id) is None for run_id in mine)  # share links stop working
    assert [r.id for r in any_store.list_runs("bob")] == [theirs]
    assert any_store.get(theirs)["name"] == "theirs"
    assert any_store.delete_all("alice") == 0  # nothing left: not an error
    with pytest.raises(StoreError):
        any_store.delete_all("")  # never "every run whose owner is empty"
