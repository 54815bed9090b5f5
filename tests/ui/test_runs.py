"""A session's run group (ui/runs.py): what the server keeps of a run and what it exports."""

import csv
import io
import json
import time

import pytest

from locales import say
from models.fields import parse_config, with_changes
from models.infra.jobs import CANCELLED_REASON, JobPool, JobRefused
from models.infra.store import StoreError
from models.problems import problem
from models.trainer import train
from ui.runs import RunGroup, diff_table, run_names, store_problem

TINY = {
    "data": {"n_samples": 200},
    "model": {"depth": 2, "width": 4},
    "train": {"epochs": 2, "record_every": 2, "snapshot_every": 5},
}


def test_diff_table_lists_only_the_fields_that_differ():
    a = parse_config(TINY)
    b = parse_config({**TINY, "model": {**TINY["model"], "activation": "relu"}})
    c = parse_config({**TINY, "optimizer": {"clipnorm": 1.0}})
    table = diff_table([("A", a), ("B", b), ("C", c)], off="off")
    assert list(table.index) == ["Activation", "clipnorm"]  # the sidebar's labels
    assert table.loc["Activation"].tolist() == ["tanh", "relu", "tanh"]
    assert table.loc["clipnorm"].tolist() == ["off", "off", "1.0"]
    assert diff_table([("A", a), ("B", a)]).empty


def test_a_diff_lists_a_field_only_where_it_applies():
    """An MLP's pooling or momentum is no difference; a CNN's pooling is, and a field that
    applies to one run only shows "–" for the other."""
    mlp = parse_config(TINY)
    mlp_mean = with_changes(mlp, {"model.pooling": "mean", "optimizer.momentum": 0.5})
    assert diff_table([("A", mlp), ("B", mlp_mean)]).empty
    cnn = with_changes(mlp, {"data.name": "shapes", "model.arch": "cnn", "model.width": 4})
    cnn_mean = with_changes(cnn, {"model.pooling": "mean"})
    assert list(diff_table([("A", cnn), ("B", cnn_mean)]).index) == ["Pooling"]
    momentum = with_changes(mlp, {"optimizer.name": "momentum", "optimizer.momentum": 0.5})
    table = diff_table([("A", mlp), ("B", momentum)])
    assert table.loc["Momentum"].tolist() == ["–", "0.5"]  # Adam has no momentum field


def test_runs_are_named_by_what_differs_from_the_first():
    a = parse_config(TINY)
    b = with_changes(a, {"model.activation": "relu", "model.initializer": "he_normal"})
    c = with_changes(a, {"model.batch_norm": True, "optimizer.clipnorm": 1.0})
    names = run_names([("A", a), ("B", b), ("C", c)])
    assert names == {"A": "A · tanh, glorot_uniform", "B": "B · relu, he_normal",
                     "C": "C · batch_norm, clipnorm 1"}  # fmt: skip
    assert run_names([("A", a)]) == {"A": "A · mlp tanh"}
    assert run_names([("LSTM", a), ("GRU", b)])["GRU"] == "GRU · relu, he_normal"


@pytest.fixture(scope="module")
def pool():
    with JobPool(max_workers=1, max_per_owner=2) as p:
        yield p


def test_a_run_through_the_pool_exports_the_clis_record(pool):
    """The browser's JSON download is the CLI's run record; the CSV holds the same rows."""
    cfg = parse_config(TINY)
    group = RunGroup.start(pool, [("A", cfg)], owner="session-1")
    run = group.runs[0]
    run.job.wait(timeout=120)
    group.poll()
    assert not group.active and run.result.status == "completed"
    assert group.first_chart_after is not None

    mine = json.loads(run.record_json())
    oracle = train(cfg).to_json_dict()  # the same config in this process, as the CLI runs it
    del mine["wall_time"], oracle["wall_time"]
    assert mine["metrics"][0]["step"] == 0
    assert mine == json.loads(json.dumps(oracle))

    rows = list(csv.DictReader(io.StringIO(run.metrics_csv())))
    assert len(rows) == len(oracle["metrics"])
    first_layer = next(r for r in rows if r["name"] == "grad_norm")
    assert first_layer["depth"] == "0" and first_layer["t"] == ""  # ints as ints, None as empty
    want = next(m for m in oracle["metrics"] if m["name"] == "grad_norm")
    assert float(first_layer["value"]) == want["value"]


