"""The Backpropagation page's computation: a tiny dense network's forward values and every
chain-rule product by hand (numpy), next to ``GradientTape``'s gradients for the same Keras model
and weights. TensorFlow is imported inside the function.
"""

from __future__ import annotations

from typing import Any

from models.teaching.concepts import BackpropRequest

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
