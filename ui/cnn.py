"""The CNN lab's live charts: loss and accuracy, per-layer gradient norms, the layer x step
heatmap, and each run's first-layer filters at initialization and at the latest snapshot."""

from __future__ import annotations

import streamlit as st

from charts import gradients, training
from charts.concepts import filters_chart
from ui import live
from ui.i18n import chart_labels, concept_chart_labels, t
from ui.runs import RunGroup


def charts_ui(group: RunGroup) -> None:
    """Loss and accuracy, per-layer gradient norms, the layer x step heatmap and the filters."""
    slots = live.ChartSlots(group)
    if slots.empty:
        return
    labels, m = chart_labels(), slots.metrics
    clip = live.clip_of(group.runs[0].config)
    # The loss and accuracy panels have a fixed width: a row of their own, as on Deep Networks.
    live.show_chart(slots.chart("loss", lambda: training.loss_chart(m.thinned, labels)))
    specs = [
        slots.chart("grad", lambda: gradients.grad_norm_chart(m.thinned, labels, clip)),
        slots.chart("heatmap", lambda: gradients.grad_heatmap(m.thinned, labels)),
    ]
    live.grid_ui(specs, several=len(group.runs) > 1)
    filters_ui(slots)


def filters_ui(slots: live.ChartSlots) -> None:
    """Each run's first-layer filters, at initialization and at the latest snapshot."""
    labels = concept_chart_labels()
    runs = slots.group.runs
    for run in runs:
        snaps = run.result.filters
        if not snaps:
            continue
        if len(runs) > 1:
            st.caption(t("cnn.filters_of", label=run.label))
        titles = [t("cnn.filters_initial"), t("cnn.filters_step", step=snaps[-1]["step"])]
        # The live view redraws several times a second; the filters change only when a new
        # snapshot arrives, so the spec is built once per snapshot.
        spec = slots.kept(
            f"filters:{run.label}",
            (len(snaps),),
            lambda s=snaps, n=titles: filters_chart([s[0], s[-1]], labels, n).to_dict(),
        )
        st.vega_lite_chart(spec, width="content")
