"""The Dockerfile: lint-clean (hadolint), and its install and start steps work. No Docker engine
runs here, so the test performs the steps itself: a fresh virtualenv, the Dockerfile's own pip
command, the files its COPY lines name, its ENV, and its CMD on a free port, until the health
check URL answers."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support import ROOT
from tests.support.app_server import free_port

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())  # join continued lines
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_the_dockerfile_is_lint_clean_and_plain():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint (requirements-dev.txt) is not installed"
    out = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in ("0", "root")
    health = next(rest for word, rest in steps if word == "HEALTHCHECK")
    assert "/_stcore/health" in health
    cmd = next(rest for word, rest in steps if word == "CMD")
    assert "streamlit run dashboard.py" in cmd and "${PORT}" in cmd


def test_the_images_install_and_start_steps_serve_the_health_url(tmp_path):
    steps = instructions()
    env = {k: v for word, rest in steps if word == "ENV" for k, v in _pairs(rest)}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    app = tmp_path / "app"
    app.mkdir()
    for word, rest in steps:
        if word != "COPY":
            continue
        *sources, _ = [a for a in rest.split() if not a.startswith("--")]
        for source in sources:
            src = ROOT / source
            if src.is_dir():
                shutil.copytree(src, app / source, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, app / source)
        if rest.split()[-1] == "./" and sources == ["requirements.txt"]:
            # the Dockerfile's RUN pip line comes right after this COPY: run it now
            pip = next(r for w, r in steps if w == "RUN" and r.startswith("pip install"))
            command = [str(venv / "bin" / "python"), "-m", *shlex.split(pip)]
            out = subprocess.run(command, cwd=app, capture_output=True, text=True, timeout=900)
            assert out.returncode == 0, out.stderr[-3000:]
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    run_env = {
        **os.environ,
        **env,
        "PORT": str(port),
        "HOST": "127.0.0.1",  # the image listens on 0.0.0.0; a test stays on loopback
        "GRADIENT_LAB_DB": str(data / "runs.db"),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
    }
    cmd = next(rest for word, rest in steps if word == "CMD")
    argv = json.loads(cmd)  # exec form: a JSON array (hadolint's DL3025)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
    server = subprocess.Popen(
        argv,
        cwd=app,
        env=run_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        body = _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", server, timeout=120)
        assert body == "ok"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def _pairs(rest: str):
    for token in shlex.split(rest):
        key, _, value = token.partition("=")
        yield key, value


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the app exited: {server.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout:g} s")
