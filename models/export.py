"""Export a config as a standalone Keras script: paste it in a notebook, get the same model.

The script builds the model ``models.builders.build_model`` builds for the config (same layer
types, names, shapes, initializers with their seeds, regularizers) and compiles it with the
config's optimizer, loss and gradient clipping, using Keras only. It does not import this
project. TensorFlow-free: the script is text.
"""

from __future__ import annotations

from models.config import RECURRENT_ARCHS, RunConfig

_RNN_CLASS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
_POOLING_CLASS = {"max": "MaxPooling2D", "mean": "AveragePooling2D"}
_LOSS = {
    "binary_crossentropy": "keras.losses.BinaryCrossentropy()",
    "mse": "keras.losses.MeanSquaredError()",
    "sparse_categorical_crossentropy": "keras.losses.SparseCategoricalCrossentropy()",
}
_METRICS = {
    "binary": '["accuracy"]',
    "sequence_classes": '["accuracy"]',
    "regression": "[]",
    "sequence_regression": "[]",
    "image_classes": '["accuracy"]',
}


def keras_script(cfg: RunConfig) -> str:
    """Python source that builds and compiles the config's model with Keras alone."""
    m, o, task = cfg.model, cfg.optimizer, cfg.task
    shape = cfg.input_shape
    lines = [
        '"""A Gradient Lab config as a standalone Keras model."""',
        "",
        "import keras",
        "",
        f"keras.utils.set_random_seed({cfg.train.seed})",
        "",
        "",
        "def initializer(index):",
        f"    seed = {cfg.train.seed} * 1000 + index",
    ]
    if m.initializer == "random_normal":
        stddev = m.init_scale
        lines.append(f"    return keras.initializers.RandomNormal(stddev={stddev!r}, seed=seed)")
    else:
        cls = _initializer_class(m.initializer)
        lines.append(f"    return keras.initializers.{cls}(seed=seed)")
    if m.arch in RECURRENT_ARCHS:
        lines += [
            "",
            "",
            "def recurrent_initializer(index):",
            f"    return keras.initializers.Orthogonal(seed={cfg.train.seed} * 1000 + 500 + index)",
        ]
    reg = f"keras.regularizers.L1L2(l1={m.l1!r}, l2={m.l2!r})" if (m.l1 or m.l2) else "None"
    lines += ["", "", f"inputs = keras.Input(shape={shape!r}, name='x')", "h = inputs"]
    cell_activation = repr(m.activation)
    if m.arch in RECURRENT_ARCHS and m.activation == "leaky_relu":
        k = m.leaky_k
        lines += [
            "def cell_activation(x):",
            f"    return keras.activations.leaky_relu(x, negative_slope={k!r})",
            "",
        ]
        cell_activation = "cell_activation"
    for i in range(m.depth):
        if m.arch in RECURRENT_ARCHS:
            last = i == m.depth - 1
            sequences = not last or m.arch == "lstm"
            lines.append(
                f"h = keras.layers.{_RNN_CLASS[m.arch]}({m.width}, activation={cell_activation}, "
                f"return_sequences={sequences}, kernel_initializer=initializer({i}), "
                f"recurrent_initializer=recurrent_initializer({i}), "
                f"kernel_regularizer={reg}, name='{m.arch}_{i}')(h)"
            )
            if m.arch == "lstm" and last:
                crop = cfg.data.seq_len - 1
                lines.append(f"h = keras.layers.Cropping1D(({crop}, 0), name='last_step')(h)")
                lines.append("h = keras.layers.Flatten(name='last_state')(h)")
            continue
        lines.append("block_in = h")
        if m.arch == "cnn":
            lines.append(
                f"h = keras.layers.Conv2D({m.width}, {m.kernel_size}, padding='same', "
                f"kernel_initializer=initializer({i}), kernel_regularizer={reg}, "
                f"name='conv_{i}')(h)"
            )
        else:
            lines.append(
                f"h = keras.layers.Dense({m.width}, kernel_initializer=initializer({i}), "
                f"kernel_regularizer={reg}, name='dense_{i}')(h)"
            )
        if m.batch_norm:
            lines.append(f"h = keras.layers.BatchNormalization(name='bn_{i}')(h)")
        if m.activation == "leaky_relu":
            k = m.leaky_k
            lines.append(f"h = keras.layers.LeakyReLU(negative_slope={k!r}, name='act_{i}')(h)")
        elif m.activation == "prelu":
            shared = "shared_axes=[1, 2], " if m.arch == "cnn" else ""  # one slope per filter
            lines.append(f"h = keras.layers.PReLU({shared}name='act_{i}')(h)")
        else:
            lines.append(f"h = keras.layers.Activation({m.activation!r}, name='act_{i}')(h)")
        if m.dropout > 0:
            lines.append(
                f"h = keras.layers.Dropout({m.dropout!r}, seed={cfg.train.seed + i}, "
                f"name='dropout_{i}')(h)"
            )
        if m.residual and i > 0:
            lines.append(f"h = keras.layers.Add(name='add_{i}')([block_in, h])")
        if m.arch == "cnn":
            pool = _POOLING_CLASS[m.pooling]
            lines.append(f"h = keras.layers.{pool}(pool_size=2, name='pool_{i}')(h)")
    if m.arch == "cnn":
        lines.append("h = keras.layers.Flatten(name='flatten')(h)")
    lines.append(
        f"outputs = keras.layers.Dense({task.n_outputs}, "
        f"activation={task.head_activation!r}, kernel_initializer=initializer({m.depth}), "
        f"kernel_regularizer={reg}, name='output')(h)"
    )
    name = f"{m.arch}_{m.depth}x{m.width}_{m.activation}"
    lines.append(f"model = keras.Model(inputs, outputs, name={name!r})")
    clip = ""
    if o.clipping is not None:
        rule, threshold = o.clipping
        clip = f", {rule}={threshold!r}"
    optimizer = {
        "sgd": f"keras.optimizers.SGD({o.learning_rate!r}{clip})",
        "momentum": f"keras.optimizers.SGD({o.learning_rate!r}, momentum={o.momentum!r}{clip})",
        "adam": f"keras.optimizers.Adam({o.learning_rate!r}{clip})",
        "rmsprop": f"keras.optimizers.RMSprop({o.learning_rate!r}{clip})",
    }[o.name]
    lines += [
        f"model.compile(optimizer={optimizer}, loss={_LOSS[task.loss]}, "
        f"metrics={_METRICS[task.kind]})",
        "model.summary()",
        f"# Train like the lab: model.fit(x, y, batch_size={cfg.effective_batch_size}, "
        f"epochs={cfg.train.epochs})",
        "",
    ]
    return "\n".join(lines)


