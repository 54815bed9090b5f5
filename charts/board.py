"""The class board: the value a field was changed to against a run's final outcome, one point
per shared run (at most models.infra.classroom.MAX_SHARED, under Altair's 5,000 rows), coloured
by how the run ended.

Pure: altair and pandas only.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from charts.style import PANEL_HEIGHT, sized


@sized
def outcome_chart(
    points: pd.DataFrame, labels: Mapping[str, str], log_x: bool = False, log_y: bool = False
) -> alt.TopLevelMixin:
    """``points``: columns x (the changed value), y (the outcome), student, run, status.
    ``labels``: the titles of x, y, student, run and status, as the page words them."""
    scale_x = alt.Scale(type="log") if log_x else alt.Scale(zero=False)
    scale_y = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    return (
        alt.Chart(points)
        .mark_circle(size=90, opacity=0.8)
        .encode(
            x=alt.X("x:Q", title=labels["x"], scale=scale_x),
            y=alt.Y("y:Q", title=labels["y"], scale=scale_y),
            color=alt.Color("status:N", title=labels["status"]),
            tooltip=[
                alt.Tooltip("student:N", title=labels["student"]),
                alt.Tooltip("run:N", title=labels["run"]),
                alt.Tooltip("x:Q", title=labels["x"], format=".4g"),
                alt.Tooltip("y:Q", title=labels["y"], format=".4g"),
                alt.Tooltip("status:N", title=labels["status"]),
            ],
        )
        .properties(width="container", height=PANEL_HEIGHT)
    )
