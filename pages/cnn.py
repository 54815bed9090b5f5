"""Convolution and pooling: how max and mean pooling pass gradients back, computed by
GradientTape through Keras' pooling layers and checked against the rule."""

import numpy as np
import pandas as pd
import streamlit as st

from charts import concepts as concept_charts
from models.concepts import MAX_GRID, PoolingRequest, pooling_rule
from ui.concepts import bounds, compute_ui
from ui.i18n import concept_chart_labels, t
from ui.router import require_router

require_router()
st.title(t("cnn.title"), anchor=False)
st.caption(t("cnn.intro"))

st.header(t("cnn.pooling_title"), anchor=False)
st.caption(t("cnn.pooling_help"))
SIZES = [n for n in range(4, MAX_GRID + 1, 2)]
c1, c2, c3, c4 = st.columns(4)
size = c1.selectbox(
    t("cnn.size"), SIZES, key="pool_size", bind="query-params", format_func=lambda n: f"{n} × {n}"
)
lo, hi = map(int, bounds(PoolingRequest, "pool"))
pool = c2.selectbox(
    t("cnn.pool"),
    list(range(lo, hi + 1)),
    key="pool_k",
    bind="query-params",
    format_func=lambda n: f"{n} × {n}",
)
seed = c3.number_input(t("cnn.seed"), 0, 10_000, 0, key="pool_seed", bind="query-params")
upstream_kind = c4.radio(
    t("cnn.upstream"),
    ["ones", "random"],
    key="pool_up",
    format_func=lambda k: t(f"cnn.upstream.{k}"),
    bind="query-params",
    horizontal=True,
)
if size % pool:
    st.error(t("cnn.not_divisible", size=size, pool=pool))
    st.stop()

rng = np.random.default_rng(int(seed))
start = pd.DataFrame(rng.integers(0, 10, (size, size)).astype(float))
edited = st.data_editor(
    start,
    key=f"pool_grid:{size}:{seed}",
    hide_index=True,
    width="content",
    column_config={c: st.column_config.NumberColumn(format="%g") for c in start.columns},
)
st.caption(t("cnn.edit_help"))
grid = edited.astype(float).fillna(0.0).values.tolist()
out = size // pool
upstream = (
    np.ones((out, out)) if upstream_kind == "ones" else rng.integers(1, 5, (out, out)).astype(float)
).tolist()
result = compute_ui({"kind": "pooling", "inputs": grid, "upstream": upstream, "pool": int(pool)})
if result is None:
    st.stop()

labels = concept_chart_labels()
rule = pooling_rule(result["inputs"], result["upstream"], int(pool))
winners = [[v != 0 for v in row] for row in rule["max"]]
if upstream_kind == "ones" or all(v != 0 for row in upstream for v in row):
    highlight = winners
else:
    highlight = None
charts_row = st.columns(3)
with charts_row[0]:
    st.altair_chart(
        concept_charts.matrix_chart(result["inputs"], t("cnn.input"), labels, highlight=highlight),
        width="content",
    )
with charts_row[1]:
    st.altair_chart(
        concept_charts.matrix_chart(result["max"]["output"], t("cnn.max_out"), labels),
        width="content",
    )
with charts_row[2]:
    st.altair_chart(
        concept_charts.matrix_chart(result["mean"]["output"], t("cnn.mean_out"), labels),
        width="content",
    )
st.subheader(t("cnn.backward_title"), anchor=False)
charts_row = st.columns(3)
with charts_row[0]:
    st.altair_chart(
        concept_charts.matrix_chart(result["upstream"], t("cnn.upstream_grid"), labels),
        width="content",
    )
with charts_row[1]:
    st.altair_chart(
        concept_charts.matrix_chart(
            result["max"]["grad"], t("cnn.max_grad"), labels, highlight=highlight
        ),
        width="content",
    )
with charts_row[2]:
    st.altair_chart(
        concept_charts.matrix_chart(result["mean"]["grad"], t("cnn.mean_grad"), labels),
        width="content",
    )

for kind in ("max", "mean"):
    got, want = np.array(result[kind]["grad"]), np.array(rule[kind])
    gap = float(np.max(np.abs(got - want)))
    key = "cnn.rule_ok" if gap < 1e-6 else "cnn.rule_broken"
    n = int(pool) ** 2
    st.markdown(t(f"{key}.{kind}", n=n, others=n - 1, gap=f"{gap:.2g}"))
nonzero = sum(v != 0 for row in result["max"]["grad"] for v in row)
st.caption(t("cnn.max_count", nonzero=nonzero, total=size * size, windows=out * out))
