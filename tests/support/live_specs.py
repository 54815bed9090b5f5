"""A live page's charts: per-step rows of runs that learn (live_metrics), the spec the page hands
the browser with its datasets as Arrow bytes (vega_spec), and such a dataset read back."""

import io

import numpy as np
import pandas as pd
import pyarrow as pa

from charts.vega import vega_spec as make_spec
from ui.live import arrow_bytes


def vega_spec(chart, name: str) -> dict:
    """The spec the page hands the browser: datasets as the page's Arrow bytes."""
    return make_spec(chart, name, arrow_bytes)


LAYERS = [("dense_0", 0), ("dense_1", 1), ("output", 2)]


def live_metrics(steps: int, runs=("A", "B")) -> pd.DataFrame:
    """Per-step rows of a run that learns: loss falls, gradient norms wander within 0.02-0.09."""
    rng = np.random.default_rng(0)
    rows = []
    for run in runs:
        for s in range(steps):
            rows += [
                (run, s, "loss", None, None, 1 / (1 + s)),
                (run, s, "val_loss", None, None, 0.5),
            ]
            rows += [(run, s, "accuracy", None, None, 0.5 + s / (4 * steps))]
            for layer, depth in LAYERS:
                g = rng.uniform(0.02, 0.09)
                rows += [(run, s, "grad_norm", layer, depth, g)]
                rows += [(run, s, "grad_norm_clipped", layer, depth, min(g, 0.05))]
            rows += [(run, s, "dead_fraction", "act_0", 0, 0.1)]
    return pd.DataFrame(rows, columns=["run", "step", "name", "layer", "depth", "value"])


def arrow_frame(payload: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(io.BytesIO(payload)).read_all().to_pandas()
