"""Per-job overhead of the warm worker pool, and worker memory across many jobs.

    python bench/worker_pool.py [--jobs 50]

1. Overhead: the same small config run in this process (Trainer, TensorFlow already imported)
   and through a warm JobPool worker, interleaved; the median difference is the pool's cost
   (spawn-free: the worker is already up; it pays only messaging and its own tracing).
2. Memory: one worker (recycling off) runs `--jobs` jobs back to back; its RSS after job 1 and
   after the last shows how much TensorFlow keeps per model built. The pool's recycling
   (max_jobs_per_worker, default 10) bounds that growth; the RSS of a recycled pool is reported too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SMALL = {"model": {"depth": 3, "width": 16}, "train": {"epochs": 4}}


def in_process_seconds(cfg: dict) -> float:
    from models.trainer import train

    start = time.perf_counter()
    train(cfg)
    return time.perf_counter() - start


def pool_seconds(pool, cfg: dict) -> float:
    start = time.perf_counter()
    job = pool.submit(cfg)
    end = job.wait(timeout=600)
    assert end["status"] == "completed", end
    return time.perf_counter() - start


def mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    from models.infra.jobs import JobPool

    with JobPool(max_workers=1, max_jobs_per_worker=10_000) as pool:
        pool.wait_ready(timeout=120)
        in_process_seconds(SMALL)  # warm TensorFlow here too
        local, pooled = [], []
        for _ in range(args.rounds):
            local.append(in_process_seconds(SMALL))
            pooled.append(pool_seconds(pool, SMALL))
        lo, po = statistics.median(local), statistics.median(pooled)
        print(f"small job in process: {lo:.2f} s   through a warm worker: {po:.2f} s")
        print(f"per_job_overhead_s: {po - lo:.2f}   pool_vs_in_process: {po / lo:.2f}")

        rss = {}
        for n in range(2, args.jobs + 1):  # job 1 was the first round above
            pool_seconds(pool, SMALL)
            if n in (2, 10, 20, args.jobs):
                rss[n] = pool.worker_stats()[0]["rss_bytes"]
        first = rss[2]
        print(
            "worker RSS without recycling: "
            + ", ".join(f"after {n}: {mib(v)}" for n, v in rss.items())
        )
        last = rss[args.jobs]
        growth = (last - first) / 2**20 if first and last else float("nan")
        print(f"worker_rss_growth_{args.jobs}_jobs_mib: {growth:.0f}")

    with JobPool(max_workers=1) as pool:  # default recycling
        pool.wait_ready(timeout=120)
        peak = 0
        for _ in range(args.jobs):
            pool_seconds(pool, SMALL)
            stats = pool.worker_stats()
            peak = max([peak] + [s["rss_bytes"] or 0 for s in stats])
        print(
            f"with recycling (every {pool.max_jobs_per_worker} jobs): peak worker RSS over "
            f"{args.jobs} jobs {mib(peak)}"
        )


if __name__ == "__main__":
    main()
