"""Faults a hosted demo meets (issue 7).

- A worker killed mid-run: the user sees that the run was interrupted, the records so far stay
  on the page and in the run store, and the next Train works (the pool replaces the worker).
- The run database locked by another process, or read-only: one sentence on the page says the
  runs were not saved and why, training, charts and downloads still work, nothing saved before is
  lost or changed, and the next run saves once the fault is gone. The Compare page says so too.
- The server restarted: every saved run is still there, in the store and by its share link.
"""

import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from streamlit.testing.v1 import AppTest

import ui.pool
from locales import say
from models.config import RunConfig
from models.infra.jobs import INTERRUPTED_REASON
from models.infra.store import BUSY_TIMEOUT, LOCKED, READ_ONLY, RunStore, StoreError, record_json
from models.record import RunResult
from tests.support import DASHBOARD
from tests.support.app_server import ROOT, AppServer, launch_chromium
from tests.support.apptest import SMALL, button, field, open_lab, specs, statuses, train_until_done
from tests.support.browser import wait_until_ended
from ui.pool import run_store

NOBODY = 65534  # the uid and gid of `nobody`
NOT_SAVED = "The runs were not saved ({}); the charts and downloads still work."


def test_a_worker_killed_mid_run_is_interrupted_keeps_its_records_and_the_pool_recovers():
    at = open_lab({"train.epochs": "2000", "model.depth": "2"})
    button(at, "Train").click().run()
    group = at.session_state["dn:group"]
    run = group.runs[0]
    deadline = time.monotonic() + 180  # a hang guard: a fresh pool's workers import TensorFlow
    while run.step < 50:  # some records have arrived
        assert time.monotonic() < deadline, statuses(at)
        time.sleep(0.2)
        at.run()
    steps_seen = run.step
    os.kill(run.job.worker_pid, signal.SIGKILL)  # the worker dies; no end event from it
    deadline = time.monotonic() + 30
    while "interrupted" not in (run.result.status or ""):
        assert time.monotonic() < deadline, statuses(at)
        time.sleep(0.2)
        at.run()
    at.run()
    assert not at.exception
    assert run.result.status == "interrupted" and run.result.reason == INTERRUPTED_REASON
    assert say(INTERRUPTED_REASON) in " ".join(e.value for e in at.error)  # said on the page
    assert run.step >= steps_seen and len(run.frame) > 0  # the records so far are kept
    assert at.get("vega_lite_chart")  # ... and still drawn
    saved = run_store().get(run.saved_id)
    assert saved["status"] == "interrupted" and len(saved["metrics"]) == len(run.frame)
    # the pool replaced the worker: the next run completes
    field(at, "number_input", "dn:train.epochs").set_value(2).run()
    texts = train_until_done(at)
    assert "completed" in texts[0]


def test_a_pool_made_end_never_undercounts_the_steps_the_records_reported():
    from models.config import RunConfig
    from models.record import RunResult

    def folded(end):
        result = RunResult(RunConfig())
        result.add({"type": "records", "step": 210, "done": 220, "records": []})
        result.add({"type": "end", "diverged_at": None, "reason": None, **end})
        return result.steps

    assert folded({"status": "interrupted", "step": 210}) == 220  # the pool saw step 210 last
    assert folded({"status": "stopped", "step": 210, "cause": "cancelled"}) == 220
    assert folded({"status": "completed", "step": 500}) == 500  # the runner's own count wins


# -- the run database locked or read-only ----------------------------------------------------


def ended_record(steps: int = 4) -> dict:
    """A small ended run record, folded from engine events as the dashboard does (no Keras)."""
    result = RunResult(RunConfig())
    rows = [
        {"step": s, "name": "loss", "layer": None, "depth": None, "t": None, "value": 1 / (s + 1)}
        for s in range(steps)
    ]
    result.add({"type": "records", "step": steps - 1, "done": steps, "records": rows})
    result.add({"type": "end", "status": "completed", "step": steps, "diverged_at": None})
    return result.to_json_dict()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another process holds a write transaction on the database for the block: BEGIN EXCLUSIVE,
    so no other connection can read or write it."""
    holder = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read(); c.rollback()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield
    finally:
        proc.stdin.close()  # the holder reads EOF, rolls back and exits
        proc.wait(timeout=30)


@contextmanager
def file_modes_apply(directory: Path) -> Iterator[None]:
    """File modes stop this thread inside the block. Root ignores them (chmod 0444 would not stop
    a write), so when the tests run as root this thread's file-system uid and gid drop to
    nobody's, who is given `directory` (Linux setfsuid/setfsgid act on the calling thread only,
    unlike seteuid, so the job pool's threads keep theirs); anyone else is checked as themselves."""
    if os.geteuid() != 0:
        yield
        return
    for path in [directory, *directory.iterdir()]:
        os.chown(path, NOBODY, NOBODY)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.setfsgid(NOBODY)
    libc.setfsuid(NOBODY)
    try:
        assert libc.setfsuid(NOBODY) == NOBODY  # it returns the current one: the drop took
        yield
    finally:
        libc.setfsuid(0)
        libc.setfsgid(0)


