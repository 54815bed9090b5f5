"""The bad input corpus, through the pages (AppTest): hostile URL params on every page that reads
them, hostile JSON configs through a lab's Import, hostile run names through Compare's rename.

Each case asserts what a user would see and keep: no exception reaches the page, the refusal is
one sentence naming what was wrong, the good input still applies, and nothing saved or already in
the form is lost or altered. The schema's own rules (models/config.py) and the store's
(models/store.py) are unit-tested in test_config.py and test_store.py; test_import.py calls the
import function directly. Here everything goes through the widgets a user touches.
"""

import json
import uuid

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from models.config import FIELDS, RunConfig, parse_config
from models.store import RunStore, runs_table
from tests.test_dashboard import button
from ui import compare as cmp
from ui.i18n import t
from ui.text import escape_markdown

# -- helpers ------------------------------------------------------------------------------------


def open_page(page: str, params: dict | None = None, timeout: float = 120) -> AppTest:
    """A page of the dashboard opened from a link carrying `params` (a list value is a key
    repeated in the URL). Concept pages compute in a worker that may still import TensorFlow."""
    at = AppTest.from_file("../dashboard.py", default_timeout=timeout)
    at.run()
    at.switch_page(f"pages/{page}.py")
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    return at


def unescaped(text: str) -> str:
    return text.replace("\\", "")  # user text inside Markdown is shown backslash-escaped


def notice_lines(at: AppTest) -> list[str]:
    """The items of the page's "Some settings in the link were ignored" notice."""
    notices = [w.value for w in at.warning if w.value.startswith(t("dn.url_notice"))]
    assert len(notices) == 1, [w.value for w in at.warning]
    return [unescaped(x[2:]) for x in notices[0].splitlines() if x.startswith("- ")]


def sidebar_widgets(at: AppTest, prefix: str) -> dict[str, object]:
    """Every config widget in the sidebar by key, with its value."""
    out = {}
    for kind in ("slider", "selectbox", "number_input", "toggle", "radio", "multiselect"):
        for w in getattr(at.sidebar, kind):
            if w.key and w.key.startswith(f"{prefix}:"):
                out[w.key] = w.value
    return out


# -- URL params on the lab pages ----------------------------------------------------------------

TEN_KB = "9" * 10_000


def allowed(path: str) -> str:
    return f"{path} must be {FIELDS[path].allowed()}"


# Per page: good params (a list is a repeated key: the last value counts, as in st.query_params),
# bad params with words their notice line must hold, unknown keys, and side-by-side configs.
LAB_LINKS = {
    "deep_networks": {
        "prefix": "dn",
        "good": {
            "model.activation": ("relu", "relu"),
            "optimizer.name": ("sgd", "sgd"),
            "data.n_samples": (["abc", "500"], 500),
        },
        "bad": {
            "model.depth": ("abc", [allowed("model.depth"), "(got 'abc')"]),  # wrong type
            "model.width": ("513", [allowed("model.width"), "(got 513)"]),  # out of range
            "data.noise": ("NaN", [allowed("data.noise"), "(got 'NaN')"]),
            "optimizer.learning_rate": ("inf", [allowed("optimizer.learning_rate")]),
            "train.epochs": ("-Infinity", [allowed("train.epochs")]),
            "model.dropout": ("1e400", [allowed("model.dropout")]),  # overflows to inf
            "model.batch_norm": ("maybe", [allowed("model.batch_norm")]),
            "model.l2": (TEN_KB, ["too long (10,000 characters)"]),
            "train.seed": (["5", "abc"], [allowed("train.seed"), "(got 'abc')"]),  # repeated
            "model.arch": ("lstm", ["model.arch 'lstm' needs a sequence task"]),
            "data.name": ("adding", ["needs a 2-D task"]),
        },
        "unknown": ["zzz", "model.depht", "e.model.depth", "<img src=x onerror=alert(1)>"],
        "variants": {
            "b.model.depth": ("NaN", "ignored config B: " + allowed("model.depth")),
            "c.model.width": (TEN_KB, "ignored config C: the value of model.width is too long"),
            "d.model.activation": ("sigmoid", None),
        },
    },
    "recurrent": {
        "prefix": "rn",
        "good": {
            "model.activation": ("relu", "relu"),
            "train.epochs": ("3", 3),
            "data.seq_len": (["9999", "40"], 40),
        },
        "bad": {
            "model.width": ("abc", [allowed("model.width")]),
            "model.depth": ("65", [allowed("model.depth"), "(got 65)"]),
            "data.noise": ("inf", [allowed("data.noise")]),
            "optimizer.learning_rate": ("NaN", [allowed("optimizer.learning_rate")]),
            "data.n_samples": (TEN_KB, ["too long"]),
            "model.arch": ("mlp", ["model.arch 'mlp' needs a 2-D task"]),
            "data.name": ("circle", ["needs a sequence task"]),
            "model.batch_norm": ("true", ["model.batch_norm applies to the mlp and cnn archs"]),
        },
        "unknown": ["zzz", "b.nope", "x" * 10_000],
        "variants": {
            "b.model.arch": (
                "<script>alert(1)</script>",
                "ignored config B: " + allowed("model.arch"),
            ),
            "c.model.arch": ("gru", None),
        },
    },
    "cnn": {
        "prefix": "cnn",
        "good": {
            "model.activation": ("tanh", "tanh"),
            "model.kernel_size": (["abc", "4"], 4),
            "train.epochs": ("2", 2),
        },
        "bad": {
            "model.pooling": ("avg", [allowed("model.pooling"), "(got 'avg')"]),
            "model.width": ("1e400", [allowed("model.width")]),
            "model.depth": ("5", ["model.depth must be at most 4 for the cnn arch (got 5)"]),
            "model.dropout": ("NaN", [allowed("model.dropout")]),
            "model.leaky_k": ("-inf", [allowed("model.leaky_k")]),  # a hidden widget's field
            "model.arch": ("mlp", ["model.arch 'mlp' needs a 2-D task"]),
            "data.name": ("circle", ["model.arch 'cnn' needs an image task"]),
            "train.batch_size": (TEN_KB, ["too long"]),
        },
        "unknown": ["q", "<script>alert(1)</script>"],
        "variants": {},
    },
}


