"""The worker pool with the real trainer: the calling process never imports TensorFlow."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, sys
from models.jobs import JobPool

with JobPool(max_workers=1) as pool:
    job = pool.submit({"model": {"depth": 2}, "train": {"epochs": 2}})
    events = list(job.events(timeout=300))
    stop = pool.submit({"train": {"epochs": 2000}})
    for event in stop.events(timeout=300):
        if event["type"] == "records":
            stop.cancel()
    print(json.dumps({
        "types": [e["type"] for e in events],
        "end": events[-1],
        "rows": sum(len(e["records"]) for e in events if e["type"] == "records"),
        "stopped": stop.status,
        "tf_loaded": [m for m in ("tensorflow", "keras") if m in sys.modules],
    }))
"""


def test_a_real_training_job_runs_in_a_worker_and_the_caller_stays_tensorflow_free():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["tf_loaded"] == []
    assert report["types"][0] == "queued" and "started" in report["types"]
    assert report["end"]["type"] == "end" and report["end"]["status"] == "completed"
    assert report["rows"] > 50
    assert report["stopped"] == "stopped"
