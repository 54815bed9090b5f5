"""The concept pages' engine (models/concepts.py), each claim against an independent oracle:
closed-form derivatives, the notes' pooling rule written out by hand, the closed-form gradient
descent iteration, a Newton step solved by hand, and finite differences for backprop."""

import math

import numpy as np
import pytest

from models.concepts import (
    activation_facts,
    compute,
    optimizer_verdicts,
    parse_request,
    pooling_rule,
)
from models.config import ConfigError
from models.jobs import JobPool


def sig(x):
    return 1 / (1 + np.exp(-x))


def normal_cdf(x):
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


CLOSED_FORM = {  # f'(x), written from the definitions
    "sigmoid": lambda x, k: sig(x) * (1 - sig(x)),
    "tanh": lambda x, k: 1 - np.tanh(x) ** 2,
    "relu": lambda x, k: (x > 0).astype(float),
    "leaky_relu": lambda x, k: np.where(x > 0, 1.0, k),
    "prelu": lambda x, k: np.where(x > 0, 1.0, k),
    "elu": lambda x, k: np.where(x > 0, 1.0, np.exp(x)),
    "gelu": lambda x, k: normal_cdf(x) + x * np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi),
    "swish": lambda x, k: sig(x) + x * sig(x) * (1 - sig(x)),
}


@pytest.fixture(scope="module")
def curves():
    names = list(CLOSED_FORM)
    result = compute({"kind": "activations", "names": names, "slope": 0.2, "points": 401})
    return {a["name"]: a for a in result["activations"]}, result


def test_autodiff_derivatives_equal_the_closed_forms(curves):
    acts, _ = curves
    for name, derivative in CLOSED_FORM.items():
        x = np.array(acts[name]["x"])
        away = np.abs(x) > 1e-6  # ReLU-like kinks at 0: any subgradient is fine there
        want = derivative(x, 0.2)
        np.testing.assert_allclose(np.array(acts[name]["df"])[away], want[away], atol=2e-3)


def test_the_notes_maxima_and_zero_centredness_are_measured(curves):
    acts, result = curves
    facts = {name: activation_facts(a) for name, a in acts.items()}
    assert facts["sigmoid"]["max_df"] == pytest.approx(0.25, abs=1e-6)
    assert facts["sigmoid"]["argmax_df"] == pytest.approx(0.0, abs=1e-9)
    assert facts["tanh"]["max_df"] == pytest.approx(1.0, abs=1e-6)
    assert facts["tanh"]["argmax_df"] == pytest.approx(0.0, abs=1e-9)
    assert facts["relu"]["min_df_positive"] == facts["relu"]["max_df_positive"] == 1.0
    assert facts["tanh"]["zero_centred"] and not facts["sigmoid"]["zero_centred"]
    assert not facts["relu"]["zero_centred"]
    assert facts["sigmoid"]["mean_f_normal"] == pytest.approx(0.5, abs=0.01)
    assert facts["relu"]["mean_f_normal"] == pytest.approx(1 / math.sqrt(2 * math.pi), abs=0.01)
    depth = result["depth"]
    np.testing.assert_allclose(acts["sigmoid"]["path_max"], [0.25**n for n in depth], rtol=1e-5)
    assert acts["relu"]["path_typical"][9] == pytest.approx(0.5**10, rel=0.05)


