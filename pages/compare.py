"""Compare: saved runs side by side, this browser's (ui/owner.py) or from share links."""

from __future__ import annotations

import streamlit as st

from charts.compare import compare_chart
from charts.style import with_font
from models.infra.store import StoreError
from ui import compare as cmp
from ui import owner
from ui.i18n import chart_labels, t, with_language, worded
from ui.pool import run_store
from ui.router import require_router
from ui.runs import diff_table, store_problem
from ui.text import escape_markdown

require_router()

st.title(t("cmp.title"), anchor=False)
st.caption(t("cmp.intro"))
store = run_store()
if store is None:
    st.error(t("cmp.store_unavailable"))
    st.stop()

linked, bad = cmp.linked_ids(st.query_params.get("runs"))
if bad:
    items = ", ".join(escape_markdown(b[:40]) for b in bad[:5])
    st.warning(t("cmp.bad_ids", items=items))
cmp.forget_result_ui()
who = owner.store_owner()
owner.remember_ui()  # a first visit, or a token Forget has just replaced
try:
    own = store.list_runs(who)  # newest first; only these can be renamed or forgotten
except StoreError as exc:  # locked by another process, or unreadable: one sentence
    st.error(t("cmp.store_failed", error=store_problem(exc)))
    st.stop()
options: dict[str, object] = {r.id: r for r in own}
missing = []
for run_id in linked:
    if run_id not in options:
        record = cmp.load(store, run_id)
        if record is None:
            missing.append(run_id)
        else:
            options[run_id] = record
if missing:
    st.warning(t("cmp.missing", count=len(missing)))
if not options:
    st.info(t("cmp.none"))
    st.stop()

default = [i for i in linked if i in options] or list(options)[:2]
picked = st.multiselect(
    t("cmp.pick"),
    list(options),
    default=default,
    format_func=worded(options, lambda i: cmp.option_label(options[i])),
    max_selections=cmp.MAX_RUNS,
    key=cmp.PICKED,
)
st.query_params["runs"] = ",".join(picked)
cmp.rename_ui(store, who, own)
cmp.forget_ui(store, own)
records = [r for r in (cmp.load(store, i) for i in picked) if r is not None]
if not records:
    st.info(t("cmp.pick_some"))
    st.stop()

labels = chart_labels()
metrics = cmp.metrics_frame(records)
depth = st.slider(t("cmp.depth"), 0, max(cmp.max_depth(records), 1), 0, key="cmp:depth")
st.altair_chart(with_font(compare_chart(metrics, labels, depth)))  # with the heatmaps, linked

st.subheader(t("cmp.summary"), anchor=False)
columns = {k: t(f"cmp.col.{k}") for k in ("run", "final_loss", "best_val", "steps", "status",
                                          "diverged_at", "wall_time")}  # fmt: skip
statuses = {k: t(f"cmp.status.{k}") for k in ("completed", "diverged", "stopped", "failed",
                                               "interrupted")}  # fmt: skip
st.dataframe(cmp.summary_table(records, columns, statuses), hide_index=True)

configs = cmp.configs(records)
if len(configs) > 1:
    table = diff_table(configs, off=t("dn.clip.off"))
    st.subheader(t("cmp.diff"), anchor=False)
    if len(table):
        st.dataframe(table)
    else:
        st.caption(t("dn.compare.same"))

st.subheader(t("cmp.share"), anchor=False)
st.caption(t("cmp.share_help"))
configs_by_id = dict(zip((r["id"] for r in records), cmp.configs_or_none(records), strict=True))
for record in records:
    st.text(t("cmp.share_line", label=cmp.label_of(record), link=cmp.share_link(record["id"])))
    cfg = configs_by_id[record["id"]]
    link = cmp.lab_link(cfg) if cfg is not None else None
    if link is not None:
        page, params = link
        label = t("cmp.open_lab", label=escape_markdown(cmp.label_of(record)))
        st.page_link(page, label=label, query_params=with_language(params))
    elif cfg is not None:
        st.caption(t("cmp.open_lab_table"))
