"""The Activations page (pages/activations.py) through AppTest: the measured maxima it states,
and the activations a user picks."""

from tests.support.apptest import open_page, texts


def test_activations_page_states_the_measured_maxima():
    at = open_page("activations")
    assert len(at.get("vega_lite_chart")) == 2 and not at.error
    body = texts(at)
    assert "**sigmoid**: f′ peaks at **0.25** at x = 0" in body
    assert "**tanh**: f′ peaks at **1** at x = 0" in body
    assert "for x > 0, f′ lies in [1, 1]" in body  # ReLU
    assert "After 10 layers, **sigmoid**'s best case is already **9.54e-07**" in body
    table = at.dataframe[0].value
    assert list(table["zero-centred"]) == ["no", "yes", "no", "no"]


def test_activations_page_draws_the_activations_picked():
    at = open_page("activations", {("multiselect", "act_names"): ["elu", "gelu"]})
    assert not at.error
    assert list(at.dataframe[0].value["activation"]) == ["ELU", "GELU"]
    at.multiselect(key="act_names").set_value([]).run()
    assert not at.exception and at.info and not at.get("vega_lite_chart")
