"""Config -> Keras model: layer order, placement, and closed-form parameter counts vs Keras."""

import random

import keras
import pytest

from models.builders import build_network, layer_summary
from models.config import MAX_PARAMS, ConfigError, conv_sizes, count_params, recurrent_params
from models.fields import parse_config
from tests.support.csv_files import csv_config, table


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
    arch = rng.choice(["mlp", "simple_rnn", "lstm", "gru", "cnn"])
    data = {"mlp": rng.choice(["circle", "plane"]), "cnn": "shapes"}.get(
        arch, rng.choice(["adding", "recall"])
    )
    model = {"arch": arch, "depth": rng.randint(1, 4), "width": rng.randint(1, 40)}
    if arch in ("mlp", "cnn"):
        model |= {
            "batch_norm": rng.random() < 0.5,
            "residual": rng.random() < 0.5,
            "activation": rng.choice(["relu", "prelu", "tanh"]),
        }
    if arch == "cnn":  # any kernel that fits the last conv layer's map
        largest = min(7, conv_sizes(16, model["depth"])[-1])
        model |= {"kernel_size": rng.randint(2, largest), "pooling": rng.choice(["max", "mean"])}
    return parse_config({"data": {"name": data, "seq_len": rng.randint(2, 20)}, "model": model})


def test_closed_form_parameter_counts_equal_keras_count_params():
    rng = random.Random(7)
    archs = set()
    for _ in range(50):
        cfg = _random_config(rng)
        model = build_network(cfg).model
        assert count_params(cfg) == model.count_params(), cfg.model
        archs.add(cfg.model.arch)
    assert archs == {"mlp", "simple_rnn", "lstm", "gru", "cnn"}


def test_cnn_formula_term_by_term():
    """k·k·c_in·f + f per conv layer, 4f per batch norm, f per PReLU (one slope per filter),
    then the head on the flattened last map: (16 / 2^depth)^2 · f · 3 + 3."""
    cfg = parse_config(
        {
            "data": {"name": "shapes"},
            "model": {
                "arch": "cnn",
                "depth": 2,
                "width": 6,
                "kernel_size": 5,
                "batch_norm": True,
                "activation": "prelu",
            },
        }
    )
    conv = (5 * 5 * 1 * 6 + 6) + (5 * 5 * 6 * 6 + 6)
    want = conv + 2 * 4 * 6 + 2 * 6 + (4 * 4 * 6) * 3 + 3
    model = build_network(cfg).model
    assert count_params(cfg) == want == model.count_params()
    assert model.get_layer("act_0").count_params() == 6


def test_cnn_block_order_and_layers():
    cfg = parse_config(
        {
            "data": {"name": "shapes"},
            "model": {
                "arch": "cnn",
                "depth": 2,
                "width": 5,
                "kernel_size": 4,
                "batch_norm": True,
                "dropout": 0.1,
                "residual": True,
                "activation": "leaky_relu",
                "leaky_k": 0.3,
                "pooling": "mean",
            },
        }
    )
    net = build_network(cfg)
    model = net.model
    kinds = [(layer.name, type(layer).__name__) for layer in model.layers]
    assert kinds == [
        ("x", "InputLayer"),
        ("conv_0", "Conv2D"),
        ("bn_0", "BatchNormalization"),
        ("act_0", "LeakyReLU"),
        ("dropout_0", "Dropout"),
        ("pool_0", "AveragePooling2D"),
        ("conv_1", "Conv2D"),
        ("bn_1", "BatchNormalization"),
        ("act_1", "LeakyReLU"),
        ("dropout_1", "Dropout"),
        ("add_1", "Add"),
        ("pool_1", "AveragePooling2D"),
        ("flatten", "Flatten"),
        ("output", "Dense"),
    ]
    conv = model.get_layer("conv_1")
    assert conv.kernel.shape == (4, 4, 5, 5) and conv.filters == 5 and conv.padding == "same"
    assert model.get_layer("act_0").negative_slope == pytest.approx(0.3)
    assert model.get_layer("pool_0").pool_size == (2, 2)
    assert model.get_layer("output").activation.__name__ == "softmax"
    assert model.output.shape == (None, 3)
    assert [(i.name, i.depth) for i in net.activations] == [("conv_0", 0), ("conv_1", 1)]
    weights = [(i.name, i.depth, i.kind) for i in net.weight_layers]
    assert weights == [
        ("conv_0", 0, "Conv2D"),
        ("bn_0", 0, "BatchNormalization"),
        ("conv_1", 1, "Conv2D"),
        ("bn_1", 1, "BatchNormalization"),
        ("output", 2, "Dense"),
    ]
    max_pool = parse_config({"data": {"name": "shapes"}, "model": {"arch": "cnn", "depth": 1}})
    assert isinstance(build_network(max_pool).model.get_layer("pool_0"), keras.layers.MaxPooling2D)


def test_cnn_weights_follow_the_seed():
    def first_kernel(seed):
        cfg = parse_config(
            {
                "data": {"name": "shapes"},
                "model": {"arch": "cnn", "depth": 2},
                "train": {"seed": seed},
            }
        )
        return build_network(cfg).model.get_layer("conv_0").kernel.numpy()

    a, again, other = first_kernel(3), first_kernel(3), first_kernel(4)
    assert a.tobytes() == again.tobytes() and not (a == other).all()


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
    with pytest.raises(ConfigError) as info:
        parse_config({"model": {"depth": 64, "width": 512}})
    assert info.value.problem.code == "config.params_over_budget"
    assert info.value.problem.values["params"] > MAX_PARAMS


def test_the_parameter_count_follows_the_table_width():
    import keras

    from models.builders import build_model

    cfg = csv_config(table(features=5), model={"depth": 2, "width": 8})
    assert cfg.param_count == build_model(cfg).count_params()  # the oracle: Keras' own count
    keras.backend.clear_session()
