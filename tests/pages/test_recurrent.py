"""The Recurrent page (pages/recurrent.py) through Streamlit's AppTest, from dashboard.py, with
real training jobs."""

import json

from streamlit.testing.v1 import AppTest

from models.config import count_params
from models.fields import parse_config
from tests.support.apptest import field, open_lab, statuses, train_until_done

SHORT = {
    "data.name": "adding",
    "data.seq_len": "12",
    "data.n_samples": "200",
    "model.width": "8",
    "train.epochs": "2",
    "train.record_every": "5",
}


def open_page(params: dict[str, str] | None = None) -> AppTest:
    return open_lab(params, page="pages/recurrent.py")


def chart_titles(at: AppTest) -> str:
    return " ".join(c.proto.spec for c in at.get("vega_lite_chart"))


def test_two_cells_train_side_by_side_with_every_recurrent_chart():
    at = open_page({**SHORT, "model.arch": "simple_rnn", "b.model.arch": "lstm"})
    cells = at.sidebar.multiselect[0]
    assert cells.value == ["simple_rnn", "lstm"]
    texts = train_until_done(at)
    assert [s.split(":")[0] for s in texts] == ["SimpleRNN", "LSTM"]
    assert all("completed" in s for s in texts), statuses(at)
    assert not at.exception and not at.error
    titles = chart_titles(at)
    for title in (
        "Loss",
        "Gradient through time at the latest step",
        "LSTM forget gate over training",
        "Gradient through time in training",
        "Gradient norm per layer",
    ):
        assert title in titles, title
    loss = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "baseline" in json.dumps(loss)  # the rule of the trivial baseline
    # Parameter counts: the formulas' total, and Keras' own count of the trained model, equal.
    text = " ".join(m.value for m in at.markdown)
    for cell in ("simple_rnn", "lstm"):
        cfg = parse_config(
            {
                "data": {"name": "adding", "seq_len": 12},
                "model": {"arch": cell, "width": 8, "depth": 1},
            }
        )
        assert f"**{count_params(cfg):,}**, equal" in text
    assert at.query_params["b.model.arch"] == "lstm"


def test_picking_cells_rewrites_the_runs_and_the_url():
    at = open_page(SHORT)
    at.sidebar.multiselect[0].set_value(["gru", "lstm", "simple_rnn"]).run()
    assert not at.exception
    assert at.query_params["model.arch"] == "gru"
    assert at.query_params["b.model.arch"] == "lstm"
    assert at.query_params["c.model.arch"] == "simple_rnn"


def test_the_relu_rnn_preset_diverges_with_the_banner():
    at = open_page()
    at.sidebar.selectbox(key="rn:preset").select("rnn_relu_exploding").run()
    assert field(at, "selectbox", "rn:model.activation").value == "relu"
    assert at.sidebar.multiselect[0].value == ["simple_rnn"]
    texts = train_until_done(at)
    assert "diverged" in texts[0]
    assert "diverged at step" in " ".join(w.value for w in at.warning)


def test_one_click_relu_rnn_explodes_and_clipnorm_tames_it_side_by_side():
    at = open_page()
    at.sidebar.selectbox(key="rn:comparison").select("rnn_exploding_clip").run()
    assert not at.exception
    assert at.query_params["b.optimizer.clipnorm"] == "0.02"
    texts = train_until_done(at)
    assert texts[0].startswith("SimpleRNN: diverged"), texts
    assert texts[1].startswith("SimpleRNN (B): completed"), texts
    assert "diverged at step" in " ".join(w.value for w in at.warning)
    said = " ".join(m.value for m in at.markdown)  # the verdict names runs as the statuses do
    assert "measured:** SimpleRNN diverged" in said and "SimpleRNN (B) trained to the end" in said
