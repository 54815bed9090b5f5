"""The run record: what one run produced, folded from the trainer's (or a job's) events.

The CLI writes it as RUN.json and the dashboard downloads the same JSON, plus the metrics as
long-form CSV. This module imports no TensorFlow, so the dashboard's server process folds job
events into a record as they stream in.

A run's ``reason`` (why it ended; models/infra/jobs.py) is a code with values: in the JSON
``{"code": "job.stopped", "values": {"why": {"code": "job.time_limit", "values": {"seconds":
600}}}}`` (a value that is itself a problem nested the same way), null for a completed run.
Records written before reasons were codes hold an English sentence there; :func:`reason_problem`
reads either, the old sentence as ``job.reason_text`` (worded as the text itself).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.config import RunConfig
from models.problems import Problem, problem

Record = dict[str, Any]  # one long row: {"step", "name", "layer", "depth", "t", "value"}
CSV_COLUMNS = ("step", "name", "layer", "depth", "t", "value")


@dataclass
class RunResult:
    """Everything a run produced: what RUN.json holds. Fold events in with :meth:`add`."""

    config: RunConfig
    status: str = "running"
    diverged_at: int | None = None
    reason: Problem | None = None  # why it ended (None while running or once completed)
    steps: int = 0  # steps trained so far (the final count once the run ended)
    total_steps: int = 0
    params: int | None = None
    wall_time: float = 0.0
    layers: list[dict] = field(default_factory=list)
    metrics: list[Record] = field(default_factory=list)
    snapshots: list[dict] = field(default_factory=list)
    # CNN: the first conv layer's kernels over training, {"step", "layer", "kernels"} each, where
    # kernels[f][i][j] is filter f's weight at kernel row i, column j (step 0 = initial weights).
    filters: list[dict] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status != "running"

    def last_step_values(self, name: str, depth: int | None = None) -> list[float]:
        """A metric at the last step it was recorded: one value per row of that step, in recorded
        order. A run-wide metric (``loss``, ``val_accuracy``) has one; a per-layer one
        (``grad_norm``, ``dead_fraction``) one per layer, the layers in model order, so at one
        depth the Dense / Conv / recurrent layer comes before its batch norm. ``depth`` keeps
        only the layers at that depth. Empty when the metric was never recorded."""
        rows = [r for r in self.metrics if r["name"] == name]
        if depth is not None:
            rows = [r for r in rows if r.get("depth") == depth]
        if not rows:
            return []
        last = max(r["step"] for r in rows)
        return [float(r["value"]) for r in rows if r["step"] == last]

    def final(
        self,
        name: str,
        depth: int | None = None,
        combine: Callable[[list[float]], float] = statistics.mean,
    ) -> float | None:
        """:meth:`last_step_values` as one number, ``combine``-d (by default the mean over the
        layers; a run-wide metric's one value is itself); None when never recorded."""
        values = self.last_step_values(name, depth)
        return combine(values) if values else None

    def add(self, event: dict[str, Any]) -> None:
        """Fold one trainer or job event into the record; unknown event types are ignored."""
        kind = event.get("type")
        if kind == "start":
            self.layers = event["layers"]
            self.total_steps = event.get("total_steps", 0)
            self.params = event.get("params")
        elif kind == "records":
            self.metrics.extend(event["records"])
            self.steps = max(self.steps, event.get("done", 0))
        elif kind == "snapshot":
            self.snapshots.append({k: v for k, v in event.items() if k != "type"})
        elif kind == "filters":
            self.filters.append({k: v for k, v in event.items() if k != "type"})
        elif kind == "end":
            self.status = event["status"]
            self.diverged_at = event.get("diverged_at")
            self.reason = reason_problem(event.get("reason"))
            step = event.get("step", self.steps)
            # An end the pool made (worker died, cancelled or killed) knows only the last
            # recorded step, which can lag the steps the records say were trained.
            pool_made = event["status"] == "interrupted" or "cause" in event
            self.steps = max(self.steps, step) if pool_made else step
            self.wall_time = event.get("wall_time", 0.0)

    def to_json_dict(self) -> dict:
        return {
            "config": self.config.model_dump(mode="json"),
            "status": self.status,
            "diverged_at": self.diverged_at,
            "reason": reason_json(self.reason),
            "steps": self.steps,
            "wall_time": round(self.wall_time, 3),
            "params": self.params,
            "layers": self.layers,
            "metrics": self.metrics,
            "snapshots": self.snapshots,
            "filters": self.filters,
        }


def reason_json(reason: Problem | None) -> dict | None:
    """A reason as the run record's JSON holds it: ``{"code", "values"}``, nested alike."""
    if reason is None:
        return None
    values = {k: reason_json(v) if isinstance(v, Problem) else v for k, v in reason.values.items()}
    return {"code": reason.code, "values": values}


def reason_problem(raw: Problem | Mapping | str | None) -> Problem | None:
    """A reason from an event, a run record or the run store: a Problem, its JSON form, or the
    English sentence a record written before reasons were codes holds (kept as its text)."""
    if raw is None or isinstance(raw, Problem):
        return raw
    if isinstance(raw, str):
        return problem("job.reason_text", text=raw)
    values = {k: _nested(v) for k, v in raw.get("values", {}).items()}
    return Problem(str(raw["code"]), values)


def _nested(value: Any) -> Any:
    is_problem = isinstance(value, Mapping) and set(value) == {"code", "values"}
    return reason_problem(value) if is_problem else value


def collect(
    cfg: RunConfig,
    events: Iterable[dict],
    on_event: Callable[[dict], None] | None = None,
) -> RunResult:
    """Gather a stream of trainer (or job) events into a RunResult."""
    result = RunResult(cfg)
    for event in events:
        if on_event is not None:
            on_event(event)
        result.add(event)
    return result
