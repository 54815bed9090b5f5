"""The job pool's Ray backend: sweeps on a Ray cluster when one is configured.

``RayPool`` has the part of ``JobPool``'s interface a sweep uses (``submit`` -> a job with
``poll``, ``cancel``, ``done``, ``end``; ``max_workers``; ``jobs``; ``shutdown``), so
``models.infra.sweep.Sweep`` runs the same grid on either. Each run is one Ray generator task
that streams the same events a local worker sends (``started``, the runner's own, exactly one
``end``), through the same guard (``models.infra.worker.guarded_events``). The default stays the
local process pool: Ray is optional (``requirements-ray.txt``), and importing this module does
not import Ray; making a ``RayPool`` does.

The dashboard uses it when one setting, ``GRADIENT_LAB_RAY_ADDRESS`` (models/infra/settings.py),
names a running cluster (anything ``ray.init`` understands: ``ray://head:10001``, ``head:6379``,
or ``auto`` for one started on this machine with ``ray start --head``). ``RayPool()`` without an
address starts a local Ray instance instead (tests, benchmarks): do that from a thread that
outlives the pool, such as the main thread, since Ray's processes die with the thread that
started them. The ``models`` package is shipped to the cluster's workers with the job (a Ray
``py_modules`` runtime env); the cluster must have the same Python packages (requirements.txt)
and Ray version. TensorFlow is imported only inside the Ray workers.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from models.config import RunConfig
from models.fields import parse_config
from models.infra.jobs import (
    CANCELLED_REASON,
    DEFAULT_RUNNER,
    INTERRUPTED_REASON,
    SHUTDOWN_REASON,
    JobRefused,
    JobTimeout,
    time_limit_reason,
)
from models.infra.worker import WORKER_ENV, guarded_events, load_runner
from models.problems import Problem, problem

RUNS_PER_WORKER = 10  # then Ray replaces the worker process: each model built grows it ~5 MB
log = logging.getLogger(__name__)


def _run_in_ray(runner_path: str, config: Any, time_limit: float) -> Iterator[dict]:
    """The Ray task: one run's events. Runs in a Ray worker process (TensorFlow lives there)."""
    import socket  # noqa: PLC0415 - only in the Ray worker

    runner, import_error = load_runner(runner_path)
    yield {"type": "started", "worker_pid": os.getpid(), "host": socket.gethostname()}
    deadline = time.monotonic() + time_limit

    def over_time() -> bool:
        return time.monotonic() > deadline

    for event in guarded_events(runner, import_error, config, over_time):
        if event["type"] == "end" and event["status"] == "stopped":
            event = {**event, "reason": time_limit_reason(time_limit), "cause": "time_limit"}
        yield event


class RayJob:
    """One run on the cluster: its config, status, and the events not yet read (``poll``)."""

    def __init__(self, pool: RayPool, config: RunConfig, owner: str | None, stream: Any):
        self.id: str = secrets.token_urlsafe(16)
        self.config = config
        self.owner = owner
        self.status = "queued"  # until the task's "started" event arrives
        self.end: dict[str, Any] | None = None
        self.worker_pid: int | None = None
        self._pool = pool
        self._stream = stream  # ray.ObjectRefGenerator
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_step = 0
        self._unread: list[dict[str, Any]] = []  # an end made here (cancel), not yet read

    def __repr__(self) -> str:
        return f"<RayJob {self.id[:8]} {self.status}>"

    @property
    def done(self) -> bool:
        return self.end is not None

    @property
    def reason(self) -> Problem | None:
        """Why the run ended, a code with values (see models.infra.jobs)."""
        return self.end.get("reason") if self.end else None

    def poll(self) -> list[dict[str, Any]]:
        """The events that arrived since the last read. Never blocks."""
        ray = self._pool.ray
        with self._lock:
            out, self._unread = self._unread, []
            while self.end is None:
                ready, _ = ray.wait([self._stream], timeout=0)
                if not ready:
                    break
                try:
                    event = ray.get(next(self._stream))
                except StopIteration:
                    event = self._end("failed", problem("job.no_end_event"))
                except Exception as exc:  # the worker or its node died, or the task errored
                    log.warning("Ray run %s ended abnormally: %s", self.id[:8], exc)
                    event = self._end("interrupted", INTERRUPTED_REASON)
                self._take(event)
                out.append(event)
        return out

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job ends (reading its events) and return the end event."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.end is None:
            if deadline is not None and time.monotonic() > deadline:
                raise JobTimeout(timeout)
            self._pool.ray.wait([self._stream], timeout=0.1)
            self.poll()
        return self.end

    def cancel(self, reason: Problem = CANCELLED_REASON, cause: str = "cancelled") -> None:
        """Stop the run now: Ray interrupts the task; the job ends "stopped" at once."""
        with self._lock:
            if self.end is not None:
                return
            self._pool.ray.cancel(self._stream)
            event = self._end("stopped", reason, cause=cause)
            self._take(event)
            self._unread.append(event)

    def _end(self, status: str, reason: Problem, **extra: Any) -> dict[str, Any]:
        return {
            "type": "end",
            "status": status,
            "step": self._last_step,
            "diverged_at": None,
            "reason": reason,
            "wall_time": round(time.monotonic() - self._started, 3),
            **extra,
        }

    def _take(self, event: dict[str, Any]) -> None:
        if isinstance(event.get("step"), int):
            self._last_step = event["step"]
        if event["type"] == "started":
            self.status = "running"
            self.worker_pid = event.get("worker_pid")
        elif event["type"] == "end":
            self.end = event
            self.status = event["status"]
            self._pool._forget(self)


