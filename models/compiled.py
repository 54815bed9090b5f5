"""The traced training step, and the worker's cache of it per architecture.

A click on Train mostly waits for TensorFlow to trace and optimize the step, not for the steps
themselves (a 10-layer MLP trains 250 steps in 0.06 s once traced; tracing and optimizing its
two step functions took 1.3 s). So:

* **One step, traced once.** Every step runs the same function: forward pass through the probe
  (the model plus its hidden activations) -> loss -> ``tape.gradient`` -> clip -> apply. On
  recorded steps a ``tf.cond`` branch also measures (validation loss, norms, dead or saturated
  units, forget gates, input gradients); on the others it costs nothing. The Keras layers, the
  gradient and the optimizer's update are traced once, not once per kind of step.
* **A plain graph by default, XLA where it pays.** XLA compiles for seconds (more with depth) and
  then runs a small model's step 3-10x faster; on a CPU it runs convolutions slower. Whether a run
  uses it follows from its config alone (:func:`uses_xla`), so the same config always takes the
  same path and gives the same records.
* **Kept per architecture.** A worker keeps the last :data:`CACHE_SIZE` networks with their traced
  functions, keyed by :func:`models.config.graph_key`: everything the graph's structure and shapes
  depend on. A re-run that changes only seeds, learning rate, momentum, clip threshold, epochs or
  data (same batch and input shapes) re-initializes the weights by assignment from the seeded
  initializers and resets the optimizer: the same records as a fresh build, without tracing.
  The data, the learning rate, momentum and the clip threshold are inputs or variables, never
  constants baked into the graph.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import math
from collections.abc import Iterator

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.ops import control_flow_util_v2  # keep a cond unlowered

from models.builders import Network, build_network, initial_kernel, loss_for, make_optimizer
from models.config import RECURRENT_ARCHS, RunConfig, graph_key
from models.infra import settings

CACHE_SIZE = 4  # architectures a worker keeps traced (each holds a model and its graph)
MAX_ROWS_PER_CALL = 2000  # steps in one compiled call at most
MAX_INDICES_PER_CALL = 262_144  # and at most this many sample indices (1 MB) sent per call
# Where XLA pays, measured on this kind of machine (2 CPU cores), a whole run end to end:
# - an LSTM step over 50 time steps takes 4.1 ms as a graph and 1.7 ms compiled, and compiling
#   costs about 2 s more: it breaks even near 800 steps (steps x time steps = 40,000; twice that
#   margin here). A SimpleRNN or GRU gains more.
# - an MLP with Adam: 0.47 ms a step as a graph, 0.21 ms compiled (8 x 32 units), for about 1 s
#   more compiling (3 s at 30 layers, whose graph step costs more too): it breaks even near
#   3,000 steps. Its 5,000-step run takes 2.4 s as a graph, 1.1 s compiled.
# - a CNN never: XLA's CPU convolutions are slower than oneDNN's (1.8 vs 0.45 ms a step).
XLA_MIN_RECURRENT_STEP_TIMES = 80_000
XLA_MIN_MLP_STEPS = 4_000

# A unit is "saturated" where its derivative is below a tenth of its maximum:
# tanh' = 1 - a^2 < 0.1  <=>  |a| > 0.949;
# sigmoid' = a(1 - a) < 0.025  <=>  a < 0.026 or a > 0.974.
TANH_TAIL = math.sqrt(0.9)
SIGMOID_TAIL = (1 - math.sqrt(0.9)) / 2

# Each architecture traces its own functions by design; TensorFlow's "retracing" warning would
# only repeat that.
tf.get_logger().setLevel("ERROR")


def _cond(pred, true_fn, false_fn):
    """tf.cond kept as one functional If op. By default TensorFlow lowers a cond inside a loop
    to a Switch op per tensor its branches read: the measuring branch reads every variable,
    gradient and activation, so a plain step would pay hundreds of no-op Switches."""
    out = tf.cond(pred, true_fn, false_fn)
    if not tf.executing_eagerly():
        op = tf.nest.flatten(out)[0].op
        op = op.inputs[0].op if op.type == "Identity" else op  # cond wraps its outputs
        if op.type in ("If", "StatelessIf"):
            control_flow_util_v2.maybe_set_lowering_attr(op, lower_using_switch_merge=False)
    return out


@contextlib.contextmanager
def without_grappler() -> Iterator[None]:
    """Run TensorFlow functions without its graph optimizer (grappler) inside this block.

    Grappler optimizes a function when it is first called: 0.15 s of a 10-layer MLP's 0.23 s
    first call, 0.7 s of a 30-layer one's 1.1 s, for steps 0-8 % faster afterwards (measured).
    Runs here are short, so it does not pay. The option is read when a function is instantiated
    and is part of its cache key, so every call of our functions happens inside this block; it
    is restored after, so nothing else in the process (a benchmark's model.fit) is affected."""
    before = tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False)
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": before})


