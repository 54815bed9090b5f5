"""Steps per second of plain ``model.fit`` vs the instrumented trainer, side by side in one process.

The reference run: an MLP of 8 hidden layers x 32 tanh units, batch 64, 2-D input (circle), Adam.
Both sides are timed in steady state (after their own warm-up / tracing) and interleaved over
several rounds so a noisy neighbour hurts both alike; the ratio of medians is reported.

    python bench/train_speed.py [--rounds 3] [--epochs 20]

Last line: ``speedup_vs_fit: X.XX`` (steps/s of ours / steps/s of fit).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.builders import build_model, loss_for, make_optimizer  # noqa: E402
from models.datasets import make_dataset  # noqa: E402
from models.fields import parse_config  # noqa: E402
from models.trainer import Trainer  # noqa: E402

REFERENCE = {
    "data": {"name": "circle", "n_samples": 20000, "test_fraction": 0.2},
    "model": {"arch": "mlp", "depth": 8, "width": 32, "activation": "tanh"},
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "train": {"batch_size": 64, "record_every": 10},
}


def time_fit(cfg, data, epochs: int) -> tuple[int, float]:
    model = build_model(cfg)
    model.compile(optimizer=make_optimizer(cfg), loss=loss_for(cfg.task))
    fit = dict(batch_size=cfg.train.batch_size, shuffle=True, verbose=0)
    model.fit(data.x_train, data.y_train, epochs=1, **fit)  # warm-up: tracing
    start = time.perf_counter()
    model.fit(data.x_train, data.y_train, epochs=epochs, **fit)
    seconds = time.perf_counter() - start
    steps = epochs * -(-len(data.x_train) // cfg.train.batch_size)
    return steps, seconds


def time_ours(cfg, data, epochs: int) -> tuple[int, float]:
    train = {**cfg.train.model_dump(), "epochs": epochs + 1}
    cfg = parse_config({**cfg.model_dump(), "train": train})
    warm_until = cfg.steps_per_epoch  # the first epoch is the warm-up: tracing
    start = start_step = end = end_step = None
    for event in Trainer(cfg, data).events():
        if event["type"] == "records":
            now, done = time.perf_counter(), event["done"]
            if start is None and done >= warm_until:
                start, start_step = now, done
            elif start is not None and (end_step is None or end_step < cfg.total_steps):
                end, end_step = now, done  # up to the last training call, not the final record
    return end_step - start_step, end - start


def cold_seconds(cfg, data, epochs: int) -> tuple[float, float]:
    """Whole runs from a fresh model, tracing and compiling included: (fit, ours) seconds."""
    train = {**cfg.train.model_dump(), "epochs": epochs}
    cfg = parse_config({**cfg.model_dump(), "train": train})
    model = build_model(cfg)
    model.compile(optimizer=make_optimizer(cfg), loss=loss_for(cfg.task))
    start = time.perf_counter()
    model.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        batch_size=cfg.train.batch_size,
        shuffle=True,
        verbose=0,
    )
    fit = time.perf_counter() - start
    start = time.perf_counter()
    for _ in Trainer(cfg, data).events():
        pass
    return fit, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--record-every", type=int, default=REFERENCE["train"]["record_every"])
    args = parser.parse_args()
    ref = {**REFERENCE, "train": {**REFERENCE["train"], "record_every": args.record_every}}
    cfg = parse_config(ref)
    data = make_dataset(cfg.data)
    rates: dict[str, list[float]] = {"model.fit": [], "instrumented trainer": []}
    print(
        f"reference: {cfg.model.depth}x{cfg.model.width} {cfg.model.activation} MLP, "
        f"batch {cfg.train.batch_size}, {len(data.x_train)} train samples, "
        f"record_every {cfg.train.record_every}"
    )
    print(f"{'round':>5}  {'method':<22}{'steps':>8}{'seconds':>10}{'steps/s':>10}")
    for r in range(args.rounds):
        for name, timer in (("model.fit", time_fit), ("instrumented trainer", time_ours)):
            steps, seconds = timer(cfg, data, args.epochs)
            rates[name].append(steps / seconds)
            print(f"{r + 1:>5}  {name:<22}{steps:>8}{seconds:>10.2f}{steps / seconds:>10.0f}")
    fit, ours = (statistics.median(v) for v in rates.values())
    print(f"median steps/s: model.fit {fit:.0f}, instrumented trainer {ours:.0f}")
    cold_fit, cold_ours = cold_seconds(cfg, data, args.epochs)
    print(
        f"whole {args.epochs}-epoch run incl. tracing/compiling: model.fit {cold_fit:.1f} s, "
        f"instrumented trainer {cold_ours:.1f} s (ratio {cold_fit / cold_ours:.2f})"
    )
    print(f"speedup_vs_fit: {ours / fit:.2f}")


if __name__ == "__main__":
    main()
