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

Inside the parent only one thread, the pool's dispatcher, talks to the worker processes; the
public methods (submit, poll, cancel, ...) only change shared state under one lock and wake the
dispatcher, so they can be called from any number of threads (Streamlit sessions).

This module imports only the standard library and models.config: importing it (and running
jobs through it) never loads TensorFlow into the calling process.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.spawn
import os
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any, Literal

from models.config import RunConfig, graph_key, parse_config

log = logging.getLogger(__name__)

JobStatus = Literal[
    "queued", "running", "completed", "diverged", "stopped", "failed", "interrupted"
]
END_STATUSES = ("completed", "diverged", "stopped", "failed", "interrupted")
RUNNER_END_STATUSES = ("completed", "diverged", "stopped", "failed")  # what a runner may report

DEFAULT_RUNNER = "models.trainer:iter_events"
# Tiny models train fastest single-threaded, and N workers x M threads would oversubscribe the CPU.
WORKER_ENV = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",  # keep TensorFlow's C++ info/warning lines out of the logs
}

INTERRUPTED_REASON = "the run was interrupted: its worker process stopped unexpectedly"
CANCELLED_REASON = "stopped: the run was cancelled"
SHUTDOWN_REASON = "stopped: the job pool shut down"

_RETIRE_GRACE = 2.0  # seconds a retired worker gets to exit on its own before it is killed
_STARTUP_ALLOWANCE = 60.0  # seconds a cold worker may take to import its runner and start a job
_MAX_WAIT = 0.5  # the dispatcher wakes at least this often (seconds), even with nothing to do
_MAX_MESSAGES_PER_TURN = 500  # per worker, so one chatty worker cannot starve the others
_CTX = multiprocessing.get_context("spawn")  # fork would copy a parent's threads and locks
_START_LOCK = threading.Lock()
_WARM_GRAPHS = 4  # = models.compiled.CACHE_SIZE (not imported: that module imports TensorFlow)


def _graph_of(config: Any) -> Any:
    """The job's graph key, or None for a config that is not a RunConfig (other runners)."""
    return graph_key(config) if isinstance(config, RunConfig) else None


