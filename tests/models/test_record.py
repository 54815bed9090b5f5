"""The run record (models/record.py): folding events, "a metric at the last step", once, and
why a run ended kept as its code and values (a record written before that: its sentence)."""

import json
import statistics

import pytest

from locales import say
from models.config import RunConfig
from models.fields import with_changes
from models.infra.jobs import CANCELLED_REASON, time_limit_reason
from models.problems import Problem, problem
from models.record import RunResult, collect, reason_json, reason_problem

# A batch-normalized net of depth 2 as the trainer records it: at each depth the Dense layer
# comes before its batch norm, then the output head. dead_fraction is per activation (depth).
LAYERS = [("dense_0", 0), ("bn_0", 0), ("dense_1", 1), ("bn_1", 1), ("output", 2)]


def row(step, name, value, layer=None, depth=None):
    return {"step": step, "name": name, "layer": layer, "depth": depth, "t": None, "value": value}


def recorded() -> RunResult:
    result = RunResult(RunConfig())
    for step in (0, 10, 20):
        result.add({"type": "records", "step": step, "done": step, "records": [
            row(step, "val_loss", 1.0 / (step + 1)),
            *(row(step, "grad_norm", 100 * step + k, layer, depth)
              for k, (layer, depth) in enumerate(LAYERS)),
        ]})  # fmt: skip
    # dead_fraction only every 20 steps: its own last step is 20, not the run's
    for step, values in ((0, [0.1, 0.3]), (20, [0.2, 0.6])):
        result.add({"type": "records", "step": step, "done": 20, "records": [
            row(step, "dead_fraction", v, f"dense_{d}", d) for d, v in enumerate(values)
        ]})  # fmt: skip
    result.add({"type": "records", "step": 30, "done": 30, "records": [row(30, "val_loss", 0.01)]})
    return result


def test_last_step_values_are_each_layers_value_in_recorded_order():
    result = recorded()
    assert result.last_step_values("grad_norm") == [2000.0, 2001.0, 2002.0, 2003.0, 2004.0]
    assert result.last_step_values("grad_norm", depth=0) == [2000.0, 2001.0]  # dense, then bn
    assert result.last_step_values("grad_norm", depth=2) == [2004.0]
    assert result.last_step_values("val_loss") == [0.01]  # run-wide: its one value at step 30
    assert result.last_step_values("dead_fraction") == [0.2, 0.6]  # its own last step, 20
    assert result.last_step_values("nothing") == []
    assert result.last_step_values("grad_norm", depth=7) == []


def test_final_combines_the_last_step_by_the_mean_unless_told_otherwise():
    result = recorded()
    assert result.final("val_loss") == 0.01
    assert result.final("dead_fraction") == statistics.mean([0.2, 0.6])  # questions.py's reading
    assert result.final("grad_norm", depth=0) == 2000.5
    # the sweep's "first layer": the Dense layer at depth 0, not its mean with the batch norm
    assert result.final("grad_norm", depth=0, combine=lambda values: values[0]) == 2000.0
    assert result.final("grad_norm", combine=max) == 2004.0
    assert result.final("nothing") is None


def test_the_sweep_reads_the_first_layers_gradient_and_the_questions_its_mean():
    from models.infra.sweep import Sweep, plan
    from models.teaching.questions import dying_relu

    sweep = Sweep(plan(RunConfig(), [("model.depth", ["2"])]), pool=None, owner="o")
    sweep.runs[0].result = recorded()
    [cell] = sweep.results()
    assert cell["grad_first"] == 2000.0 and cell["val_loss"] == 0.01
    runs = {label: recorded() for label in ("relu_high_lr", "relu_low_lr", "leaky_high_lr")}
    assert dying_relu(runs).values["dead_high"] == f"{statistics.mean([0.2, 0.6]):.3g}"


def test_collect_folds_a_run_into_its_record():
    cfg = with_changes(RunConfig(), {"model.depth": 2})
    events = [
        {"type": "start", "layers": [{"layer": "dense_0"}], "total_steps": 20, "params": 9},
        {"type": "records", "step": 0, "done": 0, "records": [row(0, "loss", 1.0)]},
        {"type": "records", "step": 20, "done": 20, "records": [row(20, "loss", 0.5)]},
        {"type": "end", "status": "completed", "step": 20, "diverged_at": None, "reason": None,
         "wall_time": 1.23456},
    ]  # fmt: skip
    seen = []
    result = collect(cfg, events, seen.append)
    assert seen == events
    assert (result.status, result.steps, result.total_steps, result.params) == (
        "completed", 20, 20, 9
    )  # fmt: skip
    assert result.final("loss") == 0.5
    assert result.to_json_dict()["wall_time"] == 1.235
    assert result.to_json_dict()["config"]["model"]["depth"] == 2


def ended(reason, status: str = "stopped", **extra) -> RunResult:
    result = RunResult(RunConfig())
    end = {"type": "end", "status": status, "step": 5, "diverged_at": None, "reason": reason}
    result.add({**end, "wall_time": 0.5, **extra})
    return result


@pytest.mark.parametrize(
    "reason, status, english",
    [
        (time_limit_reason(600), "stopped", "stopped: the run reached the time limit of 600 s"),
        (CANCELLED_REASON, "stopped", "stopped: the run was cancelled"),
        (problem("job.loss_not_finite", value="nan"), "diverged", "loss became nan"),
        (
            problem("job.failed", error="ValueError: bad {x}"),
            "failed",
            "the run failed: ValueError: bad {x}",
        ),
    ],
)
def test_the_record_keeps_the_jobs_reason_as_its_code_and_values(reason, status, english):
    result = ended(reason, status)
    assert result.reason == reason and say(result.reason) == english
    stored = json.loads(json.dumps(result.to_json_dict()))["reason"]  # the RUN.json a user keeps
    assert stored["code"] == reason.code
    assert reason_problem(stored) == reason  # nested values (the time limit's why) come back
    assert say(reason_problem(stored)) == english


def test_a_completed_run_has_no_reason():
    assert ended(None, "completed").to_json_dict()["reason"] is None
    assert reason_json(None) is None and reason_problem(None) is None


def test_a_record_written_before_reasons_were_codes_keeps_its_sentence_as_text():
    """An old RUN.json (or a run saved by an older version) holds the English sentence itself."""
    legacy = reason_problem("stopped: the run reached the time limit of 600 s")
    assert legacy == Problem(
        "job.reason_text", {"text": "stopped: the run reached the time limit of 600 s"}
    )
    assert say(legacy) == "stopped: the run reached the time limit of 600 s"
    result = ended("loss became inf", "diverged")  # as an old event stream would say it
    assert say(result.reason) == "loss became inf"
    assert reason_problem(result.to_json_dict()["reason"]) == result.reason
