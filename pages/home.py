"""Home: what the lab is, and a link to each page."""

import streamlit as st

from ui.i18n import t
from ui.router import require_router

require_router()

st.title(t("home.title"), anchor=False)
st.write(t("home.intro"))
st.subheader(t("home.pages"), anchor=False)
st.page_link(
    "pages/deep_networks.py", label=t("nav.deep_networks"), icon=":material/stacked_line_chart:"
)
st.caption(t("home.deep_networks"))
st.page_link("pages/recurrent.py", label=t("nav.recurrent"), icon=":material/replay:")
st.caption(t("home.recurrent"))
st.page_link("pages/compare.py", label=t("nav.compare"), icon=":material/compare_arrows:")
st.caption(t("home.compare"))
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
st.info(t("home.howto"))
