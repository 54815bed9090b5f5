"""Gradient descent and Newton's method (models/teaching/optimizers.py) against closed forms: a
Newton step solved by hand, the gradient descent iteration, Rosenbrock's Hessian with damping,
and a saddle that Newton stops at and gradient descent leaves."""

import numpy as np
import pytest

from models.teaching.concept_runner import compute
from models.teaching.optimizers import optimizer_verdicts


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