def saved_runs(path: Path) -> dict[str, str]:
    """Every run in the database, by id, as its full run record (metrics included)."""
    store = RunStore(str(path))
    try:
        return {r.id: record_json(store.get(r.id)) for _, r in store.list_all()}
    finally:
        store.engine.dispose()


def test_a_locked_database_is_named_within_the_busy_timeout_and_works_once_unlocked(tmp_path):
    path = tmp_path / "runs.db"
    store = RunStore(str(path))
    kept = store.save(ended_record(), owner="o", name="kept")
    before = saved_runs(path)
    with store.engine.connect() as conn:  # how long SQLite waits for a lock before it gives up
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT * 1000
    assert BUSY_TIMEOUT <= 3  # a page blocked by a lock answers within a few seconds
    with locked(path):
        calls = {
            "save": lambda: store.save(ended_record(), owner="o", name="lost"),
            "list": lambda: store.list_runs("o"),
            "get": lambda: store.get(kept),
        }
        for call in calls.values():
            with pytest.raises(StoreError) as err:
                call()
            assert err.value.problem.code == LOCKED
            waited = f"the database is locked by another process (waited {BUSY_TIMEOUT:g} s)"
            assert waited in say(err.value.problem)
        starting = RunStore(str(path))  # a server starting now opens the store anyway ...
    assert [r.name for r in starting.list_runs("o")] == ["kept"]  # ... and it works once free
    assert saved_runs(path) == before  # nothing saved before was lost or changed
    again = store.save(ended_record(), owner="o", name="after the lock")
    assert set(saved_runs(path)) == {kept, again}


def test_a_read_only_file_or_directory_is_named_and_the_store_saves_once_writable_again():
    directory = Path(tempfile.mkdtemp(prefix="gradient-lab-ro-"))  # not under root's 0700 dirs
    try:
        path = directory / "runs.db"
        first = RunStore(str(path))
        kept = first.save(ended_record(), owner="o", name="kept")
        first.engine.dispose()
        before = saved_runs(path)
        with file_modes_apply(directory):
            path.chmod(0o444)
            store = RunStore(str(path))  # the server starts on a read-only file
            with pytest.raises(StoreError) as err:
                store.save(ended_record(), owner="o", name="lost")
            assert err.value.problem.code == READ_ONLY
            assert (
                say(err.value.problem) == "The run could not be saved: the database is read-only."
            )
            assert [r.name for r in store.list_runs("o")] == ["kept"]  # reading still works
            path.chmod(0o644)  # the operator fixes it; the server is not restarted
            store.save(ended_record(), owner="o", name="after the file")
            directory.chmod(0o555)  # now the directory: SQLite cannot create its journal
            with pytest.raises(StoreError) as err:
                store.save(ended_record(), owner="o", name="lost too")
            assert err.value.problem.code == READ_ONLY
            directory.chmod(0o755)
            store.save(ended_record(), owner="o", name="after the directory")
            store.engine.dispose()
        names = sorted(r.name for _, r in RunStore(str(path)).list_all())
        assert names == ["after the directory", "after the file", "kept"]
        assert saved_runs(path)[kept] == before[kept]
    finally:
        shutil.rmtree(directory)


@pytest.fixture
def lab_db(tmp_path, monkeypatch) -> Iterator[Path]:
    """The dashboard's run store on a database of its own. The store is a cached resource:
    dropping it makes the next page open whatever GRADIENT_LAB_DB names then (as a restart)."""
    path = tmp_path / "runs.db"
    monkeypatch.setenv("GRADIENT_LAB_DB", str(path))
    ui.pool._run_store.clear()
    yield path
    ui.pool._run_store.clear()  # before monkeypatch restores the tests' database


def page_text(elements) -> str:
    return " ".join(e.value for e in elements).replace("\\", "")  # markdown escapes


def assert_the_run_is_on_the_page_but_not_saved(at: AppTest, texts: list[str], why: str) -> None:
    assert "completed" in texts[0]
    assert NOT_SAVED.format(why) in page_text(at.warning)  # one sentence: what, why, what works
    assert not at.exception and not at.error
    assert len(specs(at)) == 5  # every chart
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("CSV" in x for x in labels) and any("JSON" in x for x in labels)
    assert at.session_state["dn:group"].runs[0].saved_id is None


def open_compare(runs: str | None = None) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/compare.py")
    if runs:
        at.query_params["runs"] = runs
    at.run()
    assert not at.exception, at.exception
    return at


