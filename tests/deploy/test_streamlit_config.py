"""The shipped .streamlit/config.toml is hardened for a public host, as Streamlit reads it."""

import subprocess
import sys

from tests.support import ROOT

SCRIPT = """
import streamlit.config as c
c.get_config_options(force_reparse=True)
for name in (
    "server.headless", "server.runOnSave", "server.fileWatcherType",
    "server.enableXsrfProtection", "server.enableCORS", "server.maxUploadSize",
    "client.showErrorDetails", "client.toolbarMode", "browser.gatherUsageStats",
):
    print(name, c.get_option(name))
"""


def test_the_config_streamlit_reads_is_hardened():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    got = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert got == {
        "server.headless": "True",
        "server.runOnSave": "False",
        "server.fileWatcherType": "none",
        "server.enableXsrfProtection": "True",
        "server.enableCORS": "True",
        "server.maxUploadSize": "1",
        "client.showErrorDetails": "none",
        "client.toolbarMode": "minimal",
        "browser.gatherUsageStats": "False",
    }
