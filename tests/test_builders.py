"""Config -> Keras model: layer order, placement, and closed-form parameter counts vs Keras."""

import random

import keras
import pytest

from models.builders import build_network, layer_summary
from models.config import ConfigError, count_params, parse_config, recurrent_params


def test_mlp_block_order_bn_between_dense_and_activation():
    cfg = parse_config(
        {
            "model": {
                "depth": 2,
                "batch_norm": True,
                "dropout": 0.1,
                "residual": True,
                "activation": "leaky_relu",
                "leaky_k": 0.3,
            }
        }
    )
    model = build_network(cfg).model
    names = [layer.name for layer in model.layers]
    assert names == [
        "x",
        "dense_0",
        "bn_0",
        "act_0",
        "dropout_0",
        "dense_1",
        "bn_1",
        "act_1",
        "dropout_1",
        "add_1",
        "output",
    ]
    act = model.get_layer("act_0")
    assert isinstance(act, keras.layers.LeakyReLU) and act.negative_slope == pytest.approx(0.3)
    assert isinstance(model.get_layer("bn_0"), keras.layers.BatchNormalization)
    assert model.get_layer("output").activation.__name__ == "sigmoid"


def test_prelu_is_a_real_layer_and_heads_follow_the_task():
    cfg = parse_config({"model": {"activation": "prelu"}, "data": {"name": "plane"}})
    model = build_network(cfg).model
    assert isinstance(model.get_layer("act_0"), keras.layers.PReLU)
    assert model.get_layer("output").activation.__name__ == "linear"
    recall = parse_config({"data": {"name": "recall"}, "model": {"arch": "lstm"}})
    head = build_network(recall).model.get_layer("output")
    assert head.activation.__name__ == "softmax" and head.units == 4


def test_initializer_and_scale_are_applied():
    cfg = parse_config({"model": {"initializer": "random_normal", "init_scale": 3.0, "width": 256}})
    kernel = build_network(cfg).model.get_layer("dense_1").kernel.numpy()
    assert kernel.std() == pytest.approx(3.0, rel=0.05)


def _random_config(rng: random.Random):
    arch = rng.choice(["mlp", "simple_rnn", "lstm", "gru"])
    data = rng.choice(["circle", "plane"]) if arch == "mlp" else rng.choice(["adding", "recall"])
    model = {"arch": arch, "depth": rng.randint(1, 4), "width": rng.randint(1, 40)}
    if arch == "mlp":
        model |= {
            "batch_norm": rng.random() < 0.5,
            "residual": rng.random() < 0.5,
            "activation": rng.choice(["relu", "prelu", "tanh"]),
        }
    return parse_config({"data": {"name": data, "seq_len": rng.randint(2, 20)}, "model": model})


def test_closed_form_parameter_counts_equal_keras_count_params():
    rng = random.Random(7)
    for _ in range(40):
        cfg = _random_config(rng)
        model = build_network(cfg).model
        assert count_params(cfg) == model.count_params(), cfg.model


@pytest.mark.parametrize(
    "arch, layer",
    [
        ("simple_rnn", keras.layers.SimpleRNN),
        ("lstm", keras.layers.LSTM),
        ("gru", keras.layers.GRU),
    ],
)
def test_recurrent_formulas_over_random_shapes(arch, layer):
    rng = random.Random(arch)
    for _ in range(15):
        units, features = rng.randint(1, 64), rng.randint(1, 64)
        built = layer(units)
        built.build((None, 5, features))
        assert recurrent_params(arch, units, features) == built.count_params()


def test_summary_reports_keras_counts():
    summary = layer_summary(parse_config({}))
    assert summary["total_params"] == sum(layer["params"] for layer in summary["layers"])
    assert summary["total_params"] == count_params(parse_config({}))


def test_budget_is_checked_before_building():
    with pytest.raises(ConfigError, match="parameters"):
        parse_config({"model": {"depth": 64, "width": 512}})