def uses_xla(cfg: RunConfig) -> bool:
    """Whether a run compiles its step with XLA: from the config alone, so reproducibly."""
    jit = settings.jit()  # GRADIENT_LAB_JIT: "auto" (the default): below; "1": always; "0": never
    if jit != "auto":
        return jit == "1"
    if cfg.model.arch in RECURRENT_ARCHS:
        return cfg.total_steps * cfg.data.seq_len >= XLA_MIN_RECURRENT_STEP_TIMES
    return cfg.model.arch == "mlp" and cfg.total_steps >= XLA_MIN_MLP_STEPS


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


def clip_gradients(grads: list[tf.Tensor], rule: str | None, threshold) -> list[tf.Tensor]:
    """Keras' clipping: clipnorm per variable, global_clipnorm over all, clipvalue per element.
    ``rule`` is the field name (or None: no clipping); ``threshold`` a number or a tensor."""
    if rule is None:
        return grads
    if rule == "clipnorm":
        return [tf.clip_by_norm(g, threshold) for g in grads]
    if rule == "global_clipnorm":
        return tf.clip_by_global_norm(grads, threshold)[0]
    return [tf.clip_by_value(g, -threshold, threshold) for g in grads]


class MomentumSGD(keras.optimizers.SGD):
    """Keras' SGD with momentum, the momentum held in a variable so a new value needs no new
    graph (Keras' own SGD bakes it in as a constant). Same update: m <- m * mu - lr * g; w += m."""

    def __init__(self, learning_rate: float, momentum: float):
        super().__init__(learning_rate, momentum=0.5)  # nonzero: Keras builds the momentums
        self.momentum_value = tf.Variable(momentum, trainable=False, dtype=tf.float32)

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = tf.cast(learning_rate, variable.dtype)
        gradient = tf.cast(gradient, variable.dtype)
        m = self.momentums[self._get_variable_index(variable)]
        mu = tf.cast(self.momentum_value, variable.dtype)
        self.assign(m, m * mu - gradient * learning_rate)
        self.assign_add(variable, m)


def _optimizer(cfg: RunConfig) -> keras.optimizers.Optimizer:
    o = cfg.optimizer
    return MomentumSGD(o.learning_rate, o.momentum) if o.name == "momentum" else make_optimizer(cfg)


