"""A user's table: a CSV file of numeric features and one target column, read and checked.

:func:`load_csv` reads a CSV file and turns every way it can be bad into a :class:`DataError`
whose message is one sentence for the user; :func:`uploaded_table` parses the text a config
carries in ``data.csv`` (at most :data:`MAX_CSV_CHARS`). Each cell is checked by
models.table_cells. Imports only numpy, the stdlib and that module (never models.config, which
validates an upload with this one, nor TensorFlow).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import io
import os
from dataclasses import dataclass
from typing import Literal

import numpy as np

from models.table_cells import MISSING, clip, first_missing_cell, is_number, numeric_column, quote

MAX_CSV_CHARS = 1_000_000  # an uploaded table travels inside the config: at most ~1 MB of text


class DataError(ValueError):
    """A data file a user supplied is unusable. ``str(err)`` is one sentence for the user."""


@dataclass(frozen=True, eq=False)
class CsvData:
    """A validated CSV file: numeric features and one target column.

    ``task_kind`` is "binary" when the target holds exactly two distinct values; they are mapped
    to 0 and 1 and ``classes[k]`` is the original text of class k (numbers in numeric order, text
    in sorted order). Otherwise the target must be numeric and the task is "regression". A target
    of a few distinct whole numbers (say grades 1..5) is still regression, since multi-class
    classification is not supported; ``notes`` then says so. ``notes`` also mentions a
    non-comma separator or a Latin-1 fallback, for the dashboard to show as info.
    """

    feature_names: tuple[str, ...]
    target_name: str
    x: np.ndarray  # float32 (n, n_features)
    y: np.ndarray  # float32 (n, 1)
    task_kind: Literal["binary", "regression"]
    classes: tuple[str, ...] | None
    notes: tuple[str, ...] = ()


_BINARY_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or zip archive",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) workbook",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\x89PNG": "a PNG image",
}
_SAVE_AS_CSV = "save the sheet as CSV (comma-separated values) and load that"


def load_csv(
    source: bytes | str | os.PathLike,
    target: str | None = None,
    *,
    max_bytes: int = 5_000_000,
    max_rows: int = 20_000,
    max_columns: int = 64,
    min_rows: int = 16,
) -> CsvData:
    """Read a CSV file of numeric feature columns and one target column.

    ``source`` is the file's content (bytes, e.g. an upload) or a path (str or PathLike).
    ``target`` names the target column; None means the last column. The first non-blank line
    is the header. Blank lines (and rows of only empty cells, as spreadsheets export) are
    skipped. Text is read as UTF-8 (with or without BOM, or UTF-16 with a BOM), falling back to
    Latin-1. The separator is a comma, unless the header has no comma but semicolons or tabs.

    Every problem raises :class:`DataError` with one sentence naming the column, the 1-based
    line number as an editor shows it, and what is allowed.
    """
    try:
        return _load_csv(source, target, max_bytes, max_rows, max_columns, min_rows)
    except DataError:
        raise
    except MemoryError:
        raise DataError("the file is too large to load into memory") from None
    except Exception as exc:  # the promise: a user sees a sentence, never a traceback
        detail = clip(f"{type(exc).__name__}: {exc}", 80)
        raise DataError(f"the file could not be read as CSV ({detail})") from exc


def csv_text(raw: bytes, max_bytes: int = MAX_CSV_CHARS) -> str:
    """An uploaded file as the text a config carries in data.csv: checked by :func:`load_csv`
    (one-sentence DataError otherwise) and decoded as it decodes it (UTF-8, UTF-16 or Latin-1)."""
    load_csv(raw, max_bytes=max_bytes)
    return _decode(raw)[0]


@functools.lru_cache(maxsize=16)
def uploaded_table(text: str, target: str | None = None) -> CsvData:
    """data.csv parsed (cached: every validation of a config on the page reads it)."""
    return load_csv(text.encode("utf-8"), target, max_bytes=4 * MAX_CSV_CHARS)  # UTF-8: 1-4 B/char


def _load_csv(
    source: bytes | str | os.PathLike,
    target: str | None,
    max_bytes: int,
    max_rows: int,
    max_columns: int,
    min_rows: int,
) -> CsvData:
    raw = _read_bytes(source, max_bytes)
    text, notes = _decode(raw)
    # newline="": split on \r, \n and \r\n alike, as the csv reader below does. A line of only
    # separators is a blank spreadsheet row, not the header.
    lines = io.StringIO(text, newline="")
    first = next((line for line in lines if line.strip().strip(",;\t ")), None)
    if first is None:
        raise DataError(
            "the file is empty; a CSV needs a header line of column names and at least "
            f"{min_rows} data rows"
        )
    delimiter = _delimiter(first)
    if delimiter != ",":
        notes.append(f"the file is read with {_SEPARATOR_NAMES[delimiter]} as the separator")
    # Fail fast on a huge header before the csv module builds one string per field.
    if '"' not in first and first.count(delimiter) + 1 > max_columns:
        _too_many_columns(first.count(delimiter) + 1, max_columns)

    header, header_line, rows, row_lines = _read_rows(text, delimiter, max_rows, max_columns)
    if header is None:  # only whitespace-only cells: nothing to name the columns
        raise DataError("the file has no header line; the first line must name every column")
    target_index = _target_index(header, target)
    if not rows:
        raise DataError(
            f"the file has a header (line {header_line}) but no data rows; at least {min_rows} "
            "are needed"
        )
    if len(rows) < min_rows:
        raise DataError(
            f"the file has {len(rows)} data row{'s' * (len(rows) != 1)}; at least {min_rows} are "
            "needed to train and test a model"
        )

    columns = [[cell.strip() for cell in column] for column in zip(*rows, strict=True)]
    target_name = header[target_index]
    y_cells = columns[target_index]
    text_classes = _text_classes(y_cells, target_name)

    # Report the earliest bad cell in file order, as a user fixes a file top to bottom.
    problems, values = [], {}
    for k, (name, cells) in enumerate(zip(header, columns, strict=True)):
        if k == target_index and text_classes is not None:
            found = first_missing_cell(cells, name, row_lines, is_target=True)
        else:
            values[k], found = numeric_column(cells, name, row_lines, is_target=k == target_index)
        if found is not None:
            problems.append((found[0], k, found[1]))
    if problems:
        raise DataError(min(problems)[2])

    feature_idx = [k for k in range(len(header)) if k != target_index]
    x = np.empty((len(rows), len(feature_idx)), dtype=np.float32)
    for j, k in enumerate(feature_idx):
        x[:, j] = values[k]

    if text_classes is not None:
        classes = text_classes
        y = np.array([cell == classes[1] for cell in y_cells], dtype=np.float32)
        task_kind = "binary"
    else:
        y_values = values[target_index]
        distinct = np.unique(y_values)
        if len(distinct) == 1:
            _constant_target(target_name, y_cells[0])
        if len(distinct) == 2:
            # Each class keeps the text of its first occurrence ('1' rather than '1.0').
            classes = tuple(y_cells[int(np.argmax(y_values == d))] for d in distinct)
            y = (y_values == distinct[1]).astype(np.float32)
            task_kind = "binary"
        else:
            classes, y, task_kind = None, y_values.astype(np.float32), "regression"
            if len(distinct) <= 10 and np.all(distinct == np.round(distinct)):
                notes.append(
                    f"the target {quote(target_name)} has {len(distinct)} distinct whole-number "
                    "values; it is treated as a number to predict (regression), since multi-class "
                    "classification is not supported"
                )
    return CsvData(
        feature_names=tuple(header[k] for k in feature_idx),
        target_name=target_name,
        x=x,
        y=y.reshape(-1, 1),
        task_kind=task_kind,
        classes=classes,
        notes=tuple(notes),
    )


def _read_bytes(source: bytes | str | os.PathLike, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
        if len(raw) > max_bytes:
            _too_large(len(raw), max_bytes)
        return raw
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be bytes or a path, not {type(source).__name__}")
    path = os.fspath(source)
    name = quote(os.path.basename(path) or path)
    try:
        size = os.stat(path).st_size
        if size > max_bytes:  # checked before reading, so a huge file costs nothing
            _too_large(size, max_bytes)
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise DataError(f"the file {name} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{name} is a folder, not a CSV file") from None
    except PermissionError:
        raise DataError(f"the file {name} cannot be read (permission denied)") from None
    except OSError as exc:
        raise DataError(f"the file {name} cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:  # the file grew between stat and read
        _too_large(len(raw), max_bytes)
    return raw


def _too_large(size: int, limit: int) -> None:
    raise DataError(
        f"the file is {size:,} bytes ({size / 1e6:.1f} MB); the limit is {limit:,} bytes "
        f"({limit / 1e6:.1f} MB)"
    )


def _decode(raw: bytes) -> tuple[str, list[str]]:
    notes: list[str] = []
    if not raw.strip():
        return "", notes
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: full of NUL bytes, yet text.
        try:
            return raw.decode("utf-16"), notes
        except UnicodeDecodeError:
            pass
    for magic, what in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise DataError(f"the file is {what}, not CSV text; {_SAVE_AS_CSV}")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataError(
            f"the file contains binary data (a NUL byte at byte {nul:,}), not CSV text; "
            f"{_SAVE_AS_CSV}"
        )
    try:
        text = raw.decode("utf-8-sig")  # strips a BOM when there is one
    except UnicodeDecodeError:
        # Latin-1 maps every byte, so it cannot fail; for a numeric file only names can be off.
        text = raw.decode("latin-1")
        notes.append("the file is not UTF-8, so it is read as Latin-1")
    sample = text[:100_000]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v") + sample.count("\x7f")
    if controls > 0.01 * len(sample):
        raise DataError(
            f"the file contains binary data ({controls:,} control characters in its first "
            f"{len(sample):,}), not CSV text; {_SAVE_AS_CSV}"
        )
    return text, notes


_SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


def _delimiter(header: str) -> str:
    # Excel in decimal-comma locales writes ';'; "Text (tab-delimited)" writes tabs.
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def _read_rows(
    text: str, delimiter: str, max_rows: int, max_columns: int
) -> tuple[list[str] | None, int, list[list[str]], list[int]]:
    """Parse the header and the data rows; each row keeps the line number it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    row_lines: list[int] = []
    previous_end = 0
    try:
        for fields in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue
            if header is None:
                header, header_line = [field.strip() for field in fields], line
                _check_header(header, header_line, max_columns)
                continue
            if len(fields) != len(header):
                hint = ""
                if len(fields) == len(header) + 1 and not fields[-1].strip():
                    hint = " (a trailing separator at the end of the line?)"
                raise DataError(
                    f"line {line} has {len(fields)} fields but the header (line {header_line}) "
                    f"has {len(header)} columns{hint}; every row needs one value per column"
                )
            if len(rows) == max_rows:
                raise DataError(
                    f"the file has more than {max_rows:,} data rows (line {line} is row "
                    f"{max_rows + 1:,}); the limit is {max_rows:,}"
                )
            rows.append(fields)
            row_lines.append(line)
    except csv.Error as exc:
        _csv_error(exc, previous_end + 1)
    return header, header_line, rows, row_lines


