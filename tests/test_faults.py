"""Faults a hosted demo meets (issue 7): a worker killed mid-run. The user sees that the run was
interrupted, the records so far stay on the page and in the run store, and the next Train works
(the pool replaces the worker)."""

import os
import signal
import time

from models.jobs import INTERRUPTED_REASON
from tests.test_dashboard import button, open_lab, statuses, train_until_done
from ui.pool import run_store


def test_a_worker_killed_mid_run_is_interrupted_keeps_its_records_and_the_pool_recovers():
    at = open_lab({"train.epochs": "2000", "model.depth": "2"})
    button(at, "Train").click().run()
    group = at.session_state["dn:group"]
    run = group.runs[0]
    deadline = time.monotonic() + 60
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
    assert INTERRUPTED_REASON in " ".join(e.value for e in at.error)  # said on the page
    assert run.step >= steps_seen and len(run.frame) > 0  # the records so far are kept
    assert at.get("vega_lite_chart")  # ... and still drawn
    saved = run_store().get(run.saved_id)
    assert saved["status"] == "interrupted" and len(saved["metrics"]) == len(run.frame)
    # the pool replaced the worker: the next run completes
    at.sidebar.number_input(key="dn:train.epochs").set_value(2).run()
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
