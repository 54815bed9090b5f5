"""The Arrow IPC frame codec (models/frames.py): a frame comes back equal, compressed or not."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from models.frames import frame_from_ipc, frame_to_ipc
from models.infra.store import METRICS_SCHEMA


def metrics(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "step": np.arange(n, dtype="int64") // 3,
            "name": ["loss", "grad_norm", "grad_norm"] * (n // 3),
            "layer": [None, "dense_0", "output"] * (n // 3),
            "depth": [np.nan, 0.0, 1.0] * (n // 3),
            "t": np.full(n, np.nan),
            "value": rng.random(n),
        }
    )


@pytest.mark.parametrize("compression", [None, "zstd", "lz4"])
def test_a_frame_comes_back_equal(compression):
    frame = metrics()
    back = frame_from_ipc(frame_to_ipc(frame, compression=compression))
    pd.testing.assert_frame_equal(back, frame)


def test_a_schema_types_the_columns_and_dictionaries_come_back_as_categoricals():
    frame = metrics()
    back = frame_from_ipc(frame_to_ipc(frame, METRICS_SCHEMA, compression="zstd"))
    assert isinstance(back["name"].dtype, pd.CategoricalDtype)
    assert set(back["name"].cat.categories) == {"loss", "grad_norm"}
    pd.testing.assert_frame_equal(back.astype(frame.dtypes.to_dict()), frame)


def test_compression_makes_a_repetitive_stream_smaller_and_the_stream_is_plain_arrow():
    frame = metrics().assign(value=0.5)
    plain, packed = frame_to_ipc(frame), frame_to_ipc(frame, compression="zstd")
    assert len(packed) < len(plain) / 4
    table = pa.ipc.open_stream(plain).read_all()  # any Arrow reader (Vega, the browser) reads it
    assert table.num_rows == len(frame) and table.column_names == list(frame.columns)
