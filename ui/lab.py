"""What every lab page shares: preset and comparison pickers, a config file import, the block
that turns config A and its side-by-side changes into the runs to train, Train / Stop, the live
view and what an ended group shows.

A page passes its PageSchema (whose prefix keys its session state), its configs and its own
chart function; the run group lives in ``st.session_state[f"{prefix}:group"]``. A lab page
reads, in order: ``lab_presets`` (its pickers' lists), ``url_notices``, ``pickers_ui``,
``import_ui``, its own fields, ``optimizer_and_training_ui``, ``loaded_notice``,
``configs_ui``, ``controls_ui``, ``live_ui``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from models.config import ConfigError, RunConfig
from models.fields import diff, json_data, parse_config, to_flat, with_changes
from models.infra.jobs import JobPool, JobRefused
from models.teaching.presets import COMPARISONS, PRESETS
from ui import config_form as form
from ui import live, owner, upload, verdict
from ui.i18n import field_label, say, say_first, t, worded
from ui.pool import run_store, session_owner
from ui.runs import RUN_LABELS, RunGroup, diff_table
from ui.text import escape_markdown

STOP_WAIT = 0.5  # seconds Stop waits for the runs to end, so the page it redraws says "stopped"
Changes = dict[str, dict[str, str]]  # run label ("B") -> {field path: value as typed}


def group_of(page: form.PageSchema) -> RunGroup | None:
    """The page's run group (its last Train click), or None."""
    return st.session_state.get(f"{page.prefix}:group")


def lab_presets(archs: Collection[str]) -> tuple[list[str], list[str]]:
    """What a lab page's pickers offer: the presets whose model is one of ``archs``, and the
    comparisons made of those presets only."""
    presets = [n for n, p in PRESETS.items() if p.config().model.arch in archs]
    comparisons = [n for n, names in COMPARISONS.items() if set(names) <= set(presets)]
    return presets, comparisons


