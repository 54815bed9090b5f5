"""The Recurrent page through Streamlit's AppTest, from dashboard.py, with real training jobs."""

import json
import re

from streamlit.testing.v1 import AppTest

from models.config import (
    FIELDS,
    RECURRENT_ARCHS,
    ConfigError,
    count_params,
    parse_config,
    with_changes,
)
from tests.test_dashboard import open_lab, statuses, train_until_done
from ui.recurrent import param_terms, term_latex

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
    assert at.sidebar.selectbox(key="rn:model.activation").value == "relu"
    assert at.sidebar.multiselect[0].value == ["simple_rnn"]
    texts = train_until_done(at)
    assert "diverged" in texts[0]
    assert "diverged at step" in " ".join(w.value for w in at.warning)


def test_the_parameter_formulas_sum_to_the_closed_form_count():
    for arch in ("simple_rnn", "lstm", "gru"):
        for depth, width in ((1, 32), (3, 7)):
            cfg = parse_config(
                {
                    "data": {"name": "adding"},
                    "model": {"arch": arch, "depth": depth, "width": width},
                }
            )
            terms = param_terms(cfg)
            assert len(terms) == depth + 1
            for term in terms:
                latex = term_latex(*term)
                assert latex.count("{") == latex.count("}") and "\\{" not in latex, latex
            assert sum(count for *_, count in terms) == count_params(cfg)


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


def drawn(line: str) -> str:
    """The glyphs KaTeX draws for one line of a formula (roughly: commands and spacing out)."""
    for command, glyph in ((r"\cdot", "·"), (r"\,", ""), (r"\big", ""), ("{,}", ",")):
        line = line.replace(command, glyph)
    line = re.sub(r"\\(begin|end)\{aligned\}", "", line)
    return re.sub(r"[{}&\s]", "", line)


def test_each_line_of_a_parameter_formula_fits_a_third_of_the_page():
    """Three cells' formulas sit side by side; on one line (``4(u(u+d)+u) = 4(64·(64+1)+64) =
    16,896``) an LSTM's ran past its column, about 300 px at 1440 px. Each line of the stacked
    formula, at the widest layers the schema allows, is at most 24 glyphs (about 250 px)."""
    for arch in RECURRENT_ARCHS:
        cfg = parse_config({"data": {"name": "recall"}, "model": {"arch": arch, "depth": 2}})
        for width in range(FIELDS["model.width"].le, 0, -1):  # the widest within the budget
            try:
                cfg = with_changes(cfg, {"model.width": width})
                break
            except ConfigError:
                continue
        assert cfg.model.width >= 100
        for term in param_terms(cfg):
            lines = term_latex(*term).split("\\\\")
            assert len(lines) == 3, lines
            for line in lines:
                assert len(drawn(line)) <= 24, (arch, drawn(line))
