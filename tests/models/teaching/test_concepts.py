"""The concept pages' requests (models/teaching/concepts.py): a bad request is one sentence
naming the field, and requests run in a worker of their own pool. (Each computation against its
oracle: test_activations.py, test_pooling.py, test_optimizers.py, test_backprop.py here.)"""

import pytest

from locales import say_first
from models.config import ConfigError
from models.infra.jobs import JobPool
from models.teaching.concepts import RUNNER, parse_request


@pytest.mark.parametrize(
    "request_data, sentence",
    [
        (
            {"kind": "activations", "names": ["softmax"]},
            "activations.names: Input should be 'sigmoid', 'tanh', 'relu', 'leaky_relu', "
            "'prelu', 'elu', 'gelu' or 'swish' (and 1 more problem)",  # and then none is left
        ),
        (
            {"kind": "activations", "slope": 2},
            "activations.slope: Input should be less than or equal to 1",
        ),
        ({"kind": "activations", "extra": 1}, "activations.extra: Extra inputs are not permitted"),
        (
            {"kind": "pooling", "inputs": [[1, 2], [3]]},
            "pooling: inputs must be a rectangle of 2 to 8 columns",
        ),
        (
            {"kind": "pooling", "inputs": [[1, 2, 3]] * 3},
            "pooling: inputs of 3 x 3 do not split into 2 x 2 windows",
        ),
        (
            {"kind": "pooling", "inputs": [[1, 2], [3, 4]], "upstream": [[1, 2]]},
            "pooling: upstream must be 1 x 1, one per output",
        ),
        (
            {"kind": "pooling", "inputs": [[1, float("nan")], [3, 4]]},
            "pooling: inputs must be finite numbers",
        ),
        (
            {"kind": "optimizers", "start": (9, 0)},
            "optimizers: start must be a point with both coordinates between -3 and 3",
        ),
        (
            {"kind": "optimizers", "learning_rate": 0},
            "optimizers.learning_rate: Input should be greater than 0",
        ),
        ({"kind": "backprop", "sizes": [2, 9, 1]}, "backprop: sizes: every layer has 1 to 4 units"),
        (
            {"kind": "backprop", "inputs": [1.0]},
            "backprop: inputs: give 2 values, one per input unit",
        ),
        (
            {"kind": "nonsense"},
            "Input tag 'nonsense' found using 'kind' does not match any of the expected tags: "
            "'activations', 'pooling', 'optimizers', 'backprop', 'bn_relu', 'hessian_cost'",
        ),
        (
            {"kind": "activations", "names": [], "points": "x"},
            "activations.names: Tuple should have at least 1 item after validation, not 0 "
            "(and 1 more problem)",
        ),
    ],
)
def test_bad_requests_are_one_sentence_naming_the_field(request_data, sentence):
    with pytest.raises(ConfigError) as info:
        parse_request(request_data)
    assert say_first(info.value.problems) == sentence


def test_requests_run_in_a_worker_of_their_own_pool():
    with JobPool(max_workers=1, runner=RUNNER, parse=parse_request) as pool:
        job = pool.submit({"kind": "pooling", "inputs": [[1, 2], [3, 4]]})
        events = list(job.events(timeout=120))
    assert [e["type"] for e in events if e["type"] in ("result", "end")] == ["result", "end"]
    result = next(e for e in events if e["type"] == "result")["data"]
    assert result["max"]["grad"] == [[0, 0], [0, 1]] and job.status == "completed"
    with pytest.raises(ConfigError) as info:
        pool.submit({"kind": "pooling", "inputs": [[1, 2], [3]]})
    assert info.value.problem.code == "request.not_rectangle"
