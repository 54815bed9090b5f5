"""The Compare page's parts: loading saved runs, their labels, the summary table."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

import charts
from models.config import ConfigError, RunConfig, parse_config
from models.store import RunStore, RunSummary, StoreError

RUN_ID = re.compile(r"[0-9a-f]{32}")
MAX_RUNS = 6  # runs compared at once
DRAW_STEPS = 400  # distinct steps per run drawn
CACHE_KEY = "cmp:records"


def linked_ids(param: str | None) -> tuple[list[str], list[str]]:
    """The run ids of a `runs=` query param, and the parts that are not ids (for a notice)."""
    good, bad = [], []
    for part in (param or "").split(","):
        part = part.strip()
        if not part:
            continue
        (good if RUN_ID.fullmatch(part) and part not in good else bad).append(part)
    return good[:MAX_RUNS], bad


def load(store: RunStore, run_id: str) -> dict | None:
    """A saved run, kept for the session once loaded (records of big runs are large)."""
    cache = st.session_state.setdefault(CACHE_KEY, {})
    if run_id not in cache:
        try:
            cache[run_id] = store.get(run_id)
        except StoreError:
            return None
    return cache[run_id]


def label_of(record: dict) -> str:
    """A run's label in charts and tables: its name and the start of its id (names repeat)."""
    return f"{record['name']} · {record['id'][:6]}"


def option_label(summary: RunSummary | dict) -> str:
    if isinstance(summary, dict):
        return f"{label_of(summary)} ({summary['status']}, {summary['steps']:,} steps)"
    return f"{summary.name} · {summary.id[:6]} ({summary.status}, {summary.steps:,} steps)"


def metrics_frame(records: list[dict]) -> pd.DataFrame:
    """The runs' metrics for drawing: thinned, strings for names, one `run` column."""
    parts = []
    for record in records:
        frame = charts.thin_steps(record["metrics"].assign(run=label_of(record)), DRAW_STEPS)
        parts.append(frame.astype({"name": object, "layer": object}))
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(layer=frame["layer"].where(frame["layer"].notna(), None))


def configs(records: list[dict]) -> list[tuple[str, RunConfig]]:
    out = []
    for record in records:
        try:
            out.append((label_of(record), parse_config(record["config"])))
        except ConfigError:
            continue  # a config from an older schema: the diff table leaves it out
    return out


def summary_table(records: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """One row per run: final loss, best val loss, steps, status, diverged at, wall time."""
    rows = []
    for record in records:
        m = record["metrics"]
        loss = m.loc[m["name"] == "loss"].sort_values("step")["value"]
        val = m.loc[m["name"] == "val_loss", "value"]
        rows.append(
            {
                columns["run"]: label_of(record),
                columns["final_loss"]: float(loss.iloc[-1]) if len(loss) else None,
                columns["best_val"]: float(val.min()) if len(val) else None,
                columns["steps"]: record["steps"],
                columns["status"]: record["status"],
                columns["diverged_at"]: record["diverged_at"],
                columns["wall_time"]: record["wall_time"],
            }
        )
    return pd.DataFrame(rows)


def max_depth(records: list[dict]) -> int:
    depths = [d["depth"] for r in records for d in r["layers"]]
    return int(max(depths)) if depths else 0