def _initializer_class(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))  # he_normal -> HeNormal


def tensorboard_tags(metrics) -> dict[str, list[tuple[int, float]]]:
    """The run's metrics as TensorBoard scalar series: `loss`, `val_loss`, per layer
    `grad_norm/dense_0`, per time step `input_grad_norm/t007`."""
    series: dict[str, list[tuple[int, float]]] = {}
    for row in metrics.itertuples(index=False):
        tag = str(row.name)
        if row.layer is not None and row.layer == row.layer:  # not None, not NaN
            tag += f"/{row.layer}"
        if row.t is not None and row.t == row.t:
            tag += f"/t{int(row.t):03d}"
        series.setdefault(tag, []).append((int(row.step), float(row.value)))
    return series


def write_tensorboard(metrics, logdir: str) -> int:
    """Write the metrics as a TensorBoard event file under `logdir`; returns the tag count.

    Events are written as TensorFlow's Event protos in TFRecord framing, with simple_value
    scalars, so neither the tensorboard package nor a summary writer is needed here (the
    user's `tensorboard --logdir` reads them). Imports TensorFlow: the CLI's export only.
    """
    import socket
    import time
    from pathlib import Path

    import tensorflow as tf
    from tensorflow.core.framework import summary_pb2
    from tensorflow.core.util import event_pb2

    series = tensorboard_tags(metrics)
    Path(logdir).mkdir(parents=True, exist_ok=True)
    now = time.time()
    path = Path(logdir) / f"events.out.tfevents.{int(now)}.{socket.gethostname()}.gradient-lab"
    with tf.io.TFRecordWriter(str(path)) as writer:
        writer.write(
            event_pb2.Event(wall_time=now, file_version="brain.Event:2").SerializeToString()
        )
        for tag, points in series.items():
            for step, value in points:
                summary = summary_pb2.Summary(
                    value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]
                )
                event = event_pb2.Event(wall_time=now, step=step, summary=summary)
                writer.write(event.SerializeToString())
    return len(series)
