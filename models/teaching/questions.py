"""The Questions notebook: one experiment per question a learner asks, and a verdict computed
from that experiment's measured numbers.

A question names the runs it trains (configs: a preset plus dotted changes, validated by the
schema) and the concept requests it computes (``models.teaching.concepts``). ``verdict`` reads the
results: ``{label: RunResult}`` for runs and ``{label: dict}`` for requests, and returns a
message key and the numbers that fill it; the page only translates. Every verdict has at least
two outcomes, each tested with synthetic results. TensorFlow-free.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.config import RunConfig, recurrent_params
from models.fields import with_changes
from models.record import RunResult
from models.tasks import TASKS
from models.teaching.presets import PRESETS

Results = Mapping[str, Any]


@dataclass(frozen=True)
class Verdict:
    """The outcome (the page shows the message f"q.{question}.{key}") and the numbers it
    rests on. Values are data the page words: a value whose name ends in ``status`` is a run's
    status code; a list is rows, each worded by the message f"q.{question}.row.{name}"."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    id: str
    runs: dict[str, tuple[str, dict[str, Any]]]  # label -> (preset, dotted changes)
    requests: dict[str, dict[str, Any]]  # label -> concept request
    verdict: Callable[[Results], Verdict]
    outcomes: tuple[str, ...]  # every key verdict can return
    # What the verdict reads from the runs, in the order the page charts it: a recorded metric's
    # name, or "grad_norm_first" (each layer's gradient norm at the first step).
    evidence: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()  # the verdict values that are lists of rows (see Verdict)

    def configs(self) -> dict[str, RunConfig]:
        return {
            label: with_changes(PRESETS[preset].config(), changes)
            for label, (preset, changes) in self.runs.items()
        }


# -- reading results -----------------------------------------------------------------------


def first(result: RunResult, name: str, depth: int | None = None) -> float | None:
    rows = [r for r in result.metrics if r["name"] == name]
    if depth is not None:
        rows = [r for r in rows if r.get("depth") == depth]
    if not rows:
        return None
    start = min(r["step"] for r in rows)
    return statistics.mean(r["value"] for r in rows if r["step"] == start)


def steps_to(result: RunResult, name: str, below: float) -> int | None:
    """The first recorded step at which the metric is below a threshold (None: never)."""
    hits = sorted(r["step"] for r in result.metrics if r["name"] == name and r["value"] < below)
    return hits[0] if hits else None


def depths(result: RunResult, name: str) -> list[int]:
    found = {r["depth"] for r in result.metrics if r["name"] == name}
    return sorted(d for d in found if d is not None)


def _fmt(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.3g}"


# -- the verdicts --------------------------------------------------------------------------


def tanh_vs_sigmoid(res: Results) -> Verdict:
    sig, tanh, acts = res["sigmoid"], res["tanh"], res["activations"]
    threshold = 0.45
    s_steps, t_steps = steps_to(sig, "loss", threshold), steps_to(tanh, "loss", threshold)
    means = {a["name"]: a["mean_f_normal"] for a in acts["activations"]}
    peaks = {a["name"]: a["max_df"] for a in acts["activations"]}
    values = {
        "threshold": threshold,
        "tanh_steps": "—" if t_steps is None else t_steps,
        "sigmoid_steps": "—" if s_steps is None else s_steps,
        "tanh_mean": _fmt(means["tanh"]),
        "sigmoid_mean": _fmt(means["sigmoid"]),
        "ratio": _fmt(peaks["tanh"] / peaks["sigmoid"]),
    }
    faster = t_steps is not None and (s_steps is None or t_steps < s_steps)
    return Verdict("tanh_faster" if faster else "not_faster", values)


def relu_exploding(res: Results) -> Verdict:
    run = res["relu"]
    layers = depths(run, "grad_norm")
    inner, outer = first(run, "grad_norm", layers[0]), first(run, "grad_norm", layers[-1])
    growth = inner / outer if inner and outer else math.inf
    values = {
        "growth": _fmt(growth),
        "layers": len(layers),
        "status": run.status,
        "step": run.diverged_at if run.diverged_at is not None else "—",
    }
    exploded = run.status == "diverged" or growth > 10
    return Verdict("no_explodes" if exploded else "yes_tame", values)


def dying_relu(res: Results) -> Verdict:
    high, low, leaky = res["relu_high_lr"], res["relu_low_lr"], res["leaky_high_lr"]
    dead_high, dead_low = high.final("dead_fraction"), low.final("dead_fraction")
    dead_leaky = leaky.final("dead_fraction")
    values = {
        "dead_high": _fmt(dead_high),
        "dead_low": _fmt(dead_low),
        "dead_leaky": _fmt(dead_leaky),
        "loss_high": _fmt(high.final("val_loss")),
        "loss_low": _fmt(low.final("val_loss")),
        "loss_leaky": _fmt(leaky.final("val_loss")),
    }
    # "Helps" means fewer units dead at the end: the circle is easy enough that every net still
    # fits it, so the loss does not tell the fixes apart (see _DYING in models/teaching/presets.py).
    lower_helps = dead_high is not None and dead_low is not None and dead_low < dead_high
    leaky_helps = dead_high is not None and dead_leaky is not None and dead_leaky < dead_high
    key = {
        (True, True): "both_help",
        (True, False): "only_lower_lr",
        (False, True): "only_leaky",
        (False, False): "neither",
    }[(lower_helps, leaky_helps)]
    return Verdict(key, values)


