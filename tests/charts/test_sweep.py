"""A sweep's grid (charts/sweep.py), read back from its Vega-Lite spec: the mean and spread per
cell, readable on a log colour scale."""

import pytest

from charts import sweep
from tests.support.chart_data import (
    SWEEP,
    SWEPT,
    SWEPT_TITLES,
    StrictLabels,
)
from tests.support.specs import (
    of_mark,
    spec_of,
)


def test_sweep_chart_is_a_grid_of_mean_and_spread_on_a_log_colour_scale():
    spec = spec_of(sweep.sweep_chart(SWEEP, SWEPT, StrictLabels(), "val_loss", SWEPT_TITLES))
    [(rect, data)] = of_mark(spec, "rect")
    x, y = rect["encoding"]["x"], rect["encoding"]["y"]
    assert (x["title"], y["title"]) == ("L:model.activation", "L:model.depth")
    assert data[x["field"]].tolist() == ["relu", "relu", "tanh", "tanh"]
    assert data[y["field"]].tolist() == ["2", "8", "2", "8"]
    [(_, text)] = of_mark(spec, "text")
    assert text["text"].tolist() == ["0.2 ± 0.01", "0.5 ± 0", "0.1 ± 0.02", ""]
    # readable: dark text on the light (high, viridis) half of the scale, white on the dark half
    tone = dict(zip(text["text"], text["tone"], strict=True))
    assert (tone["0.5 ± 0"], tone["0.1 ± 0.02"]) == ("dark", "light")
    scale = of_mark(spec, "text")[0][0]["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True))["light"] == "white"
    assert rect["encoding"]["color"]["scale"]["type"] == "log"
    assert data["plot_value"].iloc[2] == pytest.approx(0.1)
