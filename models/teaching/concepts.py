"""The concept pages' requests: what a page asks the engine to compute, validated like a config.

A page sends a *request* (a frozen pydantic model: one sentence per bad field) to the concept
job pool, whose worker runs it (models/teaching/concept_runner.py) and sends back plain
JSON-able numbers. Each kind is computed by the module of its page: ``ActivationRequest`` by
models/teaching/activations.py, ``PoolingRequest`` by pooling.py, ``OptimizerRequest`` and
``HessianCostRequest`` by optimizers.py, ``BackpropRequest`` by backprop.py and ``BnReluRequest``
by batchnorm.py. This module imports no TensorFlow.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from models.config import ConfigError

ActivationName = Literal[
    "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "swish"
]  # fmt: skip
ACTIVATIONS: tuple[str, ...] = ActivationName.__args__
MAX_GRID = 8  # pooling inputs are at most 8 x 8
RUNNER = "models.teaching.concept_runner:iter_events"  # the concept pool's JobPool runner


class ConceptRequest(BaseModel):
    """The base of every request: a value (frozen) with no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ActivationRequest(ConceptRequest):
    kind: Literal["activations"] = "activations"
    names: tuple[ActivationName, ...] = Field(
        ("sigmoid", "tanh", "relu", "leaky_relu"), min_length=1, max_length=len(ACTIVATIONS)
    )
    slope: float = Field(0.1, ge=0.0, le=1.0, description="LeakyReLU's k (and PReLU's alpha).")
    x_max: float = Field(5.0, ge=1.0, le=10.0, description="x runs from -x_max to x_max.")
    points: int = Field(201, ge=21, le=1001)
    depth: int = Field(20, ge=1, le=100, description="Path lengths n for the product chart.")


class PoolingRequest(ConceptRequest):
    kind: Literal["pooling"] = "pooling"
    inputs: tuple[tuple[float, ...], ...] = Field(min_length=2, max_length=MAX_GRID)
    upstream: tuple[tuple[float, ...], ...] | None = None  # None: ones
    pool: int = Field(2, ge=2, le=4, description="Pool size and stride.")

    @model_validator(mode="after")
    def _shapes(self) -> PoolingRequest:
        rows, cols = len(self.inputs), len(self.inputs[0])
        if not 2 <= cols <= MAX_GRID or any(len(r) != cols for r in self.inputs):
            raise ValueError(f"inputs must be a rectangle of 2 to {MAX_GRID} columns")
        if any(not math.isfinite(v) for r in self.inputs for v in r):
            raise ValueError("inputs must be finite numbers")
        if rows % self.pool or cols % self.pool:
            raise ValueError(
                f"inputs of {rows} x {cols} do not split into {self.pool} x {self.pool} windows"
            )
        if self.upstream is not None:
            want = (rows // self.pool, cols // self.pool)
            got = (len(self.upstream), len(self.upstream[0]) if self.upstream else 0)
            if got != want or any(len(r) != want[1] for r in self.upstream):
                raise ValueError(f"upstream must be {want[0]} x {want[1]}, one per output")
            if any(not math.isfinite(v) for r in self.upstream for v in r):
                raise ValueError("upstream must be finite numbers")
        return self


FunctionName = Literal["quadratic", "rosenbrock", "saddle", "nonconvex"]
MethodName = Literal["gd", "momentum", "adam", "newton"]


class OptimizerRequest(ConceptRequest):
    kind: Literal["optimizers"] = "optimizers"
    function: FunctionName = "quadratic"
    condition: float = Field(10.0, ge=1.0, le=1000.0, description="Quadratic: curvature ratio.")
    start: tuple[float, float] = (-1.5, 1.5)
    steps: int = Field(50, ge=1, le=500)
    learning_rate: float = Field(0.05, gt=0.0, le=2.0)
    momentum: float = Field(0.9, ge=0.0, lt=1.0)
    damping: float = Field(0.0, ge=0.0, le=100.0, description="Newton: lambda in (H + lambda I).")
    methods: tuple[MethodName, ...] = Field(
        ("gd", "momentum", "adam", "newton"), min_length=1, max_length=4
    )
    grid: int = Field(60, ge=10, le=120, description="Contour grid points per axis.")

    @model_validator(mode="after")
    def _start_in_view(self) -> OptimizerRequest:
        if not all(math.isfinite(v) and abs(v) <= 3 for v in self.start):
            raise ValueError("start must be a point with both coordinates between -3 and 3")
        return self


class BackpropRequest(ConceptRequest):
    kind: Literal["backprop"] = "backprop"
    sizes: tuple[int, ...] = Field((2, 2, 1), min_length=2, max_length=4)
    activation: Literal["sigmoid", "tanh", "relu"] = "sigmoid"
    inputs: tuple[float, ...] = (0.5, -1.0)
    targets: tuple[float, ...] = (1.0,)
    seed: int = Field(0, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _sizes(self) -> BackpropRequest:
        if any(not 1 <= n <= 4 for n in self.sizes):
            raise ValueError("sizes: every layer has 1 to 4 units")
        if len(self.inputs) != self.sizes[0]:
            raise ValueError(f"inputs: give {self.sizes[0]} values, one per input unit")
        if len(self.targets) != self.sizes[-1]:
            raise ValueError(f"targets: give {self.sizes[-1]} values, one per output unit")
        if not all(math.isfinite(v) and abs(v) <= 100 for v in (*self.inputs, *self.targets)):
            raise ValueError("inputs and targets must be numbers between -100 and 100")
        return self


class BnReluRequest(ConceptRequest):
    """Dense -> BatchNormalization -> ReLU on the circle data: how often each unit is active."""

    kind: Literal["bn_relu"] = "bn_relu"
    units: int = Field(16, ge=2, le=64)
    steps: int = Field(200, ge=0, le=2000, description="Adam steps of training on circle.")
    seed: int = Field(0, ge=0, le=2**31 - 1)


class HessianCostRequest(ConceptRequest):
    """Full Hessians of small MLPs by autodiff: entries, memory and time vs parameter count."""

    kind: Literal["hessian_cost"] = "hessian_cost"
    widths: tuple[int, ...] = Field((2, 4, 8, 16), min_length=2, max_length=6)

    @model_validator(mode="after")
    def _widths(self) -> HessianCostRequest:
        if any(not 1 <= w <= 32 for w in self.widths):
            raise ValueError("widths: every width is between 1 and 32")
        return self


Request = Annotated[
    ActivationRequest
    | PoolingRequest
    | OptimizerRequest
    | BackpropRequest
    | BnReluRequest
    | HessianCostRequest,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter = TypeAdapter(Request)


def parse_request(data: Any) -> ConceptRequest:
    """A request from a dict (or one already made); ConfigError with one sentence per problem."""
    if isinstance(data, ConceptRequest):
        return data
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"] if not isinstance(p, int))
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {msg}" if where else msg)
        raise ConfigError(problems) from None
