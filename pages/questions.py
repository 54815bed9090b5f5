"""The Questions notebook: one card per question, a one-click experiment through the engine,
and a verdict computed from that run's measured numbers."""

import streamlit as st

from models.questions import QUESTIONS
from models.sweep import Cell, Plan, Sweep
from ui.concepts import compute_ui
from ui.i18n import t
from ui.pool import job_pool, session_owner
from ui.router import require_router

POLL_EVERY = 0.5  # seconds between progress redraws while an experiment trains

require_router()
st.title(t("q.title"), anchor=False)
st.caption(t("q.intro"))
pool = job_pool()


def start(qid: str) -> None:
    question = QUESTIONS[qid]
    configs = question.configs()
    cells = [Cell((label,), [cfg]) for label, cfg in configs.items()]
    old = st.session_state.get(f"q:{qid}")
    if old is not None and old.runs:
        old.cancel()
    runs = Sweep(Plan(("label",), cells), pool, session_owner(), parallel=pool.max_workers)
    st.session_state[f"q:{qid}"] = runs


def experiment_ui(qid: str) -> None:
    question = QUESTIONS[qid]
    runs: Sweep = st.session_state[f"q:{qid}"]

    @st.fragment(run_every=None if runs.done else POLL_EVERY)
    def view() -> None:
        was_done = runs.done
        runs.poll()
        if runs.runs and not runs.done:
            counts = runs.counts
            st.progress(counts["ended"] / len(runs.runs),
                        text=t("q.progress", total=len(runs.runs), **counts))  # fmt: skip
            return
        labels = [cell.values[0] for cell in runs.plan.cells]
        results = {labels[run.cell]: run.result for run in runs.runs}
        for label, request in question.requests.items():
            data = compute_ui(request)
            if data is None:
                return
            results[label] = data
        verdict = question.verdict(results)
        st.markdown(t(f"q.{qid}.{verdict.key}", **verdict.values))
        failed = [r for r in runs.runs if r.result.status in ("failed", "interrupted")]
        if failed:
            st.warning(t("q.failed", reason=failed[0].result.reason or failed[0].result.status))
        if runs.runs and not was_done:
            st.rerun()

    view()


for qid in QUESTIONS:
    with st.container(border=True):
        st.subheader(t(f"q.{qid}.question"), anchor=qid.replace("_", "-"))
        st.caption(t(f"q.{qid}.how"))
        current = st.session_state.get(f"q:{qid}")
        busy = current is not None and bool(current.runs) and not current.done
        st.button(t("q.run"), key=f"q:{qid}:run", on_click=start, args=(qid,), disabled=busy)
        if current is not None:
            experiment_ui(qid)
