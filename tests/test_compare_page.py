"""The Compare page through AppTest: runs a lab saved, and runs opened from a share link."""

import json
import urllib.parse

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

import charts
from models.config import from_flat
from tests.test_dashboard import SMALL, open_lab, train_until_done


def test_runs_a_lab_saved_compare_side_by_side_and_open_by_link():
    at = open_lab({**SMALL, "b.model.activation": "relu"})
    texts = train_until_done(at)
    assert all("completed" in s for s in texts)
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    picked = at.multiselect(key="cmp:picked")
    assert len(picked.value) == 2
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 1  # overview, loss, gradient and heatmaps: one linked chart
    spec = json.loads(charts[0].proto.spec)
    assert "Drag across this strip" in json.dumps(spec)
    summary = at.dataframe[0].value
    assert len(summary) == 2 and set(summary["Status"]) == {"completed"}
    assert list(summary["Diverged at"]) == ["", ""]  # blank, not "None", for runs that did not
    diff = at.dataframe[1].value
    assert list(diff.index) == ["model.activation"]
    ids = at.query_params["runs"].split(",")
    assert len(ids) == 2
    # each run opens in its lab with its config: the link's params rebuild the same config
    group = {r.saved_id: r.config for r in at.session_state["dn:group"].runs}
    links = [p.proto for p in at.get("page_link") if p.proto.label.startswith("Open")]
    assert len(links) == 2
    for link, run_id in zip(links, ids, strict=True):
        assert link.page.endswith("deep_networks")
        params = dict(urllib.parse.parse_qsl(link.query_string))
        config, notices = from_flat(params)
        assert notices == [] and config == group[run_id]

    # A fresh page opened from a share link (AppTest gives every app one session id, so the
    # privacy between sessions is tested in test_store.py and in the browser test).
    other = AppTest.from_file("../dashboard.py", default_timeout=60)
    other.run()
    other.switch_page("pages/compare.py")
    other.query_params["runs"] = f"{ids[0]},not-an-id,{'f' * 32}"
    other.run()
    assert not other.exception
    warnings = " ".join(w.value for w in other.warning).replace("\\", "")  # markdown escapes
    assert "not-an-id" in warnings and "could not be found" in warnings
    assert other.multiselect(key="cmp:picked").value == [ids[0]]
    assert len(other.dataframe[0].value) == 1


def test_with_no_saved_runs_the_page_says_what_to_do(monkeypatch):
    import ui.pool

    monkeypatch.setattr(ui.pool, "session_owner", lambda: "a session that saved nothing")
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert "No saved runs yet" in " ".join(i.value for i in at.info)


def test_a_big_run_is_thinned_as_the_charts_thin_it():
    from ui.compare import DRAW_STEPS, _thinned

    steps = np.repeat(np.arange(0, 20_000, 10), 3)  # 2,000 recorded steps, 3 rows each
    metrics = pd.DataFrame({"step": steps, "name": "grad_norm", "value": np.arange(len(steps))})
    thinned = _thinned(metrics)
    oracle = charts.thin_steps(metrics.assign(run="r"), DRAW_STEPS).drop(columns="run")
    pd.testing.assert_frame_equal(thinned, oracle.reset_index(drop=True))
    assert thinned["step"].nunique() == DRAW_STEPS
    assert (thinned["step"].min(), thinned["step"].max()) == (0, 19_990)
