"""The instrumented training loop.

One run = a sequence of chunks of ``train.record_every`` steps. Each chunk starts with one
*instrumented* step, which trains like any other step but also returns per-layer gradient norms
(pre- and post-clip), weight norms, update ratios, dead/saturated unit fractions and, for RNNs,
the gradient of the loss with respect to every input time step. The rest of the chunk runs as a
single ``tf.function`` loop, so recording costs almost nothing on the steps in between.

Records are LONG rows ``{"step", "name", "layer", "depth", "t", "value"}`` (None where a key does
not apply). Pictures come as events of their own, at step 0, every ``train.snapshot_every`` steps
(rounded up to the next recorded step, so they fall on the same steps whatever the machine's
speed) and at the end: ``snapshot`` (the output over a grid, 2-D tasks) and ``filters`` (the
first conv layer's kernels, CNN: ``{"type": "filters", "step", "layer", "kernels"}``,
``kernels[f][i][j]`` the weight of filter f at kernel row i, column j).

Divergence is an outcome: a non-finite loss or gradient stops the run with status ``diverged``;
the update that would have poisoned the weights is not applied and the records so far are kept.
Same config + seed = same records and pictures, on any machine.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from models.builders import build_network, loss_for, make_optimizer
from models.config import RELU_FAMILY, SATURATING, RunConfig, parse_config
from models.datasets import Dataset, grid_for, make_dataset
from models.record import Record, RunResult, collect

EVAL_MAX = 1000  # validation metrics use at most this many test samples, every record
GRID_RESOLUTION = 40  # decision-boundary snapshot: GRID_RESOLUTION^2 points
JIT = os.environ.get("GRADIENT_LAB_JIT", "1") == "1"  # XLA; GRADIENT_LAB_JIT=0 to compare
CALL_SECONDS = 0.1  # target duration of one compiled call: bounds stop latency and chart lag
MAX_ROWS_PER_CALL = 2000  # steps in one compiled call at most
MAX_INDICES_PER_CALL = 262_144  # and at most this many sample indices (1 MB) sent per call

# A unit is "saturated" where its derivative is below a tenth of its maximum:
# tanh' = 1 - a^2 < 0.1  <=>  |a| > 0.949;
# sigmoid' = a(1 - a) < 0.025  <=>  a < 0.026 or a > 0.974.
TANH_TAIL = math.sqrt(0.9)
SIGMOID_TAIL = (1 - math.sqrt(0.9)) / 2


# Each run compiles its own functions by design; TensorFlow's "retracing" warning would only
# repeat that on every job.
tf.get_logger().setLevel("ERROR")


def _row(step: int, name: str, value: float, layer=None, depth=None, t=None) -> Record:
    return {"step": step, "name": name, "layer": layer, "depth": depth, "t": t, "value": value}


def _group_norms(tensors: list[tf.Tensor], groups: list[list[int]]) -> tf.Tensor:
    """The L2 norm of each group of tensors (one group = one layer's variables)."""
    squares = [tf.reduce_sum(tf.square(tf.cast(t, tf.float32))) for t in tensors]
    return tf.sqrt(tf.stack([tf.add_n([squares[i] for i in g]) for g in groups]))


def forget_gate_mean(layer, xs: tf.Tensor, hs: tf.Tensor) -> tf.Tensor:
    """Mean forget gate of a Keras LSTM over a batch, every time step and every unit.

    f_t = recurrent_activation(x_t W_f + h_{t-1} U_f + b_f), where Keras stores the four gates
    side by side in the order i, f, c, o: W_f = kernel[:, u:2u], U_f = recurrent_kernel[:, u:2u],
    b_f = bias[u:2u]. ``xs`` is the layer's input sequence and ``hs`` its output sequence
    (h_0 = 0). Near 1: the cell state is carried over; near 0: it is forgotten.
    """
    cell = layer.cell
    u = cell.units
    h_prev = tf.concat([tf.zeros_like(hs[:, :1]), hs[:, :-1]], axis=1)
    z = (
        tf.einsum("bti,ij->btj", xs, cell.kernel[:, u : 2 * u])
        + tf.einsum("bti,ij->btj", h_prev, cell.recurrent_kernel[:, u : 2 * u])
        + cell.bias[u : 2 * u]
    )
    return tf.reduce_mean(cell.recurrent_activation(z))


def clip_gradients(grads: list[tf.Tensor], cfg: RunConfig) -> list[tf.Tensor]:
    """Keras' clipping: clipnorm per variable, global_clipnorm over all, clipvalue per element."""
    rule = cfg.optimizer.clipping
    if rule is None:
        return grads
    name, c = rule
    if name == "clipnorm":
        return [tf.clip_by_norm(g, c) for g in grads]
    if name == "global_clipnorm":
        return tf.clip_by_global_norm(grads, c)[0]
    return [tf.clip_by_value(g, -c, c) for g in grads]


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
        # One compiled function runs up to `max_rows` steps per call. Its shapes are fixed (short
        # calls pad idx and pass the real row count n), so XLA compiles it once per run; XLA fuses
        # each step's hundreds of tiny ops, which is where a small model's time goes.
        every = cfg.train.record_every
        rows = min(MAX_ROWS_PER_CALL, MAX_INDICES_PER_CALL // self.batch_size)
        self.max_rows = every * max(1, rows // every)
        self.chunk = tf.function(
            self._chunk,
            jit_compile=JIT,
            input_signature=[
                tf.TensorSpec([self.max_rows, self.batch_size], tf.int32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([], tf.bool),
            ],
        )
        self.predict = tf.function(lambda x: self.model(x, training=False))
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
            self._perms.pop(epoch - 2, None)  # keep memory flat on long runs
        return np.asarray(rows, dtype=np.int32).reshape(stop - start, bs)

    # -- the compiled pieces ----------------------------------------------------------------------

    def _loss(self, y, pred):
        data_loss = self.loss_fn(y, pred)
        reg = tf.add_n(self.model.losses) if self.model.losses else tf.constant(0.0)
        return data_loss, reg

    def _apply_if(self, ok, grads, clipped=None):
        """Clip and step only if the step is finite: a poisoned update never reaches the weights."""

        def step():
            applied = clip_gradients(grads, self.cfg) if clipped is None else clipped
            self.optimizer.apply(applied, self.variables)
            return tf.constant(True)

        return tf.cond(ok, step, lambda: tf.constant(False))

    def _plain_step(self, idx):
        x, y = tf.gather(self.x_train, idx), tf.gather(self.y_train, idx)
        with tf.GradientTape() as tape:  # forward pass -> loss
            data_loss, reg = self._loss(y, self.model(x, training=True))
            total = data_loss + reg
        grads = tape.gradient(total, self.variables)  # backward pass
        ok = tf.math.is_finite(total) & tf.math.is_finite(tf.linalg.global_norm(grads))
        return self._apply_if(ok, grads)  # clip, then step

    def _chunk(self, idx, n, apply):
        """Train on every row of idx (one row = one step's batch). Rows 0, R, 2R, ... are
        instrumented steps whose measurements are stacked; the rows between are plain steps in
        an inner loop. Stops at the first non-finite step; returns its row (-1 if none) and the
        stacked measurements. With apply=False, a one-row idx measures without updating."""
        every = self.cfg.train.record_every
        keys = self._record_keys()
        size = self.max_rows // every  # static, as XLA needs; rows past n stay zero
        arrays = {k: tf.TensorArray(tf.float32, size=size) for k in keys}

        def plain_body(j, bad):
            ok = self._plain_step(idx[j])
            return tf.where(ok, j + 1, j), tf.where(ok, bad, j)

        def record_body(r, bad, arrays):
            first = r * every
            out = self._instrumented_step(idx[first], apply)
            arrays = {k: arrays[k].write(r, out[k]) for k in keys}
            ok = out["finite"] > 0.5
            bad = tf.where(ok, bad, first)
            end = tf.minimum(first + every, n)
            _, bad = tf.while_loop(
                lambda j, bad: (j < end) & (bad < 0), plain_body, (first + 1, bad)
            )
            return r + 1, bad, arrays

        n_records = (n + every - 1) // every
        _, bad, arrays = tf.while_loop(
            lambda r, bad, _: (r < n_records) & (bad < 0),
            record_body,
            (tf.constant(0), tf.constant(-1), arrays),
        )
        return bad, {k: a.stack() for k, a in arrays.items()}

    def _call_chunk(self, start: int, stop: int, apply: bool = True):
        """Run steps [start, stop) in one compiled call; returns (bad row, numpy records)."""
        idx = np.zeros((self.max_rows, self.batch_size), np.int32)
        idx[: stop - start] = self.batch_indices(start, stop)
        bad, arrays = self.chunk(tf.constant(idx), tf.constant(stop - start), tf.constant(apply))
        n_records = -(-(stop - start) // self.cfg.train.record_every)
        if int(bad) >= 0:
            n_records = int(bad) // self.cfg.train.record_every + 1
        return int(bad), {k: v.numpy()[:n_records] for k, v in arrays.items()}

    def _record_keys(self) -> list[str]:
        keys = ["loss", "reg_loss", "metric", "val_loss", "val_metric", "finite"]
        keys += ["grad_norm", "grad_norm_clipped", "weight_norm", "update_norm"]
        keys += ["active", "saturated"] if self.net.activations else []
        keys += ["input_grad_norm"] if self.task.is_sequence else []
        keys += ["forget_gate"] if self.net.gates else []
        return keys

    def _instrumented_step(self, idx, apply):
        x, y = tf.gather(self.x_train, idx), tf.gather(self.y_train, idx)
        val_loss, val_metric = self._evaluate()  # at the weights this step starts from
        sequence = self.task.is_sequence
        with tf.GradientTape() as tape:
            if sequence:
                tape.watch(x)
            outs = self.net.probe(x, training=True)
            outs = outs if isinstance(outs, list | tuple) else [outs]  # one output: a tensor
            n_acts = len(self.net.activations)
            pred, acts, sequences = outs[0], outs[1 : 1 + n_acts], outs[1 + n_acts :]
            data_loss, reg = self._loss(y, pred)
            total = data_loss + reg
        targets = self.variables + ([x] if sequence else [])
        all_grads = tape.gradient(total, targets)
        grads = all_grads[: len(self.variables)]  # pre-clip, as the tape gives them
        clipped = clip_gradients(grads, self.cfg)  # what the optimizer applies
        grad_norm = _group_norms(grads, self.groups)  # also the finiteness check: one pass
        before = [tf.identity(v) for v in self.variables]
        ok = tf.math.is_finite(total) & tf.reduce_all(tf.math.is_finite(grad_norm))
        self._apply_if(ok & apply, grads, clipped)  # clipped once, recorded and applied
        deltas = [v - b for v, b in zip(self.variables, before, strict=True)]
        out = {
            "loss": data_loss,
            "reg_loss": reg,
            "metric": self._metric(y, pred),
            "val_loss": val_loss,
            "val_metric": val_metric,
            "finite": tf.cast(ok, tf.float32),
            "grad_norm": grad_norm,
            "grad_norm_clipped": _group_norms(clipped, self.groups),
            "weight_norm": _group_norms(before, self.groups),
            "update_norm": _group_norms(deltas, self.groups),
        }
        if acts:
            out["active"] = tf.stack([self._dead(a) for a in acts])
            out["saturated"] = tf.stack([self._saturated(a) for a in acts])
        if self.net.gates:
            pairs = zip(sequences[::2], sequences[1::2], strict=True)
            out["forget_gate"] = tf.stack(
                [
                    forget_gate_mean(g.layer, xs, hs)
                    for g, (xs, hs) in zip(self.net.gates, pairs, strict=True)
                ]
            )
        if sequence:
            gx = all_grads[-1]  # (batch, time, features): dloss/dx_t for every t
            out["input_grad_norm"] = tf.sqrt(tf.reduce_sum(tf.square(gx), axis=[0, 2]))
        return {k: tf.cast(v, tf.float32) for k, v in out.items()}

    def _dead(self, a):
        # Inactive on the whole batch (pre-activation <= 0 for every sample): for ReLU such a
        # unit passes no gradient at all. For LeakyReLU / PReLU / ELU / GELU the output is then
        # <= 0 too, so the same test reads "inactive", although those units still pass a little.
        # A conv layer's unit is a filter: dead if inactive at every pixel of every sample.
        batch_and_pixels = list(range(len(a.shape) - 1))
        return tf.reduce_mean(tf.cast(tf.reduce_all(a <= 0.0, axis=batch_and_pixels), tf.float32))

    def _saturated(self, a):
        if self.cfg.model.activation == "tanh":
            tail = tf.abs(a) > TANH_TAIL
        else:
            tail = (a < SIGMOID_TAIL) | (a > 1.0 - SIGMOID_TAIL)
        return tf.reduce_mean(tf.cast(tail, tf.float32))

    def _metric(self, y, pred):
        if self.task.kind == "binary":
            return tf.reduce_mean(tf.cast((pred > 0.5) == (y > 0.5), tf.float32))
        if self.task.kind in ("sequence_classes", "image_classes"):
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

    def _snapshot(self, step: int, eager: bool = False) -> dict:
        xs, ys, points = self.grid
        predict = (lambda p: self.model(p, training=False)) if eager else self.predict
        values = predict(points).numpy()[:, 0].reshape(len(ys), len(xs))
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

    def _pictures(self, step: int, eager: bool = False) -> list[dict]:
        """The snapshot (2-D tasks) and filters (CNN) events for the state at `step`."""
        events = [self._snapshot(step, eager)] if self.grid is not None else []
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
        idx = tf.constant(self.batch_indices(step, step + 1)[0])
        out = self._instrumented_step(idx, tf.constant(False))
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
        # Step 0 is measured eagerly before anything compiles, so the first charts appear in a
        # fraction of a second while XLA compiles the training function (seconds for deep nets).
        yield {"type": "records", "step": 0, "done": 0, "records": self._measure_eager(0)}
        yield from self._pictures(0, eager=True)
        step, status, diverged_at, reason = 0, "completed", None, None
        next_snapshot, records_per_call = cfg.train.snapshot_every, 1  # first call: small
        pictured = 0  # the step of the last snapshot / filters events
        while step < total:
            if should_stop():
                status, reason = "stopped", "stopped by the user"
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


def _divergence_reason(out: dict) -> str:
    loss = float(out["loss"]) + float(out["reg_loss"])
    if not math.isfinite(loss):
        return f"loss became {'nan' if math.isnan(loss) else 'inf'}"
    return "the gradient became non-finite"


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
