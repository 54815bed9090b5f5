"""Convolution and pooling: how max and mean pooling pass gradients back (ui/pooling.py), then
a lab that trains small CNNs on generated images and shows their filters (ui/cnn.py)."""

import streamlit as st

from models.teaching.presets import PRESETS
from ui import cnn, lab, lesson
from ui import config_form as form
from ui.i18n import t
from ui.pool import job_pool
from ui.pooling import pooling_ui
from ui.router import require_router
from ui.sweep import sweep_ui

require_router()
st.title(t("cnn.title"), anchor=False)
st.caption(t("cnn.intro"))
pooling_ui()


# -- train a small CNN on generated images -----------------------------------------------------

PAGE, LESSON = lesson.schema_for(
    form.PageSchema(
        prefix="cnn",
        fixed={"model.arch": "cnn", "data.name": "shapes"},
        defaults=PRESETS["cnn_shapes_max"].changes,
        labels={"model.depth": "cnn.field.depth", "model.width": "cnn.field.width"},
    ),
    "cnn",
)
CNN_PRESETS, CNN_COMPARISONS = lab.lab_presets({"cnn"})

st.divider()
st.header(t("cnn.lab_title"), anchor=False)
st.caption(t("cnn.lab_intro"))
job_runner = job_pool()
if LESSON:
    lesson.prompt_ui(LESSON)
lab.url_notices(PAGE)
with st.sidebar:
    lab.pickers_ui(PAGE, CNN_PRESETS, CNN_COMPARISONS)
    lab.import_ui(PAGE)
    data = ("data.noise", "data.n_samples", "data.test_fraction")
    with form.section_ui(PAGE, t("dn.section.data"), data):
        for path in data:
            form.field_ui(PAGE, path)
    model = (
        *("model.depth", "model.width", "model.kernel_size", "model.pooling", "model.activation"),
        *("model.leaky_k", "model.batch_norm", "model.dropout", "model.initializer"),
    )
    with form.section_ui(PAGE, t("dn.section.model"), model):
        for path in ("model.depth", "model.width", "model.kernel_size", "model.pooling"):
            form.field_ui(PAGE, path)
        if form.field_ui(PAGE, "model.activation") == "leaky_relu":
            form.field_ui(PAGE, "model.leaky_k")
        for path in ("model.batch_norm", "model.dropout", "model.initializer"):
            form.field_ui(PAGE, path)
    lab.optimizer_and_training_ui(PAGE)

config, error = form.current_config(PAGE)
lab.loaded_notice(PAGE)
configs = lab.configs_ui(
    PAGE,
    config,
    error,
    summary=lambda c: t(
        "cnn.summary", params=c.param_count, steps=c.total_steps, epochs=c.train.epochs
    ),
)
ready = lesson.prediction_ui(PAGE, LESSON) if LESSON else True
lab.controls_ui(PAGE, job_runner, configs if ready else [])
lab.live_ui(PAGE, cnn.charts_ui, ended=lesson.outcome_of(PAGE, LESSON))
if not LESSON:
    st.caption(t("cnn.sweep_help"))
    sweep_ui(
        PAGE,
        job_runner,
        None if error else config,
        first=("model.width", "1, 2, 4, 8, 16"),
        second=("", ""),
    )
    lesson.share_ui(PAGE, "cnn", None if error else config)
