"""The Questions notebook (models/teaching/questions.py): every experiment runs headless through the
engine's pools and its verdict is one of its outcomes; every verdict is tested on at least two
outcomes with synthetic results. (The page: tests/pages/test_questions.py; its charts:
tests/charts/test_questions.py.)"""

import time

import pytest

from locales import EN
from models.config import RunConfig
from models.fields import with_changes
from models.infra.jobs import JobPool
from models.record import RunResult
from models.teaching.concepts import RUNNER, parse_request
from models.teaching.questions import QUESTIONS, Verdict


def fake(metrics=(), status="completed", params=None, diverged_at=None, cfg=None) -> RunResult:
    """A RunResult from rows (step, name, value) or (step, name, value, depth)."""
    result = RunResult(cfg or RunConfig(), status=status, params=params, diverged_at=diverged_at)
    for row in metrics:
        step, name, value, *depth = row
        result.metrics.append(
            {
                "step": step,
                "name": name,
                "layer": None,
                "depth": depth[0] if depth else None,
                "t": None,
                "value": value,
            }
        )
    return result


def loss_curve(values):
    return [(10 * i, "loss", v) for i, v in enumerate(values)]


ACTS = {
    "activations": [
        {"name": "sigmoid", "mean_f_normal": 0.5, "max_df": 0.25},
        {"name": "tanh", "mean_f_normal": 0.0, "max_df": 1.0},
    ]
}


def judge(qid, results) -> Verdict:
    question = QUESTIONS[qid]
    verdict = question.verdict(results)
    assert verdict.key in question.outcomes
    EN[f"q.{qid}.{verdict.key}"].format(**verdict.values)  # every number the text needs
    return verdict


def test_tanh_vs_sigmoid_both_ways():
    fast, slow = fake(loss_curve([0.7, 0.5, 0.4])), fake(loss_curve([0.7, 0.6, 0.55]))
    v = judge("tanh_vs_sigmoid", {"tanh": fast, "sigmoid": slow, "activations": ACTS})
    assert (v.key, v.values["tanh_steps"], v.values["sigmoid_steps"]) == ("tanh_faster", 20, "—")
    assert v.values["ratio"] == "4"
    v = judge("tanh_vs_sigmoid", {"tanh": slow, "sigmoid": fast, "activations": ACTS})
    assert v.key == "not_faster"


def grads(step, norms):
    return [(step, "grad_norm", g, d) for d, g in enumerate(norms)]


def test_relu_exploding_both_ways():
    v = judge("relu_exploding", {"relu": fake(grads(0, [50.0, 5.0, 1.0]))})
    assert (v.key, v.values["growth"], v.values["layers"]) == ("no_explodes", "50", 3)
    v = judge("relu_exploding", {"relu": fake(grads(0, [1.0, 1.0]), "diverged", diverged_at=3)})
    assert (v.key, v.values["step"]) == ("no_explodes", 3)
    assert judge("relu_exploding", {"relu": fake(grads(0, [2.0, 1.0]))}).key == "yes_tame"


def dead(fraction, val_loss):
    return fake([(5, "dead_fraction", fraction, 0), (5, "val_loss", val_loss)])


@pytest.mark.parametrize(
    "low, leaky, key",
    [
        (dead(0.1, 0.3), dead(0.0, 0.9), "both_help"),  # judged by dead units, not the loss
        (dead(0.1, 0.3), dead(0.7, 0.1), "only_lower_lr"),
        (dead(0.6, 0.3), dead(0.0, 0.9), "only_leaky"),
        (dead(0.6, 0.3), dead(0.7, 0.1), "neither"),
    ],
)
def test_dying_relu_all_four_ways(low, leaky, key):
    high = dead(0.5, 0.5)
    v = judge("dying_relu", {"relu_high_lr": high, "relu_low_lr": low, "leaky_high_lr": leaky})
    assert v.key == key


def test_bn_relu_both_ways():
    half = {"active_init": [0.5] * 4, "active_trained": [0.3, 1.0, 0.6, 0.2], "beta": [-1, 2]}
    v = judge("bn_relu", {"bn_relu": half})
    assert (v.key, v.values["dead"], v.values["beta_hi"]) == ("not_dead", 0, "2")
    dead_units = {**half, "active_init": [0.0, 0.0, 0.9, 0.8]}
    assert judge("bn_relu", {"bn_relu": dead_units}).key == "half_dead"


def test_lstm_tanh_both_ways():
    good, bad = fake([(1, "val_loss", 0.02)]), fake([(1, "val_loss", 0.2)])
    assert judge("lstm_tanh", {"lstm_tanh": good, "lstm_relu": bad}).key == "tanh_better"
    diverged = fake([], "diverged", diverged_at=2)
    assert judge("lstm_tanh", {"lstm_tanh": bad, "lstm_relu": diverged}).key == "tanh_better"
    assert judge("lstm_tanh", {"lstm_tanh": bad, "lstm_relu": good}).key == "relu_fine"


