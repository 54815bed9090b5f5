"""Home: what the lab is, a first experiment one click away, and a link to each page."""

import streamlit as st

from models.fields import diff, to_flat
from models.teaching.presets import COMPARISONS, PRESETS
from ui.config_form import url_text
from ui.i18n import t, with_language
from ui.router import require_router
from ui.runs import RUN_LABELS

require_router()

FIRST_STEP = "vanishing_fixes"  # the comparison the first step opens on Deep Networks


def comparison_params(name: str) -> dict[str, str]:
    """Deep Networks' URL params for a side-by-side comparison, as that page writes them
    (``form.sync_url``): config A's fields off their defaults, then each other config's
    differences from A as ``b.<field>``, ``c.<field>``, ... (as its comparison picker loads)."""
    first, *others = [PRESETS[n].config() for n in COMPARISONS[name]]
    params = {path: url_text(v) for path, v in to_flat(first, only_changed=True).items()}
    for label, other in zip(RUN_LABELS[1:], others, strict=False):
        for path, (_, value) in diff(first, other).items():
            params[f"{label.lower()}.{path}"] = url_text(value)
    return params


st.title(t("home.title"), anchor=False)
st.write(t("home.intro"))
with st.container(border=True):
    st.subheader(t("home.start.title"), anchor=False)
    st.markdown(t("home.start.body", train=t("dn.train")))
    # a link, not a button calling st.switch_page: it can be opened in a new tab or copied
    st.page_link(
        "pages/deep_networks.py",
        label=f"**{t('home.start.button')}**",
        icon=":material/play_circle:",
        query_params=with_language(comparison_params(FIRST_STEP)),
    )

st.subheader(t("home.pages"), anchor=False)
st.page_link(
    "pages/deep_networks.py", label=t("nav.deep_networks"), icon=":material/stacked_line_chart:"
)
st.caption(t("home.deep_networks"))
st.page_link("pages/recurrent.py", label=t("nav.recurrent"), icon=":material/replay:")
st.caption(t("home.recurrent"))
st.page_link("pages/compare.py", label=t("nav.compare"), icon=":material/compare_arrows:")
st.caption(t("home.compare"))
st.info(t("home.howto", preset=t("dn.sidebar.preset"), comparison=t("dn.sidebar.comparison")))
st.subheader(t("home.concepts"), anchor=False)
for page, icon in (
    ("activations", "show_chart"),
    ("cnn", "grid_on"),
    ("optimizers", "route"),
    ("backprop", "account_tree"),
    ("questions", "quiz"),
):
    st.page_link(f"pages/{page}.py", label=t(f"nav.{page}"), icon=f":material/{icon}:")
    st.caption(t(f"home.{page}"))
