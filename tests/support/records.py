"""A run's records as a small long frame (step, name, layer, depth, value): what the verdicts
judge (models/comparison.py) and the lab page words (ui/verdict.py)."""

import pandas as pd


def frame(final: float, grads=(1e-4, 1.0), metric: str = "val_accuracy") -> pd.DataFrame:
    rows = [(0, metric, None, None, 0.5), (100, metric, None, None, final)]
    rows += [(0, "grad_norm", f"dense_{d}", d, g) for d, g in enumerate(grads)]
    return pd.DataFrame(rows, columns=["step", "name", "layer", "depth", "value"])
