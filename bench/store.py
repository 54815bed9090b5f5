"""Run store figures (issue 5): saving and loading a 20,000-step x 64-layer run.

The run is synthetic but shaped as the trainer records it with record_every = 1: per step the
loss and val loss, and per layer (64 hidden + the output) grad_norm, grad_norm_clipped,
weight_norm and update_ratio: 5.2 million metric rows. Prints, for the store's codec (zstd) and
lz4 side by side, the database size, the save time and the load time (median of 5), on SQLite
in a temp dir.

Usage: .venv/bin/python bench/store.py [--steps 20000] [--layers 64]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import models.infra.store  # noqa: E402
from models.fields import parse_config  # noqa: E402
from models.infra.store import RunStore  # noqa: E402


def synthetic_metrics(steps: int, layers: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    names = [f"dense_{i}" for i in range(layers)] + ["output"]
    per_layer = ("grad_norm", "grad_norm_clipped", "weight_norm", "update_ratio")
    step = np.arange(steps)
    parts = [
        pd.DataFrame({"step": step, "name": n, "layer": None, "depth": np.nan, "t": np.nan})
        for n in ("loss", "val_loss")
    ]
    for depth, layer in enumerate(names):
        for n in per_layer:
            parts.append(
                pd.DataFrame(
                    {"step": step, "name": n, "layer": layer, "depth": float(depth), "t": np.nan}
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(value=rng.lognormal(size=len(frame)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--layers", type=int, default=64)
    args = parser.parse_args()
    cfg = parse_config({"model": {"depth": args.layers}})
    metrics = synthetic_metrics(args.steps, args.layers)
    record = {
        "config": cfg.model_dump(mode="json"),
        "status": "completed",
        "diverged_at": None,
        "reason": None,
        "steps": args.steps,
        "wall_time": 1.0,
        "params": cfg.param_count,
        "layers": [],
        "metrics": metrics,
        "snapshots": [],
    }
    default = models.infra.store.COMPRESSION
    for codec in (default, "zstd" if default != "zstd" else "lz4"):
        models.infra.store.COMPRESSION = codec
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "runs.db"
            store = RunStore(str(path))
            t0 = time.perf_counter()
            run_id = store.save(record, owner="bench")
            save_s = time.perf_counter() - t0
            loads = []
            for _ in range(5):
                t0 = time.perf_counter()
                got = store.get(run_id)
                loads.append(time.perf_counter() - t0)
            assert len(got["metrics"]) == len(metrics)
            print(
                f"{codec}{' (the store)' if codec == default else ''}: rows {len(metrics):,}  "
                f"db {path.stat().st_size / 2**20:.1f} MB  save_s {save_s:.2f}  "
                f"load_s median {statistics.median(loads):.3f} "
                f"(runs: {', '.join(f'{x:.3f}' for x in loads)})"
            )
    models.infra.store.COMPRESSION = default


if __name__ == "__main__":
    main()
