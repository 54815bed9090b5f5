"""The Questions notebook: one card per question, a one-click experiment through the engine,
and a verdict computed from that run's measured numbers, over the chart of what it read. Each
run a card ends is saved to this browser's runs, so Compare opens it like a lab's."""

import streamlit as st

from models.teaching.questions import QUESTIONS
from ui import owner
from ui import questions as q
from ui.i18n import t
from ui.pool import job_pool
from ui.router import require_router

require_router()
st.title(t("q.title"), anchor=False)
st.caption(t("q.intro"))
job_pool()  # the workers start (and import TensorFlow) as soon as the page first opens

for qid in QUESTIONS:
    with st.container(border=True):
        st.subheader(t(f"q.{qid}.question"), anchor=qid.replace("_", "-"))
        st.caption(t(f"q.{qid}.how"))
        current = st.session_state.get(f"q:{qid}")
        busy = current is not None and bool(current.runs) and not current.done
        st.button(t("q.run"), key=f"q:{qid}:run", on_click=q.start, args=(qid,), disabled=busy)
        if current is not None:
            q.experiment_ui(qid)
owner.remember_ui()  # once a card has saved runs, this browser keeps its owner token
