"""The CNN page's concept section: how max and mean pooling pass gradients back, on a small
input the user edits, computed by GradientTape through Keras' pooling layers (in a worker) and
checked against the rule (models.teaching.concepts.pooling_rule)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from charts.concepts import matrix_chart
from charts.style import with_font
from models.teaching.concepts import MAX_GRID, PoolingRequest
from models.teaching.pooling import pooling_rule
from ui.concepts import bounds, compute_ui
from ui.i18n import concept_chart_labels, t, worded

SIZES = list(range(4, MAX_GRID + 1, 2))  # the input's side: even, so a 2 x 2 pool divides it


def pooling_ui() -> None:
    """(a) A small input the user edits: max and mean pooling forward, an upstream gradient
    backward, and the tape's gradients checked against the rule."""
    st.header(t("cnn.pooling_title"), anchor=False)
    st.caption(t("cnn.pooling_help"))
    c1, c2, c3, c4 = st.columns(4)
    size = c1.selectbox(t("cnn.size"), SIZES, key="pool_size", format_func=lambda n: f"{n} × {n}")
    lo, hi = map(int, bounds(PoolingRequest, "pool"))
    pool = c2.selectbox(
        t("cnn.pool"),
        list(range(lo, hi + 1)),
        key="pool_k",
        format_func=lambda n: f"{n} × {n}",
    )
    seed = c3.number_input(t("cnn.seed"), 0, 10_000, 0, key="pool_seed")
    upstream_kind = c4.radio(
        t("cnn.upstream.label"),
        ["ones", "random"],
        key="pool_up",
        format_func=worded(["ones", "random"], lambda k: t(f"cnn.upstream.{k}")),
        horizontal=True,
    )
    if size % pool:
        st.error(t("cnn.not_divisible", size=size, pool=pool))
        return

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
        np.ones((out, out))
        if upstream_kind == "ones"
        else rng.integers(1, 5, (out, out)).astype(float)
    ).tolist()
    result = compute_ui(
        {"kind": "pooling", "inputs": grid, "upstream": upstream, "pool": int(pool)}
    )
    if result is None:
        return

    rule = pooling_rule(result["inputs"], result["upstream"], int(pool))
    winners = [[v != 0 for v in row] for row in rule["max"]]
    if upstream_kind == "ones" or all(v != 0 for row in upstream for v in row):
        highlight = winners
    else:
        highlight = None
    matrices_ui(
        [
            (result["inputs"], t("cnn.input"), highlight),
            (result["max"]["output"], t("cnn.max_out"), None),
            (result["mean"]["output"], t("cnn.mean_out"), None),
        ]
    )
    st.subheader(t("cnn.backward_title"), anchor=False)
    matrices_ui(
        [
            (result["upstream"], t("cnn.upstream_grid"), None),
            (result["max"]["grad"], t("cnn.max_grad"), highlight),
            (result["mean"]["grad"], t("cnn.mean_grad"), None),
        ]
    )

    for kind in ("max", "mean"):
        got, want = np.array(result[kind]["grad"]), np.array(rule[kind])
        gap = float(np.max(np.abs(got - want)))
        key = "cnn.rule_ok" if gap < 1e-6 else "cnn.rule_broken"
        n = int(pool) ** 2
        st.markdown(t(f"{key}.{kind}", n=n, others=n - 1, gap=f"{gap:.2g}"))
    nonzero = sum(v != 0 for row in result["max"]["grad"] for v in row)
    st.caption(t("cnn.max_count", nonzero=nonzero, total=size * size, windows=out * out))


def matrices_ui(matrices: list[tuple[list[list[float]], str, list[list[bool]] | None]]) -> None:
    """Matrices side by side, one column each: (values, title, cells to highlight or None)."""
    labels = concept_chart_labels()
    for (values, title, highlight), col in zip(matrices, st.columns(len(matrices)), strict=True):
        chart = matrix_chart(values, title, labels, highlight=highlight)
        col.altair_chart(with_font(chart), width="content")