class CompiledNetwork:
    """A network, its optimizer and its traced chunk function: what a worker keeps warm."""

    def __init__(self, cfg: RunConfig):
        self.key = graph_key(cfg)
        self.xla = uses_xla(cfg)
        self.net: Network = build_network(cfg)
        self.model = self.net.model
        self.task = cfg.task
        self.activation = cfg.model.activation
        self.loss_fn = loss_for(self.task)
        classes = self.task.kind in ("sequence_classes", "image_classes")
        self.target_dtype = tf.int32 if classes else tf.float32
        self.target_shape = [None] if classes else [None, self.task.n_outputs]
        self.optimizer = _optimizer(cfg)
        self.variables = list(self.model.trainable_variables)
        self.optimizer.build(self.variables)
        index = {id(v): i for i, v in enumerate(self.variables)}
        self.groups = [
            [index[id(v)] for v in self.model.get_layer(info.name).trainable_weights]
            for info in self.net.weight_layers
        ]
        clipping = cfg.optimizer.clipping
        self.clip_rule = clipping[0] if clipping else None
        self.clip_threshold = tf.Variable(clipping[1] if clipping else 1.0, trainable=False)
        # Where a recorded step keeps the weights it started from, to measure its update.
        self.before = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self.variables]
        # Every variable's value at build time: biases, batch-norm statistics, PReLU slopes and
        # LSTM forget biases start the same whatever the seed; kernels are re-drawn (reset).
        self.initial = [(v, v.numpy()) for v in self.model.variables]
        self.every = cfg.train.record_every
        self.batch_size = cfg.effective_batch_size
        rows = min(MAX_ROWS_PER_CALL, MAX_INDICES_PER_CALL // self.batch_size)
        self.max_rows = self.every * max(1, rows // self.every)
        self.keys = self._record_keys()
        data = [tf.TensorSpec([None, *cfg.input_shape], tf.float32)] * 2
        target = tf.TensorSpec(self.target_shape, self.target_dtype)
        self.chunk = tf.function(
            self._chunk,
            jit_compile=self.xla,
            autograph=False,  # plain Python around explicit tf.cond / tf.while_loop: no converting
            reduce_retracing=True,
            input_signature=[
                tf.TensorSpec([self.max_rows, self.batch_size], tf.int32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([], tf.bool),
                data[0],
                target,
                data[1],
                target,
            ],
        )

    def reset(self, cfg: RunConfig) -> None:
        """Start a run of `cfg` (same graph_key) from exactly the state a fresh build has."""
        for v, value in self.initial:
            v.assign(value)
        for layer_name, path, init in initial_kernel(cfg, self.net):
            var = functools.reduce(getattr, path.split("."), self.model.get_layer(layer_name))
            var.assign(init(var.shape, var.dtype))
        for layer in self.model.layers:
            if isinstance(layer, keras.layers.Dropout):
                seed = cfg.train.seed + int(layer.name.rsplit("_", 1)[1])
                layer.seed_generator.state.assign(np.array([seed, 0], np.uint32))
        for v in self.optimizer.variables:
            v.assign(tf.zeros(v.shape, v.dtype))
        self.optimizer.learning_rate = cfg.optimizer.learning_rate
        if isinstance(self.optimizer, MomentumSGD):
            self.optimizer.momentum_value.assign(cfg.optimizer.momentum)
        clipping = cfg.optimizer.clipping
        if clipping:
            self.clip_threshold.assign(clipping[1])

    # -- the step ---------------------------------------------------------------------------------

    def _record_keys(self) -> list[str]:
        keys = ["loss", "reg_loss", "metric", "val_loss", "val_metric", "finite"]
        keys += ["grad_norm", "grad_norm_clipped", "weight_norm", "update_norm"]
        keys += ["active", "saturated"] if self.net.activations else []
        keys += ["input_grad_norm"] if self.task.is_sequence else []
        keys += ["forget_gate"] if self.net.gates else []
        return keys

    def _loss(self, y, pred):
        data_loss = self.loss_fn(y, pred)
        reg = tf.add_n(self.model.losses) if self.model.losses else tf.constant(0.0)
        return data_loss, reg

    def step(self, x, y, record, apply, x_val, y_val) -> dict[str, tf.Tensor]:
        """One training step on batch (x, y). Always: loss, per-layer gradient norms (pre-clip:
        also the finiteness check) and the update, unless the step is non-finite or apply is
        False. On `record` steps also every measurement; zeros otherwise. Runs eagerly or traced."""
        sequence = self.task.is_sequence

        def evaluate():  # at the weights (and batch-norm statistics) this step starts from
            val_pred = self.model(x_val, training=False)
            val_loss = tf.cast(self.loss_fn(y_val, val_pred), tf.float32)
            return val_loss, self._metric(y_val, val_pred)

        val_loss, val_metric = _cond(record, evaluate, lambda: (tf.constant(0.0),) * 2)
        with tf.GradientTape() as tape:  # forward pass -> loss
            if sequence:
                tape.watch(x)
            outs = self.net.probe(x, training=True)
            outs = outs if isinstance(outs, list | tuple) else [outs]  # one output: a tensor
            n_acts = len(self.net.activations)
            pred, acts, sequences = outs[0], outs[1 : 1 + n_acts], outs[1 + n_acts :]
            data_loss, reg = self._loss(y, pred)
            total = data_loss + reg
        targets = self.variables + ([x] if sequence else [])
        all_grads = tape.gradient(total, targets)  # backward pass
        grads = all_grads[: len(self.variables)]  # pre-clip, as the tape gives them
        grad_norm = _group_norms(grads, self.groups)
        ok = tf.math.is_finite(total) & tf.reduce_all(tf.math.is_finite(grad_norm))
        clipped = clip_gradients(grads, self.clip_rule, self.clip_threshold)  # what is applied

        def measure():  # at the weights this step starts from
            for keep, v in zip(self.before, self.variables, strict=True):
                keep.assign(v)
            out = {
                "metric": self._metric(y, pred),
                "grad_norm_clipped": _group_norms(clipped, self.groups),
                "weight_norm": _group_norms(self.variables, self.groups),
            }
            if acts:
                out["active"] = tf.stack([_dead(a) for a in acts])
                out["saturated"] = tf.stack([self._saturated(a) for a in acts])
            if self.net.gates:
                pairs = zip(sequences[::2], sequences[1::2], strict=True)
                gates = zip(self.net.gates, pairs, strict=True)
                out["forget_gate"] = tf.stack([forget_gate_mean(g.layer, *p) for g, p in gates])
            if sequence:
                gx = all_grads[-1]  # (batch, time, features): dloss/dx_t for every t
                out["input_grad_norm"] = tf.sqrt(tf.reduce_sum(tf.square(gx), axis=[0, 2]))
            return {k: tf.cast(v, tf.float32) for k, v in out.items()}

        def skip():
            return {k: tf.zeros(shape, tf.float32) for k, shape in shapes.items()}

        shapes = self._measure_shapes
        measured = _cond(record, measure, skip)

        def update():
            self.optimizer.apply(clipped, self.variables)  # clip, then step
            return tf.constant(True)

        tf.cond(ok & apply, update, lambda: tf.constant(False))  # a poisoned update never lands
        deltas = lambda: _group_norms(  # noqa: E731
            [v - b for v, b in zip(self.variables, self.before, strict=True)], self.groups
        )
        zeros = lambda: tf.zeros([len(self.groups)])  # noqa: E731
        update_norm = _cond(record, deltas, zeros)
        return {
            "loss": tf.cast(data_loss, tf.float32),
            "reg_loss": tf.cast(reg, tf.float32),
            "finite": tf.cast(ok, tf.float32),
            "grad_norm": grad_norm,
            "update_norm": update_norm,
            "val_loss": val_loss,
            "val_metric": val_metric,
            **measured,
        }

    @property
    def _measure_shapes(self) -> dict[str, tf.TensorShape]:
        n, shapes = len(self.groups), {}
        shapes["metric"] = tf.TensorShape([])
        for key in ("grad_norm_clipped", "weight_norm"):
            shapes[key] = tf.TensorShape([n])
        if self.net.activations:
            shapes["active"] = shapes["saturated"] = tf.TensorShape([len(self.net.activations)])
        if self.net.gates:
            shapes["forget_gate"] = tf.TensorShape([len(self.net.gates)])
        if self.task.is_sequence:
            shapes["input_grad_norm"] = tf.TensorShape([self.model.input_shape[1]])
        return shapes

    def _chunk(self, idx, n, apply, x_train, y_train, x_val, y_val):
        """Train on rows 0..n-1 of idx (one row = one step's batch); rows 0, R, 2R, ... are
        recorded (R = record_every). Stops at the first non-finite step; returns its row (-1 if
        none) and the recorded measurements, one row per recorded step. With apply=False, a
        one-row call measures without updating."""
        every = self.every
        size = self.max_rows // every + 1  # static, as XLA needs; the last slot is scratch
        arrays = {k: tf.TensorArray(tf.float32, size=size) for k in self.keys}

        def body(j, bad, arrays):
            record = j % every == 0
            out = self.step(
                tf.gather(x_train, idx[j]), tf.gather(y_train, idx[j]), record, apply, x_val, y_val
            )
            # Every step writes (a while loop cannot write conditionally): recorded steps to
            # their own slot, the others to the scratch slot.
            slot = tf.where(record, j // every, size - 1)
            arrays = {k: arrays[k].write(slot, out[k]) for k in self.keys}
            bad = tf.where(out["finite"] > 0.5, bad, j)
            return j + 1, bad, arrays

        _, bad, arrays = tf.while_loop(
            lambda j, bad, _: (j < n) & (bad < 0), body, (tf.constant(0), tf.constant(-1), arrays)
        )
        return bad, {k: a.stack() for k, a in arrays.items()}

    def _saturated(self, a):
        if self.activation == "tanh":
            tail = tf.abs(a) > TANH_TAIL
        else:
            tail = (a < SIGMOID_TAIL) | (a > 1.0 - SIGMOID_TAIL)
        return tf.reduce_mean(tf.cast(tail, tf.float32))

    def _metric(self, y, pred):
        kind = self.task.kind
        if kind == "binary":
            return tf.reduce_mean(tf.cast((pred > 0.5) == (y > 0.5), tf.float32))
        if kind in ("sequence_classes", "image_classes"):
            hit = tf.cast(tf.argmax(pred, axis=-1), tf.int32) == tf.cast(y, tf.int32)
            return tf.reduce_mean(tf.cast(hit, tf.float32))
        return tf.constant(float("nan"))  # regression: the loss (MSE) is the metric


def _dead(a):
    # Inactive on the whole batch (pre-activation <= 0 for every sample): for ReLU such a unit
    # passes no gradient at all. For LeakyReLU / PReLU / ELU / GELU the output is then <= 0 too,
    # so the same test reads "inactive", although those units still pass a little. A conv
    # layer's unit is a filter: dead if inactive at every pixel of every sample.
    batch_and_pixels = list(range(len(a.shape) - 1))
    return tf.reduce_mean(tf.cast(tf.reduce_all(a <= 0.0, axis=batch_and_pixels), tf.float32))


_CACHE: collections.OrderedDict[tuple, CompiledNetwork] = collections.OrderedDict()


def compiled_for(cfg: RunConfig) -> tuple[CompiledNetwork, bool]:
    """The warm network for cfg's architecture, reset to cfg's seeds (reused: True), or a fresh
    build (False). The least recently used architecture beyond CACHE_SIZE is dropped."""
    key = graph_key(cfg) + (uses_xla(cfg),)
    compiled = _CACHE.pop(key, None)
    reused = compiled is not None
    if reused:
        compiled.reset(cfg)
    else:
        compiled = CompiledNetwork(cfg)
    _CACHE[key] = compiled
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled, reused


def clear_compiled() -> None:
    """Forget every warm network (the next run of any architecture builds and traces anew)."""
    _CACHE.clear()
