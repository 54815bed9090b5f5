"""The Questions notebook's card parts: start a question's one-click experiment, save the runs
it ends to this browser's runs, and word the verdict (models.teaching.questions) over the chart
of the metrics it read."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from charts.questions import evidence_chart
from charts.style import with_font
from models.infra.sweep import Cell, Plan, Sweep, SweepRun
from models.teaching.questions import QUESTIONS
from ui import owner
from ui.concepts import compute_ui
from ui.i18n import chart_labels, t, with_language
from ui.pool import job_pool, session_owner
from ui.sweep import runs_progress_ui, save_runs
from ui.text import escape_markdown, say_markdown

POLL_EVERY = 0.5  # seconds between progress redraws while an experiment trains


def start(qid: str) -> None:
    """The Run button's callback: the question's experiment, replacing its last one."""
    question = QUESTIONS[qid]
    configs = question.configs()
    cells = [Cell((label,), [cfg]) for label, cfg in configs.items()]
    old = st.session_state.get(f"q:{qid}")
    if old is not None and old.runs:
        old.cancel()
    # The pool's owner is this tab (its limit, its reaper); the saved runs' owner, the browser.
    pool = job_pool()
    runs = Sweep(Plan(("label",), cells), pool, session_owner(), parallel=pool.max_workers)
    st.session_state[f"q:{qid}"] = runs
    st.session_state[f"q:{qid}:saved"] = {}
    st.session_state.pop(f"q:{qid}:save_error", None)
    owner.token()  # made now, so this click's page run writes the cookie before a run ends


def label_of(runs: Sweep, run: SweepRun) -> str:
    """A run's label as the card shows it ("relu_high_lr" -> "relu high lr")."""
    return t(f"q.label.{runs.plan.cells[run.cell].values[0]}")


def verdict_values(qid: str, values: dict) -> dict:
    """A verdict's values in words: a run status by its word, rows one by one (see
    models.teaching.questions.Verdict)."""
    worded = {}
    for name, value in values.items():
        if name.endswith("status"):
            value = t(f"cmp.status.{value}")
        elif isinstance(value, list):
            value = t("q.list_sep").join(t(f"q.{qid}.row.{name}", **row) for row in value)
        worded[name] = value
    return worded


def save_ended(qid: str, runs: Sweep) -> None:
    """Each run that has ended goes to this browser's runs, once; a store failure is said once
    and not retried."""
    if f"q:{qid}:save_error" in st.session_state:
        return
    short = t(f"q.{qid}.short")
    saved = st.session_state.setdefault(f"q:{qid}:saved", {})
    error = save_runs(runs.runs, saved, lambda run: f"{short} · {label_of(runs, run)}")
    if error:
        st.session_state[f"q:{qid}:save_error"] = error


def evidence_ui(qid: str, runs: Sweep) -> None:
    """The chart of each metric the verdict read, one series per run, full card width."""
    evidence = QUESTIONS[qid].evidence
    frames = [
        pd.DataFrame.from_records(run.result.metrics).assign(run=label_of(runs, run))
        for run in runs.runs
        if run.result.metrics
    ]
    if not evidence or not frames:
        return
    metrics = pd.concat(frames, ignore_index=True)
    st.caption(t("q.evidence"))
    labels = chart_labels()
    for name in evidence:
        if (chart := evidence_chart(metrics, name, labels)) is not None:
            # a container-wide chart fills the card; fixed-size panels keep their size
            fits = getattr(chart, "width", None) == "container"
            st.altair_chart(with_font(chart), width="stretch" if fits else "content")


def experiment_ui(qid: str) -> None:
    """A started card: its runs' progress, then the verdict over its evidence and its saved runs."""
    question = QUESTIONS[qid]
    runs: Sweep = st.session_state[f"q:{qid}"]

    @st.fragment(run_every=None if runs.done else POLL_EVERY)
    def view() -> None:
        was_done = runs.done
        runs.poll()
        save_ended(qid, runs)
        if runs.runs and not runs.done:
            runs_progress_ui(runs, lambda run: label_of(runs, run))
            return
        labels = [cell.values[0] for cell in runs.plan.cells]
        results = {labels[run.cell]: run.result for run in runs.runs}
        for label, request in question.requests.items():
            data = compute_ui(request)
            if data is None:
                return
            results[label] = data
        verdict = question.verdict(results)
        st.markdown(t(f"q.{qid}.{verdict.key}", **verdict_values(qid, verdict.values)))
        failed = [r for r in runs.runs if r.result.status in ("failed", "interrupted")]
        if failed:
            end = failed[0].result
            reason = say_markdown(end.reason) if end.reason else escape_markdown(end.status)
            st.warning(t("q.failed", reason=reason))
        evidence_ui(qid, runs)
        if error := st.session_state.get(f"q:{qid}:save_error"):
            st.warning(t("lab.save_failed", error=escape_markdown(error)))
        elif saved := st.session_state.get(f"q:{qid}:saved"):
            st.caption(t("lab.saved", count=len(saved)))
            ids = ",".join(saved[i] for i in sorted(saved))
            st.page_link(
                "pages/compare.py", label=t("q.compare"), query_params=with_language({"runs": ids})
            )
        if runs.runs and not was_done:
            st.rerun()

    view()
