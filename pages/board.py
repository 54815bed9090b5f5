"""Class board: the runs a class shared from a lesson, live (ui/classroom.py)."""

from __future__ import annotations

import streamlit as st

from ui.classroom import board_ui
from ui.i18n import t
from ui.router import require_router

require_router()

st.title(t("board.title"), anchor=False)
st.caption(t("board.intro"))
board_ui()