def saved_before(path: Path) -> dict[str, str]:
    """A run saved before the fault (by the CLI: the page's own saves are checked after it)."""
    store = RunStore(str(path))
    store.save(ended_record(), owner="cli", name="saved before")
    store.engine.dispose()
    return saved_runs(path)


def test_a_locked_run_database_is_said_on_the_page_and_the_next_run_saves_once_free(lab_db):
    before = saved_before(lab_db)
    at = open_lab(SMALL)
    with locked(lab_db):  # the page first opens the store now, while it is locked
        texts = train_until_done(at)
        why = "the run database is locked by another process"
        assert_the_run_is_on_the_page_but_not_saved(at, texts, why)
        compare = open_compare(runs=",".join(before))
        sentence = f"The saved runs cannot be shown ({why}); training on the lab pages still works."
        assert page_text(compare.error) == sentence
        assert not compare.get("multiselect")
    assert saved_runs(lab_db) == before
    train_until_done(at)  # the lock is gone: this run saves
    assert any("Saved to your runs (1)" in c.value for c in at.caption) and not at.warning
    after = saved_runs(lab_db)
    assert len(after) == len(before) + 1
    assert {k: after[k] for k in before} == before
    assert at.session_state["dn:group"].runs[0].saved_id in after


def test_a_read_only_run_database_is_said_on_the_page_and_the_next_run_saves_once_writable(
    lab_db, monkeypatch
):
    before = saved_before(lab_db)
    # The server starts on a read-only database. Root ignores file modes, so a chmod 0444 would
    # not stop a write when the tests run as root; SQLite's read-only open mode (a `mode=ro` URI)
    # refuses every write for any user, root included, with the error a 0444 file, directory or
    # read-only mount gives a server that is not root (SQLITE_READONLY; the store-level test above
    # makes real file modes apply as root).
    monkeypatch.setenv("GRADIENT_LAB_DB", f"sqlite:///file:{lab_db}?mode=ro&uri=true")
    ui.pool._run_store.clear()
    at = open_lab(SMALL)
    texts = train_until_done(at)
    assert_the_run_is_on_the_page_but_not_saved(at, texts, "the run database is read-only")
    compare = open_compare(runs=",".join(before))  # reading still works: a share link opens
    assert compare.multiselect(key="cmp:picked").value == list(before)
    assert not compare.error and not compare.warning
    assert saved_runs(lab_db) == before
    monkeypatch.setenv("GRADIENT_LAB_DB", str(lab_db))  # writable again, after a restart
    ui.pool._run_store.clear()
    train_until_done(at)
    assert any("Saved to your runs (1)" in c.value for c in at.caption) and not at.warning
    after = saved_runs(lab_db)
    assert len(after) == 2 and {k: after[k] for k in before} == before


# -- the server restarted --------------------------------------------------------------------


def test_a_restarted_server_still_has_every_saved_run_and_opens_them_by_link(tmp_path):
    db = tmp_path / "runs.db"
    env = {"GRADIENT_LAB_DB": str(db), "GRADIENT_LAB_WORKERS": "1"}
    cli = subprocess.run(
        [sys.executable, "-m", "models", "train", "--set", "data.n_samples=200",
         "--set", "train.epochs=2", "--save", "--name", "from the CLI", "--quiet",
         "--out", str(tmp_path / "cli.json")],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    with sync_playwright() as p:
        browser = launch_chromium(p)
        with AppServer(tmp_path / "first.log", env=env) as server:
            first = server.proc
            page = browser.new_page()
            page.goto(f"{server.url}/deep_networks?data.n_samples=300&train.epochs=3")
            train = page.get_by_role("button", name=re.compile(r"^Train"))  # not "Help for Train…"
            expect(train).to_be_enabled(timeout=60_000)
            train.click()
            wait_until_ended(page, runs=1)
            expect(page.get_by_text("Saved to your runs (1)")).to_be_visible(timeout=15_000)
            page.close()
        assert first.poll() is not None  # stopped by its PID
        before = saved_runs(db)
        owners = sorted(owner for owner, _ in RunStore(str(db)).list_all())
        assert len(before) == 2 and "cli" in owners  # one from the CLI, one from the page
        with AppServer(tmp_path / "second.log", env=env) as server:
            assert server.proc.pid != first.pid
            page = browser.new_page(viewport={"width": 1500, "height": 3000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{server.url}/compare?runs={','.join(before)}")
            for run_id in before:  # each run's share line: both runs are listed
                expect(page.get_by_text(f"/compare?runs={run_id}")).to_be_visible(timeout=60_000)
            expect(page.locator(".vega-embed")).to_have_count(1, timeout=30_000)  # the linked views
            assert not page.get_by_text("could not be found").count() and not errors
        browser.close()
    assert saved_runs(db) == before  # every run, unchanged
