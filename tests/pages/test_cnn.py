"""The CNN page (pages/cnn.py) through AppTest: its pooling section checks both rules on the
user's input and refuses a size the pool does not divide; its lab trains small CNNs live, draws
their filters, sweeps the filter count, and keeps every chart inside its column."""

import json
import time

import pytest

from tests.support.apptest import field, open_lab, open_page, texts, train_until_done

# -- convolution and pooling --------------------------------------------------------------------


def test_cnn_page_checks_both_pooling_rules():
    at = open_page(
        "cnn",
        {("selectbox", "pool_size"): 6, ("selectbox", "pool_k"): 3, ("radio", "pool_up"): "random"},
    )
    assert len(at.get("vega_lite_chart")) == 6 and not at.error
    body = texts(at)
    assert "**Max pooling** routed each window's whole gradient to its arg-max" in body
    assert "1/9 to each input: the tape's gradient equals that rule" in body
    assert "4 of 36 inputs receive a gradient (4 windows)" in " ".join(c.value for c in at.caption)


def test_cnn_page_refuses_a_size_the_pool_does_not_divide():
    at = open_page("cnn", {("selectbox", "pool_k"): 3})
    assert "does not split into 3 × 3 windows" in at.error[0].value


# -- the lab ------------------------------------------------------------------------------------


def test_cnn_page_trains_a_cnn_live_and_draws_its_filters():
    at = open_page("cnn")
    assert "1051 parameters" in " ".join(c.value for c in at.caption)
    next(b for b in at.button if b.label == "Train").click().run()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = [p.proto.text for p in at.get("progress")]
        if status and "completed" in status[0]:
            break
        time.sleep(0.5)
        at.run()
    assert not at.exception and "completed 125 steps" in status[0]
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    filters = [s for s in specs if "The first conv layer's filters" in s]
    assert len(filters) == 1 and '"initial"' in filters[0] and '"step 125"' in filters[0]
    assert any("Gradient norm" in s for s in specs)
    sweep = at.text_input(key="cnn:sweep:v1").value
    assert (at.selectbox(key="cnn:sweep:f1").value, sweep) == ("model.width", "1, 2, 4, 8, 16")


def test_the_cnn_filters_sweep_shows_accuracy_and_parameters_per_value():
    at = open_page("cnn", {("text_input", "cnn:sweep:v1"): "1, 4"})
    field(at, "number_input", "cnn:train.epochs").set_value(1).run()
    next(b for b in at.button if b.label == "Run sweep").click().run()
    sweep = at.session_state["cnn:sweep"]
    deadline = time.monotonic() + 180
    while not sweep.done and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception and sweep.done
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("Accuracy and model size per value" in s for s in specs)
    table = at.dataframe[-1].value
    assert list(table["parameters"]) == [r.config.param_count for r in sweep.runs]
    assert table["parameters"].iloc[0] < table["parameters"].iloc[1]


def test_the_cnn_table_of_differences_names_fields_as_the_sidebar_does():
    at = open_lab({"b.model.width": "4", "b.model.depth": "1"}, "pages/cnn.py")
    [diff] = [d.value for d in at.dataframe if list(d.value.columns) == ["A", "B"]]
    assert set(diff.index) == {"Conv layers", "Filters per conv layer"}


LIVE_CHARTS = ("loss-", "grad-", "heatmap-")  # charts.vega.vega_spec names each chart's datasets


@pytest.mark.parametrize("params", [{}, {"b.model.pooling": "mean"}], ids=["one", "two_runs"])
def test_the_cnn_lab_puts_no_fixed_width_chart_in_a_half_page_column(params):
    """The loss and accuracy panels (600 px wide) and two runs' gradient panels sat in half-page
    columns and ran past their right edge: in a column only a chart that stretches to it."""
    at = open_lab({"train.epochs": "1", "data.n_samples": "200", **params}, "pages/cnn.py")
    texts = train_until_done(at)
    assert len(texts) == 1 + len(params) and all("completed" in s for s in texts), texts
    live = [
        c
        for c in at.get("vega_lite_chart")
        if any(d.name.startswith(LIVE_CHARTS) for d in c.proto.datasets)
    ]
    assert len(live) == 3  # loss, gradient norms, heatmap
    in_columns = {c.proto.spec for col in at.columns for c in col.get("vega_lite_chart")}
    for chart in live:
        spec = json.loads(chart.proto.spec)
        if chart.proto.spec in in_columns:
            assert spec.get("width") == "container", [d.name for d in chart.proto.datasets]
    assert any(c.proto.spec in in_columns for c in live) == (not params)  # one run: two a row
