"""The CNN page's pooling computations: max and mean pooling of a small input, forward, and the
backward pass of an upstream gradient, from ``tf.GradientTape`` through
``keras.layers.MaxPooling2D`` / ``AveragePooling2D``; and the notes' rule for the backward pass
in plain Python, to check the tape against. TensorFlow is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

from models.teaching.concepts import PoolingRequest


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
