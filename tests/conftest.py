"""Test-wide settings: the run store lives in a temporary directory, never in the user's home."""

import os
import tempfile

from tests.support.app_server import GALLERY_REPORT

_STORE_DIR = tempfile.mkdtemp(prefix="gradient-lab-tests-")
os.environ.setdefault("GRADIENT_LAB_DB", os.path.join(_STORE_DIR, "runs.db"))


def pytest_terminal_summary(terminalreporter, config):
    """The gallery's end states: each screenshot to look at and what the page said."""
    if report := config.stash.get(GALLERY_REPORT, None):
        terminalreporter.write_sep("-", "gallery end states (screenshot, then what the page said)")
        for lines in report:
            for line in lines:
                terminalreporter.write_line(line)
