"""The Backpropagation page (pages/backprop.py) through AppTest: for a net of the user's size,
every gradient by hand equals GradientTape's, each named as the matrices are written."""

import re

from tests.support.apptest import open_page, texts


def test_backprop_page_matches_the_tape_for_a_user_sized_net():
    at = open_page(
        "backprop",
        {
            ("number_input", "bp_in"): 3,
            ("number_input", "bp_h"): 4,
            ("number_input", "bp_out"): 2,
            ("selectbox", "bp_act"): "relu",
        },
    )
    assert not at.error
    assert re.search(r"All 26 gradients by hand equal GradientTape's", texts(at))
    params = list(at.dataframe[0].value["parameter"])
    assert len(params) == 26  # 3*4 + 4 + 4*2 + 2
    # named by row and column as the matrices are written above, counted from 1
    assert params[:2] == ["W(1) row 1, column 1", "W(1) row 1, column 2"]
    assert params[11:13] == ["W(1) row 3, column 4", "b(1) entry 1"]
    assert params[-1] == "b(2) entry 2"
    assert len(at.latex) > 8
