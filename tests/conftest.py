"""Test-wide settings: the run store lives in a temporary directory, never in the user's home."""

import os
import tempfile
import time

import pytest

from tests.support.app_server import GALLERY_REPORT

_STORE_DIR = tempfile.mkdtemp(prefix="gradient-lab-tests-")
# Set, not defaulted: each test process (pytest-xdist starts two, which inherit the first
# one's environment) gets a store of its own, and a GRADIENT_LAB_DB of the user's is never
# written by a test.
os.environ["GRADIENT_LAB_DB"] = os.path.join(_STORE_DIR, "runs.db")
_STARTED = pytest.StashKey[float]()
# The longest files, collected first: with `-n 2 --dist loadfile` (make test) each starts at once
# in a process of its own, instead of where name order puts them (tests/test_dashboard.py, last,
# ran alone for the suite's last minutes).
SLOWEST_FIRST = ("tests/browser/test_gallery.py", "tests/test_dashboard.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        path = item.nodeid.split("::")[0]
        return SLOWEST_FIRST.index(path) if path in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: every file keeps its tests' order


def pytest_sessionstart(session):
    session.config.stash[_STARTED] = time.time()


def pytest_terminal_summary(terminalreporter, config):
    """The gallery's end states, when this session ran it: each screenshot to look at and what
    the page said (tests/browser/test_gallery.py writes them to GALLERY_REPORT)."""
    started = config.stash.get(_STARTED, time.time())
    if GALLERY_REPORT.is_file() and GALLERY_REPORT.stat().st_mtime >= started:
        terminalreporter.write_sep("-", "gallery end states (screenshot, then what the page said)")
        for line in GALLERY_REPORT.read_text().splitlines():
            terminalreporter.write_line(line)
