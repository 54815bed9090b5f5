"""The concept pages' requests: what a page asks the engine to compute, validated like a config.

A page sends a *request* (a frozen pydantic model: one problem per bad field, ``request.*``) to
the concept job pool, whose worker runs it (models/teaching/concept_runner.py) and sends back plain
JSON-able numbers. Each kind is computed by the module of its page: ``ActivationRequest`` by
models/teaching/activations.py, ``PoolingRequest`` by pooling.py, ``OptimizerRequest`` and
``HessianCostRequest`` by optimizers.py, ``BackpropRequest`` by backprop.py and ``BnReluRequest``
by batchnorm.py. This module imports no TensorFlow.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from models.config import ConfigError
from models.problems import Problem, problem

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
            raise PydanticCustomError(
                "request.not_rectangle",
                "inputs must be a rectangle of {least} to {most} columns",
                {"least": 2, "most": MAX_GRID},
            )
        if any(not math.isfinite(v) for r in self.inputs for v in r):
            raise PydanticCustomError(
                "request.not_finite", "{field} must be finite numbers", {"field": "inputs"}
            )
        if rows % self.pool or cols % self.pool:
            raise PydanticCustomError(
                "request.not_split",
                "inputs of {rows} x {cols} do not split into {pool} x {pool} windows",
                {"rows": rows, "cols": cols, "pool": self.pool},
            )
        if self.upstream is not None:
            want = (rows // self.pool, cols // self.pool)
            got = (len(self.upstream), len(self.upstream[0]) if self.upstream else 0)
            if got != want or any(len(r) != want[1] for r in self.upstream):
                raise PydanticCustomError(
                    "request.upstream_shape",
                    "upstream must be {rows} x {cols}, one per output",
                    {"rows": want[0], "cols": want[1]},
                )
            if any(not math.isfinite(v) for r in self.upstream for v in r):
                raise PydanticCustomError(
                    "request.not_finite", "{field} must be finite numbers", {"field": "upstream"}
                )
        return self


FunctionName = Literal["quadratic", "rosenbrock", "saddle", "nonconvex"]
MethodName = Literal["gd", "momentum", "adam", "newton"]


START_LIMIT = 3  # the contour view is [-3, 3] x [-3, 3]


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
        if not all(math.isfinite(v) and abs(v) <= START_LIMIT for v in self.start):
            raise PydanticCustomError(
                "request.start_out_of_view",
                "start must have both coordinates between -{limit} and {limit}",
                {"limit": START_LIMIT},
            )
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
        least, most, limit = 1, 4, 100  # units per layer; the largest input or target
        if any(not least <= n <= most for n in self.sizes):
            raise PydanticCustomError(
                "request.layer_sizes",
                "sizes: every layer has {least} to {most} units",
                {"least": least, "most": most},
            )
        if len(self.inputs) != self.sizes[0]:
            raise PydanticCustomError(
                "request.inputs_count", "inputs: give {count} values", {"count": self.sizes[0]}
            )
        if len(self.targets) != self.sizes[-1]:
            raise PydanticCustomError(
                "request.targets_count", "targets: give {count} values", {"count": self.sizes[-1]}
            )
        if not all(math.isfinite(v) and abs(v) <= limit for v in (*self.inputs, *self.targets)):
            raise PydanticCustomError(
                "request.values_out_of_range",
                "inputs and targets must be between -{limit} and {limit}",
                {"limit": limit},
            )
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
        least, most = 1, 32
        if any(not least <= w <= most for w in self.widths):
            raise PydanticCustomError(
                "request.widths_out_of_range",
                "widths: every width is between {least} and {most}",
                {"least": least, "most": most},
            )
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


_KINDS: dict[str, type[ConceptRequest]] = {
    m.model_fields["kind"].default: m for m in typing.get_args(typing.get_args(Request)[0])
}


def parse_request(data: Any) -> ConceptRequest:
    """A request from a dict (or one already made); ConfigError with one problem per fault."""
    if isinstance(data, ConceptRequest):
        return data
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ConfigError([_problem(err) for err in exc.errors()]) from None


def _problem(err: Any) -> Problem:
    """One pydantic error as a ``request.*`` problem: ``where`` is the kind and field (no list
    positions), the other values are pydantic's (its bounds, the choices of a Literal field)."""
    loc, kind, ctx = err["loc"], err["type"], err.get("ctx") or {}
    where = ".".join(str(p) for p in loc if not isinstance(p, int))
    if kind.startswith("request."):  # a request's own rule (raised above with its values)
        return Problem(kind, {"where": where, **ctx})
    if not where:  # the request as a whole
        if kind == "model_attributes_type":
            return problem("request.not_an_object")
        if kind == "union_tag_not_found":
            return problem("request.no_kind")
        if kind == "union_tag_invalid":
            kinds = ", ".join(repr(k) for k in _KINDS)
            return problem("request.unknown_kind", tag=ctx["tag"], kinds=kinds)
    elif kind in _PYDANTIC_PROBLEMS:
        return _PYDANTIC_PROBLEMS[kind](where, ctx)
    elif kind == "literal_error" and (choices := _choices(loc)):
        *first, last = (repr(c) for c in choices)
        return problem("request.choice", where=where, choices=", ".join(first), last=last)
    elif kind == "too_short" and ctx.get("field_type") == "Tuple":
        if ctx["min_length"] == 1:
            return problem("request.too_few_one", where=where, got=ctx["actual_length"])
        return problem(
            "request.too_few", where=where, least=ctx["min_length"], got=ctx["actual_length"]
        )
    elif kind == "too_long" and ctx.get("field_type") == "Tuple" and ctx["max_length"] > 1:
        return problem(
            "request.too_many", where=where, most=ctx["max_length"], got=ctx["actual_length"]
        )
    # An error no request is known to make: pydantic's own words, naming where.
    return problem("request.invalid", where=where or "request", detail=err["msg"])


