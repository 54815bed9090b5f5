"""Importing a config file on a lab page (ui/lab._import): the schema decides, nothing else."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from models.config import parse_config
from ui import config_form as form
from ui import lab

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
    kind, text = lab._import(DN, cfg.model_dump_json().encode())
    assert kind == "ok", text
    assert form.values(DN)["model.depth"] == 7 and form.values(DN)["model.activation"] == "relu"


def test_a_downloaded_run_record_loads_its_config():
    cfg = parse_config({"model": {"width": 9}})
    record = {"config": cfg.model_dump(mode="json"), "status": "completed", "metrics": []}
    assert lab._import(DN, json.dumps(record).encode())[0] == "ok"
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
    kind, text = lab._import(DN, payload)
    assert kind == "error" and words in text, text
    assert "\n" not in text
    assert form.values(DN) == before


def test_the_lab_page_offers_the_import():
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.run()
    at.switch_page("pages/deep_networks.py").run()
    assert not at.exception
    labels = [u.proto.label for u in at.get("file_uploader")]
    assert labels == ["Import a config (JSON)", "Use your own table (CSV)"]
