"""The instrumented training loop.

One run = a sequence of chunks of ``train.record_every`` steps. Each chunk starts with one
*instrumented* step, which trains like any other step but also returns per-layer gradient norms
(pre- and post-clip), weight norms, update ratios, dead/saturated unit fractions and, for RNNs,
the gradient of the loss with respect to every input time step. The rest of the chunk runs as a
single ``tf.function`` loop, so recording costs almost nothing on the steps in between.

Records are LONG rows ``{"step", "name", "layer", "depth", "t", "value"}`` (None where a key does
not apply). Divergence is an outcome: a non-finite loss or gradient stops the run with status
``diverged``; the update that would have poisoned the weights is not applied and the records so
far are kept. Same config + seed = same records.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import keras
import tensorflow as tf

from models.builders import build_network, loss_for, make_optimizer
from models.config import RELU_FAMILY, RunConfig, parse_config
from models.datasets import Dataset, grid_for, make_dataset

EVAL_MAX = 1000  # validation metrics use at most this many test samples, every record
GRID_RESOLUTION = 40  # decision-boundary snapshot: GRID_RESOLUTION^2 points

# A unit is "saturated" where its derivative is below a tenth of its maximum:
# tanh' = 1 - a^2 < 0.1  <=>  |a| > 0.949;  sigmoid' = a(1 - a) < 0.025  <=>  a < 0.026 or a > 0.974.
TANH_TAIL = math.sqrt(0.9)
SIGMOID_TAIL = (1 - math.sqrt(0.9)) / 2

Record = dict[str, Any]


def _row(step: int, name: str, value: float, layer=None, depth=None, t=None) -> Record:
    return {"step": step, "name": name, "layer": layer, "depth": depth, "t": t, "value": value}


def _group_norms(tensors: list[tf.Tensor], groups: list[list[int]]) -> tf.Tensor:
    """The L2 norm of each group of tensors (one group = one layer's variables)."""
    squares = [tf.reduce_sum(tf.square(tf.cast(t, tf.float32))) for t in tensors]
    return tf.sqrt(tf.stack([tf.add_n([squares[i] for i in g]) for g in groups]))


def clip_gradients(grads: list[tf.Tensor], cfg: RunConfig) -> list[tf.Tensor]:
    """Keras' clipping rules: clipnorm per variable, global_clipnorm over all, clipvalue per element."""
    rule = cfg.optimizer.clipping
    if rule is None:
        return grads
    name, c = rule
    if name == "clipnorm":
        return [tf.clip_by_norm(g, c) for g in grads]
    if name == "global_clipnorm":
        return tf.clip_by_global_norm(grads, c)[0]
    return [tf.clip_by_value(g, -c, c) for g in grads]


@dataclass
class RunResult:
    """Everything a run produced: what RUN.json holds."""

    config: RunConfig
    status: str = "running"
    diverged_at: int | None = None
    reason: str | None = None
    steps: int = 0
    wall_time: float = 0.0
    layers: list[dict] = field(default_factory=list)
    metrics: list[Record] = field(default_factory=list)
    snapshots: list[dict] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        return {
            "config": self.config.model_dump(mode="json"),
            "status": self.status,
            "diverged_at": self.diverged_at,
            "reason": self.reason,
            "steps": self.steps,
            "wall_time": round(self.wall_time, 3),
            "layers": self.layers,
            "metrics": self.metrics,
            "snapshots": self.snapshots,
        }


class Trainer:
    """Trains one config and yields events. Build it, then iterate :meth:`events`."""

    def __init__(self, cfg: RunConfig, dataset: Dataset | None = None):
        self.cfg = cfg
        self.data = dataset or make_dataset(cfg.data)
        keras.backend.clear_session()  # fresh name scopes and graph state for each run
        self.net = build_network(cfg)
        self.model = self.net.model
        self.task = cfg.task
        self.loss_fn = loss_for(self.task)
        self.optimizer = make_optimizer(cfg)
        self.variables = list(self.model.trainable_variables)
        self.optimizer.build(self.variables)
        index = {id(v): i for i, v in enumerate(self.variables)}
        self.groups = [
            [index[id(v)] for v in self.model.get_layer(info.name).trainable_weights]
            for info in self.net.weight_layers
        ]
        self.batch_size = cfg.effective_batch_size
        self.x_train = tf.constant(self.data.x_train)
        self.y_train = tf.constant(self.data.y_train)
        self.x_val = tf.constant(self.data.x_test[:EVAL_MAX])
        self.y_val = tf.constant(self.data.y_test[:EVAL_MAX])
        self._rng = np.random.default_rng(cfg.train.seed)
        self._perms: dict[int, np.ndarray] = {}
        self._next_epoch = 0
        self.fast_steps = tf.function(
            self._fast_steps,
            input_signature=[tf.TensorSpec([None, self.batch_size], tf.int32)],
        )
        self.instrumented_step = tf.function(
            self._instrumented_step,
            input_signature=[
                tf.TensorSpec([self.batch_size], tf.int32),
                tf.TensorSpec([], tf.bool),
            ],
        )
        self.evaluate = tf.function(self._evaluate)
        self.predict = tf.function(lambda x: self.model(x, training=False))
        self.grid = None
        if not self.task.is_sequence:
            xs, ys, points = grid_for(self.data, GRID_RESOLUTION)
            self.grid = (xs, ys, tf.constant(points))

    # -- batches ---------------------------------------------------------------------------------

    def _perm(self, epoch: int) -> np.ndarray:
        # Epoch permutations are drawn in order from one seeded generator, so they are the same
        # whatever chunk sizes asked for them.
        while self._next_epoch <= epoch:
            self._perms[self._next_epoch] = self._rng.permutation(len(self.data.x_train))
            self._next_epoch += 1
        return self._perms[epoch]

    def batch_indices(self, start: int, stop: int) -> np.ndarray:
        """Sample indices of steps [start, stop) as an int32 array (steps, batch)."""
        spe, bs = self.cfg.steps_per_epoch, self.batch_size
        rows = []
        for step in range(start, stop):
            epoch, b = divmod(step, spe)
            rows.append(self._perm(epoch)[b * bs : (b + 1) * bs])
            self._perms.pop(epoch - 2, None)  # keep memory flat on long runs
        return np.asarray(rows, dtype=np.int32).reshape(stop - start, bs)

    # -- the compiled pieces ----------------------------------------------------------------------

    def _loss(self, y, pred):
        data_loss = self.loss_fn(y, pred)
        reg = tf.add_n(self.model.losses) if self.model.losses else tf.constant(0.0)
        return data_loss, reg

    def _apply(self, grads):
        self.optimizer.apply(clip_gradients(grads, self.cfg), self.variables)

    def _fast_steps(self, idx):
        """Train on each row of idx; stop early at the first non-finite loss or gradient."""
        n = tf.shape(idx)[0]
        bad = tf.constant(-1)
        i = tf.constant(0)
        while i < n and bad < 0:
            x = tf.gather(self.x_train, idx[i])
            y = tf.gather(self.y_train, idx[i])
            with tf.GradientTape() as tape:  # forward pass -> loss
                data_loss, reg = self._loss(y, self.model(x, training=True))
                total = data_loss + reg
            grads = tape.gradient(total, self.variables)  # backward pass
            if tf.math.is_finite(total) and tf.math.is_finite(tf.linalg.global_norm(grads)):
                self._apply(grads)  # clip, then step
                i += 1
            else:
                bad = i  # leave the weights as they were: the run's last finite state
        return bad

    def _instrumented_step(self, idx, apply):
        x = tf.gather(self.x_train, idx)
        y = tf.gather(self.y_train, idx)
        sequence = self.task.is_sequence
        with tf.GradientTape() as tape:
            if sequence:
                tape.watch(x)
            outs = self.net.probe(x, training=True)
            pred, acts = outs[0], outs[1:]
            data_loss, reg = self._loss(y, pred)
            total = data_loss + reg
        targets = self.variables + ([x] if sequence else [])
        all_grads = tape.gradient(total, targets)
        grads = all_grads[: len(self.variables)]
        clipped = clip_gradients(grads, self.cfg)
        before = [tf.identity(v) for v in self.variables]
        ok = tf.math.is_finite(total) & tf.math.is_finite(tf.linalg.global_norm(grads))
        if apply and ok:
            self.optimizer.apply(clipped, self.variables)
        deltas = [v - b for v, b in zip(self.variables, before)]
        out = {
            "loss": data_loss,
            "reg_loss": reg,
            "finite": ok,
            "grad_norm": _group_norms(grads, self.groups),
            "grad_norm_clipped": _group_norms(clipped, self.groups),
            "weight_norm": _group_norms(before, self.groups),
            "update_norm": _group_norms(deltas, self.groups),
            "metric": self._metric(y, pred),
        }
        if acts:
            out["active"] = tf.stack([self._dead(a) for a in acts])
            out["saturated"] = tf.stack([self._saturated(a) for a in acts])
        if sequence:
            gx = all_grads[-1]  # (batch, time, features): dloss/dx_t for every t
            out["input_grad_norm"] = tf.sqrt(tf.reduce_sum(tf.square(gx), axis=[0, 2]))
        return out

    def _dead(self, a):
        # Inactive on the whole batch (pre-activation <= 0 for every sample): for ReLU such a
        # unit passes no gradient at all. For LeakyReLU / PReLU / ELU / GELU the output is then
        # <= 0 too, so the same test reads "inactive", although those units still pass a little.
        return tf.reduce_mean(tf.cast(tf.reduce_all(a <= 0.0, axis=0), tf.float32))

    def _saturated(self, a):
        if self.cfg.model.activation == "tanh":
            tail = tf.abs(a) > TANH_TAIL
        else:
            tail = (a < SIGMOID_TAIL) | (a > 1.0 - SIGMOID_TAIL)
        return tf.reduce_mean(tf.cast(tail, tf.float32))

    def _metric(self, y, pred):
        if self.task.kind == "binary":
            return tf.reduce_mean(tf.cast((pred > 0.5) == (y > 0.5), tf.float32))
        if self.task.kind == "sequence_classes":
            hit = tf.cast(tf.argmax(pred, axis=-1), tf.int32) == tf.cast(y, tf.int32)
            return tf.reduce_mean(tf.cast(hit, tf.float32))
        return tf.constant(float("nan"))  # regression: the loss (MSE) is the metric

    def _evaluate(self):
        pred = self.model(self.x_val, training=False)
        return self.loss_fn(self.y_val, pred), self._metric(self.y_val, pred)

    # -- the loop --------------------------------------------------------------------------------

    def layer_table(self) -> list[dict]:
        return [
            {"layer": info.name, "depth": info.depth, "kind": info.kind}
            for info in self.net.weight_layers
        ]

    def _records(self, step: int, out: dict, val: tuple) -> list[Record]:
        rows = [_row(step, "loss", float(out["loss"]))]
        if self.cfg.model.l1 or self.cfg.model.l2:
            rows.append(_row(step, "reg_loss", float(out["reg_loss"])))
        classification = self.task.is_classification
        if classification:
            rows.append(_row(step, "accuracy", float(out["metric"])))
        rows.append(_row(step, "val_loss", float(val[0])))
        if classification:
            rows.append(_row(step, "val_accuracy", float(val[1])))
        per_layer = {
            key: out[key].numpy()
            for key in ("grad_norm", "grad_norm_clipped", "weight_norm", "update_norm")
        }
        applied = bool(out["applied"])
        for j, info in enumerate(self.net.weight_layers):
            for key in ("grad_norm", "grad_norm_clipped", "weight_norm"):
                rows.append(_row(step, key, float(per_layer[key][j]), info.name, info.depth))
            w = float(per_layer["weight_norm"][j])
            if applied and w > 0:
                ratio = float(per_layer["update_norm"][j]) / w
                rows.append(_row(step, "update_ratio", ratio, info.name, info.depth))
        act = self.cfg.model.activation
        if "active" in out:
            name = "dead_fraction" if act in RELU_FAMILY else "saturated_fraction"
            values = out["active"] if act in RELU_FAMILY else out["saturated"]
            if act in RELU_FAMILY or act in ("sigmoid", "tanh"):
                for info, v in zip(self.net.activations, values.numpy()):
                    rows.append(_row(step, name, float(v), info.name, info.depth))
        if "input_grad_norm" in out:
            for t, v in enumerate(out["input_grad_norm"].numpy()):
                rows.append(_row(step, "input_grad_norm", float(v), t=t))
        return [r for r in rows if math.isfinite(r["value"])]  # NaN/Inf never reach JSON

    def _snapshot(self, step: int) -> dict:
        xs, ys, points = self.grid
        values = self.predict(points).numpy()[:, 0].reshape(len(ys), len(xs))
        return {
            "type": "snapshot",
            "step": step,
            "xs": np.round(xs, 4).tolist(),
            "ys": np.round(ys, 4).tolist(),
            "values": np.round(np.nan_to_num(values), 4).tolist(),
        }

    def _record(self, step: int, apply: bool) -> tuple[list[Record], dict]:
        val = self.evaluate()
        idx = self.batch_indices(step, step + 1)[0]
        out = self.instrumented_step(tf.constant(idx), tf.constant(apply))
        out = dict(out, applied=apply and bool(out["finite"]))
        return self._records(step, out, val), out

    def events(self, should_stop: Callable[[], bool] = lambda: False) -> Iterator[dict]:
        cfg, total, every = self.cfg, self.cfg.total_steps, self.cfg.train.record_every
        started = time.perf_counter()
        yield {
            "type": "start",
            "total_steps": total,
            "layers": self.layer_table(),
            "params": self.model.count_params(),
        }
        step, status, diverged_at, reason = 0, "completed", None, None
        next_snapshot = 0
        while step < total:
            if should_stop():
                status, reason = "stopped", "stopped by the user"
                break
            rows, out = self._record(step, apply=True)
            if self.grid is not None and step >= next_snapshot:
                yield self._snapshot(step)
                next_snapshot = step + cfg.train.snapshot_every
            yield {"type": "records", "step": step, "records": rows}
            if not out["applied"]:
                diverged_at, reason = step, _divergence_reason(out)
                break
            step += 1
            stop = min(total, step + every - 1)
            if stop > step:
                bad = int(self.fast_steps(tf.constant(self.batch_indices(step, stop))))
                if bad >= 0:
                    step += bad
                    rows, out = self._record(step, apply=False)
                    yield {"type": "records", "step": step, "records": rows}
                    diverged_at, reason = step, _divergence_reason(out)
                    break
                step = stop
        if diverged_at is not None:
            status = "diverged"
        elif status == "completed":
            # The final state: metrics at the trained weights, without another update.
            rows, _ = self._record(step, apply=False)
            yield {"type": "records", "step": step, "records": rows}
        if self.grid is not None:
            yield self._snapshot(step)
        yield {
            "type": "end",
            "status": status,
            "step": step,
            "diverged_at": diverged_at,
            "reason": reason,
            "wall_time": time.perf_counter() - started,
        }


def _divergence_reason(out: dict) -> str:
    loss = float(out["loss"]) + float(out["reg_loss"])
    if not math.isfinite(loss):
        return f"loss became {'nan' if math.isnan(loss) else 'inf'}"
    return "the gradient became non-finite"


def iter_events(cfg: RunConfig | dict, should_stop: Callable[[], bool] = lambda: False):
    """The worker entry point: validate, build, train, yield events (see module docstring)."""
    cfg = parse_config(cfg)
    yield from Trainer(cfg).events(should_stop)


def collect(
    cfg: RunConfig, events: Iterator[dict], on_event: Callable[[dict], None] | None = None
) -> RunResult:
    """Gather a stream of trainer (or job) events into a RunResult."""
    result = RunResult(cfg)
    for event in events:
        if on_event is not None:
            on_event(event)
        kind = event["type"]
        if kind == "start":
            result.layers = event["layers"]
        elif kind == "records":
            result.metrics.extend(event["records"])
        elif kind == "snapshot":
            result.snapshots.append({k: v for k, v in event.items() if k != "type"})
        elif kind == "end":
            result.status = event["status"]
            result.diverged_at = event.get("diverged_at")
            result.reason = event.get("reason")
            result.steps = event.get("step", 0)
            result.wall_time = event.get("wall_time", 0.0)
    return result


def train(
    cfg: RunConfig | dict,
    on_event: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunResult:
    """Run a config to the end in this process and collect everything into a RunResult."""
    cfg = parse_config(cfg)
    return collect(cfg, Trainer(cfg).events(should_stop), on_event)
