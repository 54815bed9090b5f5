"""Recurrent figures (issue 4), each cell trained by the engine on the same data and seed:

- the presets rnn_adding_{simple,lstm,gru}: the adding problem over 50 time steps, ~3,000 Adam
  steps: the final val MSE of each cell against the 0.167 baseline of always answering 1.0;
- the ratio ‖∂loss/∂x_0‖ / ‖∂loss/∂x_T‖ at the first and the last record (T = 49): how much
  of the gradient reaches the first time step;
- wall time per 100 training steps per cell, from the run's own wall time (compilation
  included, as a user waits for it).

Usage: .venv/bin/python bench/recurrent.py [--epochs 12]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.config import with_changes  # noqa: E402
from models.datasets import make_dataset, trivial_baseline  # noqa: E402
from models.presets import get_preset  # noqa: E402
from models.trainer import train  # noqa: E402

CELLS = {"SimpleRNN": "rnn_adding_simple", "LSTM": "rnn_adding_lstm", "GRU": "rnn_adding_gru"}


def ratio_at(result, step: int) -> float:
    norms = {
        r["t"]: r["value"]
        for r in result.metrics
        if r["name"] == "input_grad_norm" and r["step"] == step
    }
    return norms[0] / norms[max(norms)] if norms[max(norms)] > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="override the presets' epochs")
    args = parser.parse_args()
    first = get_preset(CELLS["LSTM"]).config()
    baseline = trivial_baseline(make_dataset(first.data))
    print(
        f"adding, seq_len {first.data.seq_len}: baseline MSE of answering 1.0 = "
        f"{baseline['mse_predict_one']:.4f}, of the train mean = {baseline['loss']:.4f}"
    )
    for label, name in CELLS.items():
        cfg = get_preset(name).config()
        if args.epochs:
            cfg = with_changes(cfg, {"train.epochs": args.epochs})
        result = train(cfg)
        steps = sorted({r["step"] for r in result.metrics if r["name"] == "val_loss"})
        val = [
            r["value"] for r in result.metrics if r["name"] == "val_loss" and r["step"] == steps[-1]
        ]
        print(
            f"{label:9s} params {result.params:6,d}  steps {result.steps:5,d}  "
            f"status {result.status:9s}  val_mse {val[0]:.4f}  "
            f"grad ratio x0/xT: step 0 {ratio_at(result, steps[0]):.2e}, "
            f"step {steps[-1]:,} {ratio_at(result, steps[-1]):.2e}  "
            f"wall {result.wall_time:.1f} s = "
            f"{100 * result.wall_time / result.steps:.2f} s/100 steps"
        )  # fmt: skip


if __name__ == "__main__":
    main()
