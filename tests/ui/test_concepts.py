"""The concept pages' link guard (ui/concepts.py), through the pages (AppTest): a link with
hostile params opens with the good ones (widgets bound with Streamlit's bind="query-params"),
names every param it ignored, and an infinite integer does not break the page."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import TEN_KB, open_link, unescaped
from ui.i18n import t

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
    defaults = concept_widgets(open_link(page))
    params = {k: raw for k, (raw, _) in case["good"].items()} | case["bad"]
    at = open_link(page, {**params, "zzz": TEN_KB, "x" * 10_000: "1"})
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
    at = open_link("backprop", {"bp_in": value, "bp_h": "3"})
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
    at = open_link(page, {**params, "zzz": TEN_KB, "<b>k</b>": "1"})
    notice = concept_notice(at)
    for key in case["bad"]:
        assert f"ignored {key}: " in notice, (key, notice)
    for key in case["good"]:
        assert f"ignored {key}:" not in notice, (key, notice)
    assert f"ignored zzz: the value is too long ({len(TEN_KB):,} characters)" in notice
    assert "ignored unknown parameter '<b>k</b>'" in notice
    assert "<b>" not in notice.replace("'<b>k</b>'", "")  # markup is shown, never rendered
