"""How pooling passes gradients back (models/teaching/pooling.py): the tape's gradients through
Keras' pooling layers against the notes' rule written out by hand, and against pooling_rule on
random inputs with many ties."""

import numpy as np
import pytest

from models.teaching.concept_runner import compute
from models.teaching.pooling import pooling_rule


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
