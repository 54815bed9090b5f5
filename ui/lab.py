"""What every lab page shares: preset and comparison pickers, Train / Stop, and the live view.

A page passes its PageSchema (whose prefix keys its session state), its configs and its own
chart function; the run group lives in ``st.session_state[f"{prefix}:group"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from models import comparison
from models.comparison import FLOOR_RATIO
from models.config import (
    ConfigError,
    DataConfig,
    RunConfig,
    diff,
    json_data,
    parse_config,
    to_flat,
)
from models.datasets import make_dataset, trivial_baseline
from models.jobs import JobPool, JobRefused
from models.presets import COMPARISONS, PRESETS
from ui import config_form as form
from ui import live, owner, upload
from ui.i18n import t
from ui.pool import run_store, session_owner
from ui.runs import RUN_LABELS, LabRun, RunGroup
from ui.text import escape_markdown

STOP_WAIT = 0.5  # seconds Stop waits for the runs to end, so the page it redraws says "stopped"


def group_of(page: form.PageSchema) -> RunGroup | None:
    return st.session_state.get(f"{page.prefix}:group")


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
        format_func=lambda n: t(f"preset.{n}.title"),
        key=f"{prefix}:preset",
        on_change=load_preset,
    )
    st.selectbox(
        t("dn.sidebar.comparison"),
        list(comparisons),
        index=None,
        placeholder=t("dn.sidebar.comparison_none"),
        format_func=lambda n: t(f"comparison.{n}"),
        key=f"{prefix}:comparison",
        on_change=load_comparison,
    )


def optimizer_and_training_ui(page: form.PageSchema) -> None:
    """The sidebar's Optimizer and Training sections, and Reset, the same on every lab page."""
    with st.expander(t("dn.section.optimizer"), expanded=True):
        if form.field_ui(page, "optimizer.name") == "momentum":
            form.field_ui(page, "optimizer.momentum")
        form.field_ui(page, "optimizer.learning_rate")
        form.clipping_ui(page)
    with st.expander(t("dn.section.train"), expanded=False):
        for path in ("train.batch_size", "train.epochs", "train.seed", "data.seed"):
            form.field_ui(page, path)
        form.field_ui(page, "train.record_every")
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
        st.session_state[f"{prefix}:import_result"] = _import(page, data)

    st.file_uploader(
        t("lab.import"),
        type=["json"],
        key=key,
        on_change=load_file,
        help=t("lab.import_help"),
        max_upload_size=1,  # MB; the config itself may be at most 100 kB
    )


def _import(page: form.PageSchema, data: bytes) -> tuple[str, str]:
    """("ok" | "error", one sentence) for an uploaded config file."""
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
        return "error", t("lab.import_invalid", error=str(exc))
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
        except (JobRefused, ConfigError) as exc:
            st.session_state[f"{prefix}:refused"] = str(exc)

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


def live_ui(page: form.PageSchema, charts_ui: Callable[[RunGroup], None]) -> None:
    """Status, banners and the page's charts, redrawn by a fragment while the group trains;
    the downloads once it has ended."""
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
        if running and not group.active:
            # The whole page: stop the timer, enable Train, show the downloads. `running` is
            # what the last full run saw: while it says so the timer keeps this fragment
            # rerunning, so a full rerun that got lost (a loaded server) is asked for again.
            st.rerun()

    live_view()


@st.cache_data(max_entries=32, show_spinner=False)
def chance_accuracy(data: DataConfig) -> float | None:
    """The test accuracy of always answering the train set's majority class (classification)."""
    return trivial_baseline(make_dataset(data)).get("accuracy")


def claim_ui(group: RunGroup) -> None:
    """The claim the runs test, when they are a preset or a comparison as it was loaded (an
    edited config tests no claim of ours, so none is shown)."""
    configs = [r.config for r in group.runs]
    if len(configs) == 1:
        name = next((n for n, p in PRESETS.items() if p.config() == configs[0]), None)
        if name:
            title, claim = t(f"preset.{name}.title"), t(f"preset.{name}.claim")
            st.info(t("lab.claim", title=title, claim=claim))
        return
    for name, members in COMPARISONS.items():
        if [PRESETS[n].config() for n in members] == configs:
            claims = "\n".join(
                f"- **{label}**: {t(f'preset.{n}.claim')}"
                for label, n in zip((r.label for r in group.runs), members, strict=True)
            )
            st.info(t("lab.claims", title=t(f"comparison.{name}")) + "\n\n" + claims)
            return


