"""The Activations page's computations: each activation and its derivative by autodiff through
the real Keras activation (layer), the derivative's maximum and where, the mean output over
x ~ N(0, 1) (zero-centredness), and the product of n derivative factors along a path vs depth n.
TensorFlow is imported inside the functions, in the concept worker.
"""

from __future__ import annotations

from typing import Any

from models.teaching.concepts import ActivationRequest


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
