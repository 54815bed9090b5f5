"""models.infra.jobs (with its dispatcher and worker processes): runs in worker processes,
queued, cancelled, killed, timed out, recycled; and one real training job, the caller staying
TensorFlow-free.

The runners here are tests/support/fake_runner.py stand-ins (no TensorFlow); ``scripted`` picks its
behaviour from data.name: circle = well-behaved, xor = ignores stop requests, gauss = raises,
spiral = its process dies, plane = reports the worker's environment.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.spawn
import os
import subprocess
import sys
import threading
import time
import types

import pytest

from locales import say
from models.config import ConfigError, RunConfig
from models.infra.jobs import INTERRUPTED_REASON, Job, JobPool, JobRefused, JobTimeout
from models.problems import Problem
from tests.support import ROOT

RUNNER = "tests.support.fake_runner:scripted"
LONG = 2000  # steps in a run that would outlast the test (2000 x 20 ms = 40 s)


def cfg(name: str = "circle", steps: int = 3, ms: int = 1) -> dict:
    """A config for the scripted fake runner: `steps` records events, `ms` of work before each."""
    return {"data": {"name": name}, "train": {"epochs": steps, "record_every": ms}}


def read_until(job: Job, kind: str, timeout: float = 10.0) -> list[dict]:
    """Consume a job's events up to and including the first one of type `kind`."""
    seen = []
    for event in job.events(timeout=timeout):
        seen.append(event)
        if event["type"] == kind:
            return seen
    raise AssertionError(f"the job ended before a {kind!r} event: {seen}")


def all_events(job: Job, timeout: float = 10.0) -> list[dict]:
    return list(job.events(timeout=timeout))


