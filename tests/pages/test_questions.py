"""The Questions page (pages/questions.py) through AppTest: a card runs its experiment; a card's
runs are charted under its verdict and saved to this browser's runs, which Compare then lists."""

import time

from models.teaching.questions import QUESTIONS
from tests.support import DASHBOARD
from tests.support.apptest import run_card


def test_a_card_runs_its_experiment_from_the_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.run()
    at.switch_page("pages/questions.py").run()
    assert not at.exception and len(at.button) >= len(QUESTIONS)
    run_card(at, "lstm_params")
    assert not at.exception
    body = " ".join(m.value for m in at.markdown)
    assert "exactly what Keras' count_params() says: 4513" in body


def test_a_cards_runs_are_charted_and_saved_to_this_browsers_runs_on_compare():
    """The clipnorm card: its two runs train with a bar each, end with the verdict over the
    charts it reads (gradient norms, val loss: one series per run, with a legend), and are
    saved under this browser's owner, so Compare lists them."""
    import json
    import urllib.parse

    from streamlit.testing.v1 import AppTest

    from models.infra.store import RunStore
    from ui import owner

    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.run()
    at.switch_page("pages/questions.py").run()
    at.button(key="q:clipnorm:run").click().run()
    bars = [p.proto.text for p in at.get("progress")]
    assert len(bars) == 2 and bars[0].startswith("no clip: ") and bars[1].startswith("clipnorm: ")
    deadline = time.monotonic() + 120
    while not at.session_state["q:clipnorm"].done and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception, at.exception
    assert "it tames it" in " ".join(m.value for m in at.markdown).lower()
    elements = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    specs = [json.loads(c.proto.spec) for c in elements]
    assert len(specs) == 2
    grads, losses = (json.dumps(s) for s in specs)
    assert "Config no clip" in grads and "Config clipnorm" in grads  # a panel per run
    assert "Validation loss per config" in losses and '"field": "run"' in losses
    assert "Saved to your runs (2)" in " ".join(c.value for c in at.caption)

    mine = RunStore().list_runs(owner.owner_key(at.session_state[owner.STATE]))
    assert {r.name for r in mine} == {"Clipnorm · no clip", "Clipnorm · clipnorm"}
    link = next(p.proto for p in at.get("page_link") if p.proto.label == "Compare these runs")
    linked = urllib.parse.parse_qs(link.query_string)["runs"][0].split(",")
    assert sorted(linked) == sorted(r.id for r in mine)
    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    options = at.multiselect(key="cmp:picked").options
    assert sorted(o.split(" · ")[1] for o in options) == ["clipnorm", "no clip"]
