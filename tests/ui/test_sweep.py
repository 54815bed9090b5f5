"""A lab page's Sweep section (ui/sweep.py) through AppTest: a sweep runs from the page and links
each cell to Compare, a value the page does not offer is refused, the fields offered follow the
page's net under its labels, and each run has its own progress bar. (Planning and running a
sweep: tests/models/infra/test_sweep.py.)"""

import time

from tests.support import DASHBOARD
from tests.support.apptest import shown


def test_a_sweep_runs_from_the_lab_page_and_links_each_cell_to_compare():
    from streamlit.testing.v1 import AppTest

    from models.infra.store import RunStore
    from tests.support.apptest import SMALL
    from ui import owner

    at = AppTest.from_file(DASHBOARD, default_timeout=60)
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

    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/deep_networks.py").run()
    at.selectbox(key="dn:sweep:f1").set_value("data.name")
    at.text_input(key="dn:sweep:v1").set_value("circle, adding")
    next(b for b in at.button if b.label == "Run sweep").click().run()
    assert not at.exception
    [error] = [shown(e.value) for e in at.error]
    assert error == (  # the schema's own rule, worded from the string tables
        "The sweep was not started: model.arch 'mlp' needs a 2-D task (data.name circle, xor, "
        "gauss, spiral, plane or multigauss) or an uploaded table (csv), not the sequence task "
        "'adding'; use simple_rnn, lstm or gru"
    )


def test_the_sweep_offers_the_fields_the_pages_net_has_under_the_pages_labels():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/deep_networks.py").run()
    mlp = at.selectbox(key="dn:sweep:f1").options
    assert "Pooling" not in mlp and "Kernel size" not in mlp  # an MLP has neither
    assert "Activation" in mlp and "LeakyReLU slope k" in mlp  # the slope follows a choice
    at.switch_page("pages/cnn.py").run()
    cnn = at.selectbox(key="cnn:sweep:f1").options
    assert "Pooling" in cnn and "Filters per conv layer" in cnn and "Units per layer" not in cnn


def test_each_run_has_its_own_bar_waiting_training_or_ended():
    from streamlit.testing.v1 import AppTest

    def script():
        from models.config import RunConfig
        from models.infra.sweep import Cell, Plan, Sweep
        from ui.sweep import runs_progress_ui

        cfg = RunConfig()
        cells = [Cell((label,), [cfg]) for label in ("waits", "trains", "ended")]
        sweep = Sweep(Plan(("label",), cells), pool=None, owner="o")
        sweep.runs[1].result.add({"type": "start", "layers": [], "total_steps": 200})
        sweep.runs[1].result.add({"type": "records", "done": 50, "records": []})
        sweep.runs[2].result.add({"type": "end", "status": "diverged", "step": 7})
        runs_progress_ui(sweep, lambda run: sweep.plan.cells[run.cell].values[0])

    at = AppTest.from_function(script).run()
    assert not at.exception, at.exception
    bars = [(p.proto.text, p.proto.value) for p in at.get("progress")]
    assert bars == [
        ("waits: waiting for a worker", 0),
        ("trains: step 50 of 200", 25),
        ("ended: diverged", 100),
    ]
