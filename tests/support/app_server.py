"""Starting the dashboard with `streamlit run` on 127.0.0.1 and Debian's Chromium, for the
browser tests and the dashboard benchmark."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support import ROOT

# What the gallery saw, printed after the run's summary (tests/conftest.py): written to a file,
# as the gallery may run in a pytest-xdist worker process whose state the summary cannot see.
GALLERY_REPORT = ROOT / "tests" / "screenshots" / "gallery" / "REPORT.txt"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # as on these machines: no sandbox as root, no background network chatter
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run dashboard.py` on a free port; stopped by its own PID on exit. `env`
    adds to (or overrides) the environment the server inherits, e.g. GRADIENT_LAB_DB."""

    def __init__(
        self, log_path: Path, start_timeout: float = 60.0, env: dict[str, str] | None = None
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.env = {**os.environ, **env} if env else None  # None: inherit this process's
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> AppServer:
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + self.start_timeout
        while not self._healthy():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited: {self.log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start within {self.start_timeout:g} s")
            time.sleep(0.3)
        return self

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def rss_bytes(self) -> int:
        """Resident memory of the server process itself (the workers are separate processes)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS line")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextlib.contextmanager
def app_with_clean_log(where: Path):
    """A fresh server logging to ``where``/server.log; on exit its log must hold no exception
    or traceback."""
    with AppServer(where / "server.log") as server:
        yield server
        log = server.log_path.read_text()
    assert not re.search(r"Traceback|Exception|Error\b", log), log[-3000:]
