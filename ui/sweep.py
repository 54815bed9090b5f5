"""A lab page's Sweep section: pick one or two fields and their values, run the grid, see it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from charts.style import with_font
from charts.sweep import sweep_chart, sweep_lines_chart
from models.config import ConfigError, RunConfig
from models.fields import FIELDS, applies
from models.infra.jobs import JobPool
from models.infra.ray_pool import RayPool
from models.infra.store import MAX_NAME, StoreError
from models.infra.sweep import MAX_SEEDS, Sweep, SweepRun, parse_values, plan
from ui import config_form as form
from ui import owner
from ui.i18n import chart_labels, field_label, say_first, t, with_language, worded
from ui.pool import ray_backend, run_store, session_owner
from ui.runs import store_problem
from ui.text import escape_markdown, say_markdown

POLL_EVERY = 0.5  # seconds between progress redraws while a sweep runs
NONE = ""


def sweep_ui(
    page: form.PageSchema,
    pool: JobPool,
    base: RunConfig | None,
    first: tuple[str, str] = ("model.activation", "relu, tanh"),
    second: tuple[str, str] = ("model.depth", "2, 6"),
) -> None:
    """The sweep form in an expander, and the running or finished sweep below it. ``first`` and
    ``second``: the fields and values it opens with (second field NONE: a one-field sweep)."""
    prefix = page.prefix
    key = f"{prefix}:sweep"
    # Fields this page's net has (no pooling on an MLP); those that apply once another field is
    # set (the LeakyReLU slope, momentum, the init std) stay, as a sweep may set both.
    follows = ("model.leaky_k", "model.init_scale", "optimizer.momentum")
    fields = [
        p
        for p in FIELDS
        if p not in page.fixed
        and p != "train.seed"
        and (base is None or applies(base, p) or p in follows)
    ]
    title = functools.partial(form.field_title, page)
    with st.expander(t("sweep.title"), expanded=key in st.session_state):
        st.caption(t("sweep.help"))
        runner = _ray_ui() or pool
        c1, c2 = st.columns(2)
        c1.selectbox(
            t("sweep.field"), fields, index=fields.index(first[0]),
            format_func=worded(fields, title), key=f"{key}:f1",
        )  # fmt: skip
        c2.text_input(t("sweep.values"), first[1], key=f"{key}:v1", max_chars=300)
        c3, c4 = st.columns(2)
        c3.selectbox(
            t("sweep.field2"), [NONE, *fields], index=[NONE, *fields].index(second[0]),
            format_func=worded(
                [NONE, *fields], lambda p: t("sweep.none") if p == NONE else title(p)
            ),
            key=f"{key}:f2",
        )  # fmt: skip
        c4.text_input(t("sweep.values"), second[1], key=f"{key}:v2", max_chars=300)
        st.number_input(t("sweep.seeds"), 1, MAX_SEEDS, 1, key=f"{key}:seeds")
        running = key in st.session_state and not st.session_state[key].done

        def start() -> None:
            state = st.session_state
            try:
                sweeps = [
                    (state[f"{key}:f1"], parse_values(state[f"{key}:f1"], state[f"{key}:v1"]))
                ]
                if state[f"{key}:f2"] != NONE:
                    path = state[f"{key}:f2"]
                    sweeps.append((path, parse_values(path, state[f"{key}:v2"])))
                the_plan = plan(base, sweeps, int(state[f"{key}:seeds"]))
            except ConfigError as exc:
                state[f"{key}:error"] = say_first(exc.problems)
                return
            if why := _page_refuses(page, the_plan):
                state[f"{key}:error"] = why
                return
            old = state.get(key)
            if old is not None:
                old.cancel()
            # The pool's owner is the tab (its limit, its reaper); the saved runs' is the browser.
            state[key] = Sweep(the_plan, runner, session_owner(), parallel=runner.max_workers)
            state.pop(f"{key}:saved", None)
            state.pop(f"{key}:save_error", None)
            owner.token()  # made now, so this run's page writes the cookie before any run ends

        def stop() -> None:
            st.session_state[key].cancel()

        run_col, stop_col, _ = st.columns([1, 1, 4])
        run_col.button(
            t("sweep.run"), disabled=base is None or running, key=f"{key}:run", on_click=start
        )
        stop_col.button(t("sweep.stop"), disabled=not running, key=f"{key}:stop", on_click=stop)
        if error := st.session_state.pop(f"{key}:error", None):
            st.error(t("sweep.invalid", error=escape_markdown(error)))
        if key in st.session_state:
            _progress(prefix)
    # Every lab page draws this section on each full run: the place that writes this browser's
    # owner cookie once a run has been saved (the lab's or a sweep's).
    owner.remember_ui()


def _ray_ui() -> RayPool | None:
    """Where sweeps run when a Ray cluster is configured, in one line; the pool once connected."""
    backend = ray_backend()
    if backend is None:
        return None
    where = escape_markdown(backend.address[:200])
    if backend.pool is not None:
        st.caption(t("sweep.on_ray", where=where, cpus=backend.pool.max_workers))
    elif backend.error is not None:
        st.warning(t("sweep.ray_error", where=where, error=escape_markdown(backend.error[:300])))
    elif backend.waited > backend.CONNECT_PATIENCE:
        st.warning(t("sweep.ray_silent", where=where, seconds=round(backend.waited)))
    else:
        st.caption(t("sweep.ray_connecting", where=where))
    return backend.pool


def _page_refuses(page: form.PageSchema, the_plan) -> str | None:
    """Why the plan holds a value this page does not offer (an MLP page's arch, a recurrent
    page's tasks), or None."""
    for cell in the_plan.cells:
        for path, value in zip(the_plan.fields, cell.values, strict=True):
            why = page.check(path, value)
            if why:
                return why
    return None


def _progress(prefix: str) -> None:
    key = f"{prefix}:sweep"
    sweep: Sweep = st.session_state[key]

    @st.fragment(run_every=POLL_EVERY if not sweep.done else None)
    def view() -> None:
        was_done = sweep.done
        sweep.poll()
        counts = sweep.counts
        total = len(sweep.runs)
        st.progress(counts["ended"] / total, text=t("sweep.progress", total=total, **counts))
        if sweep.waiting_reason and not sweep.done:
            st.caption(t("sweep.waiting", reason=say_markdown(sweep.waiting_reason)))
        results = pd.DataFrame(sweep.results())
        fields = list(sweep.plan.fields)
        titles = {f: field_label(f) for f in fields}
        labels = chart_labels()
        if sweep.done:
            ids = _save(key, sweep)
            left, right = st.columns(2)
            for col, metric in zip((left, right), ("val_loss", "grad_first"), strict=True):
                with col:
                    chart = sweep_chart(results, fields, labels, metric, titles)
                    st.altair_chart(
                        with_font(chart), width="content"
                    )  # fixed cells: never stretched
            if len(fields) == 1 and results["val_accuracy"].notna().any():
                # one numeric-ish field (e.g. filters): accuracy and size side by side
                chart = sweep_lines_chart(results, fields[0], labels, titles[fields[0]])
                st.altair_chart(with_font(chart), width="content")
            st.caption(t("sweep.compare_help"))
            for i, cell in enumerate(sweep.plan.cells):
                cell_ids = [rid for run, rid in ids if run.cell == i]
                if cell_ids:
                    pairs = zip(fields, cell.values, strict=True)
                    values = ", ".join(f"{titles[f]} = {v}" for f, v in pairs)
                    st.page_link(
                        "pages/compare.py",
                        label=t("sweep.open_cell", values=values),
                        query_params=with_language({"runs": ",".join(cell_ids)}),
                    )
        table = results.rename(columns={**titles, **{k: t(f"sweep.col.{k}") for k in _COLUMNS}})
        st.dataframe(table, hide_index=True)
        if sweep.done and not was_done:
            st.rerun()

    view()


_COLUMNS = (
    "val_loss", "val_loss_sd", "grad_first", "grad_first_sd", "val_accuracy", "params", "ended",
    "runs", "diverged",
)  # fmt: skip


def runs_progress_ui(sweep: Sweep, label_of: Callable[[SweepRun], str]) -> None:
    """One bar per run: the steps it has trained of its total, or that it waits, or how it
    ended."""
    for run in sweep.runs:
        result, label = run.result, escape_markdown(label_of(run))
        if result.finished:
            status = t(f"cmp.status.{result.status}")
            st.progress(1.0, text=t("sweep.run_ended", label=label, status=status))
        elif result.total_steps:
            done, total = result.steps, result.total_steps
            text = t("sweep.run_steps", label=label, steps=done, total=total)
            st.progress(min(1.0, done / total), text=text)
        else:
            st.progress(0.0, text=t("sweep.run_waiting", label=label))


def _save(key: str, sweep: Sweep) -> list[tuple[SweepRun, str]]:
    """Save every run of a finished sweep once (so each cell opens in Compare)."""
    saved = st.session_state.setdefault(f"{key}:saved", {})
    if f"{key}:save_error" not in st.session_state:  # one failure is enough (see save_runs)
        error = save_runs(sweep.runs, saved, lambda run: _run_name(sweep, run))
        if error:
            st.session_state[f"{key}:save_error"] = error
    if failed := st.session_state.get(f"{key}:save_error"):
        st.warning(t("sweep.save_failed", error=escape_markdown(failed)))
    return [(sweep.runs[i], rid) for i, rid in sorted(saved.items())]


def _run_name(sweep: Sweep, run: SweepRun) -> str:
    pairs = zip(sweep.plan.fields, sweep.plan.cells[run.cell].values, strict=True)
    return f"sweep {', '.join(f'{f}={v}' for f, v in pairs)} seed {run.seed}"


def save_runs(
    runs: Sequence[SweepRun], saved: dict[int, str], name_of: Callable[[SweepRun], str]
) -> str | None:
    """Save each ended run not saved yet under this browser's owner (``ui.owner``), named by
    ``name_of``; ``saved`` (index in ``runs`` -> run id) is updated in place. A failed run has
    nothing to compare and is skipped. Returns the one-sentence reason if the store failed; the
    caller tries no more (a locked database would make each try wait)."""
    pending = [i for i, r in enumerate(runs) if i not in saved and _saveable(r)]
    if not pending:
        return None
    store = run_store()
    if store is None:
        return t("lab.store_unavailable")
    who = owner.store_owner()
    for i in pending:
        name = name_of(runs[i])[:MAX_NAME].strip()
        try:
            saved[i] = store.save(runs[i].result.to_json_dict(), who, name=name)
        except StoreError as exc:
            return store_problem(exc)
    return None


def _saveable(run: SweepRun) -> bool:
    return run.result.finished and run.result.status != "failed"