def _csv_error(exc: csv.Error, line: int) -> None:
    message = str(exc)
    if "unexpected end of data" in message:
        raise DataError(
            f'the quote (") that opens a field on line {line} is never closed; close it or '
            "remove it"
        ) from None
    if "expected after" in message:
        raise DataError(
            f'line {line} has a quote (") inside a field; quote whole fields, e.g. "a, b", and '
            'double quotes inside them ("")'
        ) from None
    if "field larger than field limit" in message:
        raise DataError(
            f"line {line} has a cell longer than {csv.field_size_limit():,} characters; cells "
            "must be numbers or short names"
        ) from None
    raise DataError(f"line {line} is not valid CSV ({clip(message, 60)})") from None


def _check_header(header: list[str], line: int, max_columns: int) -> None:
    if len(header) > max_columns:
        _too_many_columns(len(header), max_columns)
    if len(header) == 1:
        raise DataError(
            f"the file has only one column ({quote(header[0])}); it needs at least one feature "
            "column and a target column, separated by commas"
        )
    if all(is_number(name) for name in header):
        shown = ", ".join(quote(name) for name in header[:3])
        raise DataError(
            f"the header (line {line}) holds numbers ({shown}{', ...' * (len(header) > 3)}), "
            "not column names; add a first line that names each column"
        )
    for k, name in enumerate(header):
        if not name:
            raise DataError(
                f"column {k + 1} has no name in the header (line {line}); every column needs a name"
            )
    seen: dict[str, int] = {}
    for k, name in enumerate(header):
        if name in seen:
            raise DataError(
                f"the column name {quote(name)} appears twice in the header (columns "
                f"{seen[name] + 1} and {k + 1}); column names must be unique"
            )
        seen[name] = k