def judge_run(run: LabRun) -> comparison.RunVerdict | None:
    """One ended run against chance (or the trivial baseline) and the noise floor."""
    data = run.config.data
    classification = run.config.task.is_classification
    baseline, floor = live.loss_references(data)
    reference = chance_accuracy(data) if classification else baseline
    if reference is None:
        return None
    result = run.result
    return comparison.judge_one(
        result.status, run.frame, classification, reference, floor, result.diverged_at
    )


def run_verdict_ui(group: RunGroup) -> None:
    """What one run measured, in a sentence or three (judged once per ended group)."""
    run = group.runs[0]
    if "verdict" not in group.views:
        group.views["verdict"] = (None, judge_run(run))
    verdict = group.views["verdict"][1]
    if verdict is None:
        return

    def value(x: float | None) -> str:
        return "–" if x is None else f"{x:.3g}"

    n = verdict.numbers
    parts = [
        t(
            f"run.verdict.{verdict.key}",
            label=run.label,
            final=value(n.final),
            reference=value(verdict.reference),
            floor=value(verdict.floor),
            step=verdict.diverged_at if verdict.diverged_at is not None else run.step,
        )
    ]
    if verdict.floor is not None and verdict.key != "at_floor":
        parts.append(t("run.verdict.floor", floor=value(verdict.floor)))
    if n.grad_ratio is not None:
        parts.append(t("run.verdict.grad_ratio", ratio=value(n.grad_ratio)))
    if n.dead is not None:
        parts.append(t("run.verdict.dead", dead=f"{n.dead:.0%}"))
    st.markdown(" ".join(parts))


def verdict_ui(group: RunGroup) -> None:
    """What the runs measured: one run against chance and its floor; a side-by-side group in
    one sentence over a table of its numbers."""
    claim_ui(group)
    if len(group.runs) == 1:
        run_verdict_ui(group)
        return
    # Judged once per ended group, not on every rerun of the page (the frames can be long).
    cached = group.views.get("verdict")
    if cached is None:
        classification = group.runs[0].config.task.is_classification
        runs = {r.label: (r.result.status, r.frame) for r in group.runs}
        cached = group.views["verdict"] = (None, comparison.judge(runs, classification))
    verdict = cached[1]

    def value(x: float | None) -> str:
        return "–" if x is None else f"{x:.3g}"

    def percent(x: float | None) -> str:
        return "–" if x is None else f"{x:.0%}"

    any_dead = any(r.dead is not None for r in verdict.runs)
    finals = {r.label: f"{r.label} {value(r.final)}" for r in verdict.runs}
    ref, others = verdict.runs[0], verdict.runs[1:]
    st.markdown(
        t(
            f"cmp.verdict.{verdict.key}",
            metric=t(f"cmp.metric.{verdict.metric}"),
            a=ref.label,  # the first run, as its status line names it ("A", or "SimpleRNN")
            a_value=value(ref.final),
            better=", ".join(finals[label] for label in verdict.better),
            rest=", ".join(r.label for r in others if r.label not in verdict.better),
            others=", ".join(finals[r.label] for r in others),
            completed=", ".join(r.label for r in others if r.status == "completed"),
        )
    )
    if verdict.metric == "val_loss":
        baseline, floor = live.loss_references(group.runs[0].config.data)
        key = "cmp.references" if floor is not None else "cmp.reference"
        st.markdown(t(key, baseline=value(baseline), floor=value(floor)))
        solved = [
            r.label
            for r in verdict.runs
            if floor is not None and r.final is not None and r.final <= FLOOR_RATIO * floor
        ]
        if solved:
            st.markdown(t("cmp.at_floor", runs=", ".join(solved)))
    if verdict.fewer_dead:
        dead = {r.label: f"{r.label} {percent(r.dead)}" for r in verdict.runs}
        st.markdown(
            t(
                "cmp.verdict.fewer_dead",
                a=ref.label,
                a_dead=percent(ref.dead),
                fewer=", ".join(dead[label] for label in verdict.fewer_dead),
            )
        )
    rows = [
        {
            t("cmp.col.run"): r.label,
            t("cmp.col.status"): t(f"cmp.status.{r.status}"),
            t("cmp.col.final"): value(r.final),
            t("cmp.col.grad_ratio"): value(r.grad_ratio),
            **({t("cmp.col.dead"): percent(r.dead)} if any_dead else {}),
        }
        for r in verdict.runs
    ]
    st.dataframe(rows, hide_index=True)


def ended_ui(page: form.PageSchema, group: RunGroup) -> None:
    """An ended group's verdict (side by side), downloads, and whether its runs were saved."""
    verdict_ui(group)
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
