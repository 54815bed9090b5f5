"""The concept pages' requests (models/teaching/concepts.py): a bad request is one sentence
naming the field, and requests run in a worker of their own pool. (Each computation against its
oracle: test_activations.py, test_pooling.py, test_optimizers.py, test_backprop.py here.)"""

import pytest

from models.config import ConfigError
from models.infra.jobs import JobPool
from models.teaching.concepts import RUNNER, parse_request


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
    with JobPool(max_workers=1, runner=RUNNER, parse=parse_request) as pool:
        job = pool.submit({"kind": "pooling", "inputs": [[1, 2], [3, 4]]})
        events = list(job.events(timeout=120))
    assert [e["type"] for e in events if e["type"] in ("result", "end")] == ["result", "end"]
    result = next(e for e in events if e["type"] == "result")["data"]
    assert result["max"]["grad"] == [[0, 0], [0, 1]] and job.status == "completed"
    with pytest.raises(ConfigError, match="rectangle"):
        pool.submit({"kind": "pooling", "inputs": [[1, 2], [3]]})
