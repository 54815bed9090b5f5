"""Gradient Lab: the entry point (`streamlit run dashboard.py`). A router only."""

import streamlit as st

from ui.i18n import choose_language, t

choose_language()  # ?lang=, else the browser's; the sidebar's selector changes it
st.set_page_config(page_title=t("app.title"), page_icon=":material/insights:", layout="wide")
pages = [
    st.Page("pages/home.py", title=t("nav.home"), icon=":material/home:", default=True),
    st.Page(
        "pages/deep_networks.py", title=t("nav.deep_networks"), icon=":material/stacked_line_chart:"
    ),
    st.Page("pages/recurrent.py", title=t("nav.recurrent"), icon=":material/replay:"),
    st.Page("pages/compare.py", title=t("nav.compare"), icon=":material/compare_arrows:"),
    st.Page("pages/board.py", title=t("nav.board"), icon=":material/groups:"),
]
concepts = [
    st.Page("pages/activations.py", title=t("nav.activations"), icon=":material/show_chart:"),
    st.Page("pages/cnn.py", title=t("nav.cnn"), icon=":material/grid_on:"),
    st.Page("pages/optimizers.py", title=t("nav.optimizers"), icon=":material/route:"),
    st.Page("pages/backprop.py", title=t("nav.backprop"), icon=":material/account_tree:"),
    st.Page("pages/questions.py", title=t("nav.questions"), icon=":material/quiz:"),
]
st.navigation({t("nav.labs"): pages, t("nav.concepts"): concepts}).run()
