"""The Optimizers page (pages/optimizers.py) through AppTest: Newton's method in one step on a
quadratic, and stopped at a saddle."""

from tests.support.apptest import open_page, texts


def test_optimizers_page_shows_newton_in_one_step_and_at_a_saddle():
    at = open_page("optimizers")
    assert len(at.get("vega_lite_chart")) == 2
    assert "landed on its stationary point in **one step**" in texts(at)
    at = open_page(
        "optimizers",
        {("selectbox", "opt_f"): "nonconvex", ("slider", "opt_x"): 0.2, ("slider", "opt_y"): 0.5},
    )
    assert "**Newton** stopped at a **saddle**" in texts(at)
