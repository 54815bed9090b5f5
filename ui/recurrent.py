"""The Recurrent lab's parts: one run per cell, its charts, parameter counts and equations."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from charts import gradients, recurrent, training
from models.config import RunConfig, count_params
from models.fields import with_changes
from models.tasks import TASKS
from ui import live
from ui.i18n import chart_labels, t
from ui.runs import RUN_LABELS, RunGroup


def current_cells(values: Mapping[str, object], variants: Mapping[str, Mapping[str, str]]):
    """The cells on screen: config A's, then those of B, C, ... (each once)."""
    cells = [str(values["model.arch"])]
    for label in sorted(variants):
        cell = variants[label].get("model.arch")
        if cell and cell not in cells:
            cells.append(cell)
    return cells


def cell_configs(config: RunConfig, variants) -> list[tuple[str, RunConfig]]:
    """(run label, config) per cell: A's config, and B, C with their changes (the cell);
    the variants are valid ones (the page has checked them)."""
    runs = [(t(f"rn.cell.{config.model.arch}"), config)]
    for label in sorted(variants):
        cfg = with_changes(config, variants[label])
        name = t(f"rn.cell.{cfg.model.arch}")
        if name in {n for n, _ in runs}:
            name = f"{name} ({label})"
        runs.append((name, cfg))
    return runs[: len(RUN_LABELS)]


def charts_ui(group: RunGroup) -> None:
    """Loss per cell against the baseline, the gradient through time (latest profile and
    t x step heatmap), per-layer gradient norms and, for LSTMs, the forget gate."""
    slots = live.ChartSlots(group)
    if slots.empty:
        return
    labels, m, show = chart_labels(), slots.metrics, live.show_chart
    first = group.runs[0].config
    clip = live.clip_of(first)
    line, floor = live.loss_references(first.data)
    show(slots.chart("loss", lambda: training.loss_chart(m.thinned, labels, line, floor)))
    left, right = st.columns(2)
    with left:
        show(slots.chart("time", lambda: recurrent.time_grad_chart(m.thinned, labels)))
    with right:
        if any(r.config.model.arch == "lstm" for r in group.runs):
            show(slots.chart("gates", lambda: recurrent.forget_gate_chart(m.thinned, labels)))
        else:
            st.caption(t("rn.no_lstm"))
    show(slots.chart("time_heatmap", lambda: recurrent.time_grad_heatmap(m.thinned, labels)))
    show(slots.chart("grad", lambda: gradients.grad_norm_chart(m.thinned, labels, clip)))


# -- parameter counts --------------------------------------------------------------------------

CELL_FORMULAS = {  # (symbolic, numbers) for one layer: u units, d inputs per step
    "simple_rnn": (r"u(u+d)+u", "{u}\\cdot({u}+{d})+{u}"),
    "lstm": (r"4\,\big(u(u+d)+u\big)", "4\\,({u}\\cdot({u}+{d})+{u})"),
    "gru": (r"3\,\big(u(u+d)+2u\big)", "3\\,({u}\\cdot({u}+{d})+2\\cdot{u})"),
}
CELL_COUNTS = {
    "simple_rnn": lambda u, d: u * (u + d) + u,
    "lstm": lambda u, d: 4 * (u * (u + d) + u),
    "gru": lambda u, d: 3 * (u * (u + d) + 2 * u),
}


def param_terms(cfg: RunConfig) -> list[tuple[str, str, int]]:
    """Per layer, then the output head: (symbolic formula, formula with numbers, count)."""
    arch, u = cfg.model.arch, cfg.model.width
    task = TASKS[cfg.data.name]
    terms, d = [], task.input_dim
    for _ in range(cfg.model.depth):
        symbolic, numbers = CELL_FORMULAS[arch]
        terms.append((symbolic, numbers.format(u=u, d=d), CELL_COUNTS[arch](u, d)))
        d = u
    o = task.n_outputs
    terms.append((r"u\,o+o", f"{u}\\cdot{o}+{o}", u * o + o))
    return terms


def term_latex(symbolic: str, numbers: str, count: int) -> str:
    """``symbolic``, ``= numbers``, ``= count`` on three aligned lines (on one line an LSTM's
    ran past its column when three cells sit side by side); the count with thousands
    separators KaTeX keeps tight."""
    total = f"{count:,}".replace(",", "{,}")
    return rf"\begin{{aligned}}&{symbolic}\\&= {numbers}\\&= {total}\end{{aligned}}"


def params_ui(configs: list[RunConfig], group: RunGroup | None) -> None:
    """Each cell's parameter count as a formula with the numbers filled in, and Keras' own
    count_params() once a run of that config has built the model."""
    st.subheader(t("rn.params.title"), anchor=False)
    st.caption(t("rn.params.caption"))
    runs = group.runs if group is not None else []
    measured = {r.config: r.result.params for r in runs if r.result.params}
    per_row = len(configs) if len(configs) <= 3 else 2  # four cells: two rows of two
    cols = [c for start in range(0, len(configs), per_row) for c in st.columns(per_row)]
    for cfg, col in zip(configs, cols, strict=False):
        with col:
            st.markdown(t("rn.params.cell", cell=t(f"rn.cell.{cfg.model.arch}")))
            terms = param_terms(cfg)
            for i, (symbolic, numbers, count) in enumerate(terms):
                name = t("rn.params.head") if i == len(terms) - 1 else t("rn.params.layer", i=i)
                st.caption(name)
                st.latex(term_latex(symbolic, numbers, count))
            total = count_params(cfg)
            st.markdown(t("rn.params.total", total=total))
            keras = measured.get(cfg)
            if keras is not None:
                key = "rn.params.keras_equal" if keras == total else "rn.params.keras_differs"
                st.markdown(t(key, keras=keras))


# -- the LSTM equations ------------------------------------------------------------------------

LSTM_EQUATIONS = r"""
\begin{aligned}
i_t &= \sigma(W_i x_t + U_i h_{t-1} + b_i) \\
f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) \\
\tilde c_t &= \tanh(W_c x_t + U_c h_{t-1} + b_c) \\
o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o) \\
c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t \\
h_t &= o_t \odot \tanh(c_t)
\end{aligned}
"""
GATES = ("i", "f", "c", "o")  # Keras stores the four blocks side by side in this order


def weight_table() -> pd.DataFrame:
    """Where each symbol of the equations lives in a Keras LSTM layer (u = units)."""
    rows = []
    spans = ["0:u", "u:2u", "2u:3u", "3u:4u"]
    for gate, span in zip(GATES, spans, strict=True):
        rows.append((f"W_{gate}", f"kernel[:, {span}]", "(d, u)"))
        rows.append((f"U_{gate}", f"recurrent_kernel[:, {span}]", "(u, u)"))
        rows.append((f"b_{gate}", f"bias[{span}]", "(u,)"))
    columns = [t("rn.eq.symbol"), t("rn.eq.weight"), t("rn.eq.shape")]
    return pd.DataFrame(rows, columns=columns)


def equations_ui() -> None:
    with st.expander(t("rn.eq.title")):
        st.latex(LSTM_EQUATIONS)
        st.caption(t("rn.eq.caption"))
        st.dataframe(weight_table(), hide_index=True)
        st.markdown(t("rn.eq.why_tanh"))
