"""The instrumented training loop.

One run = a sequence of compiled calls, each training many steps (see models/compiled.py: one
traced step, measured on every ``train.record_every``-th step through a ``tf.cond`` branch, inside
a ``tf.while_loop``). A recorded step trains like any other step but also returns per-layer
gradient norms (pre- and post-clip), weight norms, update ratios, dead/saturated unit fractions
and, for RNNs, the gradient of the loss with respect to every input time step.

Records are LONG rows ``{"step", "name", "layer", "depth", "t", "value"}`` (None where a key does
not apply). Pictures come as events of their own, at step 0, every ``train.snapshot_every`` steps
(rounded up to the next recorded step, so they fall on the same steps whatever the machine's
speed) and at the end: ``snapshot`` (the output over a grid, 2-D tasks) and ``filters`` (the
first conv layer's kernels, CNN: ``{"type": "filters", "step", "layer", "kernels"}``,
``kernels[f][i][j]`` the weight of filter f at kernel row i, column j).

Divergence is an outcome: a non-finite loss or gradient stops the run with status ``diverged``
(its reason a code, ``job.loss_not_finite`` or ``job.gradient_not_finite``: models/infra/jobs.py);
the update that would have poisoned the weights is not applied and the records so far are kept.
Same config + seed = same records and pictures, on any machine, whether the worker built the
network for this run or re-used one it had traced before.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import tensorflow as tf

from models.compiled import (
    SIGMOID_TAIL,
    TANH_TAIL,
    clip_gradients,
    compiled_for,
    forget_gate_mean,
    without_grappler,
)
from models.config import RELU_FAMILY, SATURATING, RunConfig
from models.datasets import Dataset, grid_for, make_dataset
from models.fields import parse_config
from models.problems import Problem, problem
from models.record import Record, RunResult, collect

__all__ = [
    "SIGMOID_TAIL",
    "TANH_TAIL",
    "Trainer",
    "clip_gradients",
    "collect",
    "forget_gate_mean",
    "iter_events",
    "train",
]

EVAL_MAX = 1000  # validation metrics use at most this many test samples, every record
GRID_RESOLUTION = 40  # decision-boundary snapshot: GRID_RESOLUTION^2 points
CALL_SECONDS = 0.1  # target duration of one compiled call: bounds stop latency and chart lag


def _row(step: int, name: str, value: float, layer=None, depth=None, t=None) -> Record:
    return {"step": step, "name": name, "layer": layer, "depth": depth, "t": t, "value": value}


class Trainer:
    """Trains one config and yields events. Build it, then iterate :meth:`events`."""

    def __init__(self, cfg: RunConfig, dataset: Dataset | None = None):
        self.cfg = cfg
        self.data = dataset or make_dataset(cfg.data)
        self.compiled, self.reused = compiled_for(cfg)  # a warm worker's network, or a new one
        self.net = self.compiled.net
        self.model = self.compiled.model
        self.task = cfg.task
        self.batch_size = cfg.effective_batch_size
        self.max_rows = self.compiled.max_rows
        dtype, shape = self.compiled.target_dtype, self.compiled.target_shape
        self.x_train = tf.constant(self.data.x_train, tf.float32)
        self.y_train = tf.constant(self.data.y_train.reshape([-1, *shape[1:]]), dtype)
        self.x_val = tf.constant(self.data.x_test[:EVAL_MAX], tf.float32)
        self.y_val = tf.constant(self.data.y_test[:EVAL_MAX].reshape([-1, *shape[1:]]), dtype)
        self._rng = np.random.default_rng(cfg.train.seed)
        self._perms: dict[int, np.ndarray] = {}
        self._next_epoch = 0
        self.grid = None
        if self.task.is_2d:
            xs, ys, points = grid_for(self.data, GRID_RESOLUTION)
            self.grid = (xs, ys, tf.constant(points))
        # The first conv layer looks at the pixels themselves, so its filters can be drawn.
        convs = [info.name for info in self.net.weight_layers if info.kind == "Conv2D"]
        self.first_conv = convs[0] if convs else None

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
        # Keep memory flat on long runs, but keep every epoch from `start` on: a run that
        # diverges inside this call is measured again at the step where it diverged.
        for old in [e for e in self._perms if e < start // spe]:
            del self._perms[old]
        return np.asarray(rows, dtype=np.int32).reshape(stop - start, bs)

    # -- compiled calls ---------------------------------------------------------------------------

    def _call_chunk(self, start: int, stop: int, apply: bool = True):
        """Run steps [start, stop) in one compiled call; returns (bad row, numpy records)."""
        idx = np.zeros((self.max_rows, self.batch_size), np.int32)
        idx[: stop - start] = self.batch_indices(start, stop)
        with without_grappler():
            bad, arrays = self.compiled.chunk(
                tf.constant(idx),
                tf.constant(stop - start),
                tf.constant(apply),
                self.x_train,
                self.y_train,
                self.x_val,
                self.y_val,
            )
        every = self.cfg.train.record_every
        n_records = -(-(stop - start) // every)
        if int(bad) >= 0:
            n_records = int(bad) // every + 1
        return int(bad), {k: v.numpy()[:n_records] for k, v in arrays.items()}

    # -- the loop --------------------------------------------------------------------------------

    def layer_table(self) -> list[dict]:
        return [
            {"layer": info.name, "depth": info.depth, "kind": info.kind}
            for info in self.net.weight_layers
        ]

    def _records(self, step: int, out: dict[str, np.ndarray], applied: bool) -> list[Record]:
        """One record's measurements (numpy) as long rows."""
        rows = [_row(step, "loss", float(out["loss"]))]
        if self.cfg.model.l1 or self.cfg.model.l2:
            rows.append(_row(step, "reg_loss", float(out["reg_loss"])))
        classification = self.task.is_classification
        if classification:
            rows.append(_row(step, "accuracy", float(out["metric"])))
        rows.append(_row(step, "val_loss", float(out["val_loss"])))
        if classification:
            rows.append(_row(step, "val_accuracy", float(out["val_metric"])))
        for j, info in enumerate(self.net.weight_layers):
            for key in ("grad_norm", "grad_norm_clipped", "weight_norm"):
                rows.append(_row(step, key, float(out[key][j]), info.name, info.depth))
            w = float(out["weight_norm"][j])
            if applied and w > 0:
                ratio = float(out["update_norm"][j]) / w
                rows.append(_row(step, "update_ratio", ratio, info.name, info.depth))
        act = self.cfg.model.activation
        if act in RELU_FAMILY or act in SATURATING:
            name, key = (
                ("dead_fraction", "active")
                if act in RELU_FAMILY
                else ("saturated_fraction", "saturated")
            )
            for info, v in zip(self.net.activations, out.get(key, ()), strict=True):
                rows.append(_row(step, name, float(v), info.name, info.depth))
        for info, v in zip(self.net.gates, out.get("forget_gate", ()), strict=True):
            rows.append(_row(step, "forget_gate_mean", float(v), info.name, info.depth))
        for t, v in enumerate(out.get("input_grad_norm", ())):
            rows.append(_row(step, "input_grad_norm", float(v), t=t))
        return [r for r in rows if math.isfinite(r["value"])]  # NaN/Inf never reach JSON

    def _snapshot(self, step: int) -> dict:
        xs, ys, points = self.grid
        # Eagerly: a few calls a run, each cheaper than tracing another function would be.
        values = self.model(points, training=False).numpy()[:, 0].reshape(len(ys), len(xs))
        return {
            "type": "snapshot",
            "step": step,
            "xs": np.round(xs, 4).tolist(),
            "ys": np.round(ys, 4).tolist(),
            # A diverging net predicts huge or NaN values: keep the JSON finite and readable.
            "values": np.round(
                np.clip(np.nan_to_num(values.astype(np.float64)), -1e6, 1e6), 4
            ).tolist(),
        }

    def _filters(self, step: int) -> dict:
        """The first conv layer's kernels as one k x k image per filter (its input is the one
        grayscale channel): ``kernels[f][i][j]`` = kernel[i, j, 0, f]."""
        kernel = self.model.get_layer(self.first_conv).kernel.numpy()  # (k, k, 1, filters)
        kernels = np.moveaxis(kernel[:, :, 0, :], -1, 0).astype(np.float64)
        return {
            "type": "filters",
            "step": step,
            "layer": self.first_conv,
            # Updates that would make a weight non-finite are never applied; clip as snapshots do.
            "kernels": np.round(np.clip(np.nan_to_num(kernels), -1e6, 1e6), 6).tolist(),
        }

    def _pictures(self, step: int) -> list[dict]:
        """The snapshot (2-D tasks) and filters (CNN) events for the state at `step`."""
        events = [self._snapshot(step)] if self.grid is not None else []
        return events + ([self._filters(step)] if self.first_conv is not None else [])

    @property
    def _pictures_taken(self) -> bool:
        return self.grid is not None or self.first_conv is not None

    def _model_event(self) -> dict:
        """The trained model as a .keras file (bytes), for the dashboard's download; or why it
        cannot be saved (a LeakyReLU recurrent cell is a Python function Keras cannot save)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.keras"
            try:
                self.model.save(path)
            except Exception as exc:  # Keras raises several types for unsavable objects
                return {"type": "model", "error": str(exc).splitlines()[0][:200]}
            return {"type": "model", "keras": path.read_bytes()}

    def _measure_eager(self, step: int) -> list[Record]:
        """Record the state at `step` eagerly: no tracing or compiling, so it is quick to get."""
        idx = self.batch_indices(step, step + 1)[0]
        x, y = tf.gather(self.x_train, idx), tf.gather(self.y_train, idx)
        out = self.compiled.step(x, y, True, False, self.x_val, self.y_val)
        return self._records(step, {k: v.numpy() for k, v in out.items()}, applied=False)

    def _measure(self, step: int) -> tuple[list[Record], dict]:
        """Record the current state at `step` without updating the weights."""
        _, arrays = self._call_chunk(step, step + 1, apply=False)
        out = {k: v[0] for k, v in arrays.items()}
        return self._records(step, out, applied=False), out

    def events(
        self, should_stop: Callable[[], bool] = lambda: False, keep_model: bool = False
    ) -> Iterator[dict]:
        """Train, yielding events. keep_model: also send the trained model (a "model" event
        before "end"), which the dashboard offers as a .keras download; the CLI does not."""
        cfg, total, every = self.cfg, self.cfg.total_steps, self.cfg.train.record_every
        started = time.perf_counter()
        yield {
            "type": "start",
            "total_steps": total,
            "layers": self.layer_table(),
            "params": self.model.count_params(),
        }
        # Step 0 is measured eagerly before anything is traced, so the first charts appear in a
        # fraction of a second while the step is traced (seconds for deep nets, more with XLA).
        # Always eagerly, warm network or not: the records must not depend on the worker.
        yield {"type": "records", "step": 0, "done": 0, "records": self._measure_eager(0)}
        yield from self._pictures(0)
        step, status, diverged_at, reason = 0, "completed", None, None
        next_snapshot, records_per_call = cfg.train.snapshot_every, 1  # first call: small
        pictured = 0  # the step of the last snapshot / filters events
        while step < total:
            if should_stop():
                status, reason = "stopped", problem("job.stopped_by_user")
                break
            # A call never runs past the next picture's step (rounded up to a recorded step): the
            # pictures' steps then depend on the config alone, not on how fast calls ran.
            picture = -(-next_snapshot // every) * every if self._pictures_taken else total
            stop = min(total, step + records_per_call * every, step + self.max_rows, picture)
            t0 = time.perf_counter()
            bad, arrays = self._call_chunk(step, stop)
            elapsed = time.perf_counter() - t0
            done = stop if bad < 0 else step + bad
            rows: list[Record] = []
            for r in range(len(arrays["loss"])):
                out = {k: v[r] for k, v in arrays.items()}
                more = self._records(step + r * every, out, applied=bool(out["finite"] > 0.5))
                if step + r == 0:  # step 0 went out eagerly; only its update ratios are new
                    more = [row for row in more if row["name"] == "update_ratio"]
                rows += more
            if bad % every and bad > 0:  # diverged on a plain step: record the state there
                more, out = self._measure(done)
                rows += more
            # One event per call: "step" is its last recorded step, "done" the steps trained.
            last = rows[-1]["step"] if rows else done  # rows can all be non-finite when diverging
            yield {"type": "records", "step": last, "done": done, "records": rows}
            if bad >= 0:
                diverged_at, reason, step = done, _divergence_reason(out), done
                break
            step = stop
            if step >= next_snapshot:
                yield from self._pictures(step)
                next_snapshot, pictured = step + cfg.train.snapshot_every, step
            # Size the next call to take about CALL_SECONDS: few calls, yet live charts and a
            # prompt stop. Grow at most 4x per call (the first call includes tracing).
            wanted = records_per_call * CALL_SECONDS / max(elapsed, 1e-6)
            records_per_call = max(1, min(4 * records_per_call, int(wanted)))
        if diverged_at is not None:
            status = "diverged"
        elif status == "completed":
            rows, _ = self._measure(step)  # the final state, at the trained weights
            yield {"type": "records", "step": step, "done": step, "records": rows}
        if step > pictured:  # the end state, unless the last pictures already show it
            yield from self._pictures(step)
        if keep_model:
            yield self._model_event()
        yield {
            "type": "end",
            "status": status,
            "step": step,
            "diverged_at": diverged_at,
            "reason": reason,
            "wall_time": time.perf_counter() - started,
        }


def _divergence_reason(out: dict) -> Problem:
    loss = float(out["loss"]) + float(out["reg_loss"])
    if not math.isfinite(loss):
        return problem("job.loss_not_finite", value="nan" if math.isnan(loss) else "inf")
    return problem("job.gradient_not_finite")


def iter_events(cfg: RunConfig | dict, should_stop: Callable[[], bool] = lambda: False):
    """The worker entry point: validate, build, train, yield events (see module docstring),
    the trained model included (the dashboard's .keras download)."""
    cfg = parse_config(cfg)
    yield from Trainer(cfg).events(should_stop, keep_model=True)


def train(
    cfg: RunConfig | dict,
    on_event: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunResult:
    """Run a config to the end in this process and collect everything into a RunResult."""
    cfg = parse_config(cfg)
    return collect(cfg, Trainer(cfg).events(should_stop), on_event)
