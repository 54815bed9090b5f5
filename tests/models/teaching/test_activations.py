"""Activations (models/teaching/activations.py, run by the concept runner) against closed forms:
autodiff through the real Keras activation equals f′ written from the definitions, and the
notes' maxima, zero-centredness and products along a path are measured."""

import math

import numpy as np
import pytest

from models.teaching.activations import activation_facts
from models.teaching.concept_runner import compute


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
