"""What the chart tests draw: long frames shaped like the trainer's records (an MLP's, with a
dead first layer; recurrent runs', with the gradient through time), a sweep's table, a decision
boundary's grid and points, and the labels every chart gets (each key it reads recorded)."""

from collections.abc import Mapping

import numpy as np
import pandas as pd

from charts import style

LAYERS = [("dense_0", 0), ("dense_1", 1), ("dense_2", 2), ("output", 3)]


DEAD = "dense_0"  # its gradient norm is exactly 0 at every step


def grad_norm(depth: int, step: int) -> float:
    return 0.0 if depth == 0 else 10.0 ** (depth - 3) * (1 + step / 100)


def make_metrics(runs=("A",), steps=50, every=10, accuracy=True, activation="relu") -> pd.DataFrame:
    """A trainer-shaped long frame: run-level, per-layer and per-activation rows."""
    fraction = "dead_fraction" if activation == "relu" else "saturated_fraction"
    rows = []
    for k, run in enumerate(runs):
        for s in range(0, steps * every, every):
            rows += [
                (run, s, "loss", None, None, 1 / (1 + s) + k),
                (run, s, "val_loss", None, None, 2),
            ]
            if accuracy:
                rows += [
                    (run, s, "accuracy", None, None, 0.5),
                    (run, s, "val_accuracy", None, None, 0.4),
                ]
            for layer, depth in LAYERS:
                g = grad_norm(depth, s)
                rows += [
                    (run, s, "grad_norm", layer, depth, g),
                    (run, s, "grad_norm_clipped", layer, depth, min(g, 0.05)),
                    (run, s, "weight_norm", layer, depth, 1.0),
                ]
            for depth in range(len(LAYERS) - 1):
                rows.append((run, s, fraction, f"act_{depth}", depth, depth / 10 + s / 10_000))
    frame = pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "value"])
    return frame.assign(t=None)


SEQ_LEN = 12


def input_grad(t: int, step: int, run_index: int) -> float:
    """A gradient through time that decays toward early t, less as training goes on; run 0
    vanishes completely at t = 0 (a value of exactly 0 must still reach a log scale)."""
    if run_index == 0 and t == 0:
        return 0.0
    return 10.0 ** (-(SEQ_LEN - 1 - t) / (1 + step / 50 + run_index))


def make_sequence_metrics(runs=("A",), steps=20, every=10) -> pd.DataFrame:
    """Records of recurrent runs: loss, ‖∂loss/∂x_t‖ per t, forget-gate means of two layers."""
    rows = []
    for k, run in enumerate(runs):
        for s in range(0, steps * every, every):
            rows += [(run, s, "loss", None, None, None, 0.3 / (1 + s / 100) + k / 100)]
            rows += [(run, s, "val_loss", None, None, None, 0.32 / (1 + s / 100))]
            rows += [(run, s, "grad_norm", "lstm_0", 0, None, 0.1)]
            for t in range(SEQ_LEN):
                rows += [(run, s, "input_grad_norm", None, None, t, input_grad(t, s, k))]
            for depth in (0, 1):
                value = 0.5 + 0.4 * s / (steps * every)
                rows += [(run, s, "forget_gate_mean", f"lstm_{depth}", depth, None, value)]
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "t", "value"])


SWEPT = ["model.activation", "model.depth"]


SWEPT_TITLES = {f: f"L:{f}" for f in SWEPT}


SWEEP = pd.DataFrame(
    {
        "model.activation": ["relu", "relu", "tanh", "tanh"],
        "model.depth": [2, 8, 2, 8],
        "val_loss": [0.2, 0.5, 0.1, None],  # a cell whose runs all diverged has no value
        "val_loss_sd": [0.01, 0.0, 0.02, 0.0],
        "grad_first": [1e-3, 0.0, 0.5, 2.0],
        "grad_first_sd": [0.0, 0.0, 0.1, 0.0],
    }
)


def make_grid(runs=("A",), n=10) -> pd.DataFrame:
    xs = np.linspace(-1.0, 1.0, n)
    rows = [(r, a, b, 1 / (1 + np.exp(-3 * (a + b)))) for r in runs for a in xs for b in xs]
    return pd.DataFrame(rows, columns=["run", "x0", "x1", "value"])


POINTS = pd.DataFrame(
    {
        "x0": [0.1, -0.5, 0.3, 0.7],
        "x1": [0.2, 0.4, -0.9, 0.0],
        "label": [1.0, 0.0, 1.0, 0.0],
        "split": ["train", "train", "test", "test"],
    }
)


class StrictLabels(Mapping):
    """The labels every chart gets: records each key asked for; unknown keys raise."""

    def __init__(self):
        self.table = {k: "L:" + k for k in style.LABEL_KEYS}
        self.asked: set[str] = set()

    def __getitem__(self, key):
        self.asked.add(key)
        return self.table[key]

    def __iter__(self):
        return iter(self.table)

    def __len__(self):
        return len(self.table)


def L(key: str) -> str:
    return "L:" + key
