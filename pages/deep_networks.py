"""Deep Networks: train MLPs live and see, layer by layer, why they learn or not."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.config import CSV_DATASET, TASKS, with_changes
from models.presets import COMPARISONS, PRESETS
from ui import config_form as form
from ui import lab, live, upload
from ui.i18n import t
from ui.pool import job_pool
from ui.router import require_router
from ui.runs import RUN_LABELS, diff_table
from ui.sweep import sweep_ui
from ui.text import escape_markdown

require_router()

PAGE = form.PageSchema(
    prefix="dn",
    fixed={"model.arch": "mlp"},
    choices={"data.name": (*(n for n, task in TASKS.items() if task.is_2d), CSV_DATASET)},
)
DN_PRESETS = [n for n, p in PRESETS.items() if p.config().model.arch == "mlp"]
DN_COMPARISONS = [n for n, names in COMPARISONS.items() if set(names) <= set(DN_PRESETS)]

pool = job_pool()  # workers start (and import TensorFlow) as soon as the page first opens
st.title(t("dn.title"), anchor=False)
st.caption(t("dn.intro"))
lab.url_notices(PAGE)


# -- sidebar: presets and the config ----------------------------------------------------------

with st.sidebar:
    lab.pickers_ui(PAGE, DN_PRESETS, DN_COMPARISONS)
    lab.import_ui(PAGE)
    with st.expander(t("dn.section.data"), expanded=True):
        table = upload.table_ui(PAGE)
        generated = form.field_ui(PAGE, "data.name") != CSV_DATASET
        for path in ("data.noise", "data.n_samples") if generated else ():
            form.field_ui(PAGE, path)
        form.field_ui(PAGE, "data.test_fraction")
        if not generated:
            st.caption(t("upload.not_in_link"))
    with st.expander(t("dn.section.model"), expanded=True):
        form.field_ui(PAGE, "model.depth")
        form.field_ui(PAGE, "model.width")
        activation = form.field_ui(PAGE, "model.activation")
        if activation == "leaky_relu":
            form.field_ui(PAGE, "model.leaky_k")
        form.field_ui(PAGE, "model.batch_norm")
        form.field_ui(PAGE, "model.residual")
        form.field_ui(PAGE, "model.dropout")
        if form.field_ui(PAGE, "model.initializer") == "random_normal":
            form.field_ui(PAGE, "model.init_scale")
        form.field_ui(PAGE, "model.l1")
        form.field_ui(PAGE, "model.l2")
    lab.optimizer_and_training_ui(PAGE)

config, error = upload.current_config(PAGE, table)
lab.loaded_notice(PAGE)


# -- side by side ------------------------------------------------------------------------------


def variants_ui(base) -> list[tuple[str, object]]:
    """Configs B, C, D as field changes to A in an editable table; returns the valid ones."""
    seed = form.variant_changes(PAGE)
    field_col, labels = t("dn.compare.field"), list(RUN_LABELS[1:])
    with st.expander(t("dn.compare.title"), expanded=bool(seed)):
        st.caption(t("dn.compare.help"))
        paths = sorted({p for changes in seed.values() for p in changes})
        # The cells hold dotted paths (the URL's names) and "" for "same as A"; the user reads
        # each field's label, and blank cells rather than "None".
        table = pd.DataFrame(
            {field_col: paths} | {x: [seed.get(x, {}).get(p, "") for p in paths] for x in labels}
        ).astype("object")
        edited = st.data_editor(
            table,
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                field_col: st.column_config.SelectboxColumn(
                    options=[p for p in form.FIELDS if p not in PAGE.fixed],
                    format_func=lambda p: form.field_title(PAGE, p),
                    required=True,
                ),
                **{
                    label: st.column_config.TextColumn(max_chars=100, default="")
                    for label in labels
                },
            },
            key=f"dn:variant_editor:{st.session_state.get('dn:editor_version', 0)}",
        )
    variants: dict[str, dict[str, str]] = {}
    for label in labels:
        changes = {
            row[field_col]: row[label].strip()
            for _, row in edited.iterrows()
            if isinstance(row[field_col], str)
            and isinstance(row[label], str)
            and row[label].strip()
        }
        if changes:
            variants[label] = changes
    st.session_state["dn:variants_live"] = variants
    valid = lab.valid_variants(PAGE, base, variants)
    return [(label, with_changes(base, changes)) for label, changes in valid.items()]


configs = []
if error:
    st.error(t("dn.invalid_config", error=escape_markdown(error)))
else:
    st.caption(
        t(
            "dn.params",
            params=config.param_count,
            steps=config.total_steps,
            epochs=config.train.epochs,
            per_epoch=config.steps_per_epoch,
        )
    )
    configs = [("A", config), *variants_ui(config)]
    form.sync_url(PAGE, config, st.session_state.get("dn:variants_live", {}))
    if len(configs) > 1:
        table = diff_table(configs, off=t("dn.clip.off"))
        st.caption(t("dn.compare.diff") if len(table) else t("dn.compare.same"))
        if len(table):
            st.dataframe(table)


# -- train / stop and the live view -----------------------------------------------------------

lab.controls_ui(PAGE, pool, configs)
lab.live_ui(PAGE, live.charts_ui)
sweep_ui(PAGE, pool, None if error else config)
