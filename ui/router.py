"""Keeps every page behind dashboard.py's router, even when a shared link is a server's first
request.

Streamlit still honours its legacy ``pages/`` folder: until some session has run the router's
``st.navigation``, a deep link (``/deep_networks?...``) runs the page script alone, without
dashboard.py's page config and navigation. Pages call :func:`require_router` first; it switches
the process to ``st.navigation`` mode and reruns, so the same URL is served through the router.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.i18n import LANG_PARAM

# The query params every page may carry that are no page's settings: Streamlit's own (embedding),
# the language, a lesson's id (ui/lesson.py) and its class's (ui/classroom.py). A page's link
# checks and URL rewrites leave them alone.
APP_PARAMS = frozenset({"embed", "embed_options", LANG_PARAM, "lesson", "class"})


def require_router() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets
        st.rerun()
