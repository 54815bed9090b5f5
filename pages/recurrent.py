"""Recurrent: why LSTM and GRU learn long dependencies that a SimpleRNN cannot."""

from __future__ import annotations

import streamlit as st

from models.config import RECURRENT_ARCHS
from models.tasks import TASKS
from models.teaching.presets import PRESETS
from ui import config_form as form
from ui import lab, lesson
from ui import recurrent as rn
from ui.i18n import t, worded
from ui.pool import job_pool
from ui.router import require_router
from ui.runs import RUN_LABELS
from ui.sweep import sweep_ui

require_router()

SEQUENCE_TASKS = tuple(n for n, task in TASKS.items() if task.is_sequence)
PAGE, LESSON = lesson.schema_for(
    form.PageSchema(
        prefix="rn",
        choices={
            "data.name": SEQUENCE_TASKS,
            "model.arch": RECURRENT_ARCHS,
            "model.activation": ("tanh", "relu"),
        },
        defaults={**PRESETS["rnn_adding_simple"].changes, "train.epochs": 6},
        labels={"model.depth": "rn.field.depth"},
    ),
    "recurrent",
)
RN_PRESETS, RN_COMPARISONS = lab.lab_presets(RECURRENT_ARCHS)
DEFAULT_CELLS = ("simple_rnn", "lstm")

pool = job_pool()
st.title(t("rn.title"), anchor=False)
st.caption(t("rn.intro"))
if LESSON:
    lesson.prompt_ui(LESSON)
fresh_visit = "rn:values" not in st.session_state and not len(st.query_params)
lab.url_notices(PAGE)
if fresh_visit:  # no link to follow: the page opens on the classic comparison
    form.variant_changes(PAGE).update({"B": {"model.arch": DEFAULT_CELLS[1]}})


# -- sidebar -----------------------------------------------------------------------------------


def cells_changed() -> None:
    """The cells picked become config A's cell and the cells of B, C (same data and seed)."""
    cells = st.session_state.get(cells_key) or []
    variants = form.variant_changes(PAGE)
    others = {k: {p: v for p, v in c.items() if p != "model.arch"} for k, c in variants.items()}
    if cells:
        form.values(PAGE)["model.arch"] = cells[0]
    variants.clear()
    for label, cell in zip(RUN_LABELS[1:], cells[1:], strict=False):
        variants[label] = {**others.get(label, {}), "model.arch": cell}


with st.sidebar:
    lab.pickers_ui(PAGE, RN_PRESETS, RN_COMPARISONS)
    lab.import_ui(PAGE)
    cells_key = f"rn:cells:{st.session_state.get('rn:editor_version', 0)}"
    st.multiselect(
        t("rn.cells"),
        RECURRENT_ARCHS,
        default=rn.current_cells(form.values(PAGE), form.variant_changes(PAGE)),
        format_func=worded(RECURRENT_ARCHS, lambda c: t(f"rn.cell.{c}")),
        max_selections=len(RECURRENT_ARCHS),
        help=t("rn.cells_help"),
        key=cells_key,
        on_change=cells_changed,
        disabled=LESSON is not None,  # a lesson's runs are the teacher's
    )
    task = ("data.name", "data.seq_len", "data.n_samples", "data.noise")
    with form.section_ui(PAGE, t("rn.section.task"), task):
        for path in task:
            form.field_ui(PAGE, path)
    model = ("model.width", "model.depth", "model.activation")
    with form.section_ui(PAGE, t("dn.section.model"), model):
        form.field_ui(PAGE, "model.width")
        form.field_ui(PAGE, "model.depth")
        form.field_ui(PAGE, "model.activation")
    lab.optimizer_and_training_ui(PAGE)

config, error = form.current_config(PAGE)
lab.loaded_notice(PAGE)

configs = lab.configs_ui(PAGE, config, error, name_runs=rn.cell_configs, differences=False)
if configs:  # each run is named by its cell: the runs' differences are in their names
    st.caption(t("rn.summary", steps=config.total_steps, epochs=config.train.epochs))
elif not error:
    st.warning(t("rn.no_cells"))


# -- train / stop and the live view -----------------------------------------------------------

ready = lesson.prediction_ui(PAGE, LESSON) if LESSON else True
lab.controls_ui(PAGE, pool, configs if ready else [])
lab.live_ui(PAGE, rn.charts_ui, ended=lesson.outcome_of(PAGE, LESSON))
if not LESSON:
    sweep_ui(PAGE, pool, None if error else config)
    lesson.share_ui(PAGE, "recurrent", None if error else config)

# -- parameter counts and the LSTM equations ---------------------------------------------------

if configs:
    rn.params_ui([c for _, c in configs], lab.group_of(PAGE))
rn.equations_ui()
