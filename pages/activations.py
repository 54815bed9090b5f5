"""Activations: each function and its derivative by autodiff through the real Keras activation,
and the product of derivative factors along a path vs depth."""

import pandas as pd
import streamlit as st

from charts import concepts as concept_charts
from charts.style import with_font
from models.teaching.activations import activation_facts
from models.teaching.concepts import ACTIVATIONS, ActivationRequest
from ui.concepts import bounds, compute_ui, default, link_guard_ui
from ui.i18n import concept_chart_labels, t
from ui.router import require_router

require_router()
link_notices_ui = link_guard_ui()  # before the URL-bound widgets
st.title(t("act.title"), anchor=False)
st.caption(t("act.intro"))

R = ActivationRequest
names = {a: t(f"concept.act.{a}") for a in ACTIVATIONS}
left, right = st.columns([3, 2])
chosen = left.multiselect(
    t("act.names"),
    ACTIVATIONS,
    default=list(default(R, "names")),
    format_func=names.get,
    key="act_names",
    bind="query-params",
)
slope = right.slider(
    t("act.slope"),
    *bounds(R, "slope"),
    default(R, "slope"),
    0.01,
    key="act_k",
    bind="query-params",
    help=t("act.slope_help"),
)
c1, c2 = st.columns(2)
x_max = c1.slider(
    t("act.x_max"), *bounds(R, "x_max"), default(R, "x_max"), 0.5, key="act_x", bind="query-params"
)
depth = c2.slider(
    t("act.depth"),
    *bounds(R, "depth"),
    default(R, "depth"),
    key="act_n",
    bind="query-params",
    help=t("act.depth_help"),
)
link_notices_ui()  # after them: what the link asked for and did not get

if not chosen:
    st.info(t("act.pick_one"))
    st.stop()
result = compute_ui(
    {"kind": "activations", "names": chosen, "slope": slope, "x_max": x_max, "depth": depth}
)
if result is None:
    st.stop()

labels = concept_chart_labels()
st.altair_chart(with_font(concept_charts.activation_chart(result, names, labels)), width="content")

facts = {a["name"]: activation_facts(a) for a in result["activations"]}
table = pd.DataFrame(
    [
        {
            t("act.col.activation"): names[name],
            t("act.col.max_df"): f["max_df"],
            t("act.col.argmax"): f["argmax_df"],
            t("act.col.df_positive"): f"{f['min_df_positive']:.3g} – {f['max_df_positive']:.3g}",
            t("act.col.f0"): f["f0"],
            t("act.col.mean_f"): f["mean_f_normal"],
            t("act.col.centred"): t("act.yes") if f["zero_centred"] else t("act.no"),
        }
        for name, f in facts.items()
    ]
)
st.dataframe(table, hide_index=True)
st.caption(t("act.measured_note"))
for name, f in facts.items():
    st.markdown(
        t(
            "act.fact",
            name=names[name],
            max_df=f"{f['max_df']:.4g}",
            at=f"{f['argmax_df']:.3g}",
            lo=f"{f['min_df_positive']:.3g}",
            hi=f"{f['max_df_positive']:.3g}",
            mean=f"{f['mean_f_normal']:.3g}",
            centred=t("act.centred") if f["zero_centred"] else t("act.not_centred"),
        )
    )

st.subheader(t("act.product_title"), anchor=False)
st.caption(t("act.product_help"))
st.altair_chart(with_font(concept_charts.product_chart(result, names, labels)))
n = min(10, depth)
worst = min(result["activations"], key=lambda a: a["path_max"][n - 1])
st.markdown(
    t(
        "act.product_fact",
        n=n,
        name=names[worst["name"]],
        value=f"{worst['path_max'][n - 1]:.3g}",
        factor=f"{worst['max_df']:.3g}",
    )
)
