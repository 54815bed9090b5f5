"""The concept pool's runner: a request in, one result event and the end event out.

Runs in the concept pool's worker process (``JobPool(runner="models.teaching.concept_runner:
iter_events", parse=parse_request)``, ui/concepts.py), where each computation imports
TensorFlow; importing this module does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from models.teaching.activations import activation_curves
from models.teaching.backprop import backprop_by_hand
from models.teaching.batchnorm import bn_relu_activity
from models.teaching.concepts import parse_request
from models.teaching.optimizers import hessian_cost, optimizer_paths
from models.teaching.pooling import pooling_passes


def iter_events(request: Any, should_stop: Callable[[], bool] = lambda: False) -> Iterator[dict]:
    """The concept pool's runner: one result event, then the end event."""
    req = parse_request(request)
    began = time.monotonic()
    compute = {
        "activations": activation_curves,
        "pooling": pooling_passes,
        "optimizers": optimizer_paths,
        "backprop": backprop_by_hand,
        "bn_relu": bn_relu_activity,
        "hessian_cost": hessian_cost,
    }[req.kind]
    yield {"type": "result", "kind": req.kind, "data": compute(req)}
    yield {
        "type": "end",
        "status": "completed",
        "step": 0,
        "diverged_at": None,
        "reason": None,
        "wall_time": round(time.monotonic() - began, 3),
    }


def compute(request: Any) -> dict[str, Any]:
    """The result of a request, in this process (tests, the CLI)."""
    for event in iter_events(request):
        if event["type"] == "result":
            return event["data"]
    raise RuntimeError("no result")