def test_a_refused_group_cancels_the_runs_it_had_submitted(pool):
    configs = [(label, parse_config({**TINY, "train": {"epochs": 50}})) for label in "ABC"]
    with pytest.raises(JobRefused) as refused:
        RunGroup.start(pool, configs, owner="session-2")  # the limit is 2 per session
    assert "you already have 2 runs queued or running (the limit is 2)" in say(
        refused.value.problem
    )
    # A and B were cancelled, so the session's limit is free again for the next Train.
    group = RunGroup.start(pool, configs[:2], owner="session-2")
    group.stop()
    for run in group.runs:
        assert run.job.wait(timeout=30)["status"] == "stopped"


def test_stop_ends_every_run_of_the_group_as_stopped(pool):
    configs = [(label, parse_config({**TINY, "train": {"epochs": 200}})) for label in "AB"]
    group = RunGroup.start(pool, configs, owner="session-3")
    group.stop()
    for run in group.runs:
        run.job.wait(timeout=30)
    group.poll()
    assert [r.result.status for r in group.runs] == ["stopped", "stopped"]
    assert [r.result.reason for r in group.runs] == [CANCELLED_REASON, CANCELLED_REASON]
    assert json.loads(group.runs[0].record_json())["reason"] == {
        "code": "job.stopped",
        "values": {"why": {"code": "job.cancelled", "values": {}}},
    }
    assert not group.active


SAVING = problem("store.saving")


@pytest.mark.parametrize(
    "fault, page_says",
    [
        (
            problem("store.locked", doing=SAVING, seconds=2),
            "the run database is locked by another process",
        ),
        (problem("store.read_only", doing=SAVING), "the run database is read-only"),
        (
            problem("store.failed", doing=SAVING, error="disk I/O error"),
            "the run database is unavailable",
        ),
    ],
    ids=["locked", "read_only", "failed"],
)
def test_a_store_problem_is_named_on_the_page_and_logged_in_the_stores_words(
    fault, page_says, caplog
):
    assert store_problem(StoreError(fault)) == page_says
    if fault.code == "store.failed":  # not named on the page: the server log has the store's words
        assert "run store: The run could not be saved: disk I/O error." in caplog.text


def test_records_events_advance_the_step_the_status_line_shows():
    """A run's step follows its records events as they arrive (not only at the end)."""
    from ui.runs import LabRun

    run = LabRun("A", parse_config(TINY))
    run.add({"type": "started"})
    run.add({"type": "start", "total_steps": 100, "layers": [], "params": 1})
    row = {"step": 40, "name": "loss", "layer": None, "depth": None, "t": None, "value": 0.5}
    run.add({"type": "records", "step": 40, "done": 50, "records": [row]})
    run.flush()
    assert run.step == 50 and len(run.frame) == 1 and not run.finished
    run.add({"type": "model", "keras": b"PK"})
    assert run.keras_file == b"PK" and run.step == 50


def test_the_parquet_download_holds_the_csv_rows(pool):
    import pandas as pd

    cfg = parse_config(TINY)
    group = RunGroup.start(pool, [("A", cfg)], owner="parquet")
    deadline = time.monotonic() + 120
    while group.active and time.monotonic() < deadline:
        group.poll()
        time.sleep(0.1)
    run = group.runs[0]
    frame = pd.read_parquet(io.BytesIO(run.metrics_parquet()))
    from_csv = pd.read_csv(io.StringIO(run.metrics_csv()))
    assert len(frame) == len(from_csv) > 0
    assert frame["value"].tolist() == from_csv["value"].tolist()
    assert frame["name"].tolist() == from_csv["name"].tolist()