def _start_without_main(process: multiprocessing.process.BaseProcess) -> None:
    """Start a spawned process without running this process's ``__main__`` in it first.

    spawn re-imports the parent's main module in the child. Under Streamlit that module is the
    page script (its runner installs it as ``sys.modules["__main__"]`` and leaves it there), so
    every worker would run the whole dashboard in bare mode before its first job: Streamlit
    and the UI imported, warnings in the log, seconds and memory spent. The worker needs only
    this module and its runner, which it imports by name.
    """
    original = multiprocessing.spawn.get_preparation_data

    def without_main(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    with _START_LOCK:  # one start at a time patches, and restores, the module function
        multiprocessing.spawn.get_preparation_data = without_main
        try:
            process.start()
        finally:
            multiprocessing.spawn.get_preparation_data = original


def time_limit_reason(seconds: float) -> str:
    return f"stopped: the run reached the time limit of {seconds:g} s"


class JobRefused(ValueError):
    """The pool will not take a job now (queue full, per-owner limit, shut down).

    ``str(err)`` is one sentence for the user.
    """


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
    def reason(self) -> str | None:
        """The end event's one-sentence reason (None while running or when completed)."""
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

        ``timeout`` bounds the whole iteration: TimeoutError if the job has not ended by then.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                while not self._unread:
                    if self.end is not None:
                        return  # the end event was already read (by poll)
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise TimeoutError(f"the job had not ended after {timeout:g} s")
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
                raise TimeoutError(f"the job had not ended after {timeout:g} s")
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

    def _pool_end(self, status: str, reason: str | None, **extra: Any) -> dict[str, Any]:
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


class _Worker:
    """The dispatcher's view of one worker process. Changed by the dispatcher thread only."""

    def __init__(self, process: Any, conn: Any):
        self.process = process
        self.conn = conn
        self.pid: int = process.pid
        self.ready = False  # the worker has imported its runner
        self.jobs_served = 0
        self.job: Job | None = None
        self.stop_sent = False
        self.kill_at: float | None = None  # monotonic; set when a stop request was sent
        self.retire_by: float | None = None  # monotonic; set once asked to exit
        # The graphs of its last runs (models.config.graph_key): a run of one of them finds its
        # network traced and warm in this worker (models/compiled.py keeps as many).
        self.graphs: collections.deque = collections.deque(maxlen=_WARM_GRAPHS)


class JobPool:
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
        self._workers: list[_Worker] = []  # live workers (busy or idle), dispatcher-owned
        self._retiring: list[_Worker] = []  # asked to exit; killed if they linger
        self._closing = False
        self._closed = threading.Event()
        self.workers_started = 0  # total worker processes spawned over the pool's life
        self._spawn_backoff = 0.0  # grows while workers die before they are ready
        self._spawn_not_before = 0.0

        self._wake_r, self._wake_w = _CTX.Pipe(duplex=False)
        self._wake_lock = threading.Lock()
        self._wake_pending = False

        _LIVE_POOLS.add(self)
        self._thread = threading.Thread(
            target=self._dispatch_forever, name="gradient-lab-jobs", daemon=True
        )
        self._thread.start()

    # -- public API -------------------------------------------------------------------------------

    def submit(self, cfg: RunConfig | dict[str, Any], owner: str | None = None) -> Job:
        """Queue a run. Raises ConfigError for an invalid config, JobRefused when it cannot wait."""
        config = self.parse(cfg)
        with self._cond:
            if self._closing:
                raise JobRefused("the job pool is shut down and takes no new runs")
            if len(self._queue) >= self.max_queue:
                raise JobRefused(
                    f"the queue is full ({len(self._queue)} runs waiting); "
                    "try again when a run has finished"
                )
            if owner is not None and self.max_per_owner is not None:
                # A cancelled run still finishing (at most cancel_grace) does not count, so
                # "stop, change a setting, run again" works at once.
                mine = sum(
                    1
                    for j in self._active.values()
                    if j.owner == owner and j._stop_cause != "cancelled"
                )
                if mine >= self.max_per_owner:
                    raise JobRefused(
                        f"you already have {mine} run{'s' * (mine > 1)} queued or running "
                        f"(the limit is {self.max_per_owner}); cancel one or wait for one to finish"
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

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until all ``max_workers`` workers have started and imported the runner."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._closing or sum(w.ready for w in self._workers) >= self.max_workers,
                timeout,
            )

    def worker_stats(self) -> list[dict[str, Any]]:
        """One dict per live worker: pid, ready, busy, jobs_served, rss_bytes (None off Linux)."""
        with self._cond:
            workers = [(w.pid, w.ready, w.job is not None, w.jobs_served) for w in self._workers]
        return [
            {
                "pid": pid,
                "ready": ready,
                "busy": busy,
                "jobs_served": served,
                "rss_bytes": process_rss(pid),
            }
            for pid, ready, busy, served in workers
        ]

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

    def _stop_reason(self, cause: str) -> str:
        if cause == "time_limit":
            return time_limit_reason(self.time_limit)
        if cause == "shutdown":
            return SHUTDOWN_REASON
        return CANCELLED_REASON

    def _wake(self) -> None:
        with self._wake_lock:
            if self._wake_pending or self._closed.is_set():
                return
            self._wake_pending = True
            with contextlib.suppress(OSError):  # the pool is being torn down
                self._wake_w.send_bytes(b"!")

    # -- the dispatcher thread ------------------------------------------------------------------

    def _dispatch_forever(self) -> None:
        failures = 0
        while True:
            with self._cond:
                closing = self._closing
            if closing:
                self._close_everything()
                return
            try:
                self._dispatch_once()
                failures = 0
            except Exception:  # a bug here must not leave every job hanging forever
                failures += 1
                if failures == 1 or failures % 100 == 0:
                    log.exception("the job dispatcher hit an error (%d in a row)", failures)
                time.sleep(min(5.0, 0.05 * failures))

    def _dispatch_once(self) -> None:
        timeout = self._enforce_stops_and_limits()  # first: a killed worker is replaced below
        self._spawn_missing_workers()
        self._assign_queued_jobs()
        waitables: list[Any] = [self._wake_r]
        for w in self._workers:
            waitables += [w.conn, w.process.sentinel]
        waitables += [w.process.sentinel for w in self._retiring]
        ready = set(multiprocessing.connection.wait(waitables, timeout))
        if self._wake_r in ready:
            with self._wake_lock:
                self._wake_pending = False
                while self._wake_r.poll():
                    self._wake_r.recv_bytes()
        for w in list(self._workers):
            if w.process.sentinel in ready:
                self._reap(w)
            elif w.conn in ready:
                self._read_messages(w)
        for w in list(self._retiring):
            if w.process.sentinel in ready or time.monotonic() >= w.retire_by:
                self._discard(w, kill=True)
                self._retiring.remove(w)

    def _spawn_missing_workers(self) -> None:
        while len(self._workers) < self.max_workers and time.monotonic() >= self._spawn_not_before:
            parent_conn, child_conn = _CTX.Pipe(duplex=True)
            process = _CTX.Process(
                target=_worker_main,
                args=(child_conn, self.runner, self.worker_env),
                name="gradient-lab-worker",
                daemon=True,  # killed by multiprocessing's exit hook if the parent exits
            )
            _start_without_main(process)
            child_conn.close()  # the parent must not hold the child's end, or EOF never comes
            with self._cond:
                self._workers.append(_Worker(process, parent_conn))
                self.workers_started += 1

    def _assign_queued_jobs(self) -> None:
        idle = [w for w in self._workers if w.job is None and w.retire_by is None]
        idle.sort(key=lambda w: not w.ready)  # prefer workers that have imported the runner
        while idle:
            with self._cond:
                if not self._queue:
                    return
                job = self._queue.popleft()
                # Prefer a ready worker that has run this graph: it trains without tracing.
                graph = _graph_of(job.config)
                warm = [w for w in idle if w.ready and graph is not None and graph in w.graphs]
                w = (warm or idle)[0]
                idle.remove(w)
                if graph is not None:
                    w.graphs.append(graph)
                job.status = "running"
                job.worker_pid = w.pid
                job._position = None
                # The limit counts from the worker's "started" reply; until then (a cold worker
                # still importing TensorFlow) allow for the import, but not forever.
                job._deadline = time.monotonic() + _STARTUP_ALLOWANCE + self.time_limit
                self._renumber_queue()
                w.job = job
                w.jobs_served += 1
            try:
                w.conn.send(("run", job.id, job.config))  # a validated model, pickled
            except OSError:
                self._reap(w)  # the worker is gone; the job ends "interrupted"

    def _enforce_stops_and_limits(self) -> float:
        """Send stop requests and kill workers past their grace; return seconds to wait."""
        now = time.monotonic()
        next_deadline = now + _MAX_WAIT
        for w in list(self._workers):
            job = w.job
            if job is None:
                continue
            with self._cond:
                if job._stop_cause is None and job._deadline is not None and now >= job._deadline:
                    job._stop_cause = "time_limit"
                stop = job._stop_cause is not None
                deadline = job._deadline
            if stop and not w.stop_sent:
                w.stop_sent = True
                w.kill_at = now + self.cancel_grace
                with contextlib.suppress(OSError):  # already dead: its sentinel reports it
                    w.conn.send(("stop", job.id))
            if w.kill_at is not None and now >= w.kill_at:
                self._reap(w, kill=True)
                continue
            for t in (w.kill_at, None if stop else deadline):
                if t is not None:
                    next_deadline = min(next_deadline, t)
        for w in self._retiring:
            next_deadline = min(next_deadline, w.retire_by)
        if self._spawn_not_before > now and len(self._workers) < self.max_workers:
            next_deadline = min(next_deadline, self._spawn_not_before)
        return max(0.0, next_deadline - now)

    def _read_messages(self, w: _Worker) -> None:
        for _ in range(_MAX_MESSAGES_PER_TURN):
            try:
                if not w.conn.poll():
                    return
                message = w.conn.recv()
            except (EOFError, OSError):
                self._reap(w)
                return
            self._handle(w, message)

    def _handle(self, w: _Worker, message: tuple) -> None:
        kind = message[0]
        with self._cond:
            if kind == "ready":
                w.ready = True
                self._spawn_backoff = 0.0
                self._cond.notify_all()
                return
            job = w.job
            if job is None or message[1] != job.id:
                return  # a late message about a job the pool has already ended
            if kind == "started":
                job._started_mono = time.monotonic()
                job.started_at = time.time()
                job._deadline = job._started_mono + self.time_limit
                job._push({"type": "started", "worker_pid": w.pid})
                return
            event = message[2]
            if event.get("type") != "end":
                job._push(event)
                return
            end = dict(event)
            if end.get("status") not in RUNNER_END_STATUSES:
                end = job._pool_end(
                    "failed", f"the run ended with an unknown status {end.get('status')!r}"
                )
            elif end["status"] == "stopped" and job._stop_cause is not None:
                end["reason"] = self._stop_reason(job._stop_cause)
                end["cause"] = job._stop_cause
            self._finish(job, end)
            w.job, w.stop_sent, w.kill_at = None, False, None
        if w.jobs_served >= self.max_jobs_per_worker:
            self._retire(w)

    def _retire(self, w: _Worker) -> None:
        """Ask an idle worker to exit; a fresh one takes its place at once."""
        with self._cond:
            self._workers.remove(w)
        w.retire_by = time.monotonic() + _RETIRE_GRACE
        with contextlib.suppress(OSError):
            w.conn.send(("exit",))
        self._retiring.append(w)

    def _reap(self, w: _Worker, kill: bool = False) -> None:
        """Remove a worker that died (or that we kill now) and end its job."""
        if w not in self._workers:
            return
        if kill:
            w.process.kill()
        w.process.join(1.0)
        # Whatever it sent before dying is still in the pipe: keep those events.
        while True:
            try:
                if not w.conn.poll():
                    break
                message = w.conn.recv()
            except (EOFError, OSError):
                break
            self._handle(w, message)
            if w not in self._workers:  # it was retired while we read
                break
        self._discard(w, kill=True)
        if w in self._retiring:
            self._retiring.remove(w)
        with self._cond:
            if w in self._workers:
                self._workers.remove(w)
            job = w.job
            if job is not None and job.end is None:
                if job._stop_cause is not None:
                    cause = job._stop_cause
                    end = job._pool_end("stopped", self._stop_reason(cause), cause=cause)
                else:
                    end = job._pool_end(
                        "interrupted", INTERRUPTED_REASON, exitcode=w.process.exitcode
                    )
                self._finish(job, end)
            w.job = None
            if not w.ready and not kill:  # died while starting: do not respawn in a tight loop
                self._spawn_backoff = min(10.0, max(0.5, 2 * self._spawn_backoff))
                self._spawn_not_before = time.monotonic() + self._spawn_backoff
                log.warning("a job worker died while starting (exit code %s)", w.process.exitcode)

    @staticmethod
    def _discard(w: _Worker, kill: bool) -> None:
        if kill and w.process.exitcode is None:
            w.process.kill()
        w.process.join(1.0)
        w.conn.close()

    def _close_everything(self) -> None:
        """Kill every worker and end every job as "stopped". Runs once."""
        with self._cond:
            if self._closed.is_set():
                return
            self._closed.set()
            workers = self._workers + self._retiring
            self._workers, self._retiring = [], []
            for job in list(self._active.values()):
                self._finish(job, job._pool_end("stopped", SHUTDOWN_REASON, cause="shutdown"))
            self._queue.clear()
            self._cond.notify_all()
        for w in workers:
            if w.process.exitcode is None:
                w.process.kill()
        for w in workers:
            w.process.join(1.0)
            w.conn.close()
        with self._wake_lock:
            self._wake_r.close()
            self._wake_w.close()


_LIVE_POOLS: set[JobPool] = set()


@atexit.register
def _shutdown_live_pools() -> None:
    for pool in list(_LIVE_POOLS):
        pool.shutdown(timeout=2.0)


def process_rss(pid: int) -> int | None:
    """Resident memory of a process in bytes, from /proc (Linux); None where unavailable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024  # the kernel reports kB
    except (OSError, ValueError, IndexError):
        return None
    return None


# ---------------------------------------------------------------------------------------------
# The worker process. Everything below runs in the child.


def load_runner(path: str) -> tuple[Callable[..., Iterator[dict[str, Any]]] | None, str | None]:
    """The runner at "module:function", or None and the one-sentence reason it cannot be loaded
    (reported on every job, so the user sees a sentence, not a hang)."""
    module_name, _, func_name = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), func_name), None
    except Exception as exc:
        return None, f"the runner {path} could not be loaded: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def _worker_main(conn: Any, runner_path: str, env: dict[str, str]) -> None:
    """Import the runner (the warm-up: for the real trainer that imports TensorFlow), then serve."""
    os.environ.update(env)  # before TensorFlow is imported: it reads these once
    runner, import_error = load_runner(runner_path)
    try:
        conn.send(("ready", os.getpid(), import_error))
        while True:
            message = conn.recv()
            if message[0] == "exit":
                return
            if message[0] == "run":
                _, job_id, config = message
                if not _run_job(conn, runner, import_error, job_id, config):
                    return
            # a "stop" for a job that has already ended: nothing to do
    except (EOFError, OSError):
        return  # the parent went away


def _run_job(
    conn: Any,
    runner: Callable[..., Iterator[dict[str, Any]]] | None,
    import_error: str | None,
    job_id: str,
    config: Any,
) -> bool:
    """Run one job, sending its events. Returns False when the worker should exit."""
    flags = {"stop": False, "exit": False}

    def should_stop() -> bool:
        # Read any control messages waiting on the pipe; never blocks.
        try:
            while not flags["stop"] and conn.poll():
                message = conn.recv()
                if message[0] == "stop" and message[1] == job_id:
                    flags["stop"] = True
                elif message[0] == "exit":
                    flags["stop"] = flags["exit"] = True
        except (EOFError, OSError):
            flags["stop"] = flags["exit"] = True
        return flags["stop"]

    conn.send(("started", job_id))
    try:
        with contextlib.closing(guarded_events(runner, import_error, config, should_stop)) as ev:
            for event in ev:
                conn.send(("event", job_id, event))
                if event["type"] == "end":
                    return not flags["exit"]
    except OSError:  # BrokenPipeError, ConnectionResetError: the parent is gone
        return False
    return not flags["exit"]


def guarded_events(
    runner: Callable[..., Iterator[dict[str, Any]]] | None,
    import_error: str | None,
    config: Any,
    should_stop: Callable[[], bool],
) -> Iterator[dict[str, Any]]:
    """A runner's events, checked, ending with exactly one end event: a runner that raises (or
    could not be imported) ends as "failed" with a one-sentence reason and the traceback.
    Shared by this pool's workers and the Ray backend's tasks (models/ray_pool.py)."""
    started = time.monotonic()
    last_step = 0
    events = None
    try:
        if runner is None:
            raise RuntimeError(import_error)
        events = runner(config, should_stop)
        for event in events:
            if not isinstance(event, dict) or "type" not in event:
                raise TypeError(f"the runner yielded {type(event).__name__}, not an event dict")
            if isinstance(event.get("step"), int):
                last_step = event["step"]
            yield event
            if event["type"] == "end":
                return
        raise RuntimeError("the runner finished without an end event")
    except Exception as exc:
        reason = import_error if runner is None else f"the run failed: {_one_line(exc)}"
        yield {
            "type": "end",
            "status": "failed",
            "step": last_step,
            "diverged_at": None,
            "reason": reason,
            "wall_time": round(time.monotonic() - started, 3),
            "traceback": "".join(traceback.format_exception(exc)),
        }
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            # Run the runner's finally blocks now, not whenever the generator is collected.
            with contextlib.suppress(Exception):
                close()
