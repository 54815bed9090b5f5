"""Gradient Lab: the entry point (`streamlit run dashboard.py`). A router only."""

import streamlit as st

from ui.i18n import t

st.set_page_config(page_title=t("app.title"), page_icon=":material/insights:", layout="wide")
pages = [
    st.Page("pages/home.py", title=t("nav.home"), icon=":material/home:", default=True),
    st.Page(
        "pages/deep_networks.py", title=t("nav.deep_networks"), icon=":material/stacked_line_chart:"
    ),
    st.Page("pages/recurrent.py", title=t("nav.recurrent"), icon=":material/replay:"),
    st.Page("pages/compare.py", title=t("nav.compare"), icon=":material/compare_arrows:"),
]
st.navigation(pages).run()
