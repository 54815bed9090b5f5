"""Runs training jobs in worker processes: submit, stream events, cancel, cap, time out, recycle.

The dashboard's server process never imports TensorFlow. Every Keras run happens in a worker
process started with the "spawn" method, so a worker can be killed (a run that will not stop),
recycled (TensorFlow keeps ~5 MB per model built, and ``clear_session()`` does not give it back)
and capped (at most ``max_workers`` runs at once; later submissions wait in a FIFO queue).

A job's life, as the events its consumer sees (plain dicts, each with a ``"type"``)::

    {"type": "queued", "position": 1}           # on submit, and again whenever the position moves
    {"type": "started", "worker_pid": 4242}     # a worker took the job
    ... the runner's own events ("start", "records", "snapshot", ...), passed through ...
    {"type": "end", "status": ..., "step": ..., "diverged_at": ..., "reason": ..., "wall_time": ...}

Every job gets exactly one "end" event, also when the pool ends it itself (cancelled while
queued, killed, time limit, worker died, pool shut down). End statuses: "completed", "diverged",
"stopped", "failed" (the runner raised) and "interrupted" (the worker process died mid-run).
Stops the pool asked for carry ``"cause"``: "cancelled", "time_limit" or "shutdown".

``"reason"`` says why a run ended as a code with values (``models.problems.Problem``), never as a
sentence: None for a completed run; otherwise ``job.stopped_by_user``, ``job.loss_not_finite``
(``value`` "nan" or "inf"), ``job.gradient_not_finite``, ``job.stopped`` (``why``: a
``job.cancelled``, ``job.time_limit`` with its ``seconds``, or ``job.shutdown``),
``job.interrupted``, ``job.failed`` (``error``: the exception's first line, diagnostic text
shown as it is), ``job.runner_not_loaded`` (``runner``, ``error``), ``job.unknown_status`` or
``job.no_end_event``. The pages and the CLI word it (``locales.say``, key ``problem.<code>``);
the run record keeps it (models/record.py).

Inside the parent only one thread, the pool's dispatcher (models/infra/dispatcher.py), talks to
the worker processes (models/infra/worker.py); the public methods (submit, poll, cancel, ...)
only change shared state under one lock and wake the dispatcher, so they can be called from any
number of threads (Streamlit sessions).

This module imports only the standard library and TensorFlow-free engine modules: importing it
(and running jobs through it) never loads TensorFlow into the calling process.
"""

from __future__ import annotations

import atexit
import collections
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

from models.config import RunConfig
from models.fields import parse_config
from models.infra.dispatcher import Dispatcher
from models.infra.worker import WORKER_ENV
from models.problems import Problem, ProblemError, problem

log = logging.getLogger(__name__)

JobStatus = Literal[
    "queued", "running", "completed", "diverged", "stopped", "failed", "interrupted"
]
END_STATUSES = ("completed", "diverged", "stopped", "failed", "interrupted")
RUNNER_END_STATUSES = ("completed", "diverged", "stopped", "failed")  # what a runner may report

DEFAULT_RUNNER = "models.trainer:iter_events"

INTERRUPTED_REASON = problem("job.interrupted")
CANCELLED_REASON = problem("job.stopped", why=problem("job.cancelled"))
SHUTDOWN_REASON = problem("job.stopped", why=problem("job.shutdown"))

_STARTUP_ALLOWANCE = 60.0  # seconds a cold worker may take to import its runner and start a job


def time_limit_reason(seconds: float) -> Problem:
    return problem("job.stopped", why=problem("job.time_limit", seconds=seconds))


class JobRefused(ProblemError):
    """The pool will not take a job now (queue full, per-owner limit, shut down): ``err.problem``
    says which, for the pages to word."""


class JobTimeout(TimeoutError):
    """A caller waited longer for a job's end than it allowed; ``err.problem`` says how long."""

    def __init__(self, seconds: float):
        self.problem = problem("job.timeout", seconds=seconds)
        super().__init__(str(self.problem))


