"""The concept pages' computations: each claim computed by Keras/TensorFlow, never drawn by hand.

A page sends a *request* (a frozen pydantic model, validated like a run config: one sentence per
bad field) to the concept job pool; ``iter_events`` runs in that pool's worker process and yields
one ``{"type": "result", ...}`` event with plain JSON-able numbers, then the end event. The
request models import no TensorFlow; the computations import it inside the worker.

- ``ActivationRequest``: each activation and its derivative by autodiff through the real Keras
  activation (layer), the derivative's maximum and where, the mean output over x ~ N(0, 1)
  (zero-centredness), and the product of n derivative factors along a path vs depth n.
- ``PoolingRequest``: max and mean pooling of a small input, forward, and the backward pass of an
  upstream gradient, from ``tf.GradientTape`` through ``keras.layers.MaxPooling2D`` /
  ``AveragePooling2D``.
- ``OptimizerRequest``: gradient descent, momentum, Adam (Keras optimizers) and Newton's method
  (x - (H + lambda I)^-1 grad, gradient and Hessian by autodiff) on a 2-D function.
- ``BackpropRequest``: a tiny dense network's forward values and every chain-rule product by
  hand (numpy), next to ``GradientTape``'s gradients for the same Keras model and weights.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from models.config import ConfigError

ActivationName = Literal[
    "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "swish"
]  # fmt: skip
ACTIVATIONS: tuple[str, ...] = ActivationName.__args__
MAX_GRID = 8  # pooling inputs are at most 8 x 8


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActivationRequest(_Request):
    kind: Literal["activations"] = "activations"
    names: tuple[ActivationName, ...] = Field(
        ("sigmoid", "tanh", "relu", "leaky_relu"), min_length=1, max_length=len(ACTIVATIONS)
    )
    slope: float = Field(0.1, ge=0.0, le=1.0, description="LeakyReLU's k (and PReLU's alpha).")
    x_max: float = Field(5.0, ge=1.0, le=10.0, description="x runs from -x_max to x_max.")
    points: int = Field(201, ge=21, le=1001)
    depth: int = Field(20, ge=1, le=100, description="Path lengths n for the product chart.")


class PoolingRequest(_Request):
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


class OptimizerRequest(_Request):
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


class BackpropRequest(_Request):
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


class BnReluRequest(_Request):
    """Dense -> BatchNormalization -> ReLU on the circle data: how often each unit is active."""

    kind: Literal["bn_relu"] = "bn_relu"
    units: int = Field(16, ge=2, le=64)
    steps: int = Field(200, ge=0, le=2000, description="Adam steps of training on circle.")
    seed: int = Field(0, ge=0, le=2**31 - 1)


class HessianCostRequest(_Request):
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


def parse_request(data: Any) -> _Request:
    """A request from a dict (or one already made); ConfigError with one sentence per problem."""
    if isinstance(data, _Request):
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


# -- the worker side ---------------------------------------------------------------------------


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


def _activation_layer(name: str, slope: float):
    import keras  # noqa: PLC0415 - worker side only

    if name == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=slope)
    if name == "prelu":  # alpha is learned; drawn at its value alpha = slope
        return keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(slope))
    return keras.layers.Activation(name)


def activation_curves(req: ActivationRequest) -> dict[str, Any]:
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    x = tf.constant(np.linspace(-req.x_max, req.x_max, req.points), dtype=tf.float32)
    normal = tf.constant(np.random.default_rng(0).standard_normal(100_000), dtype=tf.float32)
    out = []
    for name in req.names:
        layer = _activation_layer(name, req.slope)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
        dy = tape.gradient(y, x)  # elementwise activation: d sum(y)/dx_i = f'(x_i)
        y_np, dy_np = y.numpy().astype(float), dy.numpy().astype(float)
        top = int(np.argmax(dy_np))
        with tf.GradientTape() as tape:
            tape.watch(normal)
            yn = layer(normal)
        dn = tape.gradient(yn, normal).numpy()
        out.append(
            {
                "name": name,
                "x": x.numpy().astype(float).tolist(),
                "f": y_np.tolist(),
                "df": dy_np.tolist(),
                "max_df": float(dy_np[top]),
                "argmax_df": float(x.numpy()[top]),
                "f0": float(layer(tf.zeros([1])).numpy()[0]),
                "mean_f_normal": float(tf.reduce_mean(yn)),  # 0 for a zero-centred activation
                "mean_df_normal": float(np.mean(dn)),
                # the product of n derivative factors along a path: at best max f'^n
                "path_max": [float(dy_np[top]) ** n for n in range(1, req.depth + 1)],
                "path_typical": [float(np.mean(dn)) ** n for n in range(1, req.depth + 1)],
            }
        )
    return {"activations": out, "depth": list(range(1, req.depth + 1))}


ZERO_CENTRED = 0.05  # |mean output| over x ~ N(0, 1) below which an activation is zero-centred


def activation_facts(act: dict[str, Any]) -> dict[str, Any]:
    """What the page states about one activation, read from its computed curves."""
    positive = [d for x, d in zip(act["x"], act["df"], strict=True) if x > 0]
    return {
        "max_df": act["max_df"],
        "argmax_df": act["argmax_df"],
        "min_df_positive": min(positive),
        "max_df_positive": max(positive),
        "f0": act["f0"],
        "mean_f_normal": act["mean_f_normal"],
        "zero_centred": abs(act["mean_f_normal"]) < ZERO_CENTRED,
    }


def pooling_passes(req: PoolingRequest) -> dict[str, Any]:
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    x = tf.constant(np.array(req.inputs, dtype=np.float32)[None, :, :, None])
    rows, cols = len(req.inputs) // req.pool, len(req.inputs[0]) // req.pool
    up = np.ones((rows, cols)) if req.upstream is None else np.array(req.upstream)
    upstream = tf.constant(up.astype(np.float32)[None, :, :, None])
    result: dict[str, Any] = {"inputs": [list(r) for r in req.inputs], "upstream": up.tolist()}
    for name, layer in (
        ("max", keras.layers.MaxPooling2D(req.pool)),
        ("mean", keras.layers.AveragePooling2D(req.pool)),
    ):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * upstream)  # so dloss/dy is the upstream gradient
        grad = tape.gradient(loss, x)
        result[name] = {
            "output": y.numpy()[0, :, :, 0].astype(float).tolist(),
            "grad": grad.numpy()[0, :, :, 0].astype(float).tolist(),
        }
    return result


def pooling_rule(
    inputs: list[list[float]], upstream: list[list[float]], pool: int
) -> dict[str, list[list[float]]]:
    """The notes' rule for pooling's backward pass, in plain Python: mean pooling splits each
    upstream gradient equally over its pool x pool inputs; max pooling routes all of it to the
    window's arg-max (the first, in row-major order, on a tie) and zeros elsewhere."""
    rows, cols = len(inputs), len(inputs[0])
    mean = [[0.0] * cols for _ in range(rows)]
    top = [[0.0] * cols for _ in range(rows)]
    for i in range(rows // pool):
        for j in range(cols // pool):
            window = [(i * pool + a, j * pool + b) for a in range(pool) for b in range(pool)]
            for r, c in window:
                mean[r][c] = upstream[i][j] / pool**2
            r, c = max(window, key=lambda rc: (inputs[rc[0]][rc[1]], -rc[0], -rc[1]))
            top[r][c] = upstream[i][j]
    return {"max": top, "mean": mean}


# -- 2-D functions for the optimizers page ---------------------------------------------------


def _function(req: OptimizerRequest):
    """f(x, y) in TensorFlow ops, so autodiff gives its gradient and Hessian."""
    import tensorflow as tf  # noqa: PLC0415

    if req.function == "quadratic":  # minimum 0 at the origin; curvatures 1 and condition
        return lambda p: 0.5 * (p[0] ** 2 + req.condition * p[1] ** 2)
    if req.function == "rosenbrock":  # minimum 0 at (1, 1), in a curved valley
        return lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    if req.function == "saddle":  # a saddle at the origin, unbounded below along y
        return lambda p: p[0] ** 2 - p[1] ** 2
    # non-convex: two minima near (+-1, 0) and a ridge between them, plus a tilt
    return lambda p: (p[0] ** 2 - 1) ** 2 + p[1] ** 2 + 0.3 * p[0] + 0.1 * tf.sin(3 * p[1])


def grad_and_hessian(f, point) -> tuple[Any, Any, Any]:
    """f, its gradient and its Hessian at a point, by nested GradientTapes."""
    import tensorflow as tf  # noqa: PLC0415

    p = tf.Variable(point, dtype=tf.float64)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            value = f(p)
        g = inner.gradient(value, p)
    h = outer.jacobian(g, p)
    return value.numpy(), g.numpy(), h.numpy()


def optimizer_paths(req: OptimizerRequest) -> dict[str, Any]:
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    f = _function(req)
    paths = []
    for method in req.methods:
        point = np.array(req.start, dtype=np.float64)
        rows = []
        note = None
        if method == "newton":
            for step in range(req.steps + 1):
                value, g, h = grad_and_hessian(f, point)
                rows.append(_row(step, point, value, g))
                if _done(step, req.steps, value, g):
                    break
                eig = np.linalg.eigvalsh(h)
                if note is None and eig.min() <= 0:
                    note = "indefinite" if eig.min() < 0 < eig.max() else "not_convex"
                system = h + req.damping * np.eye(2)
                try:
                    point = point - np.linalg.solve(system, g)  # x - (H + lambda I)^-1 grad
                except np.linalg.LinAlgError:
                    note = "singular"
                    break
        else:
            var = tf.Variable(point, dtype=tf.float64)
            optimizer = {
                "gd": lambda: keras.optimizers.SGD(req.learning_rate),
                "momentum": lambda: keras.optimizers.SGD(req.learning_rate, momentum=req.momentum),
                "adam": lambda: keras.optimizers.Adam(req.learning_rate),
            }[method]()
            for step in range(req.steps + 1):
                with tf.GradientTape() as tape:
                    value = f(var)
                g = tape.gradient(value, var)
                rows.append(_row(step, var.numpy(), value.numpy(), g.numpy()))
                if _done(step, req.steps, value.numpy(), g.numpy()):
                    break
                optimizer.apply([g], [var])
        last = np.array([rows[-1]["x"], rows[-1]["y"]])
        end_eig = (
            np.linalg.eigvalsh(grad_and_hessian(f, last)[2]).tolist()
            if np.all(np.isfinite(last))
            else None
        )
        paths.append({"method": method, "rows": rows, "note": note, "end_eigenvalues": end_eig})
    lo, hi = _view(req)
    axis = np.linspace(lo, hi, req.grid)
    gx, gy = np.meshgrid(axis, axis)
    values = f(tf.constant(np.stack([gx.ravel(), gy.ravel()]), dtype=tf.float64)).numpy()
    _, g0, h0 = grad_and_hessian(f, np.array(req.start, dtype=np.float64))
    return {
        "paths": paths,
        "grid": {"x": gx.ravel().tolist(), "y": gy.ravel().tolist(), "f": values.tolist()},
        "start_hessian": h0.tolist(),
        "start_eigenvalues": np.linalg.eigvalsh(h0).tolist(),
        "minimum": _minimum(req),
    }


CONVERGED = 1e-10  # gradient norm at which a path stops: it has reached a stationary point
BLOWN_UP = 1e8  # |f| beyond which a path stops: it is diverging


def _done(step: int, steps: int, value, grad) -> bool:
    norm = math.hypot(float(grad[0]), float(grad[1]))
    return (
        step == steps
        or not math.isfinite(float(value))
        or abs(value) > BLOWN_UP
        or (norm < CONVERGED)
    )


def _row(step: int, point, value, grad) -> dict[str, float]:
    return {
        "step": step,
        "x": float(point[0]),
        "y": float(point[1]),
        "f": float(value),
        "grad_norm": float(math.hypot(float(grad[0]), float(grad[1]))),
    }


def _view(req: OptimizerRequest) -> tuple[float, float]:
    return (-2.0, 2.0) if req.function != "rosenbrock" else (-2.0, 2.5)


def _minimum(req: OptimizerRequest) -> list[float] | None:
    return {"quadratic": [0.0, 0.0], "rosenbrock": [1.0, 1.0]}.get(req.function)


def optimizer_verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    """What the measured paths show, as message keys with their numbers: each method converged
    (gradient norm below 1e-6), diverged or is still going; Newton's one step on a quadratic;
    Newton stopping at a saddle (a stationary point whose Hessian has both signs) or going
    uphill on a non-convex function."""
    out = []
    for p in result["paths"]:
        rows, last = p["rows"], p["rows"][-1]
        values = {"method": p["method"], "steps": last["step"], "f": f"{last['f']:.4g}"}
        if not math.isfinite(last["f"]) or abs(last["f"]) > BLOWN_UP:
            out.append({"key": "diverged", "values": values})
        elif last["grad_norm"] < 1e-6:
            eig = p.get("end_eigenvalues")
            if eig is not None and eig[0] < 0 < eig[1]:
                out.append({"key": "saddle", "values": {**values, "a": f"{eig[0]:.3g}",
                                                        "b": f"{eig[1]:.3g}"}})  # fmt: skip
            else:
                out.append({"key": "converged", "values": values})
        else:
            out.append({"key": "going", "values": {**values, "g": f"{last['grad_norm']:.3g}"}})
        if p["method"] == "newton":
            rises = sum(b["f"] > a["f"] + 1e-12 for a, b in zip(rows, rows[1:], strict=False))
            if rises:
                out.append({"key": "uphill", "values": {"method": "newton", "rises": rises}})
            if len(rows) == 2 and rows[1]["grad_norm"] < 1e-8:
                out.append({"key": "one_step", "values": {"method": "newton"}})
    return out


# -- backprop by hand --------------------------------------------------------------------------


def backprop_by_hand(req: BackpropRequest) -> dict[str, Any]:
    """Forward values and chain-rule products in numpy (float64), then the same network in Keras
    and its gradients from GradientTape, for the page to set side by side."""
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    rng = np.random.default_rng(req.seed)
    sizes = req.sizes
    weights = [rng.normal(0, 1, (a, b)).round(2) for a, b in zip(sizes, sizes[1:], strict=False)]
    biases = [rng.normal(0, 0.5, b).round(2) for b in sizes[1:]]
    act, dact = _numpy_activation(req.activation)
    x = np.array(req.inputs, dtype=np.float64)
    y = np.array(req.targets, dtype=np.float64)

    # forward: z = a W + b, a = f(z) at every layer; the output is linear
    layers = [{"a": x.tolist()}]
    a, zs, activations = x, [], [x]
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = a @ w + b
        last = i == len(weights) - 1
        a = z if last else act(z)
        zs.append(z)
        activations.append(a)
        layers.append({"z": z.tolist(), "a": a.tolist(), "linear": last})
    loss = 0.5 * float(np.sum((a - y) ** 2))  # L = 1/2 sum (y_hat - y)^2

    # backward: delta = dL/dz, layer by layer from the output
    steps = []
    delta = a - y  # output is linear: dL/dz_out = y_hat - y
    steps.append({"layer": len(weights), "what": "delta_out", "value": delta.tolist()})
    grads_w, grads_b = [None] * len(weights), [None] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        grads_w[i] = np.outer(activations[i], delta)  # dL/dW = a_prev^T delta
        grads_b[i] = delta.copy()
        steps.append({"layer": i + 1, "what": "dW", "value": grads_w[i].tolist()})
        if i > 0:
            back = weights[i] @ delta  # dL/da_prev = W delta
            fprime = dact(zs[i - 1])
            steps.append({"layer": i, "what": "dL_da", "value": back.tolist()})
            steps.append({"layer": i, "what": "fprime", "value": fprime.tolist()})
            delta = back * fprime  # dL/dz_prev = (W delta) * f'(z_prev)
            steps.append({"layer": i, "what": "delta", "value": delta.tolist()})

    # the oracle: the same network as a Keras model, gradients from the tape
    model = keras.Sequential([keras.Input((sizes[0],))])
    for i, n in enumerate(sizes[1:]):
        last = i == len(sizes) - 2
        model.add(keras.layers.Dense(n, activation=None if last else req.activation))
    for layer, w, b in zip(model.layers, weights, biases, strict=True):
        layer.set_weights([w.astype(np.float32), b.astype(np.float32)])
    with tf.GradientTape() as tape:
        out = model(x[None, :].astype(np.float32))
        tape_loss = 0.5 * tf.reduce_sum((out[0] - y.astype(np.float32)) ** 2)
    tape_grads = tape.gradient(tape_loss, model.trainable_variables)  # kernel, bias per layer
    kernels = [g.numpy().astype(float).tolist() for g in tape_grads[0::2]]
    bias_grads = [g.numpy().astype(float).tolist() for g in tape_grads[1::2]]
    return {
        "sizes": list(sizes),
        "weights": [w.tolist() for w in weights],
        "biases": [b.tolist() for b in biases],
        "layers": layers,
        "loss": loss,
        "steps": steps,
        "hand": {"W": [g.tolist() for g in grads_w], "b": [g.tolist() for g in grads_b]},
        "tape": {"W": kernels, "b": bias_grads, "loss": float(tape_loss)},
        "max_difference": float(
            max(
                np.max(np.abs(np.array(h) - np.array(t)))
                for h, t in zip(grads_w + grads_b, kernels + bias_grads, strict=True)
            )
        ),
    }


def _numpy_activation(name: str):
    import numpy as np  # noqa: PLC0415

    if name == "sigmoid":

        def sig(z):
            return 1 / (1 + np.exp(-z))

        return sig, lambda z: sig(z) * (1 - sig(z))
    if name == "tanh":
        return np.tanh, lambda z: 1 - np.tanh(z) ** 2
    return (lambda z: np.maximum(z, 0.0)), (lambda z: (z > 0).astype(float))


# -- for the Questions notebook ---------------------------------------------------------------


def bn_relu_activity(req: BnReluRequest) -> dict[str, Any]:
    """Per unit, the fraction of a batch on which ReLU(BN(x W + b)) is positive, at
    initialization and after training, with BN's learned shift (beta) per unit."""
    import keras  # noqa: PLC0415

    from models.config import DataConfig  # noqa: PLC0415
    from models.datasets import make_dataset  # noqa: PLC0415

    keras.utils.set_random_seed(req.seed)
    data = make_dataset(DataConfig(name="circle", n_samples=1000, seed=req.seed))
    x, y = data.x_train.astype("float32"), data.y_train.astype("float32")
    inputs = keras.Input((x.shape[1],))
    z = keras.layers.Dense(req.units)(inputs)
    normed = keras.layers.BatchNormalization()(z)
    hidden = keras.layers.ReLU()(normed)
    out = keras.layers.Dense(1, activation="sigmoid")(hidden)
    model = keras.Model(inputs, out)
    probe = keras.Model(inputs, hidden)
    bn = model.layers[2]

    def active() -> list[float]:
        # BN in inference mode uses its moving statistics; after training they match the data
        return (probe(x, training=False).numpy() > 0).mean(axis=0).astype(float).tolist()

    def active_batch() -> list[float]:  # training mode: normalized by the batch's own statistics
        return (probe(x[:256], training=True).numpy() > 0).mean(axis=0).astype(float).tolist()

    before = active_batch()
    if req.steps:
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
        epochs = max(1, round(req.steps * 32 / len(x)))
        model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, shuffle=True)
    return {
        "active_init": before,
        "active_trained": active(),
        "beta": bn.beta.numpy().astype(float).tolist(),
        "units": req.units,
    }


def hessian_cost(req: HessianCostRequest) -> dict[str, Any]:
    """For MLPs 2 -> w -> w -> 1 of growing width w: parameter count P, the Hessian's P x P
    entries and bytes (float32), the seconds autodiff took to build it, and its eigenvalues'
    signs at the initial weights (negative ones: the Newton step is not a descent direction)."""
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    x = tf.constant(np.random.default_rng(0).normal(size=(64, 2)), dtype=tf.float32)
    y = tf.constant(np.random.default_rng(1).normal(size=(64, 1)), dtype=tf.float32)
    rows = []
    for w in req.widths:
        model = keras.Sequential(
            [keras.Input((2,)), keras.layers.Dense(w, activation="tanh"),
             keras.layers.Dense(w, activation="tanh"), keras.layers.Dense(1)]
        )  # fmt: skip
        flat = tf.Variable(tf.concat([tf.reshape(v, [-1]) for v in model.weights], 0))
        shapes = [v.shape for v in model.weights]

        def loss_of(theta, shapes=shapes):
            parts, i = [], 0
            for shape in shapes:
                n = int(np.prod(shape))
                parts.append(tf.reshape(theta[i : i + n], shape))
                i += n
            h = tf.tanh(x @ parts[0] + parts[1])
            h = tf.tanh(h @ parts[2] + parts[3])
            return tf.reduce_mean((h @ parts[4] + parts[5] - y) ** 2)

        began = time.perf_counter()
        with tf.GradientTape() as tape:
            value = loss_of(flat)
        tape.gradient(value, flat)
        grad_seconds = time.perf_counter() - began
        began = time.perf_counter()
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                value = loss_of(flat)
            g = inner.gradient(value, flat)
        h = outer.jacobian(g, flat)
        seconds = time.perf_counter() - began
        p = int(flat.shape[0])
        hessian = h.numpy().astype(np.float64)
        eigenvalues = np.linalg.eigvalsh((hessian + hessian.T) / 2)
        floor = 1e-6 * float(np.abs(eigenvalues).max())  # below this an eigenvalue counts as 0
        rows.append(
            {
                "width": w,
                "params": p,
                "keras_params": int(model.count_params()),
                "entries": int(np.prod(h.shape)),
                "bytes": int(np.prod(h.shape)) * 4,
                "seconds": seconds,
                "grad_seconds": grad_seconds,
                "symmetric": bool(np.allclose(h.numpy(), h.numpy().T, atol=1e-4)),
                # Newton's step -H^-1 g descends only where H is positive definite.
                "negative_eigenvalues": int(np.sum(eigenvalues < -floor)),
                "min_eigenvalue": float(eigenvalues[0]),
                "max_eigenvalue": float(eigenvalues[-1]),
            }
        )
    return {"rows": rows}
