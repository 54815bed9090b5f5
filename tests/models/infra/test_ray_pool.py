"""The job pool's Ray backend (models/infra/ray_pool.py) on a local Ray instance this module starts.

The oracle for a sweep on Ray is the same configs trained in this process by the engine.
"""

import math
import subprocess
import sys
import threading
import time

import pytest

from locales import say
from models.fields import parse_config
from models.infra.ray_pool import RayPool
from models.infra.sweep import Sweep, plan
from models.trainer import train
from tests.support import DASHBOARD, ROOT
from ui.text import escape_markdown

BASE = parse_config(
    {"data": {"n_samples": 200}, "model": {"depth": 2, "width": 4}, "train": {"epochs": 2}}
)
LONG = {"data": {"n_samples": 4000}, "model": {"depth": 8, "width": 64}, "train": {"epochs": 500}}


@pytest.fixture(scope="module")
def ray_pool():
    pool = RayPool(num_cpus=2, time_limit=120)  # starts a local Ray instance (2 CPUs)
    yield pool
    pool.shutdown()  # and stops it


def run_sweep(sweep, timeout=240):
    deadline = time.monotonic() + timeout
    while not sweep.done and time.monotonic() < deadline:
        sweep.poll()
        time.sleep(0.1)
    assert sweep.done


def final(result, name, depth=None):
    rows = [m for m in result.metrics if m["name"] == name and m["depth"] == depth]
    last = max(m["step"] for m in rows)
    return next(m["value"] for m in rows if m["step"] == last)


def test_a_sweep_on_ray_gives_the_numbers_the_engine_gives_in_process(ray_pool):
    assert ray_pool.max_workers == 2
    p = plan(BASE, [("model.activation", ["relu", "sigmoid"])], seeds=2)
    sweep = Sweep(p, ray_pool, owner="test", parallel=ray_pool.max_workers)
    run_sweep(sweep)
    assert [r.result.status for r in sweep.runs] == ["completed"] * 4
    assert all(r.job.worker_pid not in (None, 0) for r in sweep.runs)
    results = sweep.results()
    for run in sweep.runs:
        here = train(run.config)  # the oracle: the same config, trained in this process
        assert len(run.result.metrics) == len(here.metrics)
        assert final(run.result, "val_loss") == pytest.approx(final(here, "val_loss"), rel=1e-5)
        assert final(run.result, "grad_norm", 0) == pytest.approx(
            final(here, "grad_norm", 0), rel=1e-4, abs=1e-9
        )
    for cell, row in zip(p.cells, results, strict=True):
        runs = [r for r in sweep.runs if r.config in cell.configs]
        losses = [final(r.result, "val_loss") for r in runs]
        assert row["val_loss"] == pytest.approx(sum(losses) / 2)
        assert row["val_loss_sd"] == pytest.approx(abs(losses[0] - losses[1]) / math.sqrt(2))
    assert ray_pool.jobs() == []  # ended jobs are forgotten


def test_a_cancelled_ray_run_stops_at_once_and_the_cluster_takes_the_next(ray_pool):
    job = ray_pool.submit(LONG, owner="test")
    deadline = time.monotonic() + 120
    events = []
    while not any(e["type"] == "records" for e in events) and time.monotonic() < deadline:
        events += job.poll()
        time.sleep(0.1)
    assert job.status == "running" and ray_pool.jobs() == [job]
    job.cancel()
    end = job.poll()[-1]
    assert (end["type"], end["status"], end["cause"]) == ("end", "stopped", "cancelled")
    assert end["step"] == max(e["step"] for e in events if "step" in e)
    assert say(job.reason) == "stopped: the run was cancelled"
    assert job.poll() == [] and ray_pool.jobs() == []
    assert ray_pool.submit(BASE).wait(120)["status"] == "completed"


def test_a_ray_run_over_the_time_limit_is_stopped_with_the_reason(ray_pool, monkeypatch):
    monkeypatch.setattr(ray_pool, "time_limit", 3.0)
    end = ray_pool.submit(LONG).wait(120)
    assert (end["status"], end["cause"]) == ("stopped", "time_limit")
    assert say(end["reason"]) == "stopped: the run reached the time limit of 3 s"
    assert 0 < end["step"] < 500 * 4000 / 32


