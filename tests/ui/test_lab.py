"""What every lab page shares (ui/lab.py): the presets and comparisons each page's pickers offer,
and a config file import where the schema decides and nothing else, called directly and through
the Deep Networks page's Import (AppTest).

Through the page, each hostile file asserts what a user would see and keep: no exception reaches
the page, the refusal is one sentence naming what was wrong, and nothing already in the form, the
widgets or the URL is lost or altered.
"""

import json

import pytest
from streamlit.testing.v1 import AppTest

from models.config import RECURRENT_ARCHS, RunConfig
from models.fields import parse_config
from models.teaching.presets import COMPARISONS, PRESETS
from tests.support import DASHBOARD
from tests.support.apptest import (
    allowed,
    field,
    one_sentence,
    open_lab,
    open_link,
    sidebar_widgets,
    unescaped,
)
from ui import config_form as form
from ui import lab
from ui.i18n import t

KERAS_OBJECT = b'{"class_name": "Dense", "config": {"units": 3}, "module": "keras.layers"}'
DN = form.PageSchema(prefix="dn", fixed={"model.arch": "mlp"})


@pytest.fixture(autouse=True)
def clean_state():
    import streamlit as st

    st.session_state.clear()
    yield
    st.session_state.clear()


def test_a_valid_config_loads_into_the_form():
    cfg = parse_config({"model": {"depth": 7, "activation": "relu"}})
    kind, text = lab.import_config(DN, cfg.model_dump_json().encode())
    assert kind == "ok", text
    assert form.values(DN)["model.depth"] == 7 and form.values(DN)["model.activation"] == "relu"


def test_a_downloaded_run_record_loads_its_config():
    cfg = parse_config({"model": {"width": 9}})
    record = {"config": cfg.model_dump(mode="json"), "status": "completed", "metrics": []}
    assert lab.import_config(DN, json.dumps(record).encode())[0] == "ok"
    assert form.values(DN)["model.width"] == 9


@pytest.mark.parametrize(
    "payload, words",
    [
        (b'{"model": {"depth": NaN}}', "not a valid number"),
        (b'{"optimizer": {"learning_rate": 1e308}}', "learning_rate"),
        (b'{"model": {"depth": 10000000000000000000000}}', "depth"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'{"model": {"depth": 3, "evil": 1}}', "evil"),
        (
            b'{"class_name": "Dense", "config": {"units": 3}, "module": "keras.layers"}',
            "class_name",
        ),
        (b'{"model": {"arch": "lstm"}}', "model.arch"),  # not this page's model
        (b"\xff\xfe\x00binary", "not UTF-8"),
        (b"not json at all", "not valid JSON"),
        (b"{" + b" " * 200_000 + b"}", "at most 100,000"),
    ],
)
def test_hostile_files_are_refused_with_one_sentence_and_change_nothing(payload, words):
    before = dict(form.values(DN))
    kind, text = lab.import_config(DN, payload)
    assert kind == "error" and words in text, text
    assert "\n" not in text
    assert form.values(DN) == before


def test_the_lab_page_offers_the_import():
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/deep_networks.py").run()
    assert not at.exception
    labels = [u.proto.label for u in at.get("file_uploader")]
    assert labels == ["Import a config (JSON)", "Use your own table (CSV)"]


@pytest.mark.parametrize("archs", [{"mlp"}, {"cnn"}, set(RECURRENT_ARCHS)])
def test_a_lab_offers_the_presets_of_its_nets_and_the_comparisons_made_only_of_them(archs):
    presets, comparisons = lab.lab_presets(archs)
    assert presets and comparisons
    mine = {n for n, p in PRESETS.items() if p.config().model.arch in archs}
    assert set(presets) == mine  # every preset of these nets, and no other
    for name, members in COMPARISONS.items():  # the comparisons made of those alone
        assert (name in comparisons) == (set(members) <= mine), name


# -- hostile JSON configs through the page's Import ---------------------------------------------


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
    at = open_link("deep_networks", timeout=60)
    field(at, "slider", "dn:model.depth").set_value(7).run()
    field(at, "selectbox", "dn:model.activation").select("relu").run()
    field(at, "number_input", "dn:optimizer.learning_rate").set_value(0.05).run()
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
    assert field(at, "slider", "dn:model.depth").value == 5


def test_a_config_upload_over_the_size_limit_is_one_sentence_and_changes_nothing():
    at = open_lab({"model.depth": "3"})
    uploader = next(u for u in at.sidebar.file_uploader if u.proto.label.startswith("Import"))
    big = b'{"model": {"depth": 5}, "pad": "' + b"x" * 120_000 + b'"}'
    uploader.set_value(("big.json", big, "application/json")).run()
    text = one_sentence(at.error)
    assert text == f"The file is {len(big):,} bytes; a config may be at most 100,000."
    assert field(at, "slider", "dn:model.depth").value == 3
