"""Home (pages/home.py) through AppTest: it introduces the lab and links each page, and its first
step opens the vanishing-gradient comparison on Deep Networks."""

from urllib.parse import parse_qsl

from streamlit.testing.v1 import AppTest

from models.config import RunConfig
from models.fields import with_changes
from models.teaching.presets import COMPARISONS, PRESETS
from tests.support import DASHBOARD
from ui.i18n import field_label, t


def test_home_page_introduces_the_lab_and_links_each_page():
    at = AppTest.from_file(DASHBOARD, default_timeout=30).run()
    assert not at.exception
    assert "Gradient Lab" in at.title[0].value
    links = [e for e in at.get("page_link")]
    assert any("deep_networks" in link.proto.page for link in links)
    assert any("recurrent" in link.proto.page for link in links)


def in_order(node):
    """Every element under an AppTest node, in page order (containers included)."""
    for child in getattr(node, "children", {}).values():
        yield child
        yield from in_order(child)


def test_home_starts_with_a_link_that_opens_the_vanishing_comparison_on_deep_networks():
    home = AppTest.from_file(DASHBOARD, default_timeout=120)
    home.run()
    shown = [e for e in in_order(home.main) if e.type != "flex_container"]
    kinds = [e.type for e in shown]
    first = kinds.index("page_link")
    # the first step straight after the title and the intro: heading, what to do, the link
    assert kinds[:first] == ["title", "markdown", "subheader", "markdown"]
    link = shown[first].proto
    assert link.page == "deep_networks" and t("home.start.button") in link.label

    params = dict(parse_qsl(link.query_string, strict_parsing=True))
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.run()
    at.switch_page("pages/deep_networks.py")
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.error
    assert not [w for w in at.warning if w.value.startswith(t("dn.url_notice"))]
    a = with_changes(RunConfig(), at.session_state["dn:values"])
    loaded = {"A": a} | {x: with_changes(a, c) for x, c in at.session_state["dn:variants"].items()}
    # A sigmoid, B ReLU + He, C sigmoid + batch norm, D sigmoid + residual: the presets' own
    wanted = [PRESETS[name].config() for name in COMPARISONS["vanishing_fixes"]]
    assert loaded == dict(zip("ABCD", wanted, strict=True))
    # and the page's "what differs" table says so, as a user reads it
    differs = [d.value for d in at.dataframe if list(d.value.columns) == list("ABCD")]
    activations = differs[0].loc[field_label("model.activation")].tolist()
    assert activations == ["sigmoid", "relu", "sigmoid", "sigmoid"]
