"""Deep Networks: train MLPs live and see, layer by layer, why they learn or not."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.config import TASKS, ConfigError, diff, with_changes
from models.jobs import JobRefused
from models.presets import COMPARISONS, PRESETS
from ui import config_form as form
from ui import live
from ui.i18n import t
from ui.pool import job_pool, session_owner
from ui.router import require_router
from ui.runs import RUN_LABELS, RunGroup, diff_table
from ui.text import escape_markdown

require_router()

PAGE = form.PageSchema(
    prefix="dn",
    fixed={"model.arch": "mlp"},
    choices={"data.name": tuple(n for n, task in TASKS.items() if not task.is_sequence)},
)
DN_PRESETS = [n for n, p in PRESETS.items() if p.config().model.arch == "mlp"]
DN_COMPARISONS = [n for n, names in COMPARISONS.items() if set(names) <= set(DN_PRESETS)]
GROUP = "dn:group"
STOP_WAIT = 0.5  # seconds Stop waits for the runs to end, so the page it redraws says "stopped"

pool = job_pool()  # workers start (and import TensorFlow) as soon as the page first opens
st.title(t("dn.title"), anchor=False)
st.caption(t("dn.intro"))
notices = form.seed_from_url(PAGE, st.query_params)
if notices:
    items = "\n".join(f"- {escape_markdown(n)}" for n in notices)  # params are user text
    st.warning(t("dn.url_notice") + "\n\n" + items)


# -- sidebar: presets and the config ----------------------------------------------------------


def load_preset() -> None:
    name = st.session_state.get("dn:preset")
    if name in PRESETS:
        form.load(PAGE, PRESETS[name].config())
        st.session_state["dn:loaded"] = name


def load_comparison() -> None:
    name = st.session_state.get("dn:comparison")
    if name not in COMPARISONS:
        return
    first, *others = [PRESETS[n].config() for n in COMPARISONS[name]]
    variants = {}
    for label, other in zip(RUN_LABELS[1:], others, strict=False):
        variants[label] = {p: form.url_text(b) for p, (_, b) in diff(first, other).items()}
    form.load(PAGE, first, variants)
    st.session_state["dn:loaded"] = COMPARISONS[name][0]


with st.sidebar:
    st.selectbox(
        t("dn.sidebar.preset"),
        DN_PRESETS,
        index=None,
        placeholder=t("dn.sidebar.preset_none"),
        format_func=lambda n: t(f"preset.{n}.title"),
        key="dn:preset",
        on_change=load_preset,
    )
    st.selectbox(
        t("dn.sidebar.comparison"),
        DN_COMPARISONS,
        index=None,
        placeholder=t("dn.sidebar.comparison_none"),
        format_func=lambda n: t(f"comparison.{n}"),
        key="dn:comparison",
        on_change=load_comparison,
    )
    with st.expander(t("dn.section.data"), expanded=True):
        for path in ("data.name", "data.noise", "data.n_samples", "data.test_fraction"):
            form.field_ui(PAGE, path)
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
loaded = st.session_state.pop("dn:loaded", None)
if loaded:
    title, claim = t(f"preset.{loaded}.title"), t(f"preset.{loaded}.claim")
    st.info(t("dn.preset_loaded", title=title, claim=claim))


# -- side by side ------------------------------------------------------------------------------


def variants_ui(base) -> list[tuple[str, object]]:
    """Configs B, C, D as field changes to A in an editable table; returns the valid ones."""
    seed = form.variant_changes(PAGE)
    field_col, labels = t("dn.compare.field"), list(RUN_LABELS[1:])
    with st.expander(t("dn.compare.title"), expanded=bool(seed)):
        st.caption(t("dn.compare.help"))
        paths = sorted({p for changes in seed.values() for p in changes})
        table = pd.DataFrame(
            {field_col: paths} | {lab: [seed.get(lab, {}).get(p) for p in paths] for lab in labels}
        ).astype("object")
        edited = st.data_editor(
            table,
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                field_col: st.column_config.SelectboxColumn(
                    options=[p for p in form.FIELDS if p not in PAGE.fixed], required=True
                ),
                **{lab: st.column_config.TextColumn(max_chars=100) for lab in labels},
            },
            key=f"dn:variant_editor:{st.session_state.get('dn:editor_version', 0)}",
        )
    variants: dict[str, dict[str, str]] = {}
    for lab in labels:
        changes = {
            row[field_col]: str(row[lab]).strip()
            for _, row in edited.iterrows()
            if isinstance(row[field_col], str) and isinstance(row[lab], str) and row[lab].strip()
        }
        if changes:
            variants[lab] = changes
    st.session_state["dn:variants_live"] = variants
    configs = []
    for lab, changes in variants.items():
        why = form.variant_error(PAGE, base, changes)
        if why:
            st.error(t("dn.invalid_variant", label=lab, error=escape_markdown(why)))
        else:
            configs.append((lab, with_changes(base, changes)))
    return configs


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


# -- train / stop ------------------------------------------------------------------------------


def start_training() -> None:
    old = st.session_state.get(GROUP)
    if old is not None:
        old.stop()  # never two trainings for one session
    try:
        st.session_state[GROUP] = RunGroup.start(pool, configs, owner=session_owner())
    except (JobRefused, ConfigError) as exc:
        st.session_state["dn:refused"] = str(exc)


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
if refused := st.session_state.pop("dn:refused", None):
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
    live.charts_ui(group)
    if was_active and not group.active:
        st.rerun()  # the whole page: stop the timer, enable Train, show the downloads


live_view()
if group is not None and not group.active:
    live.downloads_ui(group)
