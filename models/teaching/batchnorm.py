"""For the Questions notebook: how often each unit of Dense -> BatchNormalization -> ReLU is
active on the circle data, at initialization and after training. Keras is imported inside the
function.
"""

from __future__ import annotations

from typing import Any

from models.config import DataConfig
from models.datasets import make_dataset
from models.teaching.concepts import BnReluRequest


def bn_relu_activity(req: BnReluRequest) -> dict[str, Any]:
    """Per unit, the fraction of a batch on which ReLU(BN(x W + b)) is positive, at
    initialization and after training, with BN's learned shift (beta) per unit."""
    import keras  # noqa: PLC0415

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