@pytest.mark.parametrize("page", list(LAB_LINKS))
def test_a_lab_link_with_bad_params_opens_names_each_one_and_keeps_the_good_ones(page):
    case = LAB_LINKS[page]
    prefix = case["prefix"]
    defaults = open_page(page).session_state[f"{prefix}:values"]
    params = {p: raw for p, (raw, _) in case["good"].items()}
    params |= {p: raw for p, (raw, _) in case["bad"].items()}
    params |= {key: TEN_KB if len(key) < 100 else "1" for key in case["unknown"]}
    params |= {p: raw for p, (raw, _) in case["variants"].items()}
    at = open_page(page, params)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]

    lines = notice_lines(at)
    for path, (_, words) in case["bad"].items():
        mine = [x for x in lines if x.startswith(f"ignored {path}: ")]
        assert len(mine) == 1, (path, lines)
        for word in words:
            assert word in mine[0], (path, mine[0])
    for key in case["unknown"]:
        shown = repr(key) if len(key) <= 40 else key[:30]  # a long key is cut short
        assert any(x.startswith("ignored unknown parameter ") and shown in x for x in lines), key
    for _, (_, line) in case["variants"].items():
        if line:
            assert any(x.startswith(line) for x in lines), (line, lines)
    expected_lines = len(case["bad"]) + len(case["unknown"])
    expected_lines += sum(1 for _, line in case["variants"].values() if line)
    assert len(lines) == expected_lines, lines  # one line per bad param, none for a good one
    # Markup in a param is shown as text: the notice's Markdown escapes it.
    notice = next(w.value for w in at.warning if w.value.startswith(t("dn.url_notice")))
    assert "<" not in notice.replace("\\<", "")

    values = at.session_state[f"{prefix}:values"]
    for path, (_, want) in case["good"].items():
        assert values[path] == want, path
    for path in case["bad"]:
        assert values[path] == defaults[path], path
    widgets = sidebar_widgets(at, prefix)
    for path, (_, want) in case["good"].items():
        if f"{prefix}:{path}" in widgets:
            assert widgets[f"{prefix}:{path}"] == want, path
    kept = {p.split(".", 1)[0].upper(): {p.split(".", 1)[1]: raw}
            for p, (raw, line) in case["variants"].items() if line is None}  # fmt: skip
    assert at.session_state[f"{prefix}:variants"] == kept

    # The page rewrote its URL: the good params stay, the bad and unknown ones are gone.
    for path, (_, want) in case["good"].items():
        assert at.query_params.get(path) in (str(want), [str(want)]), path
    for path, (raw, _) in case["bad"].items():
        assert at.query_params.get(path) != raw, path  # the page's own value, if any, instead
    for key in [*case["unknown"], *(p for p, (_, line) in case["variants"].items() if line)]:
        assert key not in at.query_params, key
    for path, (raw, line) in case["variants"].items():
        if line is None:
            assert at.query_params.get(path) == raw, path
    # ... and that URL reproduces the screen in a fresh session, with nothing left to ignore.
    again = open_page(page, dict(at.query_params))
    assert not again.exception and not again.warning, [w.value for w in again.warning]
    assert again.session_state[f"{prefix}:values"] == values
    assert again.session_state[f"{prefix}:variants"] == kept


