"""Sweeps (models/sweep.py): planning through the schema, and a 4-cell sweep end to end."""

import math
import time

import pytest

from models.config import ConfigError, parse_config
from models.jobs import JobPool
from models.sweep import MAX_CONFIGS, Sweep, parse_values, plan

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
    "sweeps, seeds, words",
    [
        ([("model.depth", ["3", "999"])], 1, "model.depth"),
        ([("optimizer.learning_rate", ["0.1", "-1"])], 1, "learning_rate"),
        ([("model.activation", ["relu", "nonsense"])], 1, "activation"),
        ([("model.depth", ["1"]), ("model.depth", ["2"])], 1, "two different fields"),
        ([("train.seed", ["1", "2"])], 1, "number of seeds"),
        ([("model.depth", [str(d) for d in range(1, 40)])], 2, f"limit is {MAX_CONFIGS}"),
        ([], 1, "one or two fields"),
        ([("model.depth", ["2"])], 9, "seeds must be between 1 and 5"),
    ],
)
def test_bad_sweeps_are_refused_with_one_sentence(sweeps, seeds, words):
    with pytest.raises(ConfigError, match=words):
        plan(BASE, sweeps, seeds)


def test_values_are_typed_as_a_comma_separated_list():
    assert parse_values("optimizer.learning_rate", "0.1, 0.01 ,0.001") == ["0.1", "0.01", "0.001"]
    with pytest.raises(ConfigError, match="repeat"):
        parse_values("model.depth", "2,2")
    with pytest.raises(ConfigError, match="not a config field"):
        parse_values("model.nonsense", "1")


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
            reasons.add(sweep.waiting_reason)
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


def test_a_sweep_runs_from_the_lab_page_and_links_each_cell_to_compare():
    from streamlit.testing.v1 import AppTest

    from models.store import RunStore
    from tests.test_dashboard import SMALL
    from ui import owner

    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.run()
    at.switch_page("pages/deep_networks.py")
    for key, value in SMALL.items():
        at.query_params[key] = value
    at.run()
    at.text_input(key="dn:sweep:v1").set_value("relu, sigmoid")
    at.selectbox(key="dn:sweep:f2").set_value("")
    next(b for b in at.button if b.label == "Run sweep").click().run()
    assert not at.exception and not at.error
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(compare_links(at)) < 2:
        time.sleep(0.5)
        at.run()
        assert not at.exception
    links = compare_links(at)
    assert [p.proto.label for p in links] == [
        "Compare Activation = relu",
        "Compare Activation = sigmoid",
    ]
    assert "runs=" in links[0].proto.query_string
    specs = " ".join(c.proto.spec for c in at.get("vega_lite_chart"))
    assert "Sweep results" in specs
    table = at.dataframe[-1].value
    assert len(table) == 2 and set(table["ended"]) == {1}
    # saved as this browser's runs (its owner token), so Compare lists them after a reload too
    mine = RunStore().list_runs(owner.owner_key(at.session_state[owner.STATE]))
    assert sorted(r.name for r in mine) == [
        "sweep model.activation=relu seed 0",
        "sweep model.activation=sigmoid seed 0",
    ]
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert len(at.multiselect(key="cmp:picked").options) == 2


def compare_links(at):
    return [p for p in at.get("page_link") if p.proto.label.startswith("Compare ")]


def test_a_sweep_over_a_value_the_page_does_not_offer_is_refused():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.run()
    at.switch_page("pages/deep_networks.py").run()
    at.selectbox(key="dn:sweep:f1").set_value("data.name")
    at.text_input(key="dn:sweep:v1").set_value("circle, adding")
    next(b for b in at.button if b.label == "Run sweep").click().run()
    assert not at.exception
    assert "The sweep was not started" in " ".join(e.value for e in at.error)
    assert "data" in " ".join(e.value for e in at.error)


def test_the_sweep_offers_the_fields_the_pages_net_has_under_the_pages_labels():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.run()
    at.switch_page("pages/deep_networks.py").run()
    mlp = at.selectbox(key="dn:sweep:f1").options
    assert "Pooling" not in mlp and "Kernel size" not in mlp  # an MLP has neither
    assert "Activation" in mlp and "LeakyReLU slope k" in mlp  # the slope follows a choice
    at.switch_page("pages/cnn.py").run()
    cnn = at.selectbox(key="cnn:sweep:f1").options
    assert "Pooling" in cnn and "Filters per conv layer" in cnn and "Units per layer" not in cnn