def rule_by_hand_2x2(inputs, upstream):
    """The expected gradients for a 4 x 4 input and 2 x 2 windows, spelled out."""
    top = np.zeros((4, 4))
    mean = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            window = np.array(inputs)[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            a, b = np.unravel_index(np.argmax(window), (2, 2))  # first max in row-major order
            top[2 * i + a, 2 * j + b] = upstream[i][j]
            mean[2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = upstream[i][j] / 4
    return top, mean


def test_pooling_gradients_follow_the_routing_and_splitting_rules():
    inputs = [[1, 7, 3, 3], [5, 6, 3, 3], [0, 0, 9, 2], [4, 0, 2, 8]]  # a tie in the top right
    upstream = [[1.0, 2.0], [3.0, -4.0]]
    result = compute({"kind": "pooling", "inputs": inputs, "upstream": upstream})
    top, mean = rule_by_hand_2x2(inputs, upstream)
    np.testing.assert_allclose(result["max"]["grad"], top)
    np.testing.assert_allclose(result["mean"]["grad"], mean)
    assert result["max"]["output"] == [[7, 3], [4, 9]]
    assert result["mean"]["output"] == [[4.75, 3.0], [1.0, 5.25]]
    # exactly one input per window receives the gradient; the rest get exactly 0
    assert sum(v != 0 for row in result["max"]["grad"] for v in row) == 4


@pytest.mark.parametrize("pool, size", [(2, 6), (3, 6), (4, 8)])
def test_pooling_rule_matches_the_tape_on_random_inputs(pool, size):
    rng = np.random.default_rng(pool)
    inputs = rng.integers(0, 4, (size, size)).astype(float).tolist()  # many ties
    upstream = rng.normal(size=(size // pool, size // pool)).tolist()
    result = compute({"kind": "pooling", "inputs": inputs, "upstream": upstream, "pool": pool})
    rule = pooling_rule(inputs, upstream, pool)
    np.testing.assert_allclose(result["max"]["grad"], rule["max"], atol=1e-6)
    np.testing.assert_allclose(result["mean"]["grad"], rule["mean"], atol=1e-6)


@pytest.mark.parametrize("condition, start", [(1.0, (-1.5, 1.5)), (50.0, (2.0, -0.7))])
def test_newton_solves_a_quadratic_in_one_step(condition, start):
    result = compute(
        {
            "kind": "optimizers",
            "function": "quadratic",
            "condition": condition,
            "start": start,
            "methods": ["newton"],
        }
    )
    rows = result["paths"][0]["rows"]
    assert len(rows) == 2 and (rows[1]["x"], rows[1]["y"]) == pytest.approx((0, 0), abs=1e-12)
    assert result["start_eigenvalues"] == pytest.approx([1.0, condition])
    keys = [v["key"] for v in optimizer_verdicts(result)]
    assert keys == ["converged", "one_step"]


def test_gradient_descent_follows_the_closed_form_iteration():
    # on 1/2 (x^2 + c y^2), GD multiplies x by (1 - lr) and y by (1 - lr c) per step
    c, lr, start = 4.0, 0.1, (1.0, -2.0)
    result = compute(
        {
            "kind": "optimizers",
            "function": "quadratic",
            "condition": c,
            "start": start,
            "learning_rate": lr,
            "steps": 20,
            "methods": ["gd"],
        }
    )
    rows = result["paths"][0]["rows"]
    for r in rows:
        k = r["step"]
        assert r["x"] == pytest.approx(start[0] * (1 - lr) ** k, rel=1e-6)  # lr is float32
        assert r["y"] == pytest.approx(start[1] * (1 - lr * c) ** k, rel=1e-6, abs=1e-12)
    assert optimizer_verdicts(result)[0]["key"] == "going"


def test_the_hessian_from_autodiff_is_rosenbrocks_and_damping_enters_the_step():
    x, y = -0.5, 1.2
    hessian = [[2 - 400 * (y - 3 * x**2), -400 * x], [-400 * x, 200]]
    grad = np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
    damping = 10.0
    result = compute(
        {
            "kind": "optimizers",
            "function": "rosenbrock",
            "start": (x, y),
            "steps": 1,
            "damping": damping,
            "methods": ["newton"],
        }
    )
    np.testing.assert_allclose(result["start_hessian"], hessian, rtol=1e-9)
    step = np.linalg.solve(np.array(hessian) + damping * np.eye(2), grad)
    rows = result["paths"][0]["rows"]
    assert (rows[1]["x"], rows[1]["y"]) == pytest.approx((x - step[0], y - step[1]), rel=1e-9)


def test_newton_stops_at_a_saddle_that_gradient_descent_leaves():
    result = compute({"kind": "optimizers", "function": "saddle", "start": (0.5, 0.5)})
    verdicts = {(v["values"]["method"], v["key"]) for v in optimizer_verdicts(result)}
    assert ("newton", "saddle") in verdicts
    gd = next(p for p in result["paths"] if p["method"] == "gd")
    assert gd["rows"][-1]["f"] < -100  # downhill along y, away from the saddle


def test_backprop_by_hand_equals_finite_differences_and_the_tape():
    result = compute(
        {
            "kind": "backprop",
            "sizes": [3, 4, 2],
            "activation": "tanh",
            "inputs": [0.5, -1.0, 2.0],
            "targets": [1.0, 0.0],
            "seed": 3,
        }
    )
    assert result["max_difference"] < 1e-5
    weights = [np.array(w) for w in result["weights"]]
    biases = [np.array(b) for b in result["biases"]]
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0])

    def loss(ws, bs):
        a = np.tanh(x @ ws[0] + bs[0])
        return 0.5 * np.sum((a @ ws[1] + bs[1] - y) ** 2)

    assert result["loss"] == pytest.approx(loss(weights, biases), rel=1e-12)
    eps = 1e-6
    for layer in range(2):
        numeric = np.zeros_like(weights[layer])
        for idx in np.ndindex(weights[layer].shape):
            up = [w.copy() for w in weights]
            down = [w.copy() for w in weights]
            up[layer][idx] += eps
            down[layer][idx] -= eps
            numeric[idx] = (loss(up, biases) - loss(down, biases)) / (2 * eps)
        np.testing.assert_allclose(result["hand"]["W"][layer], numeric, atol=1e-6)


@pytest.mark.parametrize(
    "request_data, words",
    [
        ({"kind": "activations", "names": ["softmax"]}, "names"),
        ({"kind": "activations", "slope": 2}, "slope"),
        ({"kind": "activations", "extra": 1}, "extra"),
        ({"kind": "pooling", "inputs": [[1, 2], [3]]}, "rectangle"),
        ({"kind": "pooling", "inputs": [[1, 2, 3]] * 3}, "do not split"),
        ({"kind": "pooling", "inputs": [[1, 2], [3, 4]], "upstream": [[1, 2]]}, "upstream"),
        ({"kind": "pooling", "inputs": [[1, float("nan")], [3, 4]]}, "finite"),
        ({"kind": "optimizers", "start": (9, 0)}, "between -3 and 3"),
        ({"kind": "optimizers", "learning_rate": 0}, "learning_rate"),
        ({"kind": "backprop", "sizes": [2, 9, 1]}, "1 to 4 units"),
        ({"kind": "backprop", "inputs": [1.0]}, "give 2 values"),
        ({"kind": "nonsense"}, "kind"),
    ],
)
def test_bad_requests_are_one_sentence_naming_the_field(request_data, words):
    with pytest.raises(ConfigError, match=words):
        parse_request(request_data)


def test_requests_run_in_a_worker_of_their_own_pool():
    with JobPool(max_workers=1, runner="models.concepts:iter_events", parse=parse_request) as pool:
        job = pool.submit({"kind": "pooling", "inputs": [[1, 2], [3, 4]]})
        events = list(job.events(timeout=120))
    assert [e["type"] for e in events if e["type"] in ("result", "end")] == ["result", "end"]
    result = next(e for e in events if e["type"] == "result")["data"]
    assert result["max"]["grad"] == [[0, 0], [0, 1]] and job.status == "completed"
    with pytest.raises(ConfigError, match="rectangle"):
        pool.submit({"kind": "pooling", "inputs": [[1, 2], [3]]})
