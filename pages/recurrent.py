"""Recurrent: why LSTM and GRU learn long dependencies that a SimpleRNN cannot."""

from __future__ import annotations

import streamlit as st

from models.config import RECURRENT_ARCHS, TASKS, ConfigError, diff
from models.jobs import JobRefused
from models.presets import COMPARISONS, PRESETS
from ui import config_form as form
from ui import live
from ui import recurrent as rn
from ui.i18n import t
from ui.pool import job_pool, session_owner
from ui.router import require_router
from ui.runs import RUN_LABELS, RunGroup
from ui.text import escape_markdown

require_router()

SEQUENCE_TASKS = tuple(n for n, task in TASKS.items() if task.is_sequence)
PAGE = form.PageSchema(
    prefix="rn",
    choices={
        "data.name": SEQUENCE_TASKS,
        "model.arch": RECURRENT_ARCHS,
        "model.activation": ("tanh", "relu"),
    },
    defaults={**PRESETS["rnn_adding_simple"].changes, "train.epochs": 6},
)
RN_PRESETS = [n for n, p in PRESETS.items() if p.config().model.arch in RECURRENT_ARCHS]
RN_COMPARISONS = [n for n, names in COMPARISONS.items() if set(names) <= set(RN_PRESETS)]
DEFAULT_CELLS = ("simple_rnn", "lstm")
GROUP = "rn:group"
STOP_WAIT = 0.5  # seconds Stop waits for the runs to end, so the page it redraws says "stopped"

pool = job_pool()
st.title(t("rn.title"), anchor=False)
st.caption(t("rn.intro"))
fresh_visit = "rn:values" not in st.session_state and not len(st.query_params)
notices = form.seed_from_url(PAGE, st.query_params)
if fresh_visit:  # no link to follow: the page opens on the classic comparison
    form.variant_changes(PAGE).update({"B": {"model.arch": DEFAULT_CELLS[1]}})
if notices:
    items = "\n".join(f"- {escape_markdown(n)}" for n in notices)  # params are user text
    st.warning(t("dn.url_notice") + "\n\n" + items)


# -- sidebar -----------------------------------------------------------------------------------


def load_preset() -> None:
    name = st.session_state.get("rn:preset")
    if name in PRESETS:
        form.load(PAGE, PRESETS[name].config())
        st.session_state["rn:loaded"] = name


def load_comparison() -> None:
    name = st.session_state.get("rn:comparison")
    if name not in COMPARISONS:
        return
    first, *others = [PRESETS[n].config() for n in COMPARISONS[name]]
    variants = {}
    for label, other in zip(RUN_LABELS[1:], others, strict=False):
        variants[label] = {p: form.url_text(b) for p, (_, b) in diff(first, other).items()}
    form.load(PAGE, first, variants)
    st.session_state["rn:loaded"] = COMPARISONS[name][0]


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
    st.selectbox(
        t("dn.sidebar.preset"),
        RN_PRESETS,
        index=None,
        placeholder=t("dn.sidebar.preset_none"),
        format_func=lambda n: t(f"preset.{n}.title"),
        key="rn:preset",
        on_change=load_preset,
    )
    st.selectbox(
        t("dn.sidebar.comparison"),
        RN_COMPARISONS,
        index=None,
        placeholder=t("dn.sidebar.comparison_none"),
        format_func=lambda n: t(f"comparison.{n}"),
        key="rn:comparison",
        on_change=load_comparison,
    )
    cells_key = f"rn:cells:{st.session_state.get('rn:editor_version', 0)}"
    st.multiselect(
        t("rn.cells"),
        RECURRENT_ARCHS,
        default=rn.current_cells(form.values(PAGE), form.variant_changes(PAGE)),
        format_func=lambda c: t(f"rn.cell.{c}"),
        max_selections=len(RECURRENT_ARCHS),
        help=t("rn.cells_help"),
        key=cells_key,
        on_change=cells_changed,
    )
    with st.expander(t("rn.section.task"), expanded=True):
        for path in ("data.name", "data.seq_len", "data.n_samples", "data.noise"):
            form.field_ui(PAGE, path)
    with st.expander(t("dn.section.model"), expanded=True):
        form.field_ui(PAGE, "model.width")
        form.field_ui(PAGE, "model.depth")
        form.field_ui(PAGE, "model.activation")
    with st.expander(t("dn.section.optimizer"), expanded=True):
        if form.field_ui(PAGE, "optimizer.name") == "momentum":
            form.field_ui(PAGE, "optimizer.momentum")
        form.field_ui(PAGE, "optimizer.learning_rate")
        form.clipping_ui(PAGE)
    with st.expander(t("dn.section.train"), expanded=False):
        for path in ("train.batch_size", "train.epochs", "train.seed", "data.seed"):
            form.field_ui(PAGE, path)
        form.field_ui(PAGE, "train.record_every")
    st.button(t("dn.reset"), on_click=lambda: form.load(PAGE, PAGE.base()), width="stretch")

config, error = form.current_config(PAGE)
loaded = st.session_state.pop("rn:loaded", None)
if loaded:
    title, claim = t(f"preset.{loaded}.title"), t(f"preset.{loaded}.claim")
    st.info(t("dn.preset_loaded", title=title, claim=claim))

configs: list[tuple[str, object]] = []
if error:
    st.error(t("dn.invalid_config", error=escape_markdown(error)))
else:
    variants = form.variant_changes(PAGE)
    for label, changes in variants.items():
        why = form.variant_error(PAGE, config, changes)
        if why:
            st.error(t("dn.invalid_variant", label=label, error=escape_markdown(why)))
    configs = rn.cell_configs(config, variants, PAGE)
    form.sync_url(PAGE, config, variants)
    if not configs:
        st.warning(t("rn.no_cells"))
    else:
        st.caption(t("rn.summary", steps=config.total_steps, epochs=config.train.epochs))


# -- train / stop ------------------------------------------------------------------------------


def start_training() -> None:
    old = st.session_state.get(GROUP)
    if old is not None:
        old.stop()  # never two trainings for one session
    try:
        st.session_state[GROUP] = RunGroup.start(pool, configs, owner=session_owner())
    except (JobRefused, ConfigError) as exc:
        st.session_state["rn:refused"] = str(exc)


def stop_training() -> None:
    group = st.session_state.get(GROUP)
    if group is not None:
        group.stop(wait=STOP_WAIT)


group = st.session_state.get(GROUP)
running = group is not None and group.active
train_col, stop_col, _ = st.columns([1, 1, 4])
train_col.button(
    t("dn.train"),
    type="primary",
    disabled=not configs,
    on_click=start_training,
    width="stretch",
    shortcut="ctrl+enter",
)
stop_col.button(t("dn.stop"), disabled=not running, on_click=stop_training, width="stretch")
if refused := st.session_state.pop("rn:refused", None):
    st.error(t("dn.refused", error=escape_markdown(refused)))


@st.fragment(run_every=live.LIVE_EVERY if running else None)
def live_view() -> None:
    group = st.session_state.get(GROUP)
    if group is None:
        st.info(t("dn.empty"))
        return
    was_active = group.active
    group.poll()
    live.status_ui(group)
    live.banners_ui(group)
    rn.charts_ui(group)
    if was_active and not group.active:
        st.rerun()  # the whole page: stop the timer, enable Train, show the downloads


live_view()
if group is not None and not group.active:
    live.downloads_ui(group)

# -- parameter counts and the LSTM equations ---------------------------------------------------

if configs:
    rn.params_ui([c for _, c in configs], group)
rn.equations_ui()
