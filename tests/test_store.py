"""The run store (models/store.py) on SQLite in a temp dir: round trips, privacy, hostile names."""

import json
import os
import sqlite3

import pytest

from models.config import parse_config
from models.record import CSV_COLUMNS
from models.store import MAX_NAME, RunStore, StoreError, database_url, record_json
from models.trainer import train


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


@pytest.fixture
def store(tmp_path):
    return RunStore(str(tmp_path / "runs.db"))


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
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
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
    with pytest.raises(StoreError, match=words):
        store.save(record, owner="o", name=name)
    assert store.list_runs("o") == []


def test_only_ended_runs_are_saved(store, record):
    with pytest.raises(StoreError, match="ended"):
        store.save({**record, "status": "running"}, owner="o")


def test_a_database_from_a_newer_version_is_refused(tmp_path, record):
    path = tmp_path / "runs.db"
    RunStore(str(path)).save(record, owner="o")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer Gradient Lab"):
        RunStore(str(path))


def test_a_cnn_runs_filters_are_kept(store):
    cfg = parse_config(
        {
            "data": {"name": "shapes", "n_samples": 200},
            "model": {"arch": "cnn", "depth": 1, "width": 2},
            "train": {"epochs": 1},
        }
    )
    record = json.loads(json.dumps(train(cfg).to_json_dict()))
    assert record["filters"] and len(record["filters"][0]["kernels"]) == 2
    got = store.get(store.save(record, owner="o"))
    assert got["filters"] == record["filters"]
    assert json.loads(record_json(got))["filters"] == record["filters"]


def test_a_schema_1_database_is_migrated_and_keeps_its_runs(tmp_path, record):
    path = tmp_path / "runs.db"
    old_id = RunStore(str(path)).save(record, owner="o", name="from v1")
    with sqlite3.connect(path) as conn:  # what schema 1 wrote: no filters column
        conn.execute("ALTER TABLE runs DROP COLUMN filters")
        conn.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    store = RunStore(str(path))
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(runs)")]
        version = conn.execute("SELECT value FROM store_meta").fetchone()[0]
    assert "filters" in columns and version == "2"
    old = store.get(old_id)
    assert old["name"] == "from v1" and old["filters"] == [] and len(old["metrics"])
    new = store.get(store.save({**record, "filters": [{"step": 0, "kernels": [[[1.0]]]}]}, "o"))
    assert new["filters"] == [{"step": 0, "kernels": [[[1.0]]]}]
    assert {r.id for r in store.list_runs("o")} == {old_id, new["id"]}


def test_the_setting_is_a_url_or_a_path(tmp_path, monkeypatch):
    assert database_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("GRADIENT_LAB_DB", str(tmp_path / "env.db"))
    assert database_url() == f"sqlite:///{tmp_path / 'env.db'}"
    with pytest.raises(StoreError, match="not a database URL"):
        RunStore("nonsense://::/")


def test_a_read_only_database_gives_one_sentence_and_loses_nothing(tmp_path, record):
    path = tmp_path / "runs.db"
    kept = RunStore(str(path)).save(record, owner="o", name="kept")
    readonly = RunStore(f"sqlite:///file:{path}?mode=ro&uri=true")  # as a read-only mount
    with pytest.raises(StoreError, match="could not be saved"):
        readonly.save(record, owner="o")
    assert readonly.get(kept)["name"] == "kept"
    assert [r.name for r in RunStore(str(path)).list_runs("o")] == ["kept"]


# The same calls on PostgreSQL when GRADIENT_LAB_TEST_POSTGRES names a database to use (for
# example postgresql+psycopg://user@localhost/scratch); without it, SQLite only.
POSTGRES = os.environ.get("GRADIENT_LAB_TEST_POSTGRES")


@pytest.fixture(params=["sqlite-default", "postgres"])
def any_store(request, tmp_path, monkeypatch):
    if request.param == "postgres":
        if not POSTGRES:
            pytest.skip("GRADIENT_LAB_TEST_POSTGRES is not set")
        store = RunStore(POSTGRES)
        for owner in ("alice", "bob"):
            store.delete_all(owner)
        return store
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
