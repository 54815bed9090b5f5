"""The worker process: a spawned child that imports its runner once, then runs jobs one at a time.

The job pool's dispatcher (models/infra/dispatcher.py) starts one with :func:`start_worker` and
talks to it over a pipe::

    parent -> worker   ("run", job_id, config)   ("stop", job_id)   ("exit",)
    worker -> parent   ("ready", pid, import_error)   ("started", job_id)   ("event", job_id, event)

:func:`guarded_events` (a runner's events, checked, ending with exactly one end event) is shared
with the Ray backend's tasks (models/infra/ray_pool.py). This module imports only the standard
library and models.problems: the runner, and with it TensorFlow, is imported inside the worker.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import multiprocessing.spawn
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from models.problems import Problem, problem

# Tiny models train fastest single-threaded, and N workers x M threads would oversubscribe the CPU.
WORKER_ENV = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",  # keep TensorFlow's C++ info/warning lines out of the logs
}

_CTX = multiprocessing.get_context("spawn")  # fork would copy a parent's threads and locks
_START_LOCK = threading.Lock()


def start_worker(runner: str, env: dict[str, str]) -> tuple[Any, Any]:
    """Spawn a worker process that imports ``runner`` ("module:function") with ``env`` set;
    returns the process and the parent's end of its pipe."""
    parent_conn, child_conn = _CTX.Pipe(duplex=True)
    process = _CTX.Process(
        target=worker_main,
        args=(child_conn, runner, env),
        name="gradient-lab-worker",
        daemon=True,  # killed by multiprocessing's exit hook if the parent exits
    )
    _start_without_main(process)
    child_conn.close()  # the parent must not hold the child's end, or EOF never comes
    return process, parent_conn


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


def load_runner(
    path: str,
) -> tuple[Callable[..., Iterator[dict[str, Any]]] | None, Problem | None]:
    """The runner at "module:function", or None and why it cannot be loaded (the end reason of
    every job, so the user reads why, not a hang)."""
    module_name, _, func_name = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), func_name), None
    except Exception as exc:
        return None, problem("job.runner_not_loaded", runner=path, error=_one_line(exc))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    line = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def worker_main(conn: Any, runner_path: str, env: dict[str, str]) -> None:
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
    import_error: Problem | None,
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
    import_error: Problem | None,
    config: Any,
    should_stop: Callable[[], bool],
) -> Iterator[dict[str, Any]]:
    """A runner's events, checked, ending with exactly one end event: a runner that raises (or
    could not be imported) ends as "failed" with its reason (``job.failed`` with the exception's
    first line, or ``job.runner_not_loaded``) and the traceback.
    Shared by the pool's workers and the Ray backend's tasks (models/infra/ray_pool.py)."""
    started = time.monotonic()
    last_step = 0
    events = None
    try:
        if runner is None:
            raise RuntimeError(str(import_error))
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
        reason = import_error if runner is None else problem("job.failed", error=_one_line(exc))
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
