"""Sweeps (models/infra/sweep.py): planning through the schema, and a 4-cell sweep end to end.
(The Sweep section of a lab page: tests/ui/test_sweep.py.)"""

import math
import time

import pytest

from locales import say
from models.config import ConfigError
from models.fields import parse_config
from models.infra.jobs import JobPool
from models.infra.sweep import MAX_CONFIGS, Sweep, parse_values, plan

BASE = parse_config(
    {"data": {"n_samples": 200}, "model": {"depth": 2, "width": 4}, "train": {"epochs": 2}}
)


def test_a_plan_is_every_combination_times_seeds():
    p = plan(BASE, [("model.activation", ["relu", "tanh"]), ("model.depth", ["1", "3"])], seeds=2)
    assert p.fields == ("model.activation", "model.depth")
    assert [c.values for c in p.cells] == [("relu", 1), ("relu", 3), ("tanh", 1), ("tanh", 3)]
    assert p.size == 8
    cell = p.cells[1]
    assert [c.model.depth for c in cell.configs] == [3, 3]
    assert [c.train.seed for c in cell.configs] == [0, 1]
    assert {c.data.seed for c in cell.configs} == {0}


@pytest.mark.parametrize(
    "sweeps, seeds, sentence",
    [
        (
            [("model.depth", ["3", "999"])],
            1,
            "model.depth must be an integer from 1 to 64 (got 999)",
        ),
        (
            [("optimizer.learning_rate", ["0.1", "-1"])],
            1,
            "optimizer.learning_rate must be a number above 0 and up to 100 (got -1.0)",
        ),
        (
            [("model.activation", ["relu", "nonsense"])],
            1,
            "model.activation must be one of sigmoid, tanh, relu, leaky_relu, prelu, elu, gelu, "
            "linear (got 'nonsense')",
        ),
        ([("model.depth", ["1"]), ("model.depth", ["2"])], 1, "sweep two different fields"),
        ([("train.seed", ["1", "2"])], 1, "train.seed is swept by the number of seeds"),
        (
            [("model.depth", [str(d) for d in range(1, 40)])],
            2,
            f"the sweep has 78 runs (cells x seeds); the limit is {MAX_CONFIGS}",
        ),
        ([], 1, "a sweep varies one or two fields"),
        ([("model.depth", ["2"])], 9, "seeds must be between 1 and 5, not 9"),
    ],
)
def test_bad_sweeps_are_refused_with_one_sentence(sweeps, seeds, sentence):
    with pytest.raises(ConfigError) as info:
        plan(BASE, sweeps, seeds)
    assert say(info.value.problem) == sentence and len(info.value.problems) == 1


def test_values_are_typed_as_a_comma_separated_list():
    assert parse_values("optimizer.learning_rate", "0.1, 0.01 ,0.001") == ["0.1", "0.01", "0.001"]
    for path, text, sentence in [
        ("model.depth", "2,2", "the values for model.depth repeat"),
        ("model.nonsense", "1", "model.nonsense is not a config field"),
        ("model.depth", " , ", "give at least one value for model.depth"),
    ]:
        with pytest.raises(ConfigError) as info:
            parse_values(path, text)
        assert say(info.value.problem) == sentence


def test_a_sweep_of_four_cells_runs_end_to_end_through_the_pool():
    p = plan(
        BASE,
        [("model.activation", ["relu", "sigmoid"]), ("optimizer.learning_rate", ["0.1", "0.001"])],
    )
    with JobPool(max_workers=2, max_per_owner=2) as pool:
        sweep = Sweep(p, pool, owner="test", parallel=4)  # more than the owner may: it waits
        reasons = set()
        deadline = time.monotonic() + 300
        while not sweep.done and time.monotonic() < deadline:
            sweep.poll()
            assert sweep.counts["running"] <= 2
            if sweep.waiting_reason is not None:  # a JobRefused's problem
                reasons.add(say(sweep.waiting_reason))
            time.sleep(0.1)
    assert sweep.done
    # while it waited, the page could say why: the owner's limit, in the pool's own words
    assert "you already have 2 runs queued or running (the limit is 2)" in " ".join(
        r for r in reasons if r
    )
    results = sweep.results()
    assert len(results) == 4
    for row in results:
        assert row["ended"] == row["runs"] == 1 and row["diverged"] == 0
        assert math.isfinite(row["val_loss"]) and row["grad_first"] >= 0  # 0: a dead layer
    assert any(row["grad_first"] > 0 for row in results)
    for row, cell in zip(results, p.cells, strict=True):
        assert row["params"] == cell.configs[0].param_count
        assert 0 <= row["val_accuracy"] <= 1  # circle is a classification task
    # each cell's number is its own run's final val loss
    run = sweep.runs[3]
    last = max(m["step"] for m in run.result.metrics)
    want = [m["value"] for m in run.result.metrics if m["name"] == "val_loss" and m["step"] == last]
    assert results[3]["val_loss"] == pytest.approx(want[0])
    assert (results[3]["model.activation"], results[3]["optimizer.learning_rate"]) == (
        "sigmoid",
        0.001,
    )