# ---------------------------------------------------------------------------------------------
# Jobs: what a caller holds. All mutable state is guarded by the pool's condition variable.


class Job:
    """One submitted run: its config, status and the stream of events not yet read.

    Events are handed out once: :meth:`poll` and :meth:`events` share one read position, so the
    consumer keeps what it needs (a run can record millions of rows; the job does not keep a copy).
    """

    def __init__(self, pool: JobPool, config: RunConfig, owner: str | None):
        self.id: str = secrets.token_urlsafe(16)  # unguessable: a session can only reach its own
        self.config = config
        self.owner = owner
        self.status: JobStatus = "queued"
        self.submitted_at = time.time()
        self.started_at: float | None = None  # wall clock when a worker took the job
        self.ended_at: float | None = None
        self.worker_pid: int | None = None
        self.end: dict[str, Any] | None = None  # the end event, once the job has ended
        self._pool = pool
        self._cond = pool._cond
        self._unread: collections.deque[dict[str, Any]] = collections.deque()
        self._position: int | None = None
        self._last_step = 0
        self._started_mono: float | None = None
        self._deadline: float | None = None  # monotonic time at which the time limit hits
        self._stop_cause: str | None = None  # why the pool asked the runner to stop

    def __repr__(self) -> str:
        return f"<Job {self.id[:8]} {self.status}>"

    @property
    def done(self) -> bool:
        return self.end is not None

    @property
    def reason(self) -> Problem | None:
        """Why the job ended, a code with values (None while running or when completed)."""
        return self.end.get("reason") if self.end else None

    def queue_position(self) -> int | None:
        """1-based place in the queue while queued; None once running or ended."""
        with self._cond:
            return self._position

    def poll(self) -> list[dict[str, Any]]:
        """The events that arrived since the last read. Never blocks."""
        with self._cond:
            events = list(self._unread)
            self._unread.clear()
        return events

    def events(self, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Yield events as they arrive, until the end event (included).

        ``timeout`` bounds the whole iteration: JobTimeout (a TimeoutError) if the job has not
        ended by then.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                while not self._unread:
                    if self.end is not None:
                        return  # the end event was already read (by poll)
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise JobTimeout(timeout)
                    self._cond.wait(remaining)
                # One at a time: a consumer that stops iterating early loses no events.
                event = self._unread.popleft()
            yield event
            if event["type"] == "end":
                return

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job ends and return its end event (without consuming any events)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.end is not None, timeout):
                raise JobTimeout(timeout)
            return self.end

    def cancel(self) -> None:
        """Stop the job: at once if queued; a running one is asked to stop, then killed."""
        self._pool._cancel(self)

    # -- used by the pool, under the lock ---------------------------------------------------------

    def _push(self, event: dict[str, Any]) -> None:
        step = event.get("step")
        if isinstance(step, int):
            self._last_step = step
        self._unread.append(event)
        self._cond.notify_all()

    def _pool_end(self, status: str, reason: Problem | None, **extra: Any) -> dict[str, Any]:
        """An end event made by the pool, in the same shape as the runner's."""
        wall = 0.0 if self._started_mono is None else time.monotonic() - self._started_mono
        end = {
            "type": "end",
            "status": status,
            "step": self._last_step,
            "diverged_at": None,
            "reason": reason,
            "wall_time": round(wall, 3),
        }
        end.update(extra)
        return end


# ---------------------------------------------------------------------------------------------
# The pool (parent side).