# pydantic's error types for a field's value out of bounds, of the wrong kind, missing or extra:
# type -> (where, the error's ctx) -> the problem
_PYDANTIC_PROBLEMS: dict[str, Callable[[str, dict], Problem]] = {
    "greater_than_equal": lambda w, c: problem("request.at_least", where=w, limit=_number(c["ge"])),
    "less_than_equal": lambda w, c: problem("request.at_most", where=w, limit=_number(c["le"])),
    "greater_than": lambda w, c: problem("request.above", where=w, limit=_number(c["gt"])),
    "less_than": lambda w, c: problem("request.below", where=w, limit=_number(c["lt"])),
    "int_type": lambda w, c: problem("request.not_int", where=w),
    "int_parsing": lambda w, c: problem("request.int_text", where=w),
    "int_from_float": lambda w, c: problem("request.int_fraction", where=w),
    "float_type": lambda w, c: problem("request.not_number", where=w),
    "float_parsing": lambda w, c: problem("request.number_text", where=w),
    "finite_number": lambda w, c: problem("request.not_finite_number", where=w),
    "tuple_type": lambda w, c: problem("request.not_tuple", where=w),
    "missing": lambda w, c: problem("request.missing", where=w),
    "extra_forbidden": lambda w, c: problem("request.extra", where=w),
}


def _number(x: float) -> int | float:
    """A bound as pydantic writes it: 1.0 as 1."""
    return int(x) if float(x).is_integer() else x


def _choices(loc: tuple) -> tuple[Any, ...]:
    """The values a Literal field of the request at loc (kind, field, ...) allows, or ()."""
    model = _KINDS.get(loc[0]) if loc else None
    field = model.model_fields.get(loc[1]) if model and len(loc) > 1 else None
    stack = [field.annotation] if field else []
    while stack:
        annotation = stack.pop()
        if typing.get_origin(annotation) is Literal:
            return typing.get_args(annotation)
        stack.extend(typing.get_args(annotation))
    return ()