def bn_relu(res: Results) -> Verdict:
    data = res["bn_relu"]
    init, trained = data["active_init"], data["active_trained"]
    dead = sum(f == 0 for f in init)
    values = {
        "mean_init": _fmt(statistics.mean(init)),
        "lo_init": _fmt(min(init)),
        "hi_init": _fmt(max(init)),
        "dead": dead,
        "units": len(init),
        "lo_trained": _fmt(min(trained)),
        "hi_trained": _fmt(max(trained)),
        "beta_lo": _fmt(min(data["beta"])),
        "beta_hi": _fmt(max(data["beta"])),
    }
    half_dead = dead >= len(init) / 2
    return Verdict("half_dead" if half_dead else "not_dead", values)


def lstm_tanh(res: Results) -> Verdict:
    tanh, relu = res["lstm_tanh"], res["lstm_relu"]
    values = {
        "tanh_loss": _fmt(tanh.final("val_loss")),
        "relu_loss": _fmt(relu.final("val_loss")),
        "relu_status": relu.status,
        "tanh_status": tanh.status,
        "relu_grad": _fmt(
            max((r["value"] for r in relu.metrics if r["name"] == "grad_norm"), default=None)
        ),
        "tanh_grad": _fmt(
            max((r["value"] for r in tanh.metrics if r["name"] == "grad_norm"), default=None)
        ),
    }
    t_loss, r_loss = tanh.final("val_loss"), relu.final("val_loss")
    tanh_better = relu.status == "diverged" or (
        t_loss is not None and (r_loss is None or t_loss < r_loss)
    )
    return Verdict("tanh_better" if tanh_better else "relu_fine", values)


def residual(res: Results) -> Verdict:
    plain, skip = res["plain"], res["residual"]
    values = {
        "plain_loss": _fmt(plain.final("val_loss")),
        "residual_loss": _fmt(skip.final("val_loss")),
        "plain_grad": _fmt(first(plain, "grad_norm", 0)),
        "residual_grad": _fmt(first(skip, "grad_norm", 0)),
        "depth": len(depths(plain, "grad_norm")) - 1,
    }
    p, r = plain.final("val_loss"), skip.final("val_loss")
    helps = r is not None and (p is None or r < p)
    return Verdict("residual_trains" if helps else "no_difference", values)


def clipnorm(res: Results) -> Verdict:
    raw, clipped = res["no_clip"], res["clipnorm"]
    values = {
        "raw_status": raw.status,
        "raw_step": raw.diverged_at if raw.diverged_at is not None else "—",
        "clip_status": clipped.status,
        "clip_loss": _fmt(clipped.final("val_loss")),
        "raw_grad": _fmt(
            max((r["value"] for r in raw.metrics if r["name"] == "grad_norm"), default=None)
        ),
    }
    tamed = raw.status == "diverged" and clipped.status == "completed"
    return Verdict("tamed" if tamed else "no_change", values)


def lstm_params(res: Results) -> Verdict:
    run = res["lstm"]
    task = TASKS[run.config.data.name]
    u, d, k = run.config.model.width, task.input_dim, task.n_outputs
    # 4 gates, each with a kernel (d x u), a recurrent kernel (u x u) and a bias (u); the head
    formula = 4 * (u * d + u * u + u) + u * k + k
    values = {
        "units": u,
        "inputs": d,
        "lstm": recurrent_params("lstm", u, d),
        "per_gate": u * d + u * u + u,
        "formula": formula,
        "keras": run.params if run.params is not None else "—",
    }
    return Verdict("equal" if run.params == formula else "differs", values)


def cnn_filters(res: Results) -> Verdict:
    rows = []
    for label, run in res.items():
        if label.startswith("filters_"):
            filters = int(label.removeprefix("filters_"))
            rows.append((filters, run.final("val_accuracy"), run.params))
    rows.sort()
    scored = [(f, acc, p) for f, acc, p in rows if acc is not None]
    if not scored:
        return Verdict("no_result", {})
    best = max(acc for _, acc, _ in scored)
    enough = next(f for f, acc, _ in scored if acc >= best - 0.02)
    params = dict((f, p) for f, _, p in scored)
    values = {
        "table": [{"filters": f, "accuracy": f"{acc:.2f}", "params": p} for f, acc, p in scored],
        "best": _fmt(best),
        "enough": enough,
        "params": params[enough],
        "most": scored[-1][0],
        "most_params": scored[-1][2],
    }
    return Verdict("plateau" if enough < scored[-1][0] else "more_helps", values)


