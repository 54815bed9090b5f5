"""The live view (ui/live.py): a chart slot builds a chart's spec again only when its runs gained
rows, a run's clipping rule draws a threshold line only when it clips a norm, and the live
charts sit in rows and columns that fit them. (The specs themselves: tests/charts/test_vega.py.)
"""

import json

import numpy as np
import pandas as pd
import pytest

from charts import gradients, training
from models.config import RunConfig
from models.fields import with_changes
from tests.support.live_specs import arrow_frame, live_metrics
from tests.support.specs import of_mark, spec_of
from ui.i18n import chart_labels
from ui.live import ChartSlots, clip_of
from ui.runs import LabRun, RunGroup


def group_of(metrics: pd.DataFrame) -> RunGroup:
    """A group whose runs have recorded ``metrics`` (column ``run``: the runs' labels)."""
    runs = []
    for label, part in metrics.groupby("run", sort=True):
        run = LabRun(str(label), RunConfig())
        run.frame = part.drop(columns="run").assign(t=np.nan).reset_index(drop=True)
        runs.append(run)
    return RunGroup(runs)


def test_a_chart_slot_builds_its_spec_again_only_when_the_runs_gained_rows():
    group, built = group_of(live_metrics(20, ("A",))), []
    labels = chart_labels()

    def build():
        built.append(len(group.runs[0].frame))
        return training.loss_chart(ChartSlots(group).metrics.thinned, labels)

    first = ChartSlots(group).chart("loss", build)
    assert ChartSlots(group).chart("loss", build) is first and built == [len(group.runs[0].frame)]
    grown = live_metrics(30, ("A",))
    group.runs[0].frame = grown.drop(columns="run").assign(t=np.nan)
    again = ChartSlots(group).chart("loss", build)
    assert len(built) == 2 and again is not first
    assert arrow_frame(again["datasets"]["loss-0"])["step"].max() == 29


def test_a_slot_is_empty_before_any_run_has_recorded_a_row():
    group = RunGroup([LabRun("A", RunConfig())])
    assert ChartSlots(group).empty
    assert not ChartSlots(group_of(live_metrics(2, ("A",)))).empty


@pytest.mark.parametrize(
    "rule, threshold_line",
    [("clipnorm", True), ("global_clipnorm", True), ("clipvalue", False)],
)
def test_a_runs_clipping_rule_draws_a_threshold_line_only_when_it_clips_a_norm(
    rule, threshold_line
):
    """clipnorm and global_clipnorm clip a norm, the line the chart draws; clipvalue clips each
    element of the gradient, and a line at its value on a chart of norms would mislead."""
    config = with_changes(RunConfig(), {f"optimizer.{rule}": 0.05})
    assert clip_of(config)[0] == rule
    chart = gradients.grad_norm_chart(live_metrics(10, ("A",)), chart_labels(), clip_of(config))
    rules = of_mark(spec_of(chart), "rule")
    assert [d["plot_value"].tolist() for _, d in rules] == ([[0.05]] if threshold_line else [])
    assert clip_of(RunConfig()) is None


def grid_app(several: bool) -> None:
    """A page that places the live charts of one run or of two, as the lab pages do."""
    from charts import gradients
    from tests.support.live_specs import live_metrics, vega_spec
    from ui.i18n import chart_labels
    from ui.live import grid_ui

    labels = chart_labels()
    m = live_metrics(30, ("A", "B") if several else ("A",))
    builders = {
        "grad": lambda: gradients.grad_norm_chart(m, labels),
        "heatmap": lambda: gradients.grad_heatmap(m, labels),
        "bars": lambda: gradients.layer_bars(m, labels),
    }
    grid_ui([vega_spec(build(), name) for name, build in builders.items()], several=several)


@pytest.mark.parametrize("several", [False, True], ids=["one_run", "two_runs"])
def test_side_by_side_panels_get_a_row_each_and_one_runs_charts_share_rows(several):
    """Side-by-side runs are fixed-size small multiples, which ran past a half-page column:
    each gets a whole row. One run's charts go two to a row: the first two stretch to their
    column, the third, narrow bars, sits in a column of the next row."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(grid_app, kwargs={"several": several}).run()
    assert not at.exception
    drawn = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    in_columns = [
        json.loads(c.proto.spec) for col in at.columns for c in col.get("vega_lite_chart")
    ]
    assert len(drawn) == 3
    if several:
        assert not in_columns and all(spec.get("width") != "container" for spec in drawn)
        return
    assert in_columns == drawn and len(at.columns) == 4  # two rows of two columns
    assert [spec.get("width") for spec in in_columns[:2]] == ["container", "container"]


def ended_group_app() -> None:
    """Four runs that ended four ways, with the reasons the job pool and the trainer give."""
    from models.config import RunConfig
    from models.infra.jobs import CANCELLED_REASON, time_limit_reason
    from models.problems import problem
    from ui.live import banners_ui
    from ui.runs import LabRun, RunGroup

    ends = {
        "A": ("stopped", time_limit_reason(600)),
        "B": ("stopped", CANCELLED_REASON),
        "C": ("diverged", problem("job.loss_not_finite", value="nan")),
        "D": ("failed", problem("job.failed", error="ValueError: x*y_z is `bad`")),
    }
    runs = []
    for label, (status, reason) in ends.items():
        run = LabRun(label, RunConfig())
        end = {"type": "end", "status": status, "step": 5, "reason": reason, "wall_time": 1.0}
        run.add({**end, "diverged_at": 3 if status == "diverged" else None})
        runs.append(run)
    banners_ui(RunGroup(runs))


def test_the_banners_word_each_runs_coded_end():
    """A limit that stopped a run is named (its `why`, not "stopped: " parsed out of a sentence);
    a cancel has no banner; a failure's exception text is shown as it is, in code font."""
    from streamlit.testing.v1 import AppTest

    from tests.support.apptest import shown

    at = AppTest.from_function(ended_group_app).run()
    assert not at.exception
    warnings = [shown(w.value) for w in at.warning]
    assert warnings == [
        "A was stopped at step 5: the run reached the time limit of 600 s.",
        "C diverged at step 3: loss became nan — try clipnorm or a lower learning rate.",
    ]
    [error] = at.error
    assert error.value == "D: failed: the run failed: `` ValueError: x*y_z is `bad` ``"
