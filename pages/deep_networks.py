"""Deep Networks: train MLPs live and see, layer by layer, why they learn or not."""

from __future__ import annotations

import streamlit as st

from models.config import CSV_DATASET, RunConfig
from models.tasks import TASKS
from ui import config_form as form
from ui import lab, lesson, live, upload
from ui.i18n import t
from ui.pool import job_pool
from ui.router import require_router
from ui.sweep import sweep_ui

require_router()

PAGE, LESSON = lesson.schema_for(
    form.PageSchema(
        prefix="dn",
        fixed={"model.arch": "mlp"},
        choices={"data.name": (*(n for n, task in TASKS.items() if task.is_2d), CSV_DATASET)},
    ),
    "deep_networks",
)
DN_PRESETS, DN_COMPARISONS = lab.lab_presets({"mlp"})
MODEL_FIELDS = tuple(p for p in form.FIELDS if p.startswith("model.") and p != "model.arch")

pool = job_pool()  # workers start (and import TensorFlow) as soon as the page first opens
st.title(t("dn.title"), anchor=False)
st.caption(t("dn.intro"))
if LESSON:
    lesson.prompt_ui(LESSON)
lab.url_notices(PAGE)


# -- sidebar: presets and the config ----------------------------------------------------------

with st.sidebar:
    lab.pickers_ui(PAGE, DN_PRESETS, DN_COMPARISONS)
    lab.import_ui(PAGE)
    data = ("data.name", "data.noise", "data.n_samples", "data.test_fraction")
    with form.section_ui(PAGE, t("dn.section.data"), data):
        # a lesson that fixes the dataset has no table to upload
        table = upload.table_ui(PAGE) if not {"data.name"} & PAGE.fixed.keys() else None
        generated = form.field_ui(PAGE, "data.name") != CSV_DATASET
        for path in ("data.noise", "data.n_samples") if generated else ():
            form.field_ui(PAGE, path)
        form.field_ui(PAGE, "data.test_fraction")
        if not generated:
            st.caption(t("upload.not_in_link"))
    with form.section_ui(PAGE, t("dn.section.model"), MODEL_FIELDS):
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


def summary(c: RunConfig) -> str:
    """Config A's size and length, above the side-by-side editor."""
    return t(
        "dn.params",
        params=c.param_count,
        steps=c.total_steps,
        epochs=c.train.epochs,
        per_epoch=c.steps_per_epoch,
    )


configs = lab.configs_ui(PAGE, config, error, summary=summary, editor=True)


# -- train / stop and the live view -----------------------------------------------------------

ready = lesson.prediction_ui(PAGE, LESSON) if LESSON else True
lab.controls_ui(PAGE, pool, configs if ready else [])
lab.live_ui(PAGE, live.charts_ui, ended=lesson.outcome_of(PAGE, LESSON))
if not LESSON:
    sweep_ui(PAGE, pool, None if error else config)
    lesson.share_ui(PAGE, "deep_networks", None if error else config)