def newton_deep(res: Results) -> Verdict:
    """The cost (P² entries, which the table shows) is certain; what the run decides is whether
    the Hessian at these initial weights was indefinite, so that x - H⁻¹∇f is not even a
    descent direction (the notes' second reason)."""
    rows = res["hessian"]["rows"]
    million = 1_000_000
    values = {
        "table": [{"params": r["params"], "entries": r["entries"]} for r in rows],
        "largest": rows[-1]["params"],
        "seconds": _fmt(rows[-1]["seconds"]),
        "grad_seconds": _fmt(rows[-1]["grad_seconds"]),
        "tb": _fmt(million**2 * 4 / 1e12),
        "negatives": [{"negative": r["negative_eigenvalues"], "params": r["params"]} for r in rows],
    }
    indefinite = all(r["negative_eigenvalues"] > 0 for r in rows)
    return Verdict("quadratic_cost" if indefinite else "definite_here", values)


QUESTIONS: dict[str, Question] = {
    q.id: q
    for q in [
        Question(
            "tanh_vs_sigmoid",
            {
                act: (
                    "vanishing_sigmoid",
                    {
                        "model.depth": 3,
                        "model.activation": act,
                        "optimizer.name": "sgd",
                        "optimizer.learning_rate": 0.5,
                        "train.epochs": 8,
                    },
                )
                for act in ("sigmoid", "tanh")
            },
            {"activations": {"kind": "activations", "names": ["sigmoid", "tanh"], "depth": 2}},
            tanh_vs_sigmoid,
            ("tanh_faster", "not_faster"),
            ("loss",),
        ),
        Question(
            "relu_exploding",
            {"relu": ("exploding", {"train.epochs": 2})},
            {},
            relu_exploding,
            ("no_explodes", "yes_tame"),
            ("grad_norm_first",),
        ),
        Question(
            "dying_relu",
            {
                "relu_high_lr": ("dying_relu", {"train.epochs": 5}),
                "relu_low_lr": (
                    "dying_relu",
                    {"train.epochs": 5, "optimizer.learning_rate": 0.003},
                ),
                "leaky_high_lr": ("dying_relu_leaky", {"train.epochs": 5}),
            },
            {},
            dying_relu,
            ("both_help", "only_lower_lr", "only_leaky", "neither"),
            ("dead_fraction",),
        ),
        Question(
            "bn_relu", {}, {"bn_relu": {"kind": "bn_relu"}}, bn_relu, ("half_dead", "not_dead")
        ),
        Question(
            "lstm_tanh",
            {
                f"lstm_{act}": (
                    "rnn_adding_lstm",
                    {
                        "data.n_samples": 2000,
                        "train.epochs": 4,
                        "optimizer.learning_rate": 0.02,
                        "model.activation": act,
                    },
                )
                for act in ("tanh", "relu")
            },
            {},
            lstm_tanh,
            ("tanh_better", "relu_fine"),
            ("val_loss", "grad_norm"),
        ),
        Question(
            "residual",
            {
                label: (
                    "vanishing_sigmoid",
                    {
                        "model.depth": 30,
                        "model.residual": flag,
                        "model.activation": "tanh",
                        "train.epochs": 5,
                        "optimizer.name": "sgd",
                        "optimizer.learning_rate": 0.05,
                    },
                )
                for label, flag in (("plain", False), ("residual", True))
            },
            {},
            residual,
            ("residual_trains", "no_difference"),
            ("val_loss", "grad_norm"),
        ),
        Question(
            "clipnorm",
            {"no_clip": ("rnn_relu_exploding", {}), "clipnorm": ("rnn_relu_clipnorm", {})},
            {},
            clipnorm,
            ("tamed", "no_change"),
            ("grad_norm", "val_loss"),
        ),
        Question(
            "lstm_params",
            {
                "lstm": (
                    "rnn_adding_lstm",
                    {"data.n_samples": 200, "train.epochs": 1, "data.seq_len": 10},
                )
            },
            {},
            lstm_params,
            ("equal", "differs"),
        ),
        Question(
            "cnn_filters",
            {
                f"filters_{n}": ("cnn_shapes_max", {"model.width": n, "train.epochs": 4})
                for n in (1, 2, 4, 8, 16)
            },
            {},
            cnn_filters,
            ("plateau", "more_helps", "no_result"),
            ("val_accuracy",),
            rows=("table",),
        ),
        Question(
            "newton_deep",
            {},
            {"hessian": {"kind": "hessian_cost"}},
            newton_deep,
            ("quadratic_cost", "definite_here"),
            rows=("table", "negatives"),
        ),
    ]
}


def run_headless(question: Question) -> Verdict:
    """Run a question's experiment in this process (tests, the CLI) and judge it."""
    from models.teaching.concept_runner import compute  # noqa: PLC0415 - loads TensorFlow
    from models.trainer import train  # noqa: PLC0415

    results: dict[str, Any] = {label: train(cfg) for label, cfg in question.configs().items()}
    results.update({label: compute(req) for label, req in question.requests.items()})
    return question.verdict(results)