# -- URL params on the concept pages (widgets bound with Streamlit's bind="query-params") --------

CONCEPT_LINKS = {
    "activations": {
        "good": {"act_n": ("7", 7), "act_k": ("0.5", 0.5)},
        "bad": {
            "act_x": "1e400",
            "act_names": ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"],
        },
    },
    "optimizers": {
        "good": {"opt_mom": ("0.5", 0.5), "opt_y": ("2", 2.0)},
        "bad": {
            "opt_c": "abc",
            "opt_s": "1e400",
            "opt_lr": "-inf",
            "opt_d": TEN_KB,
            "opt_x": "NaN",
            "opt_f": "<img src=x onerror=alert(1)>",
            "opt_m": ["<script>alert(1)</script>"],
        },
    },
    "backprop": {
        "good": {"bp_h": ("3", 3)},
        "bad": {
            "bp_in": "abc",
            "bp_out": "99",
            "bp_act": "<script>alert(1)</script>",
            "bp_seed": "nan",
        },
    },
}


def concept_widgets(at: AppTest) -> dict[str, object]:
    out = {}
    for kind in ("slider", "number_input", "selectbox", "multiselect"):
        for w in getattr(at, kind):
            if w.key:
                out[w.key] = w.value
    return out


@pytest.mark.parametrize("page", list(CONCEPT_LINKS))
def test_a_concept_page_link_with_bad_params_opens_with_the_good_ones(page):
    case = CONCEPT_LINKS[page]
    defaults = concept_widgets(open_page(page))
    params = {k: raw for k, (raw, _) in case["good"].items()} | case["bad"]
    at = open_page(page, {**params, "zzz": TEN_KB, "x" * 10_000: "1"})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    widgets = concept_widgets(at)
    for key, (_, want) in case["good"].items():
        assert widgets[key] == want, key
    for key in case["bad"]:
        assert widgets[key] == defaults[key], key
        assert key not in at.query_params, key  # an invalid bound value leaves the URL
    assert at.get("vega_lite_chart") or at.dataframe  # and the page computed its result


@pytest.mark.parametrize("value", ["inf", "1e400", "-inf", "nan"])
def test_an_infinite_integer_in_a_concept_link_does_not_break_the_page(value):
    # Streamlit 1.67 seeds an integer number_input bound to the URL with int(float(v)) and
    # catches only ValueError: the page's link guard removes such values before the widgets.
    at = open_page("backprop", {"bp_in": value, "bp_h": "3"})
    assert not at.exception
    assert at.number_input(key="bp_in").value == 2 and at.number_input(key="bp_h").value == 3
    assert f"ignored bp_in: this page cannot use '{value}' there" in concept_notice(at)


def concept_notice(at: AppTest) -> str:
    [notice] = [w.value for w in at.warning if w.value.startswith(t("dn.url_notice"))]
    return unescaped(notice)


@pytest.mark.parametrize("page", list(CONCEPT_LINKS))
def test_a_concept_page_names_every_param_it_ignored(page):
    case = CONCEPT_LINKS[page]
    params = {k: raw for k, (raw, _) in case["good"].items()} | case["bad"]
    at = open_page(page, {**params, "zzz": TEN_KB, "<b>k</b>": "1"})
    notice = concept_notice(at)
    for key in case["bad"]:
        assert f"ignored {key}: " in notice, (key, notice)
    for key in case["good"]:
        assert f"ignored {key}:" not in notice, (key, notice)
    assert f"ignored zzz: the value is too long ({len(TEN_KB):,} characters)" in notice
    assert "ignored unknown parameter '<b>k</b>'" in notice
    assert "<b>" not in notice.replace("'<b>k</b>'", "")  # markup is shown, never rendered


