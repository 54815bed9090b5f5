"""Compare's rename (ui/compare.py), through the page (AppTest): a hostile run name is stored
verbatim and shown as text, a refused one is one sentence and changes nothing, and only this
browser's own runs can be renamed. (The store's own rules: tests/models/infra/test_store.py.)"""

import uuid

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from models.config import RunConfig
from models.infra.store import RunStore, runs_table
from tests.support.apptest import button, open_link, unescaped
from ui import compare as cmp
from ui.i18n import t
from ui.text import escape_markdown


def fake_record(depth: int = 2, steps: int = 50) -> dict:
    """A small ended run in the shape the store saves (the CLI's run record)."""
    metrics = []
    for step in range(0, steps, 10):
        none = {"layer": None, "depth": None, "t": None}
        metrics += [
            {"step": step, "name": "loss", **none, "value": 1 / (step + 1)},
            {"step": step, "name": "val_loss", **none, "value": 2 / (step + 1)},
        ]
        metrics += [
            {"step": step, "name": "grad_norm", "layer": f"dense_{d}", "depth": d, "t": None,
             "value": 0.1 * (d + 1) / (step + 1)}
            for d in range(depth)
        ]  # fmt: skip
    return {
        "config": RunConfig().model_dump(mode="json"),
        "status": "completed",
        "steps": steps,
        "diverged_at": None,
        "reason": None,
        "wall_time": 1.5,
        "params": 100,
        "layers": [{"layer": f"dense_{d}", "depth": d, "kind": "Dense"} for d in range(depth)],
        "metrics": metrics,
        "snapshots": [],
    }


def table_rows(store: RunStore) -> dict[str, dict]:
    """Every stored run, every column (the metrics as their stored bytes)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(runs_table)).mappings().all()
    return {row["id"]: dict(row) for row in rows}


@pytest.fixture
def saved(monkeypatch):
    """Two runs of this browser (the newest picked by default on Compare) and one of someone
    else's, opened by its share link."""
    import ui.owner

    owner = f"bad-input-{uuid.uuid4().hex}"
    monkeypatch.setattr(ui.owner, "store_owner", lambda: owner)
    store = RunStore()
    theirs = store.save(fake_record(), owner=f"{owner}-other", name="theirs")
    older = store.save(fake_record(depth=3), owner=owner, name="keep me")
    mine = store.save(fake_record(), owner=owner, name="mine")
    at = open_link("compare", {"runs": f"{mine},{theirs}"}, timeout=60)
    assert not at.exception, at.exception
    return {
        "at": at,
        "store": store,
        "owner": owner,
        "mine": mine,
        "older": older,
        "theirs": theirs,
    }


def rename(at: AppTest, run_id: str, name: str) -> AppTest:
    at.selectbox(key=cmp.RENAME_RUN).set_value(run_id)
    at.text_input(key=cmp.RENAME_NAME).input(name)
    return button(at, t("cmp.rename.button")).click().run()


MARKDOWN_ELEMENTS = (
    "markdown",
    "caption",
    "success",
    "error",
    "warning",
    "info",
    "title",
    "subheader",
)


def markdown_texts(at: AppTest) -> list[str]:
    """The text of every element Streamlit renders as Markdown."""
    return [e.value for kind in MARKDOWN_ELEMENTS for e in getattr(at, kind)]


STORED_VERBATIM = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE runs; --",
    "Robert'); DELETE FROM runs;--",
    "**bold** [link](javascript:alert(1)) :red[x] $x^2$",
    "名前 — ünïcödé",
]


