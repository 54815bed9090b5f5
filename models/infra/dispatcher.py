"""The job pool's dispatcher: the one thread of the parent that talks to worker processes.

It spawns workers (models/infra/worker.py) up to ``max_workers``, hands each idle one the next
queued job (preferring a worker that has traced the job's graph), relays the workers' messages
as job events, sends stop requests and kills a worker whose runner does not stop within
``cancel_grace``, ends the job of a worker that dies, and replaces a worker after
``max_jobs_per_worker`` jobs (TensorFlow keeps ~5 MB per model built; a fresh process gives it
back).

:class:`Dispatcher` is the base class of :class:`models.infra.jobs.JobPool`, which owns the jobs:
the queue, the lock and every change of a job's state (the ``_job_*`` methods it defines), so
this module changes no job itself. Imports only the standard library and models.config.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import threading
import time
from typing import Any

from models.config import RunConfig, graph_key
from models.infra.worker import process_rss, start_worker

log = logging.getLogger(__name__)

_RETIRE_GRACE = 2.0  # seconds a retired worker gets to exit on its own before it is killed
_MAX_WAIT = 0.5  # the dispatcher wakes at least this often (seconds), even with nothing to do
_MAX_MESSAGES_PER_TURN = 500  # per worker, so one chatty worker cannot starve the others
_WARM_GRAPHS = 4  # = models.compiled.CACHE_SIZE (not imported: that module imports TensorFlow)


def _graph_of(config: Any) -> Any:
    """The job's graph key, or None for a config that is not a RunConfig (other runners)."""
    return graph_key(config) if isinstance(config, RunConfig) else None


class WorkerHandle:
    """The dispatcher's view of one worker process. Changed by the dispatcher thread only."""

    def __init__(self, process: Any, conn: Any):
        self.process = process
        self.conn = conn
        self.pid: int = process.pid
        self.ready = False  # the worker has imported its runner
        self.jobs_served = 0
        self.job: Any = None  # the models.infra.jobs.Job it runs, if any
        self.stop_sent = False
        self.kill_at: float | None = None  # monotonic; set when a stop request was sent
        self.retire_by: float | None = None  # monotonic; set once asked to exit
        # The graphs of its last runs (models.config.graph_key): a run of one of them finds its
        # network traced and warm in this worker (models/compiled.py keeps as many).
        self.graphs: collections.deque = collections.deque(maxlen=_WARM_GRAPHS)


class Dispatcher:
    """The worker processes of a JobPool and the thread that drives them.

    Reads the pool's settings (``max_workers``, ``runner``, ``worker_env``, ``cancel_grace``,
    ``max_jobs_per_worker``) and shares its lock (``_cond``), queue and closing flags.
    """

    def _start_dispatcher(self) -> None:
        self._workers: list[WorkerHandle] = []  # live workers (busy or idle), dispatcher-owned
        self._retiring: list[WorkerHandle] = []  # asked to exit; killed if they linger
        self.workers_started = 0  # total worker processes spawned over the pool's life
        self._spawn_backoff = 0.0  # grows while workers die before they are ready
        self._spawn_not_before = 0.0

        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)
        self._wake_lock = threading.Lock()
        self._wake_pending = False

        self._thread = threading.Thread(
            target=self._dispatch_forever, name="gradient-lab-jobs", daemon=True
        )
        self._thread.start()

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
            process, conn = start_worker(self.runner, self.worker_env)
            with self._cond:
                self._workers.append(WorkerHandle(process, conn))
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
                self._job_running(job, w.pid)
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
            stop, deadline = self._job_stop_due(job, now)
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

    def _read_messages(self, w: WorkerHandle) -> None:
        for _ in range(_MAX_MESSAGES_PER_TURN):
            try:
                if not w.conn.poll():
                    return
                message = w.conn.recv()
            except (EOFError, OSError):
                self._reap(w)
                return
            self._handle(w, message)

    def _handle(self, w: WorkerHandle, message: tuple) -> None:
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
                self._job_started(job, w.pid)
                return
            event = message[2]
            if event.get("type") != "end":
                self._job_event(job, event)
                return
            self._job_ended(job, event)
            w.job, w.stop_sent, w.kill_at = None, False, None
        if w.jobs_served >= self.max_jobs_per_worker:
            self._retire(w)

    def _retire(self, w: WorkerHandle) -> None:
        """Ask an idle worker to exit; a fresh one takes its place at once."""
        with self._cond:
            self._workers.remove(w)
        w.retire_by = time.monotonic() + _RETIRE_GRACE
        with contextlib.suppress(OSError):
            w.conn.send(("exit",))
        self._retiring.append(w)

    def _reap(self, w: WorkerHandle, kill: bool = False) -> None:
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
                self._job_lost(job, w.process.exitcode)
            w.job = None
            if not w.ready and not kill:  # died while starting: do not respawn in a tight loop
                self._spawn_backoff = min(10.0, max(0.5, 2 * self._spawn_backoff))
                self._spawn_not_before = time.monotonic() + self._spawn_backoff
                log.warning("a job worker died while starting (exit code %s)", w.process.exitcode)

    @staticmethod
    def _discard(w: WorkerHandle, kill: bool) -> None:
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
            self._job_all_shut_down()
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
