"""Every ``GRADIENT_LAB_*`` setting, read from the environment in this one place.

Each setting is a function that reads its variable when called (a test sets one with
``monkeypatch.setenv``; a worker reads the value its parent gave it), with a typed default. A
value that is not allowed raises :class:`SettingError`, whose problem (``setting.invalid``) names
the variable, the value and what is allowed. No other module reads ``GRADIENT_LAB_*`` from
``os.environ``.

=============================  =========  ==================================================
variable                       default    what it sets
=============================  =========  ==================================================
GRADIENT_LAB_DB                (unset)    the run store: a SQLAlchemy URL or a SQLite path
                                          (~/.gradient-lab/runs.db when unset)
GRADIENT_LAB_WORKERS           2          training jobs at once (worker processes)
GRADIENT_LAB_QUEUE             100        runs that may wait for a worker
GRADIENT_LAB_RUNS_PER_SESSION  (caller)   runs in flight per browser session
GRADIENT_LAB_TIME_LIMIT        600        seconds of wall time per run
GRADIENT_LAB_RAY_ADDRESS       (unset)    a Ray cluster for sweeps (unset: the local pool)
GRADIENT_LAB_JIT               auto       XLA for a run's step: auto, 1 (always) or 0 (never)
=============================  =========  ==================================================

Imports only the standard library and models.problems.
"""

from __future__ import annotations

import os

from models.problems import Problem, ProblemError, problem

PREFIX = "GRADIENT_LAB_"


class SettingError(ProblemError):
    """A GRADIENT_LAB_* variable holds a value that is not allowed: ``problem`` is
    ``setting.invalid``. ``name``, ``value`` and ``allowed`` (a problem: a phrase) say which, what
    and what would be; ``default`` is the setting's value when unset, for a caller that carries
    on with it."""

    def __init__(self, name: str, value: str, allowed: Problem, default: object):
        self.name, self.value, self.allowed, self.default = name, value, allowed, default
        super().__init__(problem("setting.invalid", name=name, allowed=allowed, value=value))


def text(name: str, default: str = "") -> str:
    """The variable's text, stripped; ``default`` when it is unset or blank."""
    return os.environ.get(name, "").strip() or default


def integer(name: str, default: int, minimum: int = 1) -> int:
    """The variable as a whole number of at least ``minimum``; ``default`` when unset or blank."""
    raw = text(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise SettingError(name, raw, problem("allowed.whole_number", least=minimum), default)
    return value


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """The variable as one of ``choices`` (compared in lower case); ``default`` when unset."""
    raw = text(name)
    if not raw:
        return default
    if raw.lower() not in choices:
        allowed = problem("allowed.choice", choices=", ".join(choices))
        raise SettingError(name, raw, allowed, default)
    return raw.lower()


# -- the settings ---------------------------------------------------------------------------------


def database() -> str:
    """GRADIENT_LAB_DB: the run store's URL or SQLite path ("" = the default file)."""
    return text(PREFIX + "DB")


def workers() -> int:
    """GRADIENT_LAB_WORKERS: training jobs at once (one per core on a 2-core host)."""
    return integer(PREFIX + "WORKERS", 2)


def queue() -> int:
    """GRADIENT_LAB_QUEUE: runs that may wait in the queue for a free worker."""
    return integer(PREFIX + "QUEUE", 100)


def runs_per_session(default: int) -> int:
    """GRADIENT_LAB_RUNS_PER_SESSION: runs in flight per browser session; the default is the
    caller's (the UI's largest side-by-side group)."""
    return integer(PREFIX + "RUNS_PER_SESSION", default)


def time_limit() -> int:
    """GRADIENT_LAB_TIME_LIMIT: seconds of wall time per run."""
    return integer(PREFIX + "TIME_LIMIT", 600)


def ray_address() -> str | None:
    """GRADIENT_LAB_RAY_ADDRESS: a Ray cluster for sweeps, or None (the local pool)."""
    return text(PREFIX + "RAY_ADDRESS") or None


def jit() -> str:
    """GRADIENT_LAB_JIT: "auto" (XLA where it pays, models.compiled.uses_xla), "1" or "0"."""
    return choice(PREFIX + "JIT", "auto", ("auto", "1", "0"))
