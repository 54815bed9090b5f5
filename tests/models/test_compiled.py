"""The traced step and the warm worker's cache (models/compiled.py).

A re-used network must give exactly the records of a fresh build; the compiled paths (a plain
graph and XLA) must record what the eager step records, which test_trainer.py checks
against hand-written tapes, numpy and Keras' own optimizer."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.compiled import MomentumSGD, clear_compiled, compiled_for, uses_xla
from models.config import graph_key
from models.fields import parse_config, with_changes
from models.record import collect
from models.trainer import Trainer, train

SMALL = {"data": {"n_samples": 200}, "train": {"epochs": 2, "record_every": 3}}

# Architectures with every kind of state a reset must restore: BN statistics, dropout seeds,
# PReLU slopes, momentum slots, LSTM forget biases and recurrent kernels, conv kernels.
CASES = {
    "mlp": {
        "model": {"depth": 3, "width": 8, "activation": "prelu", "batch_norm": True,
                  "dropout": 0.2, "residual": True},
        "optimizer": {"name": "momentum", "clipnorm": 0.5},
    },
    "lstm": {
        "data": {"name": "adding", "seq_len": 8},
        "model": {"arch": "lstm", "depth": 2, "width": 6},
        "optimizer": {"name": "adam", "global_clipnorm": 1.0},
    },
    "cnn": {
        "data": {"name": "shapes"},
        "model": {"arch": "cnn", "depth": 2, "width": 4, "activation": "relu"},
        "optimizer": {"name": "rmsprop"},
    },
}  # fmt: skip


def case(name: str, **changes) -> object:
    merged = {**SMALL, **CASES[name]}
    merged = {k: dict(v) for k, v in merged.items()}
    merged["train"] = {**SMALL["train"], **CASES[name].get("train", {})}
    return with_changes(parse_config(merged), changes)


# A second click: everything that keeps the graph's shapes changes.
RERUN = {
    "train.seed": 7,
    "data.seed": 3,
    "data.noise": 0.3,
    "train.epochs": 3,
    "optimizer.learning_rate": 0.003,
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_reused_network_gives_exactly_the_records_of_a_fresh_build(name):
    first = case(name)
    second = case(name, **RERUN)
    if name == "mlp":
        second = with_changes(second, {"optimizer.momentum": 0.5, "optimizer.clipnorm": 0.1})
    assert graph_key(first) == graph_key(second)
    clear_compiled()
    train(first)  # the worker's first click: builds and traces
    warm = Trainer(second)
    assert warm.reused
    traces = warm.compiled.chunk.experimental_get_tracing_count()
    reused = collect(warm.cfg, warm.events())
    assert warm.compiled.chunk.experimental_get_tracing_count() == traces  # no new trace
    clear_compiled()
    fresh = Trainer(second)
    assert not fresh.reused
    built = collect(fresh.cfg, fresh.events())
    assert reused.metrics == built.metrics
    assert reused.snapshots == built.snapshots and reused.filters == built.filters
    assert reused.status == built.status == "completed"


def test_a_change_of_shape_or_structure_builds_a_new_network():
    clear_compiled()
    base = case("mlp")
    a, reused = compiled_for(base)
    assert not reused
    for change in [
        {"model.depth": 4},
        {"model.width": 9},
        {"model.activation": "relu"},
        {"optimizer.name": "adam"},
        {"train.batch_size": 16},
        {"optimizer.clipnorm": None, "optimizer.clipvalue": 0.5},
    ]:
        cfg = with_changes(base, change)
        assert graph_key(cfg) != graph_key(base)
        b, reused = compiled_for(cfg)
        assert not reused and b is not a
    # the cache is bounded: the first network has been dropped by now
    _, reused = compiled_for(base)
    assert not reused


def test_momentum_sgd_updates_like_keras_sgd_with_momentum():
    """The momentum held in a variable (so a new value needs no new graph) updates exactly as
    Keras' SGD(momentum=...) does, over several steps."""
    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 4)).astype(np.float32)
    ours_w, keras_w = tf.Variable(start), tf.Variable(start)
    ours, theirs = MomentumSGD(0.1, 0.8), keras.optimizers.SGD(0.1, momentum=0.8)
    for _ in range(4):
        g = tf.constant(rng.normal(size=(3, 4)).astype(np.float32))
        ours.apply([g], [ours_w])
        theirs.apply([g], [keras_w])
    np.testing.assert_allclose(ours_w.numpy(), keras_w.numpy(), rtol=1e-6)
    assert not np.allclose(ours_w.numpy(), start)


# A CNN never runs on XLA (uses_xla: slower than oneDNN's convolutions on a CPU).
PATHS = [(name, jit) for name in CASES for jit in ("0", "1") if (name, jit) != ("cnn", "1")]


@pytest.mark.parametrize("name, jit", PATHS)
def test_each_compiled_path_records_what_the_eager_step_records(monkeypatch, name, jit):
    """Step 0 measured by the traced function (graph or XLA) equals the eager measurement, which
    test_trainer.py checks against hand-written tapes: so the oracles hold on every path."""
    monkeypatch.setenv("GRADIENT_LAB_JIT", jit)
    clear_compiled()
    trainer = Trainer(case(name, **{"model.dropout": 0.0}))  # the same forward pass twice
    assert trainer.compiled.xla == (jit == "1")
    # A measurement trains nothing, but its forward pass (training=True) moves batch-norm's
    # moving statistics: measure both from the same state.
    state = [(v, v.numpy()) for v in trainer.model.non_trainable_variables]
    eager = trainer._measure_eager(0)
    for v, value in state:
        v.assign(value)
    traced, _ = trainer._measure(0)
    assert [(r["name"], r["layer"], r["t"]) for r in eager] == [
        (r["name"], r["layer"], r["t"]) for r in traced
    ]
    np.testing.assert_allclose(
        [r["value"] for r in traced], [r["value"] for r in eager], rtol=2e-4, atol=1e-6
    )
    clear_compiled()


def test_the_execution_follows_from_the_config_alone():
    lstm_long = parse_config(
        {"data": {"name": "adding", "seq_len": 50, "n_samples": 10000},
         "model": {"arch": "lstm", "depth": 1, "width": 32}, "train": {"epochs": 12}}
    )  # fmt: skip
    assert uses_xla(lstm_long)  # 3,000 steps x 50 time steps: compiling pays
    assert not uses_xla(with_changes(lstm_long, {"train.epochs": 1}))  # 250 steps: it does not
    assert not uses_xla(parse_config({}))  # the default MLP: 500 steps
    cnn = parse_config({"data": {"name": "shapes"}, "model": {"arch": "cnn", "depth": 2}})
    assert not uses_xla(with_changes(cnn, {"train.epochs": 2000}))  # never a CNN