def valid_variants(
    page: form.PageSchema, base: RunConfig, variants: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The side-by-side configs' changes that make a valid config; each invalid one is one
    sentence on the page."""
    valid = {}
    for label, changes in variants.items():
        why = form.variant_error(page, base, changes)
        if why:
            st.error(t("dn.invalid_variant", label=label, error=escape_markdown(why)))
        else:
            valid[label] = changes
    return valid


def url_notices(page: form.PageSchema) -> None:
    """Take the config from the URL (see form.seed_from_url) and show what was ignored."""
    notices = form.seed_from_url(page, st.query_params)
    if notices:
        items = "\n".join(f"- {escape_markdown(n)}" for n in notices)  # params are user text
        st.warning(t("dn.url_notice") + "\n\n" + items)


def pickers_ui(page: form.PageSchema, presets: Sequence[str], comparisons: Sequence[str]) -> None:
    """The sidebar's preset and side-by-side experiment pickers."""
    prefix = page.prefix

    def load_preset() -> None:
        name = st.session_state.get(f"{prefix}:preset")
        if name in PRESETS:
            form.load(page, PRESETS[name].config())
            st.session_state[f"{prefix}:loaded"] = name

    def load_comparison() -> None:
        name = st.session_state.get(f"{prefix}:comparison")
        if name not in COMPARISONS:
            return
        first, *others = [PRESETS[n].config() for n in COMPARISONS[name]]
        variants = {}
        for label, other in zip(RUN_LABELS[1:], others, strict=False):
            variants[label] = {p: form.url_text(b) for p, (_, b) in diff(first, other).items()}
        form.load(page, first, variants)
        st.session_state[f"{prefix}:loaded"] = COMPARISONS[name][0]

    st.selectbox(
        t("dn.sidebar.preset"),
        list(presets),
        index=None,
        placeholder=t("dn.sidebar.preset_none"),
        format_func=worded(presets, lambda n: t(f"preset.{n}.title")),
        key=f"{prefix}:preset",
        on_change=load_preset,
    )
    st.selectbox(
        t("dn.sidebar.comparison"),
        list(comparisons),
        index=None,
        placeholder=t("dn.sidebar.comparison_none"),
        format_func=worded(comparisons, lambda n: t(f"comparison.{n}")),
        key=f"{prefix}:comparison",
        on_change=load_comparison,
    )


def optimizer_and_training_ui(page: form.PageSchema) -> None:
    """The sidebar's Optimizer and Training sections, and Reset, the same on every lab page."""
    optimizer = tuple(p for p in form.FIELDS if p.startswith("optimizer."))
    with form.section_ui(page, t("dn.section.optimizer"), optimizer):
        if form.field_ui(page, "optimizer.name") == "momentum":
            form.field_ui(page, "optimizer.momentum")
        form.field_ui(page, "optimizer.learning_rate")
        form.clipping_ui(page)
    training = ("train.batch_size", "train.epochs", "train.seed", "data.seed", "train.record_every")
    with form.section_ui(page, t("dn.section.train"), training, expanded=False):
        for path in training:
            form.field_ui(page, path)
    st.button(t("dn.reset"), on_click=lambda: form.load(page, page.base()), width="stretch")


MAX_IMPORT_BYTES = 100_000


def import_ui(page: form.PageSchema) -> None:
    """Load a config from a JSON file (the CLI's config, or a run record's "config"), checked
    by the schema only: nothing in it is ever handed to Keras' deserialization."""
    prefix = page.prefix
    key = f"{prefix}:import:{st.session_state.get(f'{prefix}:import_version', 0)}"

    def load_file() -> None:
        upload = st.session_state.get(key)
        st.session_state[f"{prefix}:import_version"] = (
            st.session_state.get(f"{prefix}:import_version", 0) + 1
        )  # a fresh uploader: the same file can be loaded again after edits
        if upload is None:
            return
        data = upload.getvalue()
        st.session_state[f"{prefix}:import_result"] = import_config(page, data)

    st.file_uploader(
        t("lab.import"),
        type=["json"],
        key=key,
        on_change=load_file,
        help=t("lab.import_help"),
        max_upload_size=1,  # MB; the config itself may be at most 100 kB
    )


def import_config(page: form.PageSchema, data: bytes) -> tuple[str, str]:
    """Load an uploaded config file's bytes into the page's fields if the schema and the page
    accept them: ("ok" | "error", one sentence to show)."""
    if len(data) > MAX_IMPORT_BYTES:
        return "error", t("lab.import_too_big", size=len(data), limit=MAX_IMPORT_BYTES)
    try:
        parsed = json_data(data.decode("utf-8-sig"))  # -sig: a BOM (Windows editors) is not JSON
        if isinstance(parsed, dict) and "config" in parsed and "metrics" in parsed:
            parsed = parsed["config"]  # a downloaded run record: its config
        cfg = parse_config(parsed)
    except UnicodeDecodeError:
        return "error", t("lab.import_not_text")
    except ConfigError as exc:
        return "error", t("lab.import_invalid", error=say_first(exc.problems))
    for path, value in to_flat(cfg).items():
        why = page.check(path, value)
        if why:
            return "error", t("lab.import_invalid", error=why)
    upload.use_table(page.prefix, cfg)  # a config trained on an uploaded table brings it along
    form.load(page, cfg)
    return "ok", t("lab.imported")


def loaded_notice(page: form.PageSchema) -> None:
    """After a preset or comparison was picked: what it is and the claim it tests."""
    result = st.session_state.pop(f"{page.prefix}:import_result", None)
    if result is not None:
        kind, text = result
        (st.success if kind == "ok" else st.error)(escape_markdown(text))
    loaded = st.session_state.pop(f"{page.prefix}:loaded", None)
    if loaded:
        title, claim = t(f"preset.{loaded}.title"), t(f"preset.{loaded}.claim")
        st.info(t("dn.preset_loaded", title=title, claim=claim))


def configs_ui(
    page: form.PageSchema,
    config: RunConfig | None,
    error: str | None,
    summary: Callable[[RunConfig], str] | None = None,
    editor: bool = False,
    name_runs: Callable[[RunConfig, Changes], list[tuple[str, RunConfig]]] | None = None,
    differences: bool = True,
) -> list[tuple[str, RunConfig]]:
    """The runs Train starts, (label, config) each, from config A and its side-by-side changes.

    On the page: the config's error in one sentence (and no runs); else ``summary(config)`` as
    a caption, the changes (typed in ``variants_editor_ui`` with ``editor``; else those a link
    or a comparison loaded), one sentence per change that makes no valid config, the URL
    synced to what is on screen and, with ``differences``, the fields the runs differ in.
    ``name_runs``: the runs from A and the valid changes (default: A, then B, C, D changed).
    """
    if error or config is None:
        st.error(t("dn.invalid_config", error=escape_markdown(error or "")))
        return []
    if summary is not None:
        st.caption(summary(config))
    if page.lesson_variants is not None:  # a lesson's runs, as the teacher set them
        changes = {x: dict(c) for x, c in page.lesson_variants.items()}
        valid = changes
    else:
        changes = variants_editor_ui(page) if editor else form.variant_changes(page)
        valid = valid_variants(page, config, changes)
    if name_runs is not None:
        configs = name_runs(config, valid)
    else:
        configs = [("A", config), *((x, with_changes(config, c)) for x, c in valid.items())]
    form.sync_url(page, config, changes)
    if differences and len(configs) > 1:
        table = diff_table(configs, off=t("dn.clip.off"))  # rows named by the general labels
        st.caption(t("dn.compare.diff") if len(table) else t("dn.compare.same"))
        if len(table):
            titles = {field_label(p): form.field_title(page, p) for p in page.labels}
            st.dataframe(table.rename(index=titles))  # ... renamed as the page names its fields
    return configs


def variants_editor_ui(page: form.PageSchema) -> Changes:
    """Configs B, C, D as field changes to A in an editable table (a row per field, a column
    per run, a blank cell for "same as A"), seeded from a link or a comparison; returns the
    changes typed."""
    prefix, seed = page.prefix, form.variant_changes(page)
    field_col, labels = t("dn.compare.field"), list(RUN_LABELS[1:])
    with st.expander(t("dn.compare.title"), expanded=bool(seed)):
        st.caption(t("dn.compare.help"))
        paths = sorted({p for changes in seed.values() for p in changes})
        # The cells hold dotted paths (the URL's names) and "" for "same as A"; the user reads
        # each field's label, and blank cells rather than "None".
        table = pd.DataFrame(
            {field_col: paths} | {x: [seed.get(x, {}).get(p, "") for p in paths] for x in labels}
        ).astype("object")
        editable = [p for p in form.FIELDS if p not in page.fixed]
        edited = st.data_editor(
            table,
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                field_col: st.column_config.SelectboxColumn(
                    options=editable,
                    format_func=worded(editable, lambda p: form.field_title(page, p)),
                    required=True,
                ),
                **{
                    label: st.column_config.TextColumn(max_chars=100, default="")
                    for label in labels
                },
            },
            key=f"{prefix}:variant_editor:{st.session_state.get(f'{prefix}:editor_version', 0)}",
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
    return variants


def controls_ui(
    page: form.PageSchema, pool: JobPool, configs: Sequence[tuple[str, RunConfig]]
) -> None:
    """Train (Ctrl+Enter) and Stop. Train replaces the session's group: never two at once.

    The click only asks; the runs start here, from the configs this script run built. A
    callback would train the configs of the run that drew the button: after a preset was
    picked, a click that lands before the page has redrawn would train the old values.
    """
    prefix, key = page.prefix, f"{page.prefix}:group"
    if st.session_state.pop(f"{prefix}:start", False) and configs:
        old = st.session_state.get(key)
        if old is not None:
            old.stop()
        try:
            st.session_state[key] = RunGroup.start(pool, list(configs), owner=session_owner())
        except ConfigError as exc:
            st.session_state[f"{prefix}:refused"] = say_first(exc.problems)
        except JobRefused as exc:
            st.session_state[f"{prefix}:refused"] = say(exc.problem)

    def start() -> None:
        st.session_state[f"{prefix}:start"] = True

    def stop() -> None:
        group = st.session_state.get(key)
        if group is not None:
            group.stop(wait=STOP_WAIT)

    group = group_of(page)
    running = group is not None and group.active
    st.session_state[f"{prefix}:drawn_running"] = running  # see live_ui
    train_col, stop_col, _ = st.columns([1, 1, 4])
    train_col.button(
        t("dn.train"),
        type="primary",
        disabled=not configs,
        on_click=start,
        width="stretch",
        shortcut="ctrl+enter",
    )
    stop_col.button(t("dn.stop"), disabled=not running, on_click=stop, width="stretch")
    if refused := st.session_state.pop(f"{prefix}:refused", None):
        st.error(t("dn.refused", error=escape_markdown(refused)))


def live_ui(
    page: form.PageSchema,
    charts_ui: Callable[[RunGroup], None],
    ended: Callable[[RunGroup], None] | None = None,
) -> None:
    """Status, banners and the page's charts, redrawn by a fragment while the group trains;
    the downloads once it has ended, then ``ended`` (a lesson's outcome and Share button)."""
    group = group_of(page)
    if group is not None:
        group.poll()  # so the timer below is chosen from the runs' state now
    running = group is not None and group.active
    if st.session_state.pop(f"{page.prefix}:drawn_running", False) and not running:
        # The runs ended after this script run drew Train and Stop (a short run can end
        # between the two): draw the page again, or Stop would stay enabled with no timer
        # left to redraw it.
        st.rerun()
    # While every run waits in the queue only its position can change: a slow timer, so a
    # class of queued users costs the server little. The first run to start switches it.
    queued = running and all(r.queue_position is not None for r in group.runs)
    every = live.QUEUED_EVERY if queued else live.LIVE_EVERY

    @st.fragment(run_every=every if running else None)
    def live_view() -> None:
        group = group_of(page)
        if group is None:
            st.info(t("dn.empty"))
            return
        group.poll()
        if queued and group.active and any(r.queue_position is None for r in group.runs):
            st.rerun()  # a run has started: the whole page again, with the fast timer
        live.status_ui(group)
        live.banners_ui(group)
        charts_ui(group)
        if not group.active:
            saved_key = f"{page.prefix}:saved_group"
            if st.session_state.get(saved_key) is not group:
                # Once per group, however it ended: on its own, or by Stop (whose click
                # already polled the runs to their end, so this run never saw it active).
                st.session_state[saved_key] = group
                _save(page, group)
            # Drawn by the fragment, not after it: a timer tick that lands after the full
            # rerun redraws them too (Streamlit's frontend can prune a full run's elements
            # around a late fragment run).
            ended_ui(page, group)
            if ended is not None:
                ended(group)
        if running and not group.active:
            # The whole page: stop the timer, enable Train, show the downloads. `running` is
            # what the last full run saw: while it says so the timer keeps this fragment
            # rerunning, so a full rerun that got lost (a loaded server) is asked for again.
            st.rerun()

    live_view()


def ended_ui(page: form.PageSchema, group: RunGroup) -> None:
    """An ended group's verdict (side by side), downloads, and whether its runs were saved."""
    verdict.verdict_ui(group)
    live.downloads_ui(group)
    if failed := st.session_state.get(f"{page.prefix}:save_error"):
        st.warning(t("lab.save_failed", error=escape_markdown(failed)))
    elif all(r.saved_id for r in group.runs):
        st.caption(t("lab.saved", count=len(group.runs)))


def _save(page: form.PageSchema, group: RunGroup) -> None:
    """Every ended run goes to the run store; if the store fails, the page says so and the
    run itself (charts, downloads) is unaffected. They are saved under this browser's owner
    token, which the browser keeps from now on (its cookie), so Compare lists them after a
    reload too."""
    store = run_store()
    error = t("lab.store_unavailable") if store is None else group.save(store, owner.store_owner())
    st.session_state[f"{page.prefix}:save_error"] = error
    owner.remember_ui()