def test_residual_both_ways():
    plain = fake([(0, "grad_norm", 1e-6, 0), (0, "grad_norm", 1.0, 1), (9, "val_loss", 0.69)])
    skip = fake([(0, "grad_norm", 0.5, 0), (0, "grad_norm", 1.0, 1), (9, "val_loss", 0.1)])
    v = judge("residual", {"plain": plain, "residual": skip})
    assert (v.key, v.values["plain_grad"], v.values["depth"]) == ("residual_trains", "1e-06", 1)
    assert judge("residual", {"plain": skip, "residual": plain}).key == "no_difference"


def test_clipnorm_both_ways():
    raw = fake([(1, "grad_norm", 1e4, 0)], "diverged", diverged_at=2)
    clipped = fake([(5, "val_loss", 0.17)])
    v = judge("clipnorm", {"no_clip": raw, "clipnorm": clipped})
    assert (v.key, v.values["raw_step"]) == ("tamed", 2)
    assert judge("clipnorm", {"no_clip": clipped, "clipnorm": clipped}).key == "no_change"


def test_lstm_params_both_ways():
    cfg = with_changes(RunConfig(), {"data.name": "adding", "model.arch": "lstm", "model.width": 8})
    # 4 gates x (8*2 + 8*8 + 8) + the output Dense(8 -> 1)
    want = 4 * (8 * 2 + 8 * 8 + 8) + 8 + 1
    v = judge("lstm_params", {"lstm": fake(params=want, cfg=cfg)})
    assert (v.key, v.values["formula"], v.values["per_gate"]) == ("equal", want, 88)
    assert judge("lstm_params", {"lstm": fake(params=want + 1, cfg=cfg)}).key == "differs"


def filters(accs):
    return {
        f"filters_{n}": fake([(1, "val_accuracy", a)], params=10 * n)
        for n, a in zip((1, 2, 4, 8), accs, strict=True)
    }


def test_cnn_filters_both_ways():
    v = judge("cnn_filters", filters([0.5, 0.9, 0.95, 0.96]))
    assert (v.key, v.values["enough"], v.values["params"]) == ("plateau", 4, 40)
    assert judge("cnn_filters", filters([0.5, 0.6, 0.7, 0.9])).key == "more_helps"


def test_newton_deep_both_ways():
    rows = [
        {"params": p, "entries": p * p, "seconds": 0.1, "grad_seconds": 0.01,
         "negative_eigenvalues": 2}
        for p in (3, 9)
    ]  # fmt: skip
    v = judge("newton_deep", {"hessian": {"rows": rows}})
    negatives = [{"negative": 2, "params": 3}, {"negative": 2, "params": 9}]
    assert (v.key, v.values["tb"], v.values["negatives"]) == ("quadratic_cost", "4", negatives)
    assert v.values["table"] == [{"params": 3, "entries": 9}, {"params": 9, "entries": 81}]
    rows[1]["negative_eigenvalues"] = 0  # positive semi-definite at one width
    assert judge("newton_deep", {"hessian": {"rows": rows}}).key == "definite_here"


def test_every_experiment_runs_headless_through_the_engine():
    """All the notebook's runs through a 2-worker job pool, its computations through a concept
    pool; each verdict is one of its outcomes, with the outcome the notes predict where this
    fixed-seed setup is known to land on it."""
    jobs = {}
    with (
        JobPool(max_workers=2, max_queue=200) as pool,
        JobPool(max_workers=1, runner=RUNNER, parse=parse_request) as cp,
    ):
        for q in QUESTIONS.values():
            for label, cfg in q.configs().items():
                jobs[q.id, label] = pool.submit(cfg)
            for label, request in q.requests.items():
                jobs[q.id, label] = cp.submit(request)
        results = {}
        deadline = time.monotonic() + 600
        for (qid, label), job in jobs.items():
            end = job.wait(timeout=max(1.0, deadline - time.monotonic()))
            assert end["status"] in ("completed", "diverged"), (qid, label, end)
            events = list(job.events(timeout=10))
            data = next((e["data"] for e in events if e["type"] == "result"), None)
            if data is None:
                data = RunResult(job.config)
                for event in events:
                    data.add(event)
            results.setdefault(qid, {})[label] = data
    verdicts = {qid: judge(qid, results[qid]).key for qid in QUESTIONS}
    assert verdicts == {
        "dying_relu": "both_help",
        "tanh_vs_sigmoid": "tanh_faster",
        "relu_exploding": "no_explodes",
        "bn_relu": "not_dead",
        "lstm_tanh": "tanh_better",
        "residual": "residual_trains",
        "clipnorm": "tamed",
        "lstm_params": "equal",
        "cnn_filters": "plateau",
        "newton_deep": "quadratic_cost",
    }
