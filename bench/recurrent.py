"""Recurrent figures (issue 4), each cell trained by the engine on the same data and seed:

- the presets rnn_adding_{simple,lstm,gru}: the adding problem over 50 time steps, ~3,000 Adam
  steps: the final val MSE of each cell against the 0.167 baseline of always answering 1.0;
- the ratio ‖∂loss/∂x_0‖ / ‖∂loss/∂x_T‖ at the first and the last record (T = 49): how much
  of the gradient reaches the first time step;
- wall time per 100 training steps per cell, from the run's own wall time (compilation
  included, as a user waits for it).

Each cell is trained with --seeds seeds (train.seed and data.seed together); the figures are
the per-seed values and their median.

Usage: .venv/bin/python bench/recurrent.py [--epochs 12] [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.datasets import make_dataset, trivial_baseline  # noqa: E402
from models.fields import with_changes  # noqa: E402
from models.teaching.presets import get_preset  # noqa: E402
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
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    first = get_preset(CELLS["LSTM"]).config()
    baseline = trivial_baseline(make_dataset(first.data))
    print(
        f"adding, seq_len {first.data.seq_len}: baseline MSE of answering 1.0 = "
        f"{baseline['mse_predict_one']:.4f}, of the train mean = {baseline['loss']:.4f}"
    )
    for label, name in CELLS.items():
        vals, start, end, speed = [], [], [], []
        for seed in range(args.seeds):
            changes = {"train.seed": seed, "data.seed": seed}
            if args.epochs:
                changes["train.epochs"] = args.epochs
            result = train(with_changes(get_preset(name).config(), changes))
            steps = sorted({r["step"] for r in result.metrics if r["name"] == "val_loss"})
            last = steps[-1]
            val = [
                r["value"] for r in result.metrics if r["name"] == "val_loss" and r["step"] == last
            ]
            vals.append(val[0])
            start.append(ratio_at(result, steps[0]))
            end.append(ratio_at(result, last))
            speed.append(100 * result.wall_time / result.steps)
        print(
            f"{label:9s} params {result.params:6,d}  steps {result.steps:5,d}  "
            f"val_mse median {statistics.median(vals):.4f} ({_list(vals, '.4f')})  "
            f"grad ratio x0/xT at step 0: median {statistics.median(start):.2e} "
            f"({_list(start, '.1e')}), at the end: median {statistics.median(end):.2e} "
            f"({_list(end, '.1e')})  s/100 steps median {statistics.median(speed):.2f}"
        )


def _list(values: list[float], fmt: str) -> str:
    return ", ".join(format(v, fmt) for v in values)


if __name__ == "__main__":
    main()
