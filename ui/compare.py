"""The Compare page's parts: loading saved runs, their labels, the summary table, renaming."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import streamlit as st

from models.config import CSV_DATASET, ConfigError, RunConfig
from models.fields import parse_config, to_flat
from models.infra.store import MAX_NAME, RunStore, RunSummary, StoreError, check_name
from ui import owner
from ui.config_form import url_text
from ui.i18n import say, t, with_language, worded
from ui.runs import store_problem
from ui.text import escape_markdown

RUN_ID = re.compile(r"[0-9a-f]{32}")
MAX_RUNS = 6  # runs compared at once
DRAW_STEPS = 400  # distinct steps per run drawn
CACHE_KEY = "cmp:records"
PICKED = "cmp:picked"  # the multiselect of the runs compared
RENAME_RUN, RENAME_NAME, RENAME_RESULT = "cmp:rename:run", "cmp:rename:name", "cmp:rename:result"
FORGET_RESULT = "cmp:forget:result"


def linked_ids(param: str | None) -> tuple[list[str], list[str]]:
    """The run ids of a `runs=` query param, and the parts that are not ids (for a notice)."""
    good, bad = [], []
    for part in (param or "").split(","):
        part = part.strip()
        if not part:
            continue
        (good if RUN_ID.fullmatch(part) and part not in good else bad).append(part)
    return good[:MAX_RUNS], bad


def load(store: RunStore, run_id: str) -> dict | None:
    """A saved run as the page draws it, kept for the session once loaded: its summary numbers
    are taken from every record, but only DRAW_STEPS steps of its metrics are kept (a
    20,000-step x 64-layer run has 5 million rows; a session keeps a few thousand per run)."""
    cache = st.session_state.setdefault(CACHE_KEY, {})
    if run_id not in cache:
        try:
            record = store.get(run_id)
        except StoreError:
            return None
        if record is None:
            return None
        m = record["metrics"]
        loss = m.loc[m["name"] == "loss"].sort_values("step")["value"]
        val = m.loc[m["name"] == "val_loss", "value"]
        cache[run_id] = {
            **record,
            "metrics": thinned(m),
            "final_loss": float(loss.iloc[-1]) if len(loss) else None,
            "best_val": float(val.min()) if len(val) else None,
        }
    return cache[run_id]


def thinned(metrics: pd.DataFrame) -> pd.DataFrame:
    """At most DRAW_STEPS evenly spaced steps of one run (the first and last kept), as
    ``charts.style.thin_steps`` picks them, but on the integer step column alone (comparing strings
    over millions of rows was most of the page's time)."""
    step = metrics["step"].to_numpy()
    distinct = np.unique(step)
    if len(distinct) <= DRAW_STEPS:
        return metrics
    picks = np.unique(np.linspace(0, len(distinct) - 1, DRAW_STEPS).round().astype(int))
    return metrics[np.isin(step, distinct[picks])].reset_index(drop=True)


def label_of(record: dict) -> str:
    """A run's label in charts and tables: its name and the start of its id (names repeat)."""
    return f"{record['name']} · {record['id'][:6]}"


def option_label(summary: RunSummary | dict) -> str:
    """A run as a picker lists it: its label, how it ended and its length."""
    if isinstance(summary, dict):
        label, status, steps = label_of(summary), summary["status"], summary["steps"]
    else:
        label, status, steps = f"{summary.name} · {summary.id[:6]}", summary.status, summary.steps
    return t("cmp.option", label=label, status=t(f"cmp.status.{status}"), steps=steps)


def metrics_frame(records: list[dict]) -> pd.DataFrame:
    """The runs' metrics for drawing: thinned, strings for names, one `run` column."""
    parts = []
    for record in records:  # each already thinned by load()
        frame = record["metrics"].assign(run=label_of(record))
        parts.append(frame.astype({"name": object, "layer": object}))
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(layer=frame["layer"].where(frame["layer"].notna(), None))


def configs_or_none(records: list[dict]) -> list[RunConfig | None]:
    """Each record's config, or None for one this schema no longer takes (an older version)."""
    out: list[RunConfig | None] = []
    for record in records:
        try:
            out.append(parse_config(record["config"]))
        except ConfigError:
            out.append(None)
    return out


def configs(records: list[dict]) -> list[tuple[str, RunConfig]]:
    """(label, config) of the runs whose config parses; the diff table leaves the rest out."""
    pairs = zip(records, configs_or_none(records), strict=True)
    return [(label_of(record), cfg) for record, cfg in pairs if cfg is not None]


def summary_table(
    records: list[dict], columns: dict[str, str], statuses: dict[str, str]
) -> pd.DataFrame:
    """One row per run: final loss, best val loss, steps, status (in words: ``statuses``),
    the step it diverged at (blank if it did not), wall time."""
    rows = []
    for record in records:
        diverged = record["diverged_at"]
        rows.append(
            {
                columns["run"]: label_of(record),
                columns["final_loss"]: record["final_loss"],
                columns["best_val"]: record["best_val"],
                columns["steps"]: record["steps"],
                columns["status"]: statuses.get(record["status"], record["status"]),
                columns["diverged_at"]: "" if diverged is None else f"{diverged:,}",
                columns["wall_time"]: record["wall_time"],
            }
        )
    return pd.DataFrame(rows)


def max_depth(records: list[dict]) -> int:
    depths = [d["depth"] for r in records for d in r["layers"]]
    return int(max(depths)) if depths else 0


def rename_ui(store: RunStore, owner: str, own: list[RunSummary]) -> str | None:
    """Rename one of the session's own runs: a picker, a name field and a button in one form
    (Enter in the field submits it). Only `own` is offered, never a run opened from someone
    else's link, and the store checks the owner again. The name is checked by
    models.infra.store.check_name; a refusal is its one sentence. Returns the id renamed by this
    rerun, or None."""
    result = st.session_state.pop(RENAME_RESULT, None)
    with st.expander(t("cmp.rename.title")):  # the user opened it to submit: it stays open
        if not own:
            st.caption(t("cmp.rename.none"))
            return None
        summaries = {r.id: r for r in own}
        with st.form(key="cmp:rename", border=False):
            st.selectbox(
                t("cmp.rename.run"),
                list(summaries),
                format_func=worded(summaries, lambda i: option_label(summaries[i])),
                key=RENAME_RUN,
            )
            st.text_input(
                t("cmp.rename.name"), key=RENAME_NAME, help=t("cmp.rename.help", limit=MAX_NAME)
            )
            st.form_submit_button(t("cmp.rename.button"), on_click=rename_run, args=(store, owner))
        if result is None:
            return None
        kind, text = result
        if kind == "error":
            st.error(escape_markdown(text))  # the store's sentence; it may quote a database error
            return None
        st.success(t("cmp.rename.done"))  # the name itself shows, as text, in the lists below
        return text


def rename_run(store: RunStore, owner: str) -> None:
    """The rename form's callback: rename the picked run of ``owner`` in the session state's
    fields. It runs before the page, so everything drawn shows the new name."""
    run_id = st.session_state.get(RENAME_RUN)
    try:
        name = check_name(st.session_state.get(RENAME_NAME, ""))
        renamed = store.rename(run_id, owner, name)
    except StoreError as exc:
        st.session_state[RENAME_RESULT] = ("error", say(exc.problem))
        return
    if not renamed:
        st.session_state[RENAME_RESULT] = ("error", t("cmp.rename.not_yours"))
        return
    cache = st.session_state.get(CACHE_KEY, {})
    if run_id in cache:
        cache[run_id] = {**cache[run_id], "name": name}
    # A picker shows the labels the browser was last sent, and sends them back: set both values
    # again so the browser gets the new labels (else the renamed run would keep its old name
    # there, and drop out of the comparison at the next pick).
    if PICKED in st.session_state:
        st.session_state[PICKED] = list(st.session_state[PICKED])
    st.session_state[RENAME_RUN] = run_id
    st.session_state[RENAME_NAME] = ""
    st.session_state[RENAME_RESULT] = ("ok", run_id)


def forget_result_ui() -> None:
    """What the last Forget click did, once (it runs before the page lists the runs)."""
    result = st.session_state.pop(FORGET_RESULT, None)
    if result is None:
        return
    kind, value = result
    if kind == "error":
        st.error(t("cmp.forget.failed", error=escape_markdown(value)))
    else:
        st.success(t("cmp.forget.done", count=value))


def forget_ui(store: RunStore, own: list[RunSummary]) -> None:
    """Forget my runs: delete every run of this browser from the store and start a new owner
    token (a new, empty list; the browser's cookie is replaced by ``owner.remember_ui``)."""
    if not own:
        return
    with st.expander(t("cmp.forget.title")):
        st.caption(t("cmp.forget.help", count=len(own)))
        st.button(
            t("cmp.forget.button", count=len(own)),
            key="cmp:forget",
            type="primary",
            on_click=_forget,
            args=(store, [r.id for r in own]),
        )


def _forget(store: RunStore, own_ids: list[str]) -> None:
    """The button's callback: delete, replace the token, and drop the deleted runs from the
    session's cache, the picker and the URL (a link to them would only say "not found")."""
    try:
        count = store.delete_all(owner.store_owner())
    except StoreError as exc:
        st.session_state[FORGET_RESULT] = ("error", store_problem(exc))
        return
    owner.new_token()
    gone = set(own_ids)
    cache = st.session_state.get(CACHE_KEY, {})
    for run_id in gone & set(cache):
        del cache[run_id]
    kept = [i for i in st.session_state.get(PICKED, []) if i not in gone]
    st.session_state[PICKED] = kept
    st.query_params["runs"] = ",".join(kept)
    st.session_state[FORGET_RESULT] = ("ok", count)


LAB_PAGES = {"mlp": "pages/deep_networks.py", "cnn": "pages/cnn.py"}  # the others: recurrent


def share_link(run_id: str) -> str:
    """The link that opens one saved run on Compare, in the language it is shared in."""
    return "/compare?" + urlencode(with_language({"runs": run_id}))


def lab_link(cfg: RunConfig) -> tuple[str, dict[str, str]] | None:
    """The lab page and query params that restore a run's config, or None when a link cannot
    carry it (a run on an uploaded table: the table is in its record, for Import)."""
    if cfg.data.name == CSV_DATASET:
        return None
    page = LAB_PAGES.get(cfg.model.arch, "pages/recurrent.py")
    # Every field, not only those off the schema's defaults: a page starts from its own.
    return page, {path: url_text(value) for path, value in to_flat(cfg).items()}
