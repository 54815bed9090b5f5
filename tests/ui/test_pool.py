"""The server's one job pool (ui/pool.py) and the limits a hosted demo enforces with it (issue 7),
each reaching the page as one clear sentence: the queue and a user's place in it, a full queue,
the per-session cap on runs in flight, the per-run time limit; and each limit is a setting.
(The pool's own enforcement, without a page: tests/models/infra/test_jobs.py.)"""

import re
import time

import pytest

from models.fields import parse_config
from tests.support.apptest import button, one_sentence, open_lab, statuses
from ui.pool import job_pool, pool_settings

LONG = {"data": {"n_samples": 4000}, "model": {"depth": 2, "width": 8}, "train": {"epochs": 500}}


def wait_for(at, condition, what: str, timeout: float = 180):
    deadline = time.monotonic() + timeout  # a guard against a hang, not a speed check
    while not condition():
        assert time.monotonic() < deadline, (what, statuses(at))
        time.sleep(0.2)
        at.run()
        assert not at.exception, at.exception


@pytest.fixture
def pool():
    pool = job_pool()
    yield pool
    for job in pool.jobs():
        job.cancel()


def test_a_user_sees_their_place_in_the_queue_and_then_trains(pool):
    others = [pool.submit(parse_config(LONG), owner="another-session") for _ in range(2)]
    at = open_lab({"train.epochs": "2"})
    wait_for(at, lambda: all(j.status == "running" for j in others), "the others start")
    button(at, "Train").click().run()
    wait_for(at, lambda: "position" in " ".join(statuses(at)), "a queue position")
    assert statuses(at) == ["A: waiting for a free worker (position 1 in the queue)"]
    for job in others:
        job.cancel()
    wait_for(at, lambda: "completed" in " ".join(statuses(at)), "the run completes")


def test_a_full_queue_refuses_with_one_sentence(pool, monkeypatch):
    monkeypatch.setattr(pool, "max_queue", 0)  # as if 100 runs were already waiting
    at = open_lab({"train.epochs": "2"})
    button(at, "Train").click().run()
    text = one_sentence(at.error)
    assert text.startswith("The run could not start: the queue is full (")
    assert not at.exception and pool.jobs() == []


def test_the_per_session_cap_refuses_a_group_over_it_with_one_sentence(pool, monkeypatch):
    monkeypatch.setattr(pool, "max_per_owner", 1)
    at = open_lab({"train.epochs": "2", "b.model.depth": "3"})  # A and B: two runs
    button(at, "Train").click().run()
    text = one_sentence(at.error)
    assert text.startswith("The run could not start: you already have 1 run queued or running")
    assert "(the limit is 1)" in text
    wait_for(at, lambda: pool.jobs() == [], "the part of the group that was taken is cancelled")


def test_a_run_over_the_time_limit_is_stopped_and_the_page_says_why(pool, monkeypatch):
    monkeypatch.setattr(pool, "time_limit", 3.0)
    at = open_lab({"data.n_samples": "4000", "train.epochs": "500"})
    button(at, "Train").click().run()
    wait_for(at, lambda: "stopped" in " ".join(statuses(at)), "the time limit")
    at.run()
    text = one_sentence(at.warning)
    assert re.fullmatch(
        r"A was stopped at step [\d,]+: the run reached the time limit of 3 s\.", text
    ), text


def test_every_pool_limit_is_a_setting(monkeypatch, caplog):
    for name in ("WORKERS", "TIME_LIMIT", "QUEUE", "RUNS_PER_SESSION"):
        monkeypatch.delenv(f"GRADIENT_LAB_{name}", raising=False)
    assert pool_settings() == {
        "max_workers": 2, "time_limit": 600, "max_queue": 100, "max_per_owner": 4
    }  # fmt: skip
    for name, value in [
        ("GRADIENT_LAB_WORKERS", "1"), ("GRADIENT_LAB_TIME_LIMIT", "120"),
        ("GRADIENT_LAB_QUEUE", "30"), ("GRADIENT_LAB_RUNS_PER_SESSION", "2"),
    ]:  # fmt: skip
        monkeypatch.setenv(name, value)
    assert pool_settings() == {
        "max_workers": 1, "time_limit": 120, "max_queue": 30, "max_per_owner": 2
    }  # fmt: skip
    monkeypatch.setenv("GRADIENT_LAB_QUEUE", "lots")  # not a number: the default, not a crash
    assert pool_settings()["max_queue"] == 100
    assert (  # and the log says so in words
        "GRADIENT_LAB_QUEUE must be a whole number of at least 1 (got 'lots'); using 100"
        in caplog.text
    )
