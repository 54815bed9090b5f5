"""The Streamlit server process never loads TensorFlow: a whole Train, driven through AppTest in a
fresh interpreter, leaves no tensorflow or keras module behind (the work ran in a worker)."""

import subprocess
import sys

from tests.support import ROOT

SCRIPT = """
import sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("dashboard.py", default_timeout=60)
at.run()
at.switch_page("pages/deep_networks.py")
for k, v in {"data.n_samples": "200", "model.depth": "2", "train.epochs": "2"}.items():
    at.query_params[k] = v
at.run()
next(b for b in at.button if b.label == "Train").click().run()
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    texts = [p.proto.text for p in at.get("progress")]
    if texts and "completed" in texts[0]:
        break
    time.sleep(0.3)
    at.run()
assert not at.exception, at.exception
print("status:", texts)
print("charts:", len(at.get("vega_lite_chart")))
print("loaded:", sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""


def test_training_from_the_dashboard_keeps_tensorflow_out_of_the_server_process():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    assert "completed" in lines["status"]
    assert int(lines["charts"]) >= 4
    assert lines["loaded"] == "[]"
