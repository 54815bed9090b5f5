"""Sweeps: a grid over one or two config fields (and several seeds), run through the job pool.

``plan`` expands a base config and the values of one or two dotted fields into cells, each
with one config per seed, validating every config through the schema first (a ConfigError whose
problem, ``sweep.*`` or the schema's own, names the first bad value). ``Sweep`` submits the
configs to a pool (the local ``JobPool``, or ``models.infra.ray_pool.RayPool`` on a Ray cluster:
the same interface) as the pool's per-owner limit allows (the rest wait here, so a 30-config
sweep never hits the limit), folds their events into run records, and ``results`` summarises
each cell: final validation loss and the first layer's gradient norm, mean and spread over the
seeds. TensorFlow-free.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from models.config import ConfigError, RunConfig
from models.fields import FIELDS, with_changes
from models.infra.jobs import Job, JobPool, JobRefused
from models.problems import Problem, problem
from models.record import RunResult

if TYPE_CHECKING:
    from models.infra.ray_pool import RayJob, RayPool

MAX_CONFIGS = 64  # configs per sweep (cells x seeds)
MAX_SEEDS = 5


@dataclass
class Cell:
    values: tuple[Any, ...]  # the swept fields' values, in the order of `fields`
    configs: list[RunConfig]  # one per seed


@dataclass
class Plan:
    fields: tuple[str, ...]
    cells: list[Cell]

    @property
    def size(self) -> int:
        return sum(len(c.configs) for c in self.cells)


def parse_values(path: str, text: str) -> list[Any]:
    """A comma-separated list of values for a field, as typed ("0.1, 0.01" or "relu,tanh")."""
    if path not in FIELDS:
        raise ConfigError(problem("sweep.not_a_field", field=path))
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise ConfigError(problem("sweep.no_values", field=path))
    if len(parts) != len(set(parts)):
        raise ConfigError(problem("sweep.values_repeat", field=path))
    return parts


def plan(base: RunConfig, sweeps: list[tuple[str, list[Any]]], seeds: int = 1) -> Plan:
    """Every combination of the swept values, each with `seeds` seeds (the base's train.seed,
    +1, +2...; the data stays the same), validated through the schema."""
    if not 1 <= len(sweeps) <= 2:
        raise ConfigError(problem("sweep.one_or_two_fields"))
    paths = [p for p, _ in sweeps]
    if len(set(paths)) != len(paths):
        raise ConfigError(problem("sweep.same_field_twice"))
    if "train.seed" in paths:
        raise ConfigError(problem("sweep.seed_swept"))
    if not 1 <= seeds <= MAX_SEEDS:
        raise ConfigError(problem("sweep.seeds_out_of_range", least=1, most=MAX_SEEDS, got=seeds))
    total = seeds
    for _, values in sweeps:
        total *= len(values)
    if total > MAX_CONFIGS:
        raise ConfigError(problem("sweep.too_many_runs", runs=total, limit=MAX_CONFIGS))
    cells = []
    for combo in itertools.product(*(values for _, values in sweeps)):
        changes = dict(zip(paths, combo, strict=True))
        cfg = with_changes(base, changes)  # ConfigError names the field and its range
        configs = [with_changes(cfg, {"train.seed": base.train.seed + s}) for s in range(seeds)]
        typed = tuple(getattr(getattr(cfg, p.split(".")[0]), p.split(".")[1]) for p in paths)
        cells.append(Cell(typed, configs))
    return Plan(tuple(paths), cells)


@dataclass
class SweepRun:
    config: RunConfig
    cell: int
    seed: int
    job: Job | RayJob | None = None
    result: RunResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = RunResult(self.config)


class Sweep:
    """A plan running through a pool, at most `parallel` jobs at a time for its owner."""

    def __init__(self, sweep_plan: Plan, pool: JobPool | RayPool, owner: str, parallel: int = 2):
        self.plan, self.pool, self.owner, self.parallel = sweep_plan, pool, owner, parallel
        self.waiting_reason: Problem | None = None  # why the pool refused the next run, if it did
        self.runs = [
            SweepRun(cfg, i, s)
            for i, cell in enumerate(sweep_plan.cells)
            for s, cfg in enumerate(cell.configs)
        ]

    @property
    def done(self) -> bool:
        return all(r.result.finished for r in self.runs)

    @property
    def counts(self) -> dict[str, int]:
        out = {"waiting": 0, "running": 0, "ended": 0}
        for r in self.runs:
            key = "ended" if r.result.finished else ("running" if r.job else "waiting")
            out[key] += 1
        return out

    def poll(self) -> None:
        """Fold new events, then submit waiting configs while there is room."""
        for run in self.runs:
            if run.job is not None and not run.result.finished:
                for event in run.job.poll():
                    run.result.add(event)
        running = sum(1 for r in self.runs if r.job is not None and not r.result.finished)
        for run in self.runs:
            if running >= self.parallel:
                break
            if run.job is None:
                try:
                    run.job = self.pool.submit(run.config, owner=self.owner)
                except JobRefused as exc:
                    self.waiting_reason = exc.problem  # said on the page while the sweep waits
                    break  # the pool is full for now: try again at the next poll
                self.waiting_reason = None
                running += 1

    def cancel(self) -> None:
        for run in self.runs:
            if run.job is not None and not run.result.finished:
                run.job.cancel()

    def results(self) -> list[dict[str, Any]]:
        """Per cell: the swept values, mean and spread (sample std) over seeds of the final
        val loss, of the first layer's final gradient norm and (classification) of the final
        val accuracy, the model's parameter count, and the runs' statuses."""
        out = []
        for i, cell in enumerate(self.plan.cells):
            runs = [r for r in self.runs if r.cell == i]
            losses = [v for r in runs if (v := r.result.final("val_loss")) is not None]
            grads = [v for r in runs if (v := _first_layer_grad(r.result)) is not None]
            accs = [v for r in runs if (v := r.result.final("val_accuracy")) is not None]
            out.append(
                {
                    **dict(zip(self.plan.fields, cell.values, strict=True)),
                    "val_loss": statistics.mean(losses) if losses else None,
                    "val_loss_sd": statistics.stdev(losses) if len(losses) > 1 else 0.0,
                    "grad_first": statistics.mean(grads) if grads else None,
                    "grad_first_sd": statistics.stdev(grads) if len(grads) > 1 else 0.0,
                    "val_accuracy": statistics.mean(accs) if accs else None,
                    "params": cell.configs[0].param_count,
                    "ended": sum(r.result.finished for r in runs),
                    "runs": len(runs),
                    "diverged": sum(r.result.status == "diverged" for r in runs),
                }
            )
        return out


def _first_layer_grad(result: RunResult) -> float | None:
    """The first layer's final gradient norm: at depth 0 the Dense / Conv / recurrent layer
    itself (the first value; its batch norm, when there is one, comes after it)."""
    return result.final("grad_norm", depth=0, combine=lambda values: values[0])