def test_a_runner_that_cannot_load_fails_the_run_with_one_sentence(ray_pool, monkeypatch):
    monkeypatch.setattr(ray_pool, "runner", "models.no_such_module:run")
    end = ray_pool.submit(BASE).wait(120)
    assert end["status"] == "failed"
    assert say(end["reason"]).startswith("the runner models.no_such_module:run could not be loaded")


def open_lab(env_address, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.support.apptest import SMALL

    monkeypatch.setenv("GRADIENT_LAB_RAY_ADDRESS", env_address)
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/deep_networks.py")
    for key, value in SMALL.items():
        at.query_params[key] = value
    at.run()
    return at


def run_page_sweep(at, values="relu, sigmoid"):
    at.text_input(key="dn:sweep:v1").set_value(values)
    at.selectbox(key="dn:sweep:f2").set_value("")
    next(b for b in at.button if b.label == "Run sweep").click().run()
    assert not at.exception and not at.error
    sweep = at.session_state["dn:sweep"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not sweep.done:
        time.sleep(0.5)
        at.run()
        assert not at.exception
    at.run()
    links = [p.proto.label for p in at.get("page_link") if p.proto.label.startswith("Compare")]
    assert links == ["Compare Activation = relu", "Compare Activation = sigmoid"]
    assert {r.result.status for r in sweep.runs} == {"completed"}
    return sweep


@pytest.fixture
def fresh_backend():
    from ui.pool import ray_backend

    ray_backend.clear()
    yield ray_backend
    ray_backend.clear()


def test_the_lab_page_runs_its_sweep_on_ray_when_a_cluster_is_configured(
    ray_pool, fresh_backend, monkeypatch
):
    # The connection is held until the page has been drawn once, so the test sees the page
    # while it connects (to this process's Ray instance, the connection is otherwise instant).
    release = threading.Event()

    def held_connection(*args, **kwargs):
        assert release.wait(60)
        return RayPool(*args, **kwargs)

    monkeypatch.setattr("ui.pool.RayPool", held_connection)
    at = open_lab("auto", monkeypatch)  # "auto": this module's Ray instance
    captions = " ".join(c.value for c in at.caption)
    assert "Connecting to the Ray cluster at auto" in captions  # in the background
    assert "Sweeps run on the Ray cluster" not in captions
    release.set()
    backend = fresh_backend()
    deadline = time.monotonic() + 60
    while backend.pool is None and backend.error is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert backend.error is None and backend.pool is not None
    at.run()
    captions = " ".join(c.value for c in at.caption)
    assert "Sweeps run on the Ray cluster at auto (2 CPUs at once)." in captions
    sweep = run_page_sweep(at)
    assert sweep.pool is backend.pool


def test_a_cluster_that_cannot_be_reached_is_one_warning_and_sweeps_run_locally(
    fresh_backend, monkeypatch
):
    def unreachable(*args, **kwargs):
        raise ConnectionError("ray client connection timeout")

    monkeypatch.setattr("ui.pool.RayPool", unreachable)
    at = open_lab("ray://<b>head</b>:10001", monkeypatch)
    backend = fresh_backend()
    deadline = time.monotonic() + 10
    while backend.error is None and time.monotonic() < deadline:
        time.sleep(0.05)
    at.run()
    [warning] = at.warning
    address = escape_markdown("ray://<b>head</b>:10001")  # user text: rendered as text
    error = escape_markdown("ConnectionError: ray client connection timeout")
    assert warning.value == (
        f"The Ray cluster at {address} could not be used ({error}); "
        "sweeps run in this server's worker pool."
    )
    at.text_input(key="dn:sweep:v1").set_value("relu, sigmoid")
    next(b for b in at.button if b.label == "Run sweep").click().run()
    sweep = at.session_state["dn:sweep"]
    assert not at.exception and not isinstance(sweep.pool, RayPool)  # the local pool
    sweep.cancel()


def test_importing_the_ray_backend_loads_neither_ray_nor_tensorflow():
    script = (
        "import sys, models.infra.ray_pool, models.infra.sweep\n"
        "print(sorted(m for m in ('ray', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stderr[-2000:]