# -- hostile JSON configs through a lab's Import --------------------------------------------------

LAMBDA = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "config": {
        "name": "lambda",
        "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}},
    },
    "registered_name": None,
}
MODEL_TO_JSON = {  # the shape of keras.Model.to_json(), with a Lambda layer in it
    "module": "keras",
    "class_name": "Sequential",
    "config": {
        "name": "sequential",
        "trainable": True,
        "layers": [
            {
                "module": "keras.layers",
                "class_name": "InputLayer",
                "config": {"batch_shape": [None, 2]},
            },
            LAMBDA,
        ],
    },
    "registered_name": None,
    "build_config": {"input_shape": [None, 2]},
    "compile_config": None,
}
HOSTILE_CONFIGS = {
    "nan": (b'{"data": {"noise": NaN}}', "NaN is not a valid number"),
    "infinity": (b'{"optimizer": {"learning_rate": Infinity}}', "Infinity is not a valid number"),
    "minus infinity, top level": (b"-Infinity", "-Infinity is not a valid number"),
    "1e400": (b'{"optimizer": {"learning_rate": 1e400}}', allowed("optimizer.learning_rate")),
    "1e400 for an int": (b'{"model": {"depth": 1e400}}', allowed("model.depth")),
    "a 4,000-digit int": (b'{"model": {"width": ' + b"9" * 4000 + b"}}", allowed("model.width")),
    "10,000 levels of lists": (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
    "10,000 levels of objects in a field": (
        b'{"model": {"depth": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_002,
        "nested too deeply",
    ),
    "500 levels in a field": (
        b'{"model": {"depth": ' + b"[" * 500 + b"]" * 500 + b"}}",
        allowed("model.depth"),
    ),
    "an extra section": (b'{"model": {"depth": 3}, "extra": {"x": 1}}', "unknown section 'extra'"),
    "an extra field": (b'{"train": {"epochs": 2, "zzz": 1}}', "unknown field 'train.zzz'"),
    "a Keras Lambda layer": (json.dumps(LAMBDA).encode(), "unknown section 'module'"),
    "a model.to_json()": (json.dumps(MODEL_TO_JSON).encode(), "unknown section 'module'"),
    "a run record with a Keras config": (
        json.dumps({"config": MODEL_TO_JSON, "metrics": [], "status": "completed"}).encode(),
        "unknown section 'module'",
    ),
    "a Keras object as a field": (
        json.dumps({"model": {"activation": LAMBDA}}).encode(),
        allowed("model.activation"),
    ),
    "a list": (b"[1, 2]", "must be a JSON object (got list)"),
    "a string": (b'"model.depth=3"', "must be a JSON object (got str)"),
    "a number": (b"42", "must be a JSON object (got int)"),
    "null": (b"null", "must be a JSON object (got NoneType)"),
    "a run record whose config is a list": (
        b'{"config": [1], "metrics": []}',
        "must be a JSON object (got list)",
    ),
    "markup in a value": (
        b'{"model": {"activation": "<script>alert(1)</script>"}}',
        "(got '<script>alert(1)</script>')",
    ),
    "a lone surrogate": (b'{"model": {"activation": "\\ud800"}}', allowed("model.activation")),
    "over 100 kB": (b'{"model": {}' + b" " * 100_000 + b"}", "at most 100,000"),
    "Latin-1 bytes": ('{"model": {"activation": "tanh é"}}'.encode("latin-1"), "not UTF-8"),
    "UTF-16": ('{"model": {"depth": 3}}'.encode("utf-16"), "not UTF-8"),
    "binary": (b"\xff\xfe\x00\x01binary\x00", "not UTF-8"),
    "empty": (b"", "not valid JSON"),
    "two documents": (b'{"model": {"depth": 3}} {"model": {"depth": 5}}', "not valid JSON"),
    "a 5,000-digit int": (
        b'{"model": {"width": ' + b"9" * 5000 + b"}}",
        "model.width must be an integer from 1 to 512 (got 'a 5,000-digit number')",
    ),
}


def open_lab_with_edits() -> AppTest:
    """Deep Networks with a few fields already changed by hand: what an import must not lose."""
    at = open_page("deep_networks", timeout=60)
    at.sidebar.slider(key="dn:model.depth").set_value(7).run()
    at.sidebar.selectbox(key="dn:model.activation").select("relu").run()
    at.sidebar.number_input(key="dn:optimizer.learning_rate").set_value(0.05).run()
    assert not at.exception and not at.error
    return at


def upload(at: AppTest, data: bytes, name: str = "config.json") -> AppTest:
    uploaders = [u for u in at.sidebar.get("file_uploader") if u.key.startswith("dn:import:")]
    assert len(uploaders) == 1  # a fresh uploader after each file (see ui.lab.import_ui)
    return uploaders[0].set_value((name, data, "application/json")).run()


@pytest.fixture(scope="module")
def edited_lab():
    """One page for the hostile files (each is refused, so the form stays as the user left it)."""
    return open_lab_with_edits()


@pytest.mark.parametrize(
    "data, words",
    list(HOSTILE_CONFIGS.values()),
    ids=list(HOSTILE_CONFIGS),
)
def test_a_hostile_config_file_is_one_sentence_and_the_form_keeps_its_values(
    edited_lab, data, words
):
    at = edited_lab
    widgets, values = sidebar_widgets(at, "dn"), dict(at.session_state["dn:values"])
    url = dict(at.query_params)
    assert widgets["dn:model.depth"] == 7 and widgets["dn:model.activation"] == "relu"
    upload(at, data)
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == []
    assert len(at.error) == 1, [e.value for e in at.error]
    message = at.error[0].value
    assert words in unescaped(message), message
    assert "\n" not in message and "Traceback" not in message and len(message) < 400
    assert "<" not in message.replace("\\<", "")  # markup from the file is shown as text
    assert sidebar_widgets(at, "dn") == widgets
    assert at.session_state["dn:values"] == values
    assert dict(at.query_params) == url
    at.run()  # the next rerun: the message has been shown once, the form is still the same
    assert not at.exception and sidebar_widgets(at, "dn") == widgets


def test_after_refused_files_a_good_one_still_loads_into_the_form():
    """The control for the test above: the same comparison sees an import that does change the
    form (so "unchanged" there is a finding, not a blind spot)."""
    at = open_lab_with_edits()
    before = sidebar_widgets(at, "dn")
    upload(at, b"[" * 10_000)
    upload(at, json.dumps(LAMBDA).encode())
    assert sidebar_widgets(at, "dn") == before
    good = parse_config({"model": {"depth": 3, "activation": "elu"}, "train": {"epochs": 4}})
    upload(at, good.model_dump_json().encode())
    assert not at.exception and not at.error
    assert [unescaped(s.value) for s in at.success] == [t("lab.imported")]
    after = sidebar_widgets(at, "dn")
    assert after != before
    assert (after["dn:model.depth"], after["dn:model.activation"]) == (3, "elu")
    assert after["dn:optimizer.learning_rate"] == RunConfig().optimizer.learning_rate


def test_a_config_saved_with_a_byte_order_mark_imports():
    """Windows editors save UTF-8 with a BOM; it is still a UTF-8 JSON config (RFC 8259 lets a
    parser ignore it), not an error telling the user to 'decode using utf-8-sig'."""
    at = open_lab_with_edits()
    upload(at, b"\xef\xbb\xbf" + b'{"model": {"depth": 5}}')
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.sidebar.slider(key="dn:model.depth").value == 5


# -- hostile run names through Compare's rename --------------------------------------------------


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
    at = open_page("compare", {"runs": f"{mine},{theirs}"}, timeout=60)
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
    # page sends the new ones (tests/test_browser.py sees them in Chromium).
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
    cmp._rename(store, saved["owner"])
    assert st.session_state[cmp.RENAME_RESULT] == ("error", t("cmp.rename.not_yours"))
    st.session_state.clear()
    assert table_rows(store) == before


def test_a_session_with_only_linked_runs_is_told_it_cannot_rename_them(saved, monkeypatch):
    import ui.owner

    monkeypatch.setattr(ui.owner, "store_owner", lambda: "a browser that saved nothing")
    at = open_page("compare", {"runs": saved["theirs"]}, timeout=60)
    assert not at.exception
    assert not at.get("text_input")
    assert t("cmp.rename.none") in [c.value for c in at.caption]
