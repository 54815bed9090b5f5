"""Gradient descent vs Newton's method (and momentum, Adam) on 2-D functions: paths over the
function, f per iteration, gradient and Hessian from TensorFlow autodiff."""

import pandas as pd
import streamlit as st

from charts import concepts as concept_charts
from charts.style import with_font
from models.teaching.concepts import OptimizerRequest
from models.teaching.optimizers import optimizer_verdicts
from ui.concepts import bounds, compute_ui, default, link_guard_ui
from ui.i18n import concept_chart_labels, t, worded
from ui.router import require_router

require_router()
link_notices_ui = link_guard_ui()  # before the URL-bound widgets
st.title(t("opt.title"), anchor=False)
st.caption(t("opt.intro"))

R = OptimizerRequest
FUNCTIONS = list(R.model_fields["function"].annotation.__args__)
METHODS = list(R.model_fields["methods"].annotation.__args__[0].__args__)
with st.sidebar:
    function = st.selectbox(
        t("opt.function.label"),
        FUNCTIONS,
        key="opt_f",
        bind="query-params",
        format_func=worded(FUNCTIONS, lambda f: t(f"opt.function.{f}")),
    )
    condition = st.slider(
        t("opt.condition"),
        *bounds(R, "condition"),
        default(R, "condition"),
        key="opt_c",
        bind="query-params",
        help=t("opt.condition_help"),
        disabled=function != "quadratic",
    )
    methods = st.multiselect(
        t("opt.methods"),
        METHODS,
        default=METHODS,
        key="opt_m",
        bind="query-params",
        format_func=worded(METHODS, lambda m: t(f"opt.method.{m}")),
    )
    lr = st.number_input(
        t("opt.lr"),
        *bounds(R, "learning_rate"),
        default(R, "learning_rate"),
        format="%g",
        key="opt_lr",
        bind="query-params",
    )
    # the schema's bound is "below 1": 0.99 is the slider's last step
    momentum = st.slider(
        t("opt.momentum"), 0.0, 0.99, default(R, "momentum"), key="opt_mom", bind="query-params"
    )
    damping = st.number_input(
        t("opt.damping"),
        *bounds(R, "damping"),
        default(R, "damping"),
        format="%g",
        key="opt_d",
        bind="query-params",
        help=t("opt.damping_help"),
    )
    steps = st.slider(
        t("opt.steps"), *bounds(R, "steps"), default(R, "steps"), key="opt_s", bind="query-params"
    )
    x0, y0 = default(R, "start")
    sx = st.slider(t("opt.start_x"), -3.0, 3.0, x0, 0.1, key="opt_x", bind="query-params")
    sy = st.slider(t("opt.start_y"), -3.0, 3.0, y0, 0.1, key="opt_y", bind="query-params")
link_notices_ui()  # after them: what the link asked for and did not get

if not methods:
    st.info(t("opt.pick_one"))
    st.stop()
result = compute_ui(
    {
        "kind": "optimizers",
        "function": function,
        "condition": condition,
        "methods": methods,
        "learning_rate": lr,
        "momentum": momentum,
        "damping": damping,
        "steps": steps,
        "start": [sx, sy],
    }
)
if result is None:
    st.stop()

labels = concept_chart_labels()
left, right = st.columns([1, 1])
with left:
    st.altair_chart(with_font(concept_charts.paths_chart(result, labels)))
with right:
    st.altair_chart(with_font(concept_charts.path_loss_chart(result, labels)))

eig = result["start_eigenvalues"]
st.markdown(t("opt.hessian", a=f"{eig[0]:.4g}", b=f"{eig[1]:.4g}"))
rows = []
for p in result["paths"]:
    last = p["rows"][-1]
    rows.append(
        {
            t("opt.col.method"): t(f"opt.method.{p['method']}"),
            t("opt.col.steps"): last["step"],
            t("opt.col.f"): last["f"],
            t("opt.col.grad"): last["grad_norm"],
            t("opt.col.x"): f"({last['x']:.4g}, {last['y']:.4g})",
        }
    )
st.dataframe(pd.DataFrame(rows), hide_index=True)
for verdict in optimizer_verdicts(result):
    values = {**verdict["values"], "method": t(f"opt.method.{verdict['values']['method']}")}
    st.markdown(t(f"opt.verdict.{verdict['key']}", **values))
