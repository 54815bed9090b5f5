"""The server's one job pool, shared by every session, and the reaper of orphaned runs.

``st.cache_resource`` makes the pool a process-wide singleton (it is shared by all sessions, and
only the pool object itself is shared: each job belongs to the session that submitted it).
A run whose browser tab was closed or reloaded would otherwise keep a worker busy until its time
limit, so a reaper thread cancels jobs whose owning session is gone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from models.infra import settings
from models.infra.jobs import JobPool
from models.infra.ray_pool import RayPool
from models.infra.store import RunStore, StoreError
from ui.i18n import say
from ui.runs import RUN_LABELS

REAP_EVERY = 2.0  # seconds between checks for jobs whose session has gone
log = logging.getLogger("gradient_lab")


def _limit(read: Callable[[], int]) -> int:
    """A pool limit from its setting; a bad value is logged (one sentence) and the default used,
    so a typo in a deployment's environment does not take every page down."""
    try:
        return read()
    except settings.SettingError as exc:
        log.error("%s; using %s", say(exc.problem), exc.default)
        return exc.default


def pool_settings() -> dict[str, int]:
    """The training pool's limits, from the environment (models/infra/settings.py; README:
    Limits)."""
    return {
        "max_workers": _limit(settings.workers),
        "time_limit": _limit(settings.time_limit),  # seconds per run
        "max_queue": _limit(settings.queue),
        # one group of side-by-side configs per session (fewer refuses a group that large)
        "max_per_owner": _limit(lambda: settings.runs_per_session(len(RUN_LABELS))),
    }


@st.cache_resource(show_spinner=False)
def job_pool() -> JobPool:
    """The pool; its workers start now and import TensorFlow, so the first Train is quick."""
    pool = JobPool(**pool_settings())
    _start_reaper(pool)
    return pool


def _start_reaper(pool: JobPool) -> None:
    thread = threading.Thread(
        target=_reap_forever, args=(pool,), name="gradient-lab-reaper", daemon=True
    )
    thread.start()


def _reap_forever(pool: JobPool) -> None:
    reaped: set[str] = set()  # a cancelled job stays listed for up to the cancel grace
    while not pool.closed:
        time.sleep(REAP_EVERY)
        if not runtime.exists():  # AppTest and bare scripts have no server runtime
            continue
        server = runtime.get_instance()
        jobs = pool.jobs()
        for job in jobs:
            if job.owner and job.id not in reaped and not server.is_active_session(job.owner):
                log.warning("cancelled run %s: its browser session ended", job.id[:8])
                job.cancel()
                reaped.add(job.id)
        reaped &= {job.id for job in jobs}


def session_owner() -> str:
    """The id that ties jobs to this browser session (also the pool's per-owner limit key, and
    what the reaper checks). Saved runs belong to the browser instead: ``ui.owner.store_owner``."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


@st.cache_resource(show_spinner=False)
def _run_store() -> RunStore:
    return RunStore()  # GRADIENT_LAB_DB, or ~/.gradient-lab/runs.db


def run_store() -> RunStore | None:
    """The process-wide run store, or None (with the reason logged) when it cannot be opened:
    training must keep working without it."""
    try:
        return _run_store()
    except StoreError as exc:
        logging.getLogger(__name__).warning("run store unavailable: %s", say(exc.problem))
        return None


class RayBackend:
    """The Ray cluster sweeps run on when GRADIENT_LAB_RAY_ADDRESS is set, connected in the
    background: connecting can take a minute (or hang on a wrong address), and no page waits for
    it. Until ``pool`` is set, sweeps run in the local pool; ``error`` says why it never will."""

    CONNECT_PATIENCE = 30.0  # seconds before a pending connection is reported as not answering

    def __init__(self, address: str, connect: Callable[[str], RayPool] | None = None):
        self.address = address
        self.pool: RayPool | None = None
        self.error: str | None = None
        self._since = time.monotonic()
        self._connect = connect or (lambda a: RayPool(a, time_limit=_limit(settings.time_limit)))
        threading.Thread(target=self._run, name="gradient-lab-ray", daemon=True).start()

    def _run(self) -> None:
        try:
            pool = self._connect(self.address)
        except Exception as exc:  # Ray not installed, cluster unreachable, bad address
            log.error("the Ray cluster at %s could not be used: %s", self.address, exc)
            first = str(exc).strip().splitlines()
            self.error = f"{type(exc).__name__}: {first[0]}" if first else type(exc).__name__
            return
        _start_reaper(pool)
        self.pool = pool

    @property
    def waited(self) -> float:
        return time.monotonic() - self._since


@st.cache_resource(show_spinner=False)
def ray_backend() -> RayBackend | None:
    """The process-wide Ray backend, or None when no cluster is configured."""
    address = settings.ray_address()
    return None if address is None else RayBackend(address)