class RayPool:
    """Runs jobs as Ray tasks on a cluster (or a local Ray instance), one CPU each."""

    def __init__(
        self,
        address: str | None = None,  # None: start a Ray instance on this machine
        num_cpus: int | None = None,  # for a local instance: its CPUs (default: all)
        time_limit: float = 600.0,  # seconds of wall time per run, counted from its start
        runner: str = DEFAULT_RUNNER,
        worker_env: dict[str, str] | None = None,  # added to WORKER_ENV in each Ray worker
    ):
        import ray  # noqa: PLC0415 - optional dependency, only when a Ray backend is made

        if time_limit <= 0:
            raise ValueError("time_limit must be above 0")
        self.ray = ray
        self.address = address
        self.time_limit = time_limit
        self.runner = runner
        runtime_env = {
            "py_modules": [str(Path(__file__).resolve().parents[1])],  # models/: not the UI
            "env_vars": {**WORKER_ENV, **(worker_env or {})},
        }
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            ray.init(
                address=self.address,
                num_cpus=num_cpus if self.address is None else None,
                runtime_env=runtime_env,  # local paths (py_modules) ship only at this level
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
                configure_logging=False,
            )
        self._task = ray.remote(
            num_cpus=1,
            max_calls=RUNS_PER_WORKER,
            max_retries=0,  # a run whose worker died ends "interrupted"; it is not rerun
        )(_run_in_ray)
        if not self._owns_ray:  # the caller's Ray job: it must already have the engine importable
            self._task = self._task.options(runtime_env={"env_vars": runtime_env["env_vars"]})
        self._lock = threading.Lock()
        self._active: dict[str, RayJob] = {}
        self._closed = False

    @property
    def max_workers(self) -> int:
        """Runs the cluster can train at once: its CPUs."""
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    @property
    def closed(self) -> bool:
        return self._closed

    def submit(self, cfg: RunConfig | dict[str, Any], owner: str | None = None) -> RayJob:
        """Start a run on the cluster (Ray queues it until a CPU is free)."""
        config = parse_config(cfg)
        with self._lock:
            if self._closed:
                raise JobRefused(problem("job.ray_pool_closed"))
            stream = self._task.remote(self.runner, config.model_dump(mode="json"), self.time_limit)
            job = RayJob(self, config, owner, stream)
            self._active[job.id] = job
        return job

    def jobs(self) -> list[RayJob]:
        """Jobs not yet ended (for the reaper of closed sessions)."""
        with self._lock:
            return list(self._active.values())

    def shutdown(self) -> None:
        """End every job as "stopped", and stop the local Ray instance if this pool started it."""
        with self._lock:
            self._closed = True
        for job in self.jobs():
            job.cancel(SHUTDOWN_REASON, cause="shutdown")
        if self._owns_ray:
            self.ray.shutdown()

    def __enter__(self) -> RayPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _forget(self, job: RayJob) -> None:
        with self._lock:
            self._active.pop(job.id, None)
