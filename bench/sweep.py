"""Sweep figures (issue 5): the same sweep through a pool of 1 worker and of 2.

An 8-cell sweep (activation x learning rate, one seed each, a small MLP on circle) runs to the
end through ``models.infra.sweep.Sweep``. ``--backend local`` (the default) uses a fresh
``JobPool`` of each size, workers warmed first so the figure is the sweep, not TensorFlow's
import. ``--backend ray`` starts one local Ray instance with 2 CPUs (models.infra.ray_pool) and
lets the sweep run 1 or 2 cells at a time. Rounds alternate the two sizes so both see the same
machine load; the speedup is median(1 worker) / median(2 workers).

Usage: .venv/bin/python bench/sweep.py [--rounds 2] [--backend local|ray]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.fields import parse_config  # noqa: E402
from models.infra.jobs import JobPool  # noqa: E402
from models.infra.sweep import Sweep, plan  # noqa: E402

BASE = parse_config({"model": {"depth": 3, "width": 16}, "train": {"epochs": 10}})
GRID = [
    ("model.activation", ["relu", "tanh", "sigmoid", "elu"]),
    ("optimizer.learning_rate", ["0.01", "0.001"]),
]


def timed(sweep: Sweep) -> float:
    t0 = time.perf_counter()
    while not sweep.done:
        sweep.poll()
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    assert all(r.result.status == "completed" for r in sweep.runs)
    return elapsed


def run_local(workers: int) -> float:
    with JobPool(max_workers=workers, max_per_owner=workers) as pool:
        pool.wait_ready(timeout=120)  # every worker has imported TensorFlow
        return timed(Sweep(plan(BASE, GRID), pool, owner="bench", parallel=workers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    args = parser.parse_args()
    run = run_local
    if args.backend == "ray":
        from models.infra.ray_pool import RayPool  # optional: requirements-ray.txt

        ray_pool = RayPool(num_cpus=2)
        warm = [ray_pool.submit(BASE.model_copy()) for _ in range(2)]  # both workers import TF
        assert all(job.wait(180)["status"] == "completed" for job in warm)

        def run(workers: int) -> float:
            return timed(Sweep(plan(BASE, GRID), ray_pool, owner="bench", parallel=workers))

    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for workers in (1, 2):
            times[workers].append(run(workers))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(
        f"8-cell sweep ({args.backend}): 1 worker {one:.1f} s, 2 workers {two:.1f} s, "
        f"speedup {one / two:.2f} "
        f"(runs: {[round(x, 1) for x in times[1]]} / {[round(x, 1) for x in times[2]]})"
    )


if __name__ == "__main__":
    main()