class JobPool(Dispatcher):
    """Runs jobs in at most ``max_workers`` worker processes, the rest waiting in a FIFO queue.

    ``runner`` is a "module:function" path imported inside each worker (never in this process)
    with the signature of ``models.trainer.iter_events(cfg, should_stop) -> Iterator[dict]``.
    Each worker imports it as soon as it starts, so a job does not pay for importing TensorFlow.
    """

    def __init__(
        self,
        max_workers: int = 2,
        max_queue: int = 100,
        time_limit: float = 600.0,  # seconds of wall time per job, counted from its start
        max_jobs_per_worker: int = 10,  # then the worker is replaced: each run grows it ~35 MB
        runner: str = DEFAULT_RUNNER,
        cancel_grace: float = 1.0,  # seconds a runner gets to honour a stop before its worker dies
        max_per_owner: int | None = None,  # queued + running jobs one owner (session) may have
        worker_env: dict[str, str] | None = None,  # added to WORKER_ENV in each worker
        parse: Callable[[Any], Any] = parse_config,  # what the runner takes; raises ConfigError
    ):
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1 (got {max_workers})")
        if max_jobs_per_worker < 1:
            raise ValueError(f"max_jobs_per_worker must be at least 1 (got {max_jobs_per_worker})")
        if time_limit <= 0 or cancel_grace < 0:
            raise ValueError("time_limit must be above 0 and cancel_grace at least 0")
        if ":" not in runner:
            raise ValueError(f"runner must look like 'package.module:function' (got {runner!r})")
        self.max_workers = max_workers
        self.max_queue = max_queue
        self.time_limit = time_limit
        self.max_jobs_per_worker = max_jobs_per_worker
        self.runner = runner
        self.cancel_grace = cancel_grace
        self.max_per_owner = max_per_owner
        self.worker_env = {**WORKER_ENV, **(worker_env or {})}
        self.parse = parse

        self._cond = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()  # FIFO of queued jobs
        self._active: dict[str, Job] = {}  # queued and running jobs by id
        self._closing = False
        self._closed = threading.Event()
        _LIVE_POOLS.add(self)
        self._start_dispatcher()

    # -- public API -------------------------------------------------------------------------------

    def submit(self, cfg: RunConfig | dict[str, Any], owner: str | None = None) -> Job:
        """Queue a run. Raises ConfigError for an invalid config, JobRefused when it cannot wait."""
        config = self.parse(cfg)
        with self._cond:
            if self._closing:
                raise JobRefused(problem("job.pool_closed"))
            if len(self._queue) >= self.max_queue:
                raise JobRefused(problem("job.queue_full", waiting=len(self._queue)))
            if owner is not None and self.max_per_owner is not None:
                # A cancelled run still finishing (at most cancel_grace) does not count, so
                # "stop, change a setting, run again" works at once.
                mine = sum(
                    1
                    for j in self._active.values()
                    if j.owner == owner and j._stop_cause != "cancelled"
                )
                if mine >= self.max_per_owner:
                    runs = (
                        problem("job.one_run", n=mine) if mine == 1 else problem("job.runs", n=mine)
                    )
                    raise JobRefused(
                        problem("job.owner_limit", runs=runs, limit=self.max_per_owner)
                    )
            job = Job(self, config, owner)
            self._active[job.id] = job
            self._queue.append(job)
            self._renumber_queue()
        self._wake()
        return job

    def get(self, job_id: str) -> Job | None:
        """A queued or running job by id (None once it has ended or if the id is unknown)."""
        with self._cond:
            return self._active.get(job_id)

    def jobs(self) -> list[Job]:
        """The queued and running jobs, oldest first."""
        with self._cond:
            return sorted(self._active.values(), key=lambda j: j.submitted_at)

    @property
    def queue_length(self) -> int:
        with self._cond:
            return len(self._queue)

    @property
    def running(self) -> int:
        """Jobs currently handed to a worker."""
        with self._cond:
            return sum(1 for j in self._active.values() if j.status == "running")

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Kill the workers and end every queued and running job as "stopped". Idempotent."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._wake()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the job dispatcher did not stop within %.1f s", timeout)
        else:
            self._close_everything()  # no-op when the dispatcher already did it
        _LIVE_POOLS.discard(self)

    def __enter__(self) -> JobPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- called by Job, from any thread ---------------------------------------------------------

    def _cancel(self, job: Job) -> None:
        with self._cond:
            if job.end is not None:
                return
            if job.status == "queued":
                self._queue.remove(job)
                self._finish(job, job._pool_end("stopped", CANCELLED_REASON, cause="cancelled"))
                self._renumber_queue()
                return
            if job._stop_cause is None:
                job._stop_cause = "cancelled"
        self._wake()  # the dispatcher sends the stop request and arms the kill timer

    # -- shared-state helpers (call with the lock held) -----------------------------------------

    def _renumber_queue(self) -> None:
        for position, job in enumerate(self._queue, start=1):
            if job._position != position:
                job._position = position
                job._push({"type": "queued", "position": position})

    def _finish(self, job: Job, end: dict[str, Any]) -> None:
        job.end = end
        job.status = end["status"]
        job.ended_at = time.time()
        job._position = None
        job._deadline = None
        self._active.pop(job.id, None)
        job._push(end)

    def _stop_reason(self, cause: str) -> Problem:
        if cause == "time_limit":
            return time_limit_reason(self.time_limit)
        if cause == "shutdown":
            return SHUTDOWN_REASON
        return CANCELLED_REASON

    # -- a job's state, changed by the dispatcher through these (call with the lock held) -------

    def _job_running(self, job: Job, worker_pid: int) -> None:
        """The job leaves the queue for a worker."""
        job.status = "running"
        job.worker_pid = worker_pid
        job._position = None
        # The limit counts from the worker's "started" reply; until then (a cold worker still
        # importing TensorFlow) allow for the import, but not forever.
        job._deadline = time.monotonic() + _STARTUP_ALLOWANCE + self.time_limit
        self._renumber_queue()

    def _job_started(self, job: Job, worker_pid: int) -> None:
        """The worker began the job: its time limit counts from now."""
        job._started_mono = time.monotonic()
        job.started_at = time.time()
        job._deadline = job._started_mono + self.time_limit
        job._push({"type": "started", "worker_pid": worker_pid})

    def _job_event(self, job: Job, event: dict[str, Any]) -> None:
        job._push(event)

    def _job_ended(self, job: Job, event: dict[str, Any]) -> None:
        """The runner's end event, checked, with the pool's cause when the pool stopped it."""
        end = dict(event)
        if end.get("status") not in RUNNER_END_STATUSES:
            status = repr(end.get("status"))
            end = job._pool_end("failed", problem("job.unknown_status", status=status))
        elif end["status"] == "stopped" and job._stop_cause is not None:
            end["reason"] = self._stop_reason(job._stop_cause)
            end["cause"] = job._stop_cause
        self._finish(job, end)

    def _job_lost(self, job: Job, exitcode: int | None) -> None:
        """The job's worker died (or was killed) before the runner's end event."""
        if job._stop_cause is not None:
            cause = job._stop_cause
            end = job._pool_end("stopped", self._stop_reason(cause), cause=cause)
        else:
            end = job._pool_end("interrupted", INTERRUPTED_REASON, exitcode=exitcode)
        self._finish(job, end)

    def _job_all_shut_down(self) -> None:
        """End every queued and running job as "stopped" (the pool shuts down)."""
        for job in list(self._active.values()):
            self._finish(job, job._pool_end("stopped", SHUTDOWN_REASON, cause="shutdown"))
        self._queue.clear()

    def _job_stop_due(self, job: Job, now: float) -> tuple[bool, float | None]:
        """Whether the pool wants the running job stopped (past its time limit, or cancelled),
        and its deadline. Takes the lock."""
        with self._cond:
            if job._stop_cause is None and job._deadline is not None and now >= job._deadline:
                job._stop_cause = "time_limit"
            return job._stop_cause is not None, job._deadline


_LIVE_POOLS: set[JobPool] = set()


@atexit.register
def _shutdown_live_pools() -> None:
    for pool in list(_LIVE_POOLS):
        pool.shutdown(timeout=2.0)