def worker_pid(events: list[dict]) -> int:
    return next(e["worker_pid"] for e in events if e["type"] == "started")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def eventually(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture(scope="module")
def shared_pool():
    """One worker, a queue of two, one job per owner; reused by tests that clean up after them."""
    with JobPool(
        max_workers=1,
        max_queue=2,
        max_per_owner=1,
        cancel_grace=0.5,
        max_jobs_per_worker=1000,  # recycling is tested on its own pool
        runner=RUNNER,
    ) as pool:
        assert pool.wait_ready(20)
        yield pool


@pytest.fixture
def pool(shared_pool):
    yield shared_pool
    leftovers = shared_pool.jobs()
    for job in leftovers:
        job.cancel()
    for job in leftovers:
        job.wait(5)


@pytest.fixture(scope="module")
def pair_pool():
    with JobPool(max_workers=2, runner=RUNNER) as pool:
        assert pool.wait_ready(20)
        yield pool


# -- the stream ---------------------------------------------------------------------------------


def test_a_job_streams_its_records_in_order_and_completes(pool):
    job = pool.submit(cfg(steps=5))
    events = all_events(job)

    types = [e["type"] for e in events]
    assert types == ["queued", "started", "start"] + ["records"] * 5 + ["end"]
    assert events[0] == {"type": "queued", "position": 1}
    assert [e["step"] for e in events if e["type"] == "records"] == [1, 2, 3, 4, 5]
    assert [e["records"][0]["value"] for e in events if e["type"] == "records"] == [
        1 / s for s in range(1, 6)
    ]
    assert events[-1]["status"] == "completed" and events[-1]["step"] == 5
    assert job.status == "completed" and job.done and job.end == events[-1]
    # The runner ran in the worker the pool named, not in this process.
    assert events[2]["pid"] == worker_pid(events) != os.getpid()
    assert job.poll() == [] and list(job.events(timeout=1)) == []  # every event is handed out once
    assert pool.get(job.id) is None  # the pool lets go of ended jobs


def test_poll_hands_out_only_new_events(pool):
    job = pool.submit(cfg(steps=4))
    job.wait(10)
    first = job.poll()
    assert [e["type"] for e in first][-1] == "end"
    assert job.poll() == []


def test_submit_validates_dict_configs_and_gives_unguessable_ids(pool):
    with pytest.raises(ConfigError, match=r"model\.depth"):
        pool.submit({"model": {"depth": 0}})
    assert pool.queue_length == 0 and pool.running == 0

    a = pool.submit(cfg(steps=1))
    b = pool.submit(RunConfig.model_validate(cfg(steps=1)))
    assert isinstance(a.config, RunConfig) and a.config.train.epochs == 1
    assert a.id != b.id and len(a.id) >= 20
    assert a.wait(10)["status"] == b.wait(10)["status"] == "completed"


def test_wait_and_events_raise_timeout_error_while_the_run_goes_on(pool):
    job = pool.submit(cfg(steps=LONG, ms=20))
    with pytest.raises(TimeoutError) as waited:
        job.wait(timeout=0.2)
    assert isinstance(waited.value, JobTimeout)
    assert say(waited.value.problem) == "the job had not ended after 0.2 s"
    with pytest.raises(JobTimeout):
        all_events(job, timeout=0.2)
    assert not job.done and job.status == "running"


# -- cancel -------------------------------------------------------------------------------------


def test_cancel_stops_a_cooperative_run_promptly_and_keeps_its_worker(pool):
    job = pool.submit(cfg(steps=LONG, ms=20))
    pid = worker_pid(read_until(job, "records"))

    t0 = time.monotonic()
    job.cancel()
    end = job.wait(timeout=5)
    elapsed = time.monotonic() - t0

    assert end["status"] == "stopped" and end["cause"] == "cancelled"
    assert end["reason"] == Problem("job.stopped", {"why": Problem("job.cancelled")})
    assert say(end["reason"]) == "stopped: the run was cancelled"
    assert 1 <= end["step"] < LONG
    assert elapsed < 2.0  # the spec says within a second; generous for a noisy machine
    # The runner stopped itself, so its worker lives on and takes the next job.
    assert worker_pid(all_events(pool.submit(cfg(steps=1)))) == pid


def test_cancel_kills_a_run_that_ignores_stop_and_the_pool_recovers(pool):
    job = pool.submit(cfg("xor"))
    pid = worker_pid(read_until(job, "start"))

    t0 = time.monotonic()
    job.cancel()
    end = job.wait(timeout=5)
    elapsed = time.monotonic() - t0

    assert end["status"] == "stopped" and end["cause"] == "cancelled"
    assert elapsed < 2.0  # cancel_grace (0.5 s) then SIGKILL
    assert not alive(pid)
    follow_up = all_events(pool.submit(cfg(steps=2)))
    assert follow_up[-1]["status"] == "completed"
    assert worker_pid(follow_up) != pid


def test_cancel_of_a_queued_job_removes_it_at_once(pool):
    running = pool.submit(cfg(steps=LONG, ms=20))
    read_until(running, "start")
    queued = pool.submit(cfg(steps=1))
    assert queued.queue_position() == 1 and queued.status == "queued"

    queued.cancel()  # no waiting: done when cancel returns

    assert queued.done and queued.status == "stopped" and queued.queue_position() is None
    assert pool.queue_length == 0
    assert [e["type"] for e in queued.poll()] == ["queued", "end"]
    assert running.status == "running"
    queued.cancel()  # cancelling an ended job does nothing
    assert queued.poll() == []


# -- the cap and the queue ----------------------------------------------------------------------


def test_one_worker_runs_one_job_at_a_time_and_the_queue_moves_up(pool):
    first = pool.submit(cfg(steps=8, ms=25))
    first_events = read_until(first, "start")
    second = pool.submit(cfg(steps=8, ms=25))
    third = pool.submit(cfg(steps=8, ms=25))
    assert (second.queue_position(), third.queue_position()) == (1, 2)
    assert pool.queue_length == 2 and pool.running == 1

    streams = [first_events + all_events(first), all_events(second), all_events(third)]

    assert [s[-1]["status"] for s in streams] == ["completed"] * 3
    positions = [[e["position"] for e in s if e["type"] == "queued"] for s in streams]
    assert positions == [[1], [1], [2, 1]]
    # Each run began (runner's own clock) after the previous one had ended.
    starts = [next(e["clock"] for e in s if e["type"] == "start") for s in streams]
    ends = [s[-1]["clock"] for s in streams]
    assert ends[0] <= starts[1] and ends[1] <= starts[2]


def test_a_full_queue_refuses_with_one_sentence(pool):
    running = pool.submit(cfg(steps=LONG, ms=20))
    read_until(running, "start")
    pool.submit(cfg(steps=1))
    pool.submit(cfg(steps=1))
    with pytest.raises(JobRefused) as refused:
        pool.submit(cfg(steps=1))
    assert refused.value.problem == Problem("job.queue_full", {"waiting": 2})
    assert say(refused.value.problem).startswith("the queue is full (2 runs waiting)")
    assert pool.queue_length == 2


def test_an_owner_gets_at_most_max_per_owner_jobs(pool):
    mine = pool.submit(cfg(steps=LONG, ms=20), owner="session-a")
    with pytest.raises(JobRefused) as refused:
        pool.submit(cfg(steps=1), owner="session-a")
    assert say(refused.value.problem) == (
        "you already have 1 run queued or running (the limit is 1); cancel one or wait for one "
        "to finish"
    )
    other = pool.submit(cfg(steps=1), owner="session-b")  # another session is not limited by a
    read_until(mine, "start")

    mine.cancel()  # a cancelled run no longer counts, even while it is still stopping
    again = pool.submit(cfg(steps=1), owner="session-a")

    assert mine.wait(5)["status"] == "stopped"
    assert other.wait(10)["status"] == again.wait(10)["status"] == "completed"


def test_two_workers_run_two_jobs_at_once_and_a_third_waits(pair_pool):
    jobs = [pair_pool.submit(cfg(steps=6, ms=60)) for _ in range(3)]
    streams = [all_events(j) for j in jobs]

    assert [s[-1]["status"] for s in streams] == ["completed"] * 3
    starts = [next(e["clock"] for e in s if e["type"] == "start") for s in streams]
    ends = [s[-1]["clock"] for s in streams]
    assert starts[1] < ends[0] and starts[0] < ends[1]  # the first two overlapped
    assert starts[2] >= min(ends[0], ends[1])  # the third waited for a free worker
    assert worker_pid(streams[0]) != worker_pid(streams[1])


def test_a_run_goes_to_the_worker_that_has_its_graph_warm(pair_pool):
    """A worker keeps the networks it traced (models/compiled.py): a second run of the same
    architecture is sent to that worker, whichever is first in line."""
    a, b = cfg(steps=6, ms=30), {**cfg(steps=6, ms=30), "model": {"depth": 7}}
    first = [pair_pool.submit(a), pair_pool.submit(b)]  # both start at once, one per worker
    pids = [worker_pid(all_events(j)) for j in first]
    assert pids[0] != pids[1]
    for _ in range(2):  # again, one at a time, so both workers are idle when each is sent
        for config, pid in ((b, pids[1]), (a, pids[0])):
            again = {**config, "train": {**config["train"], "seed": 5}}  # same graph
            assert worker_pid(all_events(pair_pool.submit(again))) == pid


def test_many_threads_can_submit_and_read_at_once(pair_pool):
    results: dict[int, list[dict]] = {}

    def session(i: int) -> None:
        job = pair_pool.submit(cfg(steps=3, ms=2), owner=f"session-{i}")
        results[i] = all_events(job, timeout=20)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(results) == list(range(8))
    for events in results.values():
        assert [e["step"] for e in events if e["type"] == "records"] == [1, 2, 3]
        assert [e["type"] for e in events].count("end") == 1
        assert events[-1]["status"] == "completed"


# -- limits and failures ------------------------------------------------------------------------


def test_the_time_limit_stops_cooperative_and_stubborn_runs():
    with JobPool(max_workers=2, time_limit=0.6, cancel_grace=0.3, runner=RUNNER) as pool:
        cooperative = pool.submit(cfg(steps=LONG, ms=20))
        stubborn = pool.submit(cfg("xor"))
        stubborn_pid = worker_pid(read_until(stubborn, "start"))

        for job in (cooperative, stubborn):
            end = job.wait(timeout=5)
            assert end["status"] == "stopped" and end["cause"] == "time_limit"
            assert say(end["reason"]) == "stopped: the run reached the time limit of 0.6 s"
            assert job.ended_at - job.started_at >= 0.6
        assert cooperative.end["step"] >= 1
        assert not alive(stubborn_pid)
        assert pool.submit(cfg(steps=2)).wait(10)["status"] == "completed"


def test_a_crashing_runner_fails_with_one_sentence_and_its_worker_survives(pool):
    events = all_events(pool.submit(cfg("gauss")))
    end = events[-1]

    assert end["status"] == "failed"
    # the exception's first line is a value of the code, kept as it is (diagnostic)
    assert end["reason"] == Problem("job.failed", {"error": "RuntimeError: boom: a simulated bug"})
    assert say(end["reason"]) == "the run failed: RuntimeError: boom: a simulated bug"
    assert "fake_runner.py" in end["traceback"]  # the detail is kept for the logs
    assert [e["step"] for e in events if e["type"] == "records"] == [1]
    follow_up = all_events(pool.submit(cfg(steps=2)))
    assert follow_up[-1]["status"] == "completed"
    assert worker_pid(follow_up) == worker_pid(events)


def test_a_dying_worker_interrupts_its_job_keeps_its_events_and_is_replaced(pool):
    events = all_events(pool.submit(cfg("spiral")))
    end = events[-1]

    assert end["status"] == "interrupted" and end["reason"] == INTERRUPTED_REASON
    assert end["exitcode"] == 3
    assert [e["step"] for e in events if e["type"] == "records"] == [1, 2]
    assert end["step"] == 2
    follow_up = all_events(pool.submit(cfg(steps=2)))
    assert follow_up[-1]["status"] == "completed"
    assert worker_pid(follow_up) != worker_pid(events)


def test_workers_are_recycled_after_max_jobs_per_worker():
    with JobPool(max_workers=1, max_jobs_per_worker=2, runner=RUNNER) as pool:
        pids = [worker_pid(all_events(pool.submit(cfg(steps=1)))) for _ in range(5)]

        assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
        assert eventually(lambda: not alive(pids[0]) and not alive(pids[2]))
        assert pool.workers_started == 3
        (stats,) = pool.worker_stats()
        assert stats["pid"] == pids[4] and stats["jobs_served"] == 1
        if sys.platform == "linux":
            assert stats["rss_bytes"] > 1_000_000
        else:
            assert stats["rss_bytes"] is None


def test_workers_import_the_runner_at_start_and_run_single_threaded(pool):
    assert pool.wait_ready(10)
    submitted = time.time()
    end = pool.submit(cfg("plane")).wait(10)

    assert end["imported_at"] < submitted  # the job did not pay for the import
    assert end["env"]["TF_NUM_INTRAOP_THREADS"] == "1"
    assert end["env"]["TF_NUM_INTEROP_THREADS"] == "1"
    assert end["env"]["TF_CPP_MIN_LOG_LEVEL"] == "2"


def test_a_runner_that_cannot_be_imported_fails_each_job_with_a_sentence():
    with JobPool(max_workers=1, runner="tests.support.fake_runner:no_such_runner") as pool:
        ends = [pool.submit(cfg()).wait(10) for _ in range(2)]
    for end in ends:
        assert end["status"] == "failed" and end["reason"].code == "job.runner_not_loaded"
        assert say(end["reason"]).startswith(
            "the runner tests.support.fake_runner:no_such_runner could not be loaded: "
            "AttributeError"
        )


def test_shutdown_ends_every_job_kills_workers_and_is_idempotent():
    pool = JobPool(max_workers=1, runner=RUNNER)
    running = pool.submit(cfg(steps=LONG, ms=20))
    pid = worker_pid(read_until(running, "start"))
    queued = pool.submit(cfg(steps=1))

    pool.shutdown()

    for job in (running, queued):
        assert job.status == "stopped" and job.end["cause"] == "shutdown"
        assert say(job.end["reason"]) == "stopped: the job pool shut down"
    assert [e["type"] for e in queued.poll()] == ["queued", "end"]
    assert not alive(pid) and pool.closed
    pool.shutdown()
    with pytest.raises(JobRefused) as refused:
        pool.submit(cfg())
    assert say(refused.value.problem) == "the job pool is shut down and takes no new runs"


def test_models_jobs_never_loads_tensorflow_into_the_calling_process():
    script = """
import sys
import models.infra.jobs
heavy = lambda: sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
assert heavy() == [], heavy()
with models.infra.jobs.JobPool(max_workers=1, runner="tests.support.fake_runner:steady") as pool:
    end = pool.submit({"train": {"epochs": 2, "record_every": 1}}).wait(20)
assert end["status"] == "completed", end
assert heavy() == [], heavy()
print("clean")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


def test_workers_do_not_run_the_parents_main_script(tmp_path, monkeypatch):
    """Under Streamlit the page script is ``__main__``; spawn would run it again in each worker
    (the whole dashboard, in bare mode) unless the pool starts its workers without it."""
    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'a').write('x')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)  # what Streamlit's script runner installs, and leaves
    monkeypatch.setitem(sys.modules, "__main__", page)

    control = multiprocessing.get_context("spawn").Process(target=os.getpid)
    control.start()
    control.join(30)
    assert marker.read_text() == "x", "a plain spawned process runs the main script"

    with JobPool(max_workers=1, runner=RUNNER) as pool:
        assert pool.submit(cfg()).wait(30)["status"] == "completed"
    assert marker.read_text() == "x", "the worker ran the main script"
    assert multiprocessing.spawn.get_preparation_data.__name__ == "get_preparation_data"


# -- the real trainer in a worker ---------------------------------------------------------------


SCRIPT = """
import json, sys
from models.infra.jobs import JobPool

with JobPool(max_workers=1) as pool:
    job = pool.submit({"model": {"depth": 2}, "train": {"epochs": 2}})
    events = list(job.events(timeout=300))
    stop = pool.submit({"train": {"epochs": 2000}})
    for event in stop.events(timeout=300):
        if event["type"] == "records":
            stop.cancel()
    print(json.dumps({
        "types": [e["type"] for e in events],
        "end": events[-1],
        "rows": sum(len(e["records"]) for e in events if e["type"] == "records"),
        "stopped": stop.status,
        "tf_loaded": [m for m in ("tensorflow", "keras") if m in sys.modules],
    }))
"""


def test_a_real_training_job_runs_in_a_worker_and_the_caller_stays_tensorflow_free():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["tf_loaded"] == []
    assert report["types"][0] == "queued" and "started" in report["types"]
    assert report["end"]["type"] == "end" and report["end"]["status"] == "completed"
    assert report["rows"] > 50
    assert report["stopped"] == "stopped"
