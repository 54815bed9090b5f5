"""DataFrames as Arrow IPC stream bytes, and back: one codec for the run store and the charts.

The run store keeps a run's metric rows as one compressed stream in a binary column (millions of
rows load as one read and one decode); the live charts hand Streamlit Arrow bytes, which it
passes through to the browser as they are. Imports pandas and pyarrow only.
"""

from __future__ import annotations

import io
from typing import Literal

import pandas as pd
import pyarrow as pa

Compression = Literal["zstd", "lz4"] | None


def frame_to_ipc(
    frame: pd.DataFrame, schema: pa.Schema | None = None, compression: Compression = None
) -> bytes:
    """The frame (its index dropped) as one Arrow IPC stream. ``schema`` fixes the columns' Arrow
    types (else pyarrow infers them); ``compression`` compresses each buffer ("zstd", "lz4")."""
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def frame_from_ipc(payload: bytes) -> pd.DataFrame:
    """The frame an Arrow IPC stream holds (compressed or not). Dictionary columns come back as
    pandas categoricals: a handful of distinct strings over millions of rows stays cheap."""
    return pa.ipc.open_stream(io.BytesIO(payload)).read_all().to_pandas()
