"""Sweep figures (issue 5): the same sweep through a local pool of 1 worker and of 2.

An 8-cell sweep (activation x learning rate, one seed each, a small MLP on circle) runs to the
end through ``models.sweep.Sweep`` on a fresh ``JobPool`` of each size (workers warmed first,
so the figure is the sweep, not TensorFlow's import). Rounds alternate the two pool sizes so
both see the same machine load; the speedup is median(1 worker) / median(2 workers).

Usage: .venv/bin/python bench/sweep.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.config import parse_config  # noqa: E402
from models.jobs import JobPool  # noqa: E402
from models.sweep import Sweep, plan  # noqa: E402

BASE = parse_config({"model": {"depth": 3, "width": 16}, "train": {"epochs": 10}})
GRID = [
    ("model.activation", ["relu", "tanh", "sigmoid", "elu"]),
    ("optimizer.learning_rate", ["0.01", "0.001"]),
]


def run(workers: int) -> float:
    with JobPool(max_workers=workers, max_per_owner=workers) as pool:
        pool.wait_ready(timeout=120)  # every worker has imported TensorFlow
        sweep = Sweep(plan(BASE, GRID), pool, owner="bench", parallel=workers)
        t0 = time.perf_counter()
        while not sweep.done:
            sweep.poll()
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
    assert all(r.result.status == "completed" for r in sweep.runs)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for workers in (1, 2):
            times[workers].append(run(workers))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(
        f"8-cell sweep: 1 worker {one:.1f} s, 2 workers {two:.1f} s, speedup {one / two:.2f} "
        f"(runs: {[round(x, 1) for x in times[1]]} / {[round(x, 1) for x in times[2]]})"
    )


if __name__ == "__main__":
    main()
