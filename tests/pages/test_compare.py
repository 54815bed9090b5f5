"""The Compare page through AppTest: runs a lab saved, runs opened from a share link, and
whose runs a browser sees (its owner cookie), including Forget my runs."""

import json
import re
import secrets
import urllib.parse

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from charts.style import thin_steps
from models.fields import from_flat, parse_config
from models.infra.store import RunStore
from tests.support import DASHBOARD
from tests.support.apptest import SMALL, open_lab, train_until_done
from ui import owner


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
    assert list(diff.index) == ["Activation"]
    ids = at.query_params["runs"].split(",")
    assert len(ids) == 2
    # each run opens in its lab with its config: the link's params rebuild the same config
    group = {r.saved_id: r.config for r in at.session_state["dn:group"].runs}
    links = [p.proto for p in at.get("page_link") if p.proto.label.startswith("Open")]
    assert len(links) == 2
    for link, run_id in zip(links, ids, strict=True):
        assert link.page.endswith("deep_networks")
        params = dict(urllib.parse.parse_qsl(link.query_string))
        assert params.pop("lang") == "en"  # the link opens in the language it was made in
        config, notices = from_flat(params)
        assert notices == [] and config == group[run_id]

    # A fresh page opened from a share link: another browser (no owner cookie), which lists
    # none of the first one's runs, only the linked one.
    other = AppTest.from_file(DASHBOARD, default_timeout=60)
    other.run()
    other.switch_page("pages/compare.py")
    other.query_params["runs"] = f"{ids[0]},not-an-id,{'f' * 32}"
    other.run()
    assert not other.exception
    warnings = " ".join(w.value for w in other.warning).replace("\\", "")  # markdown escapes
    assert "not-an-id" in warnings and "could not be found" in warnings
    assert other.multiselect(key="cmp:picked").value == [ids[0]]
    assert len(other.multiselect(key="cmp:picked").options) == 1
    assert len(other.dataframe[0].value) == 1


def test_with_no_saved_runs_the_page_says_what_to_do():
    at = AppTest.from_file(DASHBOARD, default_timeout=60)  # a browser with no cookie
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert "No saved runs yet" in " ".join(i.value for i in at.info)


def test_a_big_run_is_thinned_as_the_charts_thin_it():
    from ui.compare import DRAW_STEPS, thinned

    steps = np.repeat(np.arange(0, 20_000, 10), 3)  # 2,000 recorded steps, 3 rows each
    metrics = pd.DataFrame({"step": steps, "name": "grad_norm", "value": np.arange(len(steps))})
    drawn = thinned(metrics)
    oracle = thin_steps(metrics.assign(run="r"), DRAW_STEPS).drop(columns="run")
    pd.testing.assert_frame_equal(drawn, oracle.reset_index(drop=True))
    assert drawn["step"].nunique() == DRAW_STEPS
    assert (drawn["step"].min(), drawn["step"].max()) == (0, 19_990)


# -- runs belong to the browser (ui/owner.py): its cookie, not the session -------------------


@pytest.fixture(scope="module")
def record():
    from models.trainer import train

    cfg = parse_config({"data": {"n_samples": 200}, "model": {"depth": 2, "width": 4},
                        "train": {"epochs": 1}})  # fmt: skip
    return train(cfg).to_json_dict()


def browser(monkeypatch, cookie: str | None) -> AppTest:
    """Compare opened by a browser that sends ``cookie`` as its owner cookie (None: no cookie).
    AppTest cannot send cookies, so st.context.cookies is replaced for the test."""
    from streamlit.runtime.context import ContextProxy, StreamlitCookies

    cookies = StreamlitCookies({} if cookie is None else {owner.COOKIE: cookie, "other": "x"})
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: cookies))
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    return at


def listed(at: AppTest) -> list[str]:
    picker = at.get("multiselect")
    return list(picker[0].options) if picker else []


def cookie_written(at: AppTest) -> str | None:
    """The token the page's script writes to the owner cookie, if it writes one."""
    for element in at.get("html"):
        found = re.search(rf"{owner.COOKIE}=([^;]*);", element.proto.body)
        if found:
            assert "SameSite=Strict" in element.proto.body and "Path=/" in element.proto.body
            return found.group(1)
    return None


def test_a_browsers_runs_are_listed_by_its_cookie_and_no_other_browsers(monkeypatch, record):
    token = secrets.token_urlsafe(32)
    RunStore().save(record, owner=owner.owner_key(token), name="kept across reloads")

    at = browser(monkeypatch, token)  # a reload, a new tab, a restarted browser: same cookie
    assert [o.split(" · ")[0] for o in listed(at)] == ["kept across reloads"]
    assert at.session_state[owner.STATE] == token
    assert cookie_written(at) is None  # the browser has it already

    other = browser(monkeypatch, None)  # another browser
    assert listed(other) == [] and "No saved runs yet" in other.info[0].value
    issued = other.session_state[owner.STATE]
    assert owner.parse_token(issued) and issued != token
    assert cookie_written(other) == issued


@pytest.mark.parametrize(
    "forged",
    [
        "stored-owner-hash",  # the store's owner column (a leaked database) is not a token
        "short",
        "one-char-short",
        "one-char-long",
        "' OR 1=1 --",
        "a" * 42 + ";",
        "",
    ],
)
def test_a_forged_or_malformed_cookie_is_not_used_as_an_owner(monkeypatch, record, forged):
    victim = secrets.token_urlsafe(32)
    forged = {
        "stored-owner-hash": owner.owner_key(victim),
        "one-char-short": victim[:-1],
        "one-char-long": victim + "A",
    }.get(forged, forged)
    store = RunStore()
    store.save(record, owner=owner.owner_key(victim), name="the victim's")
    store.save(record, owner=forged or "-", name="saved under the forged value")
    store.save(record, owner=owner.owner_key(forged), name="saved under its hash")

    at = browser(monkeypatch, forged)
    assert listed(at) == [] and "No saved runs yet" in at.info[0].value
    issued = at.session_state[owner.STATE]
    assert owner.parse_token(issued) == issued and issued not in (forged, victim)
    assert cookie_written(at) == issued  # the bad cookie is replaced


def test_forget_my_runs_deletes_this_browsers_runs_and_starts_a_new_list(monkeypatch, record):
    token = secrets.token_urlsafe(32)
    store = RunStore()
    mine = [store.save(record, owner=owner.owner_key(token), name=f"mine {i}") for i in (1, 2)]
    theirs = store.save(record, owner=owner.owner_key(secrets.token_urlsafe(32)), name="theirs")

    at = browser(monkeypatch, token)
    assert len(listed(at)) == 2
    at.button(key="cmp:forget").click().run()
    assert not at.exception, at.exception
    assert "2 run(s) deleted" in at.success[0].value
    assert listed(at) == [] and "No saved runs yet" in at.info[0].value
    assert store.list_runs(owner.owner_key(token)) == []
    assert all(store.get(i) is None for i in mine) and store.get(theirs) is not None
    issued = at.session_state[owner.STATE]
    assert issued != token and cookie_written(at) == issued  # the browser gets a new token

    again = browser(monkeypatch, token)  # even a tab that still sends the old cookie
    assert listed(again) == []
