"""The instrumented trainer against independent oracles: a hand-written GradientTape, TensorFlow's
clipping functions, Keras' own optimizer clipping, and numpy."""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import models.trainer as trainer_module
from locales import say
from models.builders import loss_for, make_optimizer
from models.compiled import SIGMOID_TAIL, TANH_TAIL
from models.datasets import make_dataset
from models.fields import parse_config
from models.record import collect
from models.trainer import Trainer, train

# One optimizer step per run: the whole training set is one batch, one epoch.
ONE_STEP = {
    "data": {"n_samples": 80, "test_fraction": 0.2},
    "train": {"batch_size": 64, "epochs": 1},
}


def config(**sections):
    merged = {k: dict(v) for k, v in ONE_STEP.items()}
    for name, fields in sections.items():
        merged.setdefault(name, {}).update(fields)
    return parse_config(merged)


def first_batch(trainer):
    idx = trainer.batch_indices(0, 1)[0]
    return tf.gather(trainer.x_train, idx), tf.gather(trainer.y_train, idx)


def tape_gradients(trainer):
    """The oracle: loss and gradients of the untouched model on the first batch, by hand."""
    x, y = first_batch(trainer)
    model = trainer.model
    with tf.GradientTape() as tape:
        loss = loss_for(trainer.cfg.task)(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    by_layer = {}
    for layer in model.layers:
        ids = {id(w) for w in layer.trainable_weights}
        by_layer[layer.name] = [
            g for g, v in zip(grads, model.trainable_variables, strict=True) if id(v) in ids
        ]
    return float(loss), {k: v for k, v in by_layer.items() if v}


def norm(tensors):
    return math.sqrt(sum(float(tf.reduce_sum(tf.square(t))) for t in tensors))


def rows(result, name, step=0):
    return {
        r["layer"]: r["value"] for r in result.metrics if r["name"] == name and r["step"] == step
    }


def run(trainer, should_stop=lambda: False):
    return collect(trainer.cfg, trainer.events(should_stop))


@pytest.mark.parametrize(
    "model",
    [
        {"depth": 3, "width": 8, "activation": "tanh"},
        {"depth": 3, "width": 8, "activation": "prelu", "batch_norm": True, "residual": True},
        {"depth": 2, "width": 8, "activation": "relu", "l2": 0.01},
    ],
)
def test_recorded_gradient_norms_match_a_hand_written_tape(model):
    trainer = Trainer(config(model=model, optimizer={"name": "sgd"}))
    loss, grads = tape_gradients(trainer)
    result = run(trainer)
    recorded = rows(result, "grad_norm")
    assert set(recorded) == set(grads)  # every layer with weights, and only those
    for layer, layer_grads in grads.items():
        if not model.get("l2"):
            assert recorded[layer] == pytest.approx(norm(layer_grads), rel=1e-4, abs=1e-7)
    if not model.get("l2"):
        assert rows(result, "loss")[None] == pytest.approx(loss, rel=1e-5)
    else:  # with L2 the tape differentiates data loss + penalty; recorded loss is the data loss
        assert rows(result, "loss")[None] == pytest.approx(loss, rel=1e-5)
        assert rows(result, "reg_loss")[None] > 0


@pytest.mark.parametrize(
    "rule, threshold",
    [("clipnorm", 0.01), ("global_clipnorm", 0.02), ("clipvalue", 0.001)],
)
def test_clipped_norms_match_tensorflow_clipping(rule, threshold):
    cfg = config(model={"depth": 3, "width": 8}, optimizer={"name": "sgd", rule: threshold})
    trainer = Trainer(cfg)
    _, grads = tape_gradients(trainer)
    names = list(grads)
    flat = [g for n in names for g in grads[n]]
    if rule == "clipnorm":
        clipped = [tf.clip_by_norm(g, threshold) for g in flat]
    elif rule == "global_clipnorm":
        clipped, _ = tf.clip_by_global_norm(flat, threshold)
    else:
        clipped = [tf.clip_by_value(g, -threshold, threshold) for g in flat]
    result = run(trainer)
    recorded, pre = rows(result, "grad_norm_clipped"), rows(result, "grad_norm")
    i = 0
    for name in names:
        n = len(grads[name])
        assert recorded[name] == pytest.approx(norm(clipped[i : i + n]), rel=1e-4)
        i += n
        assert recorded[name] <= pre[name] + 1e-7  # clipping never grows a gradient
    if rule == "global_clipnorm":
        assert math.sqrt(sum(v**2 for v in recorded.values())) == pytest.approx(threshold, rel=1e-4)


@pytest.mark.parametrize("rule", ["clipnorm", "global_clipnorm", "clipvalue"])
def test_the_applied_update_is_what_keras_optimizer_clipping_applies(rule):
    cfg = config(
        model={"depth": 2, "width": 8},
        optimizer={"name": "momentum", "learning_rate": 0.5, rule: 0.005},
    )
    trainer = Trainer(cfg)
    before = [v.numpy() for v in trainer.model.trainable_variables]
    _, grads_by_layer = tape_gradients(trainer)
    result = run(trainer)
    assert result.steps == 1
    after = [v.numpy() for v in trainer.model.trainable_variables]

    # The oracle: Keras' optimizer configured with the same clipping, on a copy of the weights.
    o = cfg.optimizer
    opt = keras.optimizers.SGD(o.learning_rate, momentum=o.momentum, **{rule: 0.005})
    copies = [tf.Variable(w) for w in before]
    grads = [g for gs in grads_by_layer.values() for g in gs]
    order = {id(v): i for i, v in enumerate(trainer.model.trainable_variables)}
    layer_vars = [
        v for layer in trainer.model.layers for v in layer.trainable_weights if id(v) in order
    ]
    by_index = {order[id(v)]: g for v, g in zip(layer_vars, grads, strict=True)}
    opt.apply([by_index[i] for i in range(len(copies))], copies)
    for got, want in zip(after, copies, strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-7)
    # update_ratio is |dw| / |w| per layer
    ratios = rows(result, "update_ratio")
    for layer in trainer.model.layers:
        ids = [order[id(v)] for v in layer.trainable_weights]
        if ids:
            dw = math.sqrt(sum(float(np.sum((after[i] - before[i]) ** 2)) for i in ids))
            w = math.sqrt(sum(float(np.sum(before[i] ** 2)) for i in ids))
            assert ratios[layer.name] == pytest.approx(dw / w, rel=1e-3)


def test_dead_and_saturated_fractions_match_numpy():
    for activation, name in [
        ("relu", "dead_fraction"),
        ("tanh", "saturated_fraction"),
        ("sigmoid", "saturated_fraction"),
    ]:
        cfg = config(
            model={
                "depth": 3,
                "width": 16,
                "activation": activation,
                "initializer": "random_normal",
                "init_scale": 2.0,
            },
            optimizer={"name": "sgd"},
        )
        trainer = Trainer(cfg)
        x, _ = first_batch(trainer)
        acts = [trainer.model.get_layer(f"act_{i}").output for i in range(3)]
        values = keras.Model(trainer.model.inputs, acts)(x, training=True)
        values = [np.asarray(v) for v in values]
        result = run(trainer)
        recorded = rows(result, name)
        for i, a in enumerate(values):
            if activation == "relu":
                want = np.mean(np.all(a <= 0, axis=0))
            elif activation == "tanh":
                want = np.mean(np.abs(a) > TANH_TAIL)
            else:
                want = np.mean((a < SIGMOID_TAIL) | (a > 1 - SIGMOID_TAIL))
            assert recorded[f"dense_{i}"] == pytest.approx(want, abs=1e-6)
        assert any(v > 0 for v in recorded.values()), (
            "the init should make some units dead/saturated"
        )


@pytest.mark.parametrize("arch", ["simple_rnn", "lstm", "gru"])
def test_input_gradient_through_time_matches_a_tape(arch):
    cfg = config(
        data={"name": "adding", "seq_len": 12},
        model={"arch": arch, "depth": 2, "width": 8},
        optimizer={"name": "sgd"},
    )
    trainer = Trainer(cfg)
    x, y = first_batch(trainer)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = loss_for(cfg.task)(y, trainer.model(x, training=True))
    gx = tape.gradient(loss, x).numpy()
    want = np.sqrt(np.sum(gx**2, axis=(0, 2)))
    result = run(trainer)
    got = {
        r["t"]: r["value"]
        for r in result.metrics
        if r["name"] == "input_grad_norm" and r["step"] == 0
    }
    assert sorted(got) == list(range(12))
    np.testing.assert_allclose([got[t] for t in range(12)], want, rtol=1e-4, atol=1e-9)


def numpy_lstm(x, kernel, recurrent, bias):
    """An LSTM forward pass written from the equations (gate order i, f, c, o, as Keras
    stores them); returns the hidden states and the forget gates at every t."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    hs, fs = [], []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * units : (k + 1) * units] for k in range(4))
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        fs.append(f)
    return np.stack(hs, axis=1), np.stack(fs, axis=1)


def test_lstm_forget_gate_mean_matches_the_equations():
    """The recorded forget-gate mean of each LSTM layer, against a numpy LSTM run on the same
    weights (which also checks that the numpy LSTM reproduces Keras' outputs)."""
    cfg = config(
        data={"name": "adding", "seq_len": 10},
        model={"arch": "lstm", "depth": 2, "width": 6},
        optimizer={"name": "sgd"},
    )
    trainer = Trainer(cfg)
    x, _ = first_batch(trainer)
    seq = x.numpy().astype(np.float64)
    want = {}
    for i in range(2):
        layer = trainer.model.get_layer(f"lstm_{i}")
        kernel, recurrent, bias = (w.numpy().astype(np.float64) for w in layer.weights)
        hs, fs = numpy_lstm(seq, kernel, recurrent, bias)
        keras_hs = layer(tf.constant(seq, tf.float32)).numpy()
        np.testing.assert_allclose(hs, keras_hs, rtol=1e-4, atol=1e-5)
        want[layer.name] = fs.mean()
        seq = hs
    prediction = trainer.model(x).numpy()[:, 0]
    head = trainer.model.get_layer("output")
    w, b = (v.numpy() for v in head.weights)
    np.testing.assert_allclose(prediction, (seq[:, -1] @ w + b)[:, 0], rtol=1e-4, atol=1e-5)
    result = run(trainer)
    got0 = {
        r["layer"]: r["value"]
        for r in result.metrics
        if r["name"] == "forget_gate_mean" and r["step"] == 0
    }
    assert set(got0) == set(want)
    for name, value in want.items():
        assert got0[name] == pytest.approx(value, rel=1e-4)


def test_only_lstm_records_forget_gates():
    cfg = config(data={"name": "adding", "seq_len": 6}, model={"arch": "gru", "depth": 1})
    result = run(Trainer(cfg))
    assert not [r for r in result.metrics if r["name"] == "forget_gate_mean"]


def test_records_are_long_rows_with_depth_order():
    cfg = parse_config({"model": {"depth": 3, "batch_norm": True}})  # default: 20 epochs
    result = train(cfg)
    assert result.status == "completed" and result.steps == cfg.total_steps
    assert all(set(r) == {"step", "name", "layer", "depth", "t", "value"} for r in result.metrics)
    layers = [(row["layer"], row["depth"]) for row in result.layers]
    assert layers == [
        ("dense_0", 0),
        ("bn_0", 0),
        ("dense_1", 1),
        ("bn_1", 1),
        ("dense_2", 2),
        ("bn_2", 2),
        ("output", 3),
    ]
    steps = sorted({r["step"] for r in result.metrics})
    every = cfg.train.record_every
    assert steps == sorted(set(range(0, cfg.total_steps, every)) | {cfg.total_steps})
    names = {r["name"] for r in result.metrics}
    assert {
        "loss",
        "val_loss",
        "accuracy",
        "val_accuracy",
        "grad_norm",
        "grad_norm_clipped",
        "weight_norm",
        "update_ratio",
        "saturated_fraction",
    } <= names
    last = rows(result, "val_accuracy", cfg.total_steps)[None]
    assert last > 0.8, "the default tanh MLP learns the circle task"
    # the decision boundary: a 40x40 grid at a steady cadence and at the end
    assert [s["step"] for s in result.snapshots][-1] == cfg.total_steps
    assert len(result.snapshots) >= 2
    assert np.asarray(result.snapshots[-1]["values"]).shape == (40, 40)
    assert result.filters == []  # an MLP has no conv filters to draw


def test_same_config_and_seed_give_the_same_records():
    cfg = parse_config({"model": {"dropout": 0.2}, "train": {"epochs": 2}})
    a, b = train(cfg), train(cfg)
    assert a.metrics == b.metrics and a.snapshots == b.snapshots
    c = train(cfg.model_copy(update={"train": cfg.train.model_copy(update={"seed": 1})}))
    assert c.metrics != a.metrics


def test_divergence_is_an_outcome_with_the_step_and_finite_records():
    cfg = parse_config(
        {
            "data": {"name": "plane"},
            "model": {
                "depth": 6,
                "width": 32,
                "activation": "relu",
                "initializer": "random_normal",
                "init_scale": 1.0,
            },
            "optimizer": {"name": "sgd", "learning_rate": 1.0},
            "train": {"epochs": 3},
        }
    )
    result = train(cfg)
    assert result.status == "diverged"
    assert isinstance(result.diverged_at, int) and 0 <= result.diverged_at < cfg.total_steps
    assert result.reason.code in ("job.loss_not_finite", "job.gradient_not_finite")
    assert say(result.reason).startswith(("loss became", "the gradient"))
    assert max(r["step"] for r in result.metrics) == result.diverged_at
    text = json.dumps(result.to_json_dict(), allow_nan=False)  # NaN/Inf never reach JSON
    assert '"status": "diverged"' in text


def test_a_run_that_diverges_epochs_into_one_call_is_measured_where_it_diverged():
    """One compiled call spans many epochs here (2 steps an epoch, a record every 40 steps);
    the step where it diverges is measured again afterwards, from that epoch's batches."""
    cfg = parse_config(
        {
            "data": {"name": "plane", "n_samples": 100},
            "model": {"depth": 4, "width": 16, "activation": "relu"},
            "optimizer": {"name": "sgd", "learning_rate": 5.0},
            "train": {"epochs": 40, "record_every": 40},
        }
    )
    assert cfg.steps_per_epoch == 2
    result = train(cfg)
    assert result.status == "diverged"
    assert result.diverged_at % cfg.train.record_every != 0  # on a plain step, inside a call
    assert result.diverged_at >= 2 * cfg.steps_per_epoch  # epochs after the call's first
    assert max(r["step"] for r in result.metrics) == result.diverged_at


def test_stop_ends_the_run_as_stopped_with_records_kept():
    trainer = Trainer(parse_config({"train": {"epochs": 50}}))
    seen = []

    def should_stop():
        return len(seen) >= 2  # the eager step-0 record, then one trained call

    events = []
    for event in trainer.events(should_stop):
        events.append(event)
        if event["type"] == "records":
            seen.append(event)
    end = events[-1]
    assert end["type"] == "end" and end["status"] == "stopped"
    assert (
        end["reason"].code == "job.stopped_by_user" and say(end["reason"]) == "stopped by the user"
    )
    assert 0 < end["step"] < trainer.cfg.total_steps
    assert any(e["type"] == "records" for e in events)


def test_the_optimizer_in_the_trainer_is_unclipped_so_clipping_happens_once():
    cfg = config(optimizer={"clipnorm": 1.0})
    opt = make_optimizer(cfg)
    assert opt.clipnorm is None and opt.global_clipnorm is None and opt.clipvalue is None


def test_the_trained_model_is_sent_as_a_keras_file_that_loads_and_predicts_the_same(tmp_path):
    cfg = config(model={"depth": 2, "width": 5, "batch_norm": True}, train={"epochs": 1})
    trainer = Trainer(cfg)
    events = list(trainer.events(keep_model=True))
    [model_event] = [e for e in events if e["type"] == "model"]
    path = tmp_path / "m.keras"
    path.write_bytes(model_event["keras"])
    loaded = keras.saving.load_model(path)
    x = trainer.x_train[:16]
    np.testing.assert_allclose(loaded(x).numpy(), trainer.model(x).numpy(), rtol=1e-5, atol=1e-6)
    assert events[-1]["type"] == "end"  # the model comes before the end


def test_a_recurrent_model_also_loads_from_its_keras_file(tmp_path):
    cfg = config(
        data={"name": "adding", "seq_len": 6},
        model={"arch": "lstm", "depth": 2, "width": 3},
        train={"epochs": 1},
    )
    trainer = Trainer(cfg)
    [model_event] = [e for e in trainer.events(keep_model=True) if e["type"] == "model"]
    path = tmp_path / "m.keras"
    path.write_bytes(model_event["keras"])
    x = trainer.x_train[:8]
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(x).numpy(), trainer.model(x).numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# The CNN arch on the shapes images

SHAPES = {"name": "shapes", "n_samples": 80, "test_fraction": 0.2}


def cnn_config(optimizer=None, train=None, **model):
    return config(
        data=SHAPES, model={"arch": "cnn", **model}, optimizer=optimizer or {}, train=train or {}
    )


@pytest.mark.parametrize(
    "model",
    [
        {"depth": 2, "width": 4, "activation": "relu"},
        {
            "depth": 3,
            "width": 4,
            "kernel_size": 2,
            "activation": "prelu",
            "batch_norm": True,
            "residual": True,
            "pooling": "mean",
        },
        {"depth": 1, "width": 3, "kernel_size": 5, "activation": "tanh", "l2": 0.01},
    ],
)
def test_cnn_gradient_norms_per_conv_layer_match_a_hand_written_tape(model):
    trainer = Trainer(cnn_config(optimizer={"name": "sgd"}, **model))
    x, y = first_batch(trainer)
    keras_model = trainer.model
    # The oracle: forward -> data loss + penalties -> tape, grouped by layer object by hand.
    with tf.GradientTape() as tape:
        data_loss = loss_for(trainer.cfg.task)(y, keras_model(x, training=True))
        total = data_loss + sum(keras_model.losses)
    grads = tape.gradient(total, keras_model.trainable_variables)
    want = {}
    for layer in keras_model.layers:
        ids = {id(w) for w in layer.trainable_weights}
        mine = [
            g for g, v in zip(grads, keras_model.trainable_variables, strict=True) if id(v) in ids
        ]
        if mine:
            want[layer.name] = norm(mine)
    result = run(trainer)
    recorded = rows(result, "grad_norm")
    convs = {f"conv_{i}" for i in range(model["depth"])}
    assert convs <= set(recorded) and set(recorded) == set(want)
    for layer, value in want.items():
        assert recorded[layer] == pytest.approx(value, rel=1e-4, abs=1e-7), layer
    assert rows(result, "loss")[None] == pytest.approx(float(data_loss), rel=1e-5)
    depth = {row["layer"]: row["depth"] for row in result.layers}
    assert [depth[c] for c in sorted(convs)] == list(range(model["depth"]))
    assert depth["output"] == model["depth"]
    assert {"accuracy", "val_accuracy", "weight_norm", "grad_norm_clipped"} <= {
        r["name"] for r in result.metrics
    }


def test_cnn_dead_filters_match_numpy():
    """A conv layer's unit is a filter: dead when inactive at every pixel of every sample.
    Filter 0 of conv_1 is made dead by hand (its input is ReLU output, so >= 0); filter 1 is
    made inactive at about half its pixels, so a per-pixel count would differ."""
    trainer = Trainer(cnn_config(depth=2, width=6, activation="relu"))
    x, _ = first_batch(trainer)
    conv = trainer.model.get_layer("conv_1")
    kernel, bias = conv.kernel.numpy(), conv.bias.numpy()
    kernel[..., :2] = -np.abs(kernel[..., :2])
    conv.kernel.assign(kernel)
    below = keras.Model(trainer.model.inputs, conv.output)(x, training=True).numpy()[..., 1]
    bias[0], bias[1] = -1.0, -np.median(below)  # filter 1: positive at half of its pixels
    conv.bias.assign(bias)
    acts = [trainer.model.get_layer(f"act_{i}").output for i in range(2)]
    values = [np.asarray(v) for v in keras.Model(trainer.model.inputs, acts)(x, training=True)]
    assert 0.3 < np.mean(values[1][..., 1] <= 0) < 0.7
    result = run(trainer)
    recorded = rows(result, "dead_fraction")
    for i, a in enumerate(values):
        want = np.mean(np.all(a <= 0, axis=(0, 1, 2)))
        assert recorded[f"conv_{i}"] == pytest.approx(want, abs=1e-6)
    assert recorded["conv_1"] == pytest.approx(1 / 6)  # filter 0 only


@pytest.mark.parametrize("call_seconds", [1e-9, 1e9])
def test_pictures_fall_on_the_same_steps_however_fast_the_calls_run(monkeypatch, call_seconds):
    """Calls are sized by how long they take; the pictures' steps must not be: the dashboard's
    record (a busy worker) and the CLI's are the same record."""
    cfg = parse_config(
        {"data": {"n_samples": 200}, "model": {"depth": 2, "width": 4},
         "train": {"epochs": 4, "record_every": 2, "snapshot_every": 5}}
    )  # fmt: skip
    # 160 training samples / 32 = 5 steps an epoch, 20 in all; pictures every 5 steps, each
    # rounded up to a recorded (even) step: 0, 6, 12 (6 + 5 = 11 -> 12), 18, and the end, 20.
    assert cfg.total_steps == 20
    monkeypatch.setattr(trainer_module, "CALL_SECONDS", call_seconds)
    result = train(cfg)
    assert [s["step"] for s in result.snapshots] == [0, 6, 12, 18, 20]
    assert [r["step"] for r in result.metrics if r["name"] == "loss"] == list(range(0, 21, 2))


def test_cnn_filters_are_recorded_at_the_start_and_the_end(tmp_path):
    cfg = cnn_config(
        depth=2,
        width=5,
        kernel_size=4,
        activation="prelu",
        dropout=0.2,
        pooling="mean",
        train={"epochs": 6, "record_every": 1, "snapshot_every": 2},
    )
    trainer = Trainer(cfg)
    initial = trainer.model.get_layer("conv_0").kernel.numpy()  # (4, 4, 1, 5)
    events = list(trainer.events(keep_model=True))
    filters = [e for e in events if e["type"] == "filters"]
    assert [e["type"] for e in events[:3]] == ["start", "records", "filters"]  # the initial ones
    steps = [e["step"] for e in filters]
    assert steps[0] == 0 and steps[-1] == cfg.total_steps == 6 and steps == sorted(set(steps))
    assert len(steps) >= 3  # and every snapshot_every steps between
    trained = trainer.model.get_layer("conv_0").kernel.numpy()
    for event, kernel in ((filters[0], initial), (filters[-1], trained)):
        assert event["layer"] == "conv_0"
        got = np.array(event["kernels"])
        assert got.shape == (5, 4, 4)  # one 4x4 image per filter
        for f in range(5):
            np.testing.assert_allclose(got[f], kernel[:, :, 0, f], atol=1e-6)
    assert not np.allclose(filters[0]["kernels"], filters[-1]["kernels"])  # training moved them
    # ... folded into the run record, as plain JSON
    result = collect(cfg, iter(events))
    assert result.filters == [{k: v for k, v in e.items() if k != "type"} for e in filters]
    record = json.loads(json.dumps(result.to_json_dict(), allow_nan=False))
    assert record["filters"][-1]["step"] == 6 and record["snapshots"] == []
    assert all(isinstance(v, float) for row in record["filters"][0]["kernels"][0] for v in row)
    # the trained model's .keras file (a channel-wise PReLU) loads and predicts the same
    [model_event] = [e for e in events if e["type"] == "model"]
    path = tmp_path / "cnn.keras"
    path.write_bytes(model_event["keras"])
    x = trainer.x_train[:8]
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(x).numpy(), trainer.model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_cnn_divergence_is_an_outcome_with_finite_filters():
    """One training image holds an infinite pixel: the step whose batch draws it ends the run as
    diverged, its update is not applied, and the filters recorded there are the finite weights."""
    cfg = cnn_config(depth=2, width=4, train={"epochs": 3, "batch_size": 16, "record_every": 1})
    data = make_dataset(cfg.data)
    data.x_train[37, 5, 5, 0] = np.inf
    trainer = Trainer(cfg, dataset=data)
    first_epoch = trainer.batch_indices(0, cfg.steps_per_epoch)  # draws every sample once
    poisoned = next(step for step, idx in enumerate(first_epoch) if 37 in idx)
    result = run(trainer)
    assert result.status == "diverged" and result.diverged_at == poisoned
    assert say(result.reason).startswith(("loss became", "the gradient became non-finite"))
    assert result.filters[-1]["step"] == poisoned
    kernel = trainer.model.get_layer("conv_0").kernel.numpy()[:, :, 0, :]
    np.testing.assert_allclose(result.filters[-1]["kernels"], np.moveaxis(kernel, -1, 0), atol=1e-6)
    assert np.isfinite(kernel).all()
    json.dumps(result.to_json_dict(), allow_nan=False)