def _too_many_columns(count: int, limit: int) -> None:
    raise DataError(
        f"the header has {count:,} columns; the limit is {limit} (up to {limit - 1} features and "
        "one target)"
    )


def _target_index(header: list[str], target: str | None) -> int:
    if target is None:
        return len(header) - 1
    wanted = target.strip()
    if wanted in header:
        return header.index(wanted)
    close = difflib.get_close_matches(wanted, header, n=1, cutoff=0.6)
    by_case = [name for name in header if name.lower() == wanted.lower()]
    guess = (by_case or close or [None])[0]
    hint = f" (did you mean {quote(guess)}?)" if guess else ""
    shown = ", ".join(quote(name) for name in header[:8])
    more = f", ... ({len(header)} in all)" if len(header) > 8 else ""
    raise DataError(
        f"there is no column named {quote(wanted)}{hint}; the columns are {shown}{more}"
    )


def _text_classes(cells: list[str], name: str) -> tuple[str, ...] | None:
    """The two classes of a text target, None for a numeric target; raise if it is neither."""
    if all(is_number(cell) or cell.lower() in MISSING for cell in cells):
        return None
    labels = {cell: None for cell in cells if cell.lower() not in MISSING}
    if any(label.startswith("=") for label in labels):
        return None  # let the cell scan report the formula with its line
    if len(labels) == 2:
        return tuple(sorted(labels))
    if len(labels) == 1:
        _constant_target(name, next(iter(labels)))
    numeric = sum(is_number(cell) for cell in cells)
    if numeric > len(cells) / 2:
        return None  # mostly numbers: the cell scan names the stray text and its line
    shown = ", ".join(quote(label) for label in list(labels)[:4])
    raise DataError(
        f"the target column {quote(name)} holds text with {len(labels)} different values "
        f"({shown}{', ...' * (len(labels) > 4)}); a target must be numbers (regression) or have "
        "exactly two classes (binary), since multi-class targets are not supported"
    )


def _constant_target(name: str, value: str) -> None:
    raise DataError(
        f"the target column {quote(name)} has the same value ({quote(value)}) on every row; a "
        "model cannot learn anything from a constant target"
    )
