"""Time to result: a whole run, click to final records, side by side with plain Keras, one process.

For the default config and every preset (plus two deep nets), interleaved, best of N rounds:

* **ours**: the engine's ``Trainer`` end to end — build, trace, train, every record and picture —
  on an architecture this process has not run before (its compiled-function cache is emptied
  first), so the figure is what a user's first click on that preset costs in a warm worker;
* **fit**: the same model from the builder, ``compile(jit_compile=False)`` and ``model.fit`` over
  the same number of steps (no validation, no measurements);
* **floor**: a plain ``tf.function`` step loop (forward, loss, gradients, every variable's
  gradient norm, ``optimizer.apply``) over the same steps: what any instrumented loop must pay.

Then ``rerun``: the same architecture again with another seed and learning rate (the warm
worker's second click). Last lines::

    result_speedup_vs_fit: X   geometric mean of fit / ours            (target >= 2.0)
    result_vs_floor: Y         geometric mean of ours / floor          (target <= 1.3)
    rerun_ratio: Z             geometric mean of rerun / ours          (target <= 0.25)

    python bench/time_to_result.py [--rounds 3] [--only default,vanishing_sigmoid] [--json out]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from models.builders import build_model, loss_for, make_optimizer  # noqa: E402
from models.compiled import clear_compiled  # noqa: E402
from models.config import RunConfig  # noqa: E402
from models.datasets import make_dataset  # noqa: E402
from models.fields import with_changes  # noqa: E402
from models.teaching.presets import PRESETS  # noqa: E402
from models.trainer import Trainer  # noqa: E402

# Two deep nets beyond the presets: the cases where tracing and compiling cost the most.
EXTRA = {
    "deep30_relu_residual": {
        "model.depth": 30,
        "model.activation": "relu",
        "model.residual": True,
        "model.initializer": "he_normal",
        "train.epochs": 5,
    },
    "deep64_sigmoid_bn": {
        "model.depth": 64,
        "model.activation": "sigmoid",
        "model.batch_norm": True,
        "train.epochs": 2,
    },
}


def configs() -> dict[str, RunConfig]:
    out = {name: p.config() for name, p in PRESETS.items()}
    out.update({name: with_changes(RunConfig(), ch) for name, ch in EXTRA.items()})
    return out


def time_ours(cfg: RunConfig, cold: bool = True) -> float:
    if cold:
        clear_compiled()  # a first click on this architecture
    start = time.perf_counter()
    for _ in Trainer(cfg).events():
        pass
    return time.perf_counter() - start


def time_fit(cfg: RunConfig) -> float:
    data = make_dataset(cfg.data)
    start = time.perf_counter()
    keras.backend.clear_session()
    model = build_model(cfg)
    model.compile(optimizer=make_optimizer(cfg), loss=loss_for(cfg.task), jit_compile=False)
    n = cfg.steps_per_epoch * cfg.effective_batch_size
    model.fit(
        data.x_train[:n],
        data.y_train[:n],
        batch_size=cfg.effective_batch_size,
        epochs=cfg.train.epochs,
        shuffle=True,
        verbose=0,
    )
    return time.perf_counter() - start


def time_floor(cfg: RunConfig) -> float:
    data = make_dataset(cfg.data)
    start = time.perf_counter()
    keras.backend.clear_session()
    model = build_model(cfg)
    optimizer = make_optimizer(cfg)
    loss_fn = loss_for(cfg.task)
    variables = model.trainable_variables
    optimizer.build(variables)
    x, y = tf.constant(data.x_train), tf.constant(data.y_train)

    @tf.function
    def step(idx):
        xb, yb = tf.gather(x, idx), tf.gather(y, idx)
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
            if model.losses:
                loss += tf.add_n(model.losses)
        grads = tape.gradient(loss, variables)
        norms = tf.stack([tf.norm(g) for g in grads])
        optimizer.apply(grads, variables)
        return loss, norms

    rng = np.random.default_rng(0)
    spe, bs = cfg.steps_per_epoch, cfg.effective_batch_size
    for _ in range(cfg.train.epochs):
        perm = rng.permutation(len(data.x_train)).astype(np.int32)
        for b in range(spe):
            out = step(perm[b * bs : (b + 1) * bs])
    float(out[0])  # wait for the last step
    return time.perf_counter() - start


def rerun_config(cfg: RunConfig) -> RunConfig:
    """Another seed and learning rate: nothing that changes the graph's shapes."""
    lr = cfg.optimizer.learning_rate
    return with_changes(cfg, {"train.seed": cfg.train.seed + 1, "optimizer.learning_rate": lr / 2})


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated config names")
    parser.add_argument("--json", default="", help="also write the table as JSON here")
    args = parser.parse_args()
    cfgs = configs()
    if args.only:
        cfgs = {k: v for k, v in cfgs.items() if k in args.only.split(",")}
    for cfg in cfgs.values():  # warm the process: imports, first TensorFlow ops
        time_floor(with_changes(cfg, {"train.epochs": 1}))
        break
    best: dict[str, dict[str, float]] = {name: {} for name in cfgs}
    for _ in range(args.rounds):
        for name, cfg in cfgs.items():
            # The re-run right after the first run, as a worker sees a second click (the
            # others' clear_session() would empty TensorFlow's kernel cache in between).
            times = {"ours": time_ours(cfg), "rerun": time_ours(rerun_config(cfg), cold=False)}
            times.update(fit=time_fit(cfg), floor=time_floor(cfg))
            for key, value in times.items():
                best[name][key] = min(best[name].get(key, math.inf), value)
    print(f"{'config':<24}{'steps':>6}{'ours s':>9}{'fit s':>8}{'floor s':>9}{'rerun s':>9}")
    for name, t in best.items():
        steps = cfgs[name].total_steps
        print(
            f"{name:<24}{steps:>6}{t['ours']:>9.2f}{t['fit']:>8.2f}"
            f"{t['floor']:>9.2f}{t['rerun']:>9.2f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(best, indent=2))
    values = list(best.values())
    print(f"result_speedup_vs_fit: {geomean([t['fit'] / t['ours'] for t in values]):.2f}")
    print(f"result_vs_floor: {geomean([t['ours'] / t['floor'] for t in values]):.2f}")
    print(f"rerun_ratio: {geomean([t['rerun'] / t['ours'] for t in values]):.2f}")


if __name__ == "__main__":
    main()
