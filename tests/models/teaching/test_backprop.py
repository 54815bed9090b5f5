"""Backpropagation by hand (models/teaching/backprop.py) against finite differences and the tape."""

import numpy as np
import pytest

from models.teaching.concept_runner import compute


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