@pytest.mark.parametrize("name", STORED_VERBATIM)
def test_a_hostile_run_name_is_stored_verbatim_and_shown_as_text(saved, name):
    at, store, mine = saved["at"], saved["store"], saved["mine"]
    before = table_rows(store)
    rename(at, mine, name)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [t("cmp.rename.done")]

    after = table_rows(store)
    assert set(after) == set(before)  # every run still there: the SQL in a name did nothing
    assert after[mine] == {**before[mine], "name": name}  # only the name changed
    assert {k: v for k, v in after.items() if k != mine} == {
        k: v for k, v in before.items() if k != mine
    }
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(runs_table)).scalar() == len(before)
    assert store.get(mine)["name"] == name

    # Shown as text everywhere: the selectors, the summary table, the share lines.
    label = cmp.label_of({"name": name, "id": mine})
    assert any(o.startswith(label) for o in at.multiselect(key=cmp.PICKED).options)
    assert any(o.startswith(label) for o in at.selectbox(key=cmp.RENAME_RUN).options)
    # The browser shows (and sends back) the labels it was last sent for the values picked: the
    # page sends the new ones (tests/browser/test_dashboard.py sees them in Chromium).
    for widget in (at.multiselect(key=cmp.PICKED), at.selectbox(key=cmp.RENAME_RUN)):
        sent = (
            list(widget.proto.raw_values)
            if widget.type == "multiselect"
            else [widget.proto.raw_value]
        )
        assert widget.proto.set_value and any(v.startswith(label) for v in sent), widget.type
    assert label in at.dataframe[0].value[t("cmp.col.run")].tolist()
    assert any(x.value.startswith(label + ":") for x in at.text)
    # ... and no Markdown element carries a name with markup in it raw (it would render).
    if escape_markdown(name) != name:
        assert not [x for x in markdown_texts(at) if name in x]
    assert at.text_input(key=cmp.RENAME_NAME).value == ""  # ready for the next one


@pytest.mark.parametrize(
    "name, words",
    [
        ("x" * 10_000, "at most 100 characters, not 10,000"),
        ("x" * 101, "at most 100 characters, not 101"),
        ("nul\x00byte", "control characters"),
        ("two\nlines", "control characters"),
        ("\x1b[31mred\x1b[0m", "control characters"),
        ("evil\u202egnp.exe", "control characters"),  # right-to-left override
        ("   ", "must not be empty"),
    ],
    ids=["10 kB", "101 chars", "NUL", "newline", "ANSI escape", "RTL override", "blank"],
)
def test_a_refused_run_name_is_one_sentence_and_changes_nothing(saved, name, words):
    at, store = saved["at"], saved["store"]
    before = table_rows(store)
    rename(at, saved["mine"], name)
    assert not at.exception, at.exception
    assert not at.success
    assert len(at.error) == 1, [e.value for e in at.error]
    message = unescaped(at.error[0].value)
    assert words in message and message.startswith("The run name must")
    assert "\n" not in message and name not in message
    assert table_rows(store) == before
    assert at.text_input(key=cmp.RENAME_NAME).value == name  # kept, to be corrected


def test_only_the_sessions_own_runs_can_be_renamed(saved):
    at, store = saved["at"], saved["store"]
    picked = at.multiselect(key=cmp.PICKED)
    assert set(picked.value) == {saved["mine"], saved["theirs"]}  # opened by its share link
    offered = at.selectbox(key=cmp.RENAME_RUN).options
    assert len(offered) == 2 and not [o for o in offered if o.startswith("theirs")]
    # A forged request for their run (the picker cannot send one) is refused by the store.
    before = table_rows(store)
    st.session_state.clear()
    st.session_state[cmp.RENAME_RUN] = saved["theirs"]
    st.session_state[cmp.RENAME_NAME] = "stolen"
    cmp.rename_run(store, saved["owner"])
    assert st.session_state[cmp.RENAME_RESULT] == ("error", t("cmp.rename.not_yours"))
    st.session_state.clear()
    assert table_rows(store) == before


def test_a_session_with_only_linked_runs_is_told_it_cannot_rename_them(saved, monkeypatch):
    import ui.owner

    monkeypatch.setattr(ui.owner, "store_owner", lambda: "a browser that saved nothing")
    at = open_link("compare", {"runs": saved["theirs"]}, timeout=60)
    assert not at.exception
    assert not at.get("text_input")
    assert t("cmp.rename.none") in [c.value for c in at.caption]
