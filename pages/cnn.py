"""Convolution and pooling: how max and mean pooling pass gradients back, computed by
GradientTape through Keras' pooling layers and checked against the rule."""

import numpy as np
import pandas as pd
import streamlit as st

import charts
from charts import concepts as concept_charts
from models.concepts import MAX_GRID, PoolingRequest, pooling_rule
from models.config import with_changes
from models.presets import COMPARISONS, PRESETS
from ui import config_form as form
from ui import lab, live
from ui.concepts import bounds, compute_ui
from ui.i18n import chart_labels, concept_chart_labels, field_label, t
from ui.pool import job_pool
from ui.router import require_router
from ui.runs import RunGroup, diff_table
from ui.sweep import sweep_ui
from ui.text import escape_markdown

require_router()
st.title(t("cnn.title"), anchor=False)
st.caption(t("cnn.intro"))


def pooling_ui() -> None:
    """(a) A small input the user edits: max and mean pooling forward, an upstream gradient
    backward, and the tape's gradients checked against the rule."""
    st.header(t("cnn.pooling_title"), anchor=False)
    st.caption(t("cnn.pooling_help"))
    SIZES = [n for n in range(4, MAX_GRID + 1, 2)]
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
        t("cnn.upstream"),
        ["ones", "random"],
        key="pool_up",
        format_func=lambda k: t(f"cnn.upstream.{k}"),
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
            concept_charts.matrix_chart(
                result["inputs"], t("cnn.input"), labels, highlight=highlight
            ),
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


pooling_ui()


# -- (b) train a small CNN on generated images ---------------------------------------------------

PAGE = form.PageSchema(
    prefix="cnn",
    fixed={"model.arch": "cnn", "data.name": "shapes"},
    defaults=PRESETS["cnn_shapes_max"].changes,
    labels={"model.depth": "cnn.field.depth", "model.width": "cnn.field.width"},
)
CNN_PRESETS = [n for n, p in PRESETS.items() if p.config().model.arch == "cnn"]
CNN_COMPARISONS = [n for n, names in COMPARISONS.items() if set(names) <= set(CNN_PRESETS)]


def filters_ui(group: RunGroup) -> None:
    """Each run's first-layer filters, at initialization and at the latest snapshot."""
    labels = concept_chart_labels()
    for run in group.runs:
        snaps = run.result.filters
        if not snaps:
            continue
        if len(group.runs) > 1:
            st.caption(t("cnn.filters_of", label=run.label))
        titles = [t("cnn.filters_initial"), t("cnn.filters_step", step=snaps[-1]["step"])]
        # The live view redraws several times a second; the filters change only when a new
        # snapshot arrives, so the spec is built once per snapshot.
        spec = live._spec(
            group,
            f"filters:{run.label}",
            (len(snaps),),
            lambda s=snaps, n=titles: concept_charts.filters_chart(
                [s[0], s[-1]], labels, n
            ).to_dict(),
        )
        st.vega_lite_chart(spec, width="content")


def cnn_charts_ui(group: RunGroup) -> None:
    """Loss and accuracy, per-layer gradient norms, the layer x step heatmap and the filters."""
    version = (group.active, *(len(r.frame) for r in group.runs))
    if not any(version[1:]):
        return
    labels, m = chart_labels(), live._Metrics(group)
    clip = group.runs[0].config.optimizer.clipping

    def spec(name, build):
        return live._spec(group, name, version, lambda: live.vega_spec(build(), name))

    # The loss and accuracy panels have a fixed width: a row of their own, as on Deep Networks.
    live._show(spec("loss", lambda: charts.loss_chart(m.thinned, labels)))
    views = [
        spec("grad", lambda: charts.grad_norm_chart(m.thinned, labels, clip)),
        spec("heatmap", lambda: charts.grad_heatmap(m.thinned, labels)),
    ]
    live.grid_ui(views, several=len(group.runs) > 1)
    filters_ui(group)


st.divider()
st.header(t("cnn.lab_title"), anchor=False)
st.caption(t("cnn.lab_intro"))
job_runner = job_pool()
lab.url_notices(PAGE)
with st.sidebar:
    lab.pickers_ui(PAGE, CNN_PRESETS, CNN_COMPARISONS)
    lab.import_ui(PAGE)
    with st.expander(t("dn.section.data"), expanded=True):
        for path in ("data.noise", "data.n_samples", "data.test_fraction"):
            form.field_ui(PAGE, path)
    with st.expander(t("dn.section.model"), expanded=True):
        form.field_ui(PAGE, "model.depth")
        form.field_ui(PAGE, "model.width")
        form.field_ui(PAGE, "model.kernel_size")
        form.field_ui(PAGE, "model.pooling")
        if form.field_ui(PAGE, "model.activation") == "leaky_relu":
            form.field_ui(PAGE, "model.leaky_k")
        form.field_ui(PAGE, "model.batch_norm")
        form.field_ui(PAGE, "model.dropout")
        form.field_ui(PAGE, "model.initializer")
    lab.optimizer_and_training_ui(PAGE)

config, error = form.current_config(PAGE)
lab.loaded_notice(PAGE)
configs = []
if error:
    st.error(t("dn.invalid_config", error=escape_markdown(error)))
else:
    st.caption(
        t(
            "cnn.summary",
            params=config.param_count,
            steps=config.total_steps,
            epochs=config.train.epochs,
        )
    )
    variants = form.variant_changes(PAGE)
    configs = [("A", config)] + [
        (label, with_changes(config, changes))
        for label, changes in lab.valid_variants(PAGE, config, variants).items()
    ]
    form.sync_url(PAGE, config, variants)
    if len(configs) > 1:
        table = diff_table(configs, off=t("dn.clip.off"))  # rows named by the general labels
        st.dataframe(
            table.rename(index={field_label(p): form.field_title(PAGE, p) for p in PAGE.labels})
        )

lab.controls_ui(PAGE, job_runner, configs)
lab.live_ui(PAGE, cnn_charts_ui)
st.caption(t("cnn.sweep_help"))
sweep_ui(
    PAGE,
    job_runner,
    None if error else config,
    first=("model.width", "1, 2, 4, 8, 16"),
    second=("", ""),
)
