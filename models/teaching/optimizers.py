"""The Optimizers page's computations: gradient descent, momentum, Adam (Keras optimizers) and
Newton's method (x - (H + lambda I)^-1 grad, gradient and Hessian by autodiff) on a 2-D
function, what the paths show (``optimizer_verdicts``), and for the Questions notebook the cost
of a full Hessian of small MLPs (``hessian_cost``). TensorFlow is imported inside the functions.
"""

from __future__ import annotations

import math
import time
from typing import Any

from models.teaching.concepts import HessianCostRequest, OptimizerRequest


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
