"""What the Chromium tests share besides the server (app_server.py): waiting on the page."""

import re

from playwright.sync_api import expect


def wait_until_ended(page, runs: int, timeout_ms: int = 180_000) -> None:
    """Every run's status line reads completed, diverged or stopped."""
    ended = page.get_by_text(re.compile(r"^[A-D]: (completed|diverged|stopped)"))
    expect(ended).to_have_count(runs, timeout=timeout_ms)
