"""Config -> Keras model. Layer order is depth order; every layer gets a stable, readable name.

MLP block i (depth i):  dense_i -> [bn_i] -> act_i -> [dropout_i] -> [add_i: skip from block i-1]
CNN block i (depth i):  conv_i -> [bn_i] -> act_i -> [dropout_i] -> [add_i: skip from block i-1]
                        -> pool_i (2x2 max or mean); then ``flatten`` before the head
RNN layer i (depth i):  simple_rnn_i | lstm_i | gru_i -> [dropout_i]
Output head (depth = model.depth): ``output``, a Dense whose activation and loss follow the task.

Besides the model, :func:`build_network` returns a *probe*: a second functional model over the same
layers whose extra outputs are the hidden activations, so the trainer measures dead and saturated
units from the very forward pass it differentiates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import keras

from models.config import RECURRENT_ARCHS, RunConfig
from models.tasks import TaskSpec

_RNN_LAYERS = {
    "simple_rnn": keras.layers.SimpleRNN,
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
}
_POOLING = {"max": keras.layers.MaxPooling2D, "mean": keras.layers.AveragePooling2D}


@dataclass(frozen=True)
class LayerInfo:
    """A layer that owns trainable weights, as the trainer records it."""

    name: str
    depth: int  # 0 = nearest the input; the output head has depth = model.depth
    kind: str  # Keras class name, e.g. "Dense", "BatchNormalization", "LSTM"


@dataclass(frozen=True)
class ActivationInfo:
    """A hidden activation layer whose outputs the probe returns."""

    name: str  # the layer whose units these are (dense_i), so records line up with its gradients
    depth: int
    activation: str


@dataclass(frozen=True)
class GateInfo:
    """An LSTM layer whose gates the trainer measures from its input and output sequences."""

    name: str
    depth: int
    layer: keras.layers.LSTM


@dataclass
class Network:
    model: keras.Model
    # outputs [prediction, *hidden activations, *(input sequence, output sequence) per LSTM]
    probe: keras.Model
    weight_layers: list[LayerInfo]
    activations: list[ActivationInfo]
    gates: list[GateInfo] = field(default_factory=list)


def loss_for(task: TaskSpec) -> keras.losses.Loss:
    return {
        "binary_crossentropy": keras.losses.BinaryCrossentropy,
        "mse": keras.losses.MeanSquaredError,
        "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
    }[task.loss]()


def make_optimizer(cfg: RunConfig) -> keras.optimizers.Optimizer:
    """The optimizer without clipping: the trainer clips itself so it can record what is applied."""
    o = cfg.optimizer
    if o.name == "sgd":
        return keras.optimizers.SGD(o.learning_rate)
    if o.name == "momentum":
        return keras.optimizers.SGD(o.learning_rate, momentum=o.momentum)
    if o.name == "adam":
        return keras.optimizers.Adam(o.learning_rate)
    return keras.optimizers.RMSprop(o.learning_rate)


def _initializer(cfg: RunConfig, index: int) -> keras.initializers.Initializer:
    # An explicit seed per layer: same config + seed = same weights, whatever ran before.
    seed = cfg.train.seed * 1000 + index
    if cfg.model.initializer == "random_normal":
        return keras.initializers.RandomNormal(stddev=cfg.model.init_scale, seed=seed)
    cls = keras.initializers.get(cfg.model.initializer).__class__
    return cls(seed=seed)


def _recurrent_initializer(cfg: RunConfig, index: int) -> keras.initializers.Initializer:
    # Keras' default (orthogonal), with an explicit seed like the kernels: without one it draws
    # from the global seed stream, and the weights depend on what was built before.
    return keras.initializers.Orthogonal(seed=cfg.train.seed * 1000 + 500 + index)


def _regularizer(cfg: RunConfig) -> keras.regularizers.Regularizer | None:
    if cfg.model.l1 == 0 and cfg.model.l2 == 0:
        return None
    return keras.regularizers.L1L2(l1=cfg.model.l1, l2=cfg.model.l2)


def _activation_layer(cfg: RunConfig, name: str) -> keras.layers.Layer:
    act = cfg.model.activation
    if act == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=cfg.model.leaky_k, name=name)
    if act == "prelu":
        # A conv layer's PReLU learns one slope per filter, shared over the pixels (He et al.'s
        # channel-wise PReLU), as its bias is shared; an MLP's, one per unit.
        shared = [1, 2] if cfg.model.arch == "cnn" else None
        return keras.layers.PReLU(shared_axes=shared, name=name)
    return keras.layers.Activation(act, name=name)


def _cell_activation(cfg: RunConfig):
    if cfg.model.activation == "leaky_relu":
        k = cfg.model.leaky_k
        return lambda x: keras.activations.leaky_relu(x, negative_slope=k)
    return cfg.model.activation


def build_network(cfg: RunConfig) -> Network:
    # Every random draw is seeded explicitly (initializers, dropout), so no global seed is set:
    # tf.random.set_seed would also clear TensorFlow's kernel caches, and a warm worker's traced
    # functions would pay their instantiation (~0.3 s each) again.
    m, task = cfg.model, cfg.task
    inputs = keras.Input(shape=cfg.input_shape, name="x")
    depths: dict[str, int] = {}
    acts: list[tuple[ActivationInfo, keras.KerasTensor]] = []
    gates: list[tuple[GateInfo, keras.KerasTensor, keras.KerasTensor]] = []
    h = inputs
    for i in range(m.depth):
        block_in = h
        if m.arch in RECURRENT_ARCHS:
            last = i == m.depth - 1
            # An LSTM always returns its sequence, so the probe can compute its gates at every
            # t; the last one keeps only its final step, as return_sequences=False would.
            sequences = not last or m.arch == "lstm"
            layer = _RNN_LAYERS[m.arch](
                m.width,
                activation=_cell_activation(cfg),
                return_sequences=sequences,
                kernel_initializer=_initializer(cfg, i),
                recurrent_initializer=_recurrent_initializer(cfg, i),
                kernel_regularizer=_regularizer(cfg),
                name=f"{m.arch}_{i}",
            )
            seq_in, h = h, layer(h)
            depths[layer.name] = i
            if m.arch == "lstm":
                gates.append((GateInfo(layer.name, i, layer), seq_in, h))
                if last:
                    h = keras.layers.Cropping1D((cfg.data.seq_len - 1, 0), name="last_step")(h)
                    h = keras.layers.Flatten(name="last_state")(h)
        else:
            if m.arch == "cnn":
                linear = keras.layers.Conv2D(
                    m.width,
                    m.kernel_size,
                    padding="same",  # the map keeps its size; only the pooling shrinks it
                    kernel_initializer=_initializer(cfg, i),
                    kernel_regularizer=_regularizer(cfg),
                    name=f"conv_{i}",
                )
            else:
                linear = keras.layers.Dense(
                    m.width,
                    kernel_initializer=_initializer(cfg, i),
                    kernel_regularizer=_regularizer(cfg),
                    name=f"dense_{i}",
                )
            h = linear(h)
            depths[linear.name] = i
            if m.batch_norm:  # between the linear part and the activation
                # momentum 0.9 (PyTorch's 0.1), not Keras' 0.99: a run of a few hundred steps
                # leaves 0.99's moving statistics far from the batches', and validation (which
                # uses them) at chance while the training loss falls.
                h = keras.layers.BatchNormalization(momentum=0.9, name=f"bn_{i}")(h)
                depths[f"bn_{i}"] = i
            h = _activation_layer(cfg, f"act_{i}")(h)
            depths[f"act_{i}"] = i
            acts.append((ActivationInfo(linear.name, i, m.activation), h))
        if m.dropout > 0:
            h = keras.layers.Dropout(m.dropout, seed=cfg.train.seed + i, name=f"dropout_{i}")(h)
        if m.residual and i > 0:  # block 0 changes the width (input -> width), so no identity skip
            h = keras.layers.Add(name=f"add_{i}")([block_in, h])
        if m.arch == "cnn":  # after the skip, so both of its ends have the same map size
            h = _POOLING[m.pooling](pool_size=2, name=f"pool_{i}")(h)
    if m.arch == "cnn":
        h = keras.layers.Flatten(name="flatten")(h)
    head = keras.layers.Dense(
        task.n_outputs,
        activation=task.head_activation,
        kernel_initializer=_initializer(cfg, m.depth),
        kernel_regularizer=_regularizer(cfg),
        name="output",
    )
    outputs = head(h)
    depths[head.name] = m.depth
    name = f"{m.arch}_{m.depth}x{m.width}_{m.activation}"
    model = keras.Model(inputs, outputs, name=name)
    sequences = [t for _, seq_in, seq_out in gates for t in (seq_in, seq_out)]
    probe = keras.Model(inputs, [outputs] + [t for _, t in acts] + sequences, name=f"{name}_probe")
    weight_layers = [
        LayerInfo(layer.name, depths[layer.name], type(layer).__name__)
        for layer in model.layers
        if layer.trainable_weights
    ]
    return Network(
        model, probe, weight_layers, [info for info, _ in acts], [info for info, *_ in gates]
    )


def initial_kernel(
    cfg: RunConfig, net: Network
) -> list[tuple[str, str, keras.initializers.Initializer]]:
    """(layer name, variable attribute, seeded initializer) for every weight whose initial value
    depends on the seed: what a rebuilt network with ``cfg``'s seed would draw, so a kept network
    can be re-initialized by assignment. Every other weight starts the same whatever the seed."""
    m = cfg.model
    out = []
    for info in net.weight_layers:
        if info.name == "output":
            out.append(("output", "kernel", _initializer(cfg, m.depth)))
        elif info.kind in ("Dense", "Conv2D"):
            out.append((info.name, "kernel", _initializer(cfg, info.depth)))
        elif m.arch in RECURRENT_ARCHS:
            out.append((info.name, "cell.kernel", _initializer(cfg, info.depth)))
            init = _recurrent_initializer(cfg, info.depth)
            out.append((info.name, "cell.recurrent_kernel", init))
    return out


def build_model(cfg: RunConfig) -> keras.Model:
    """The plain Keras model for a config (what `summary` reports and users export)."""
    return build_network(cfg).model


def layer_summary(cfg: RunConfig) -> dict:
    """Per-layer parameter counts as Keras reports them, plus the total."""
    model = build_model(cfg)
    layers = [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "params": layer.count_params(),
            "trainable": sum(math.prod(v.shape) for v in layer.trainable_weights),
        }
        for layer in model.layers
        if layer.weights
    ]
    return {"layers": layers, "total_params": model.count_params(), "model": model.name}
