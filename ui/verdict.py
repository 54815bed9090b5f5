"""What an ended run group measured, in words: the claim it tests (a preset or comparison as
loaded), one run against chance or its baseline and the noise floor, or side-by-side runs in one
sentence over a table of their numbers. The engine judges (models.comparison); this words it.
"""

from __future__ import annotations

import streamlit as st

from models import comparison
from models.comparison import FLOOR_RATIO
from models.config import DataConfig
from models.datasets import make_dataset, trivial_baseline
from models.teaching.presets import COMPARISONS, PRESETS
from ui import live
from ui.i18n import t
from ui.runs import LabRun, RunGroup


def value(x: float | None) -> str:
    """A measured number as the verdicts write it: 3 significant digits, "–" if unknown."""
    return "–" if x is None else f"{x:.3g}"


def percent(x: float | None) -> str:
    """A fraction as the verdicts write it ("12%"), "–" if unknown."""
    return "–" if x is None else f"{x:.0%}"


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
    if not group.judged:
        group.verdict, group.judged = judge_run(run), True
    verdict = group.verdict
    if verdict is None:
        return

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
    if not group.judged:
        classification = group.runs[0].config.task.is_classification
        runs = {r.label: (r.result.status, r.frame) for r in group.runs}
        group.verdict, group.judged = comparison.judge(runs, classification), True
    verdict = group.verdict

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
