"""The standalone Keras script: run it and compare the model with the one the lab builds."""

import ast
import subprocess
import sys

import numpy as np
import pytest

from models.builders import build_model
from models.export import keras_script
from models.fields import parse_config

CONFIGS = {
    "mlp_default": {},
    "mlp_everything": {
        "model": {
            "depth": 5,
            "width": 12,
            "activation": "leaky_relu",
            "leaky_k": 0.1,
            "batch_norm": True,
            "dropout": 0.2,
            "residual": True,
            "initializer": "he_normal",
            "l1": 0.001,
            "l2": 0.01,
        },
        "optimizer": {"name": "momentum", "clipnorm": 1.5},
    },
    "mlp_prelu_random_normal": {
        "data": {"name": "plane"},
        "model": {"activation": "prelu", "initializer": "random_normal", "init_scale": 0.3},
        "optimizer": {"name": "rmsprop", "global_clipnorm": 2.0},
    },
    "lstm_stack": {
        "data": {"name": "adding", "seq_len": 15},
        "model": {"arch": "lstm", "depth": 2, "width": 6},
    },
    "gru_recall": {
        "data": {"name": "recall", "seq_len": 9},
        "model": {"arch": "gru", "depth": 1, "width": 5, "activation": "relu"},
        "optimizer": {"name": "sgd", "clipvalue": 0.5},
    },
    "cnn_max": {
        "data": {"name": "shapes"},
        "model": {"arch": "cnn", "depth": 2, "width": 6, "activation": "relu"},
    },
    "cnn_everything": {
        "data": {"name": "shapes"},
        "model": {
            "arch": "cnn",
            "depth": 3,
            "width": 4,
            "kernel_size": 4,
            "pooling": "mean",
            "activation": "prelu",
            "batch_norm": True,
            "dropout": 0.1,
            "residual": True,
            "initializer": "random_normal",
            "init_scale": 0.2,
            "l2": 0.001,
        },
        "optimizer": {"name": "sgd", "global_clipnorm": 1.0},
    },
    "simple_rnn_leaky": {
        "data": {"name": "adding", "seq_len": 7},
        "model": {"arch": "simple_rnn", "depth": 2, "width": 4, "activation": "leaky_relu"},
    },
}

PROBE = """
import numpy as np
exec(open({path!r}).read())
import json
print(json.dumps({{
    "params": model.count_params(),
    "layers": [[l.name, type(l).__name__] for l in model.layers],
    "weights": [[w.path, w.numpy().ravel()[:5].tolist()] for w in model.weights],
    "optimizer": type(model.optimizer).__name__,
    "clip": [model.optimizer.clipnorm, model.optimizer.global_clipnorm,
             model.optimizer.clipvalue],
}}))
"""


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_script_builds_the_same_model(name, tmp_path):
    import json

    cfg = parse_config(CONFIGS[name])
    script = tmp_path / "model.py"
    script.write_text(keras_script(cfg))
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE.format(path=str(script)))
    out = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    model = build_model(cfg)
    assert got["params"] == model.count_params() == cfg.param_count
    assert got["layers"] == [[layer.name, type(layer).__name__] for layer in model.layers]
    for (path, a), b in zip(got["weights"], model.weights, strict=True):
        assert path == b.path
        np.testing.assert_allclose(a, b.numpy().ravel()[:5], rtol=1e-6, err_msg=path)
    clip = cfg.optimizer
    assert got["clip"] == [clip.clipnorm, clip.global_clipnorm, clip.clipvalue]
    assert (
        got["optimizer"]
        == {"sgd": "SGD", "momentum": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}[
            cfg.optimizer.name
        ]
    )


def test_the_script_imports_nothing_of_this_project():
    text = keras_script(parse_config({}))
    imported = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert "keras" in imported
    assert imported <= {"keras", "numpy", "json", "math", "sys", "os", "argparse"}, imported
