"""The size guard: no chart hands Altair more rows than it accepts (5,000 per dataset), at any
run length and size the schema permits, after the thinning the pages apply.

Altair raises MaxRowsError past 5,000 rows; a live page that hit it showed "This app has
encountered an error" (the Recurrent page's t x step heatmap, 9,000 rows at full length)."""

import itertools

import altair as alt
import numpy as np
import pandas as pd
import pytest

import charts
from models.config import DataConfig, ModelConfig
from ui.live import FINAL_STEPS, LIVE_STEPS

MAX_ROWS = 5000
RUNS = ("A", "B", "C", "D")  # four configs side by side
DEPTH = ModelConfig.model_fields["depth"].metadata[-1].le  # hidden layers at most
SEQ_LEN = DataConfig.model_fields["seq_len"].metadata[-1].le  # time steps at most


class Labels(dict):
    def __missing__(self, key):
        return key


def mlp_metrics(steps: int, depth: int = DEPTH) -> pd.DataFrame:
    """Records of four runs of the deepest MLP the schema allows, with batch norm (two weight
    layers per block), every name the trainer records, at `steps` distinct steps."""
    layers = [(f"dense_{i}", i) for i in range(depth)] + [(f"bn_{i}", i) for i in range(depth)]
    layers.append(("output", depth))
    rows = []
    for run, step in itertools.product(RUNS, range(steps)):
        for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
            rows.append((run, step, name, None, None, None, 0.5 + 0.1 * np.sin(step)))
        for (layer, d), name in itertools.product(
            layers, ("grad_norm", "grad_norm_clipped", "weight_norm", "update_ratio")
        ):
            rows.append((run, step, name, layer, d, None, 10.0 ** (d / depth - 1)))
        for d in range(depth):
            rows.append((run, step, "dead_fraction", f"dense_{d}", d, None, d / depth))
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "t", "value"])


def rnn_metrics(steps: int, seq_len: int = SEQ_LEN, depth: int = 4) -> pd.DataFrame:
    rows = []
    for run, step in itertools.product(RUNS, range(steps)):
        rows += [
            (run, step, "loss", None, None, None, 0.2),
            (run, step, "val_loss", None, None, None, 0.2),
        ]
        for t in range(seq_len):
            rows.append((run, step, "input_grad_norm", None, None, t, 10.0 ** (t / seq_len - 2)))
        for d in range(depth):
            rows.append((run, step, "grad_norm", f"lstm_{d}", d, None, 0.1))
            rows.append((run, step, "forget_gate_mean", f"lstm_{d}", d, None, 0.6))
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "t", "value"])


def dataset_rows(chart) -> dict[str, int]:
    """Rows of every dataset the chart hands Vega-Lite; to_dict() raises MaxRowsError itself."""
    spec = chart.to_dict()
    return {name: len(values) for name, values in spec.get("datasets", {}).items()}


BUILDERS = {
    "loss": lambda m, L: charts.loss_chart(m, L),
    "grad_norm": lambda m, L: charts.grad_norm_chart(m, L),
    "grad_heatmap": lambda m, L: charts.grad_heatmap(m, L),
    "layer_bars": lambda m, L: charts.layer_bars(m, L),
    "compare": lambda m, L: charts.compare_chart(m, L),
}
RNN_BUILDERS = {
    "loss": lambda m, L: charts.loss_chart(m, L),
    "time_grad": lambda m, L: charts.time_grad_chart(m, L),
    "time_heatmap": lambda m, L: charts.time_grad_heatmap(m, L),
    "forget_gate": lambda m, L: charts.forget_gate_chart(m, L),
    "grad_norm": lambda m, L: charts.grad_norm_chart(m, L),
}


CASES = [("mlp", name) for name in BUILDERS] + [("recurrent", name) for name in RNN_BUILDERS]


@pytest.mark.parametrize("steps", [LIVE_STEPS, FINAL_STEPS])
@pytest.mark.parametrize("net, name", CASES)
def test_no_chart_exceeds_altairs_row_limit(net, name, steps):
    records, builders = (mlp_metrics, BUILDERS) if net == "mlp" else (rnn_metrics, RNN_BUILDERS)
    metrics = charts.thin_steps(records(steps), max_steps=steps)
    rows = dataset_rows(builders[name](metrics, Labels()))
    assert rows and max(rows.values()) <= MAX_ROWS, rows


def test_the_recurrent_presets_full_length_heatmap_fits():
    """What crashed the Recurrent page: three cells, 50 time steps, 400 recorded steps."""
    metrics = rnn_metrics(FINAL_STEPS, seq_len=50, depth=1)
    metrics = metrics[metrics["run"].isin(["A", "B", "C"])]
    rows = dataset_rows(charts.time_grad_heatmap(metrics, Labels()))
    assert max(rows.values()) <= MAX_ROWS


def test_altair_still_refuses_more_rows_than_it_accepts():
    """The guard above rests on Altair raising: it must still do so."""
    frame = pd.DataFrame({"x": range(MAX_ROWS + 1)})
    with pytest.raises(alt.MaxRowsError):
        alt.Chart(frame).mark_point().encode(x="x:Q").to_dict()


def test_four_decision_boundaries_fit():
    xs = np.linspace(-1.0, 1.0, 40)  # the trainer's 40 x 40 grid
    grid = pd.DataFrame(
        [(r, a, b, 0.5) for r in RUNS for a in xs for b in xs], columns=["run", "x0", "x1", "value"]
    )
    points = pd.DataFrame({"x0": [0.1] * 800, "x1": [0.2] * 800, "label": 1.0, "split": "train"})
    rows = dataset_rows(charts.boundary_chart(grid, points, Labels(), "binary"))
    assert max(rows.values()) <= MAX_ROWS
    one = dataset_rows(charts.boundary_chart(grid[grid["run"] == "A"], points, Labels(), "binary"))
    assert max(one.values()) == 1600  # one run keeps its whole grid
