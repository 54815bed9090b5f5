"""Stand-in runners for testing models.infra.jobs without TensorFlow.

Each function has the signature of ``models.trainer.iter_events(cfg, should_stop)`` and yields
events in the trainer's shape. Two config fields set their pace:

- ``train.epochs``: how many "records" events (steps) the run yields;
- ``train.record_every``: milliseconds of work (sleep) before each of them.

``scripted`` picks a behaviour from ``data.name`` (see BEHAVIOURS), so one pool can run
well-behaved, stubborn, crashing and dying jobs one after another.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from models.config import RunConfig
from models.problems import Problem, problem

IMPORTED_AT = time.time()  # when the worker imported this module (its warm-up)


def _start(cfg: RunConfig) -> dict[str, Any]:
    return {
        "type": "start",
        "total_steps": cfg.train.epochs,
        "pid": os.getpid(),
        "clock": time.time(),  # lets a test see which runs overlapped
    }


def _records(step: int) -> dict[str, Any]:
    row = {"step": step, "name": "loss", "layer": None, "depth": None, "t": None, "value": 1 / step}
    return {"type": "records", "step": step, "records": [row]}


def _end(status: str, step: int, began: float, reason: Problem | None = None) -> dict[str, Any]:
    return {
        "type": "end",
        "status": status,
        "step": step,
        "diverged_at": None,
        "reason": reason,
        "wall_time": time.monotonic() - began,
        "clock": time.time(),
    }


def steady(cfg: RunConfig, should_stop: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """A well-behaved run: checks should_stop before every step."""
    began = time.monotonic()
    yield _start(cfg)
    for step in range(1, cfg.train.epochs + 1):
        if should_stop():
            yield _end("stopped", step - 1, began, problem("job.stopped_by_user"))
            return
        time.sleep(cfg.train.record_every / 1000)
        yield _records(step)
    yield _end("completed", cfg.train.epochs, began)


def ignores_stop(cfg: RunConfig, should_stop: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """A run stuck in work that never calls should_stop (only a kill ends it)."""
    began = time.monotonic()
    yield _start(cfg)
    time.sleep(3600)
    yield _end("completed", 0, began)


def crashes(cfg: RunConfig, should_stop: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """A run with a bug: one step, then an exception."""
    yield _start(cfg)
    yield _records(1)
    raise RuntimeError("boom: a simulated bug\nwith a second line")


def dies(cfg: RunConfig, should_stop: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """A worker that vanishes mid-run (as if killed by the OS): two steps, then exit."""
    yield _start(cfg)
    yield _records(1)
    yield _records(2)
    sys.stdout.flush()
    os._exit(3)


def report(cfg: RunConfig, should_stop: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """Reports what the worker looks like from inside: import time, env, loaded modules."""
    began = time.monotonic()
    yield _start(cfg)
    end = _end("completed", 0, began)
    end["imported_at"] = IMPORTED_AT
    end["env"] = {k: v for k, v in os.environ.items() if k.startswith("TF_")}
    yield end


BEHAVIOURS: dict[str, Callable[..., Iterator[dict[str, Any]]]] = {
    "circle": steady,
    "xor": ignores_stop,
    "gauss": crashes,
    "spiral": dies,
    "plane": report,
}


def scripted(cfg: RunConfig, should_stop: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """Runs the behaviour BEHAVIOURS assigns to cfg.data.name."""
    return BEHAVIOURS[cfg.data.name](cfg, should_stop)
