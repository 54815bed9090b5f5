"""A user's table: a CSV file of numeric features and one target column, read and checked.

:func:`load_csv` reads a CSV file and turns every way it can be bad into a :class:`DataError`
carrying one problem (models.problems): a code under ``data.`` and the values its sentence names
(the line as an editor shows it, the column, the cell's text, the limit), worded by the string
tables (``locales.say``, key ``problem.data.<code>``). :func:`uploaded_table` parses the text a
config carries in ``data.csv`` (at most :data:`MAX_CSV_CHARS`). Each cell is checked by
models.table_cells. A user's text travels clipped to one line (``shown``); the words put the
quotes around it, and a list of the user's names is one value, quoted and comma-joined
(``quoted``). Imports only numpy, the stdlib, models.problems and models.table_cells (never
models.config, which validates an upload with this one, nor TensorFlow).
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

from models.problems import Problem, ProblemError, problem
from models.table_cells import (
    MISSING,
    clip,
    column_of,
    first_missing_cell,
    is_number,
    numeric_column,
    quoted,
    shown,
)

MAX_CSV_CHARS = 1_000_000  # an uploaded table travels inside the config: at most ~1 MB of text


class DataError(ProblemError):
    """A data file a user supplied is unusable: ``err.problem`` says why (a ``data.*`` code with
    its values), for ``locales.say`` to word in the user's language."""


@dataclass(frozen=True, eq=False)
class CsvData:
    """A validated CSV file: numeric features and one target column.

    ``task_kind`` is "binary" when the target holds exactly two distinct values; they are mapped
    to 0 and 1 and ``classes[k]`` is the original text of class k (numbers in numeric order, text
    in sorted order). Otherwise the target must be numeric and the task is "regression". A target
    of a few distinct whole numbers (say grades 1..5) is still regression, since multi-class
    classification is not supported; ``notes`` then says so. ``notes`` also mentions a
    non-comma separator or a Latin-1 fallback, for the dashboard to show as info. Each note is
    a problem (a code with values), worded like a DataError's.
    """

    feature_names: tuple[str, ...]
    target_name: str
    x: np.ndarray  # float32 (n, n_features)
    y: np.ndarray  # float32 (n, 1)
    task_kind: Literal["binary", "regression"]
    classes: tuple[str, ...] | None
    notes: tuple[Problem, ...] = ()


_BINARY_MAGIC = {  # a file's first bytes -> what kind of file it is
    b"PK\x03\x04": problem("data.kind_zip"),
    b"\xd0\xcf\x11\xe0": problem("data.kind_xls"),
    b"%PDF": problem("data.kind_pdf"),
    b"\x1f\x8b": problem("data.kind_gzip"),
    b"\x89PNG": problem("data.kind_png"),
}


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

    Every problem raises :class:`DataError` with one problem naming the column, the 1-based
    line number as an editor shows it, and what is allowed.
    """
    try:
        return _load_csv(source, target, max_bytes, max_rows, max_columns, min_rows)
    except DataError:
        raise
    except MemoryError:
        raise DataError(problem("data.out_of_memory")) from None
    except Exception as exc:  # the promise: a user sees a sentence, never a traceback
        error = clip(f"{type(exc).__name__}: {exc}", 80)  # diagnostic: shown as it is
        raise DataError(problem("data.unreadable", error=error)) from exc


def csv_text(raw: bytes, max_bytes: int = MAX_CSV_CHARS) -> str:
    """An uploaded file as the text a config carries in data.csv: checked by :func:`load_csv`
    (a DataError otherwise) and decoded as it decodes it (UTF-8, UTF-16 or Latin-1)."""
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
        raise DataError(problem("data.empty", min_rows=min_rows))
    delimiter = _delimiter(first)
    if delimiter == ";":
        notes.append(problem("data.read_with_semicolons"))
    elif delimiter == "\t":
        notes.append(problem("data.read_with_tabs"))
    # Fail fast on a huge header before the csv module builds one string per field.
    if '"' not in first and first.count(delimiter) + 1 > max_columns:
        _too_many_columns(first.count(delimiter) + 1, max_columns)

    header, header_line, rows, row_lines = _read_rows(text, delimiter, max_rows, max_columns)
    if header is None:  # only whitespace-only cells: nothing to name the columns
        raise DataError(problem("data.no_header"))
    target_index = _target_index(header, target)
    if not rows:
        raise DataError(problem("data.header_only", line=header_line, min_rows=min_rows))
    if len(rows) < min_rows:
        n = len(rows)
        count = problem("data.one_row", n=n) if n == 1 else problem("data.rows", n=n)
        raise DataError(problem("data.too_few_rows", rows=count, min_rows=min_rows))

    columns = [[cell.strip() for cell in column] for column in zip(*rows, strict=True)]
    target_name = header[target_index]
    y_cells = columns[target_index]
    text_classes = _text_classes(y_cells, target_name)

    # Report the earliest bad cell in file order, as a user fixes a file top to bottom.
    bad: list[tuple[int, int, Problem]] = []
    values = {}
    for k, (name, cells) in enumerate(zip(header, columns, strict=True)):
        if k == target_index and text_classes is not None:
            found = first_missing_cell(cells, name, row_lines, is_target=True)
        else:
            values[k], found = numeric_column(cells, name, row_lines, is_target=k == target_index)
        if found is not None:
            bad.append((found[0], k, found[1]))
    if bad:
        raise DataError(min(bad, key=lambda b: b[:2])[2])

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
                    problem(
                        "data.few_whole_numbers", target=shown(target_name), count=len(distinct)
                    )
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
    name = shown(os.path.basename(path) or path)
    try:
        size = os.stat(path).st_size
        if size > max_bytes:  # checked before reading, so a huge file costs nothing
            _too_large(size, max_bytes)
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise DataError(problem("data.no_such_file", name=name)) from None
    except IsADirectoryError:
        raise DataError(problem("data.is_folder", name=name)) from None
    except PermissionError:
        raise DataError(problem("data.permission_denied", name=name)) from None
    except OSError as exc:
        error = str(exc.strerror or exc)  # diagnostic: the system's own words
        raise DataError(problem("data.cannot_read", name=name, error=error)) from None
    if len(raw) > max_bytes:  # the file grew between stat and read
        _too_large(len(raw), max_bytes)
    return raw


def _too_large(size: int, limit: int) -> None:
    raise DataError(
        problem("data.too_large", size=size, size_mb=size / 1e6, limit=limit, limit_mb=limit / 1e6)
    )


def _decode(raw: bytes) -> tuple[str, list[Problem]]:
    notes: list[Problem] = []
    if not raw.strip():
        return "", notes
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: full of NUL bytes, yet text.
        try:
            return raw.decode("utf-16"), notes
        except UnicodeDecodeError:
            pass
    for magic, kind in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise DataError(problem("data.not_text", kind=kind))
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataError(problem("data.nul_byte", at=nul))
    try:
        text = raw.decode("utf-8-sig")  # strips a BOM when there is one
    except UnicodeDecodeError:
        # Latin-1 maps every byte, so it cannot fail; for a numeric file only names can be off.
        text = raw.decode("latin-1")
        notes.append(problem("data.read_as_latin1"))
    sample = text[:100_000]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v") + sample.count("\x7f")
    if controls > 0.01 * len(sample):
        raise DataError(problem("data.control_characters", count=controls, sample=len(sample)))
    return text, notes


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
                counts = {"fields": len(fields), "header_line": header_line, "columns": len(header)}
                if len(fields) == len(header) + 1 and not fields[-1].strip():
                    raise DataError(problem("data.trailing_separator", line=line, **counts))
                raise DataError(problem("data.ragged_row", line=line, **counts))
            if len(rows) == max_rows:
                raise DataError(
                    problem("data.too_many_rows", limit=max_rows, line=line, row=max_rows + 1)
                )
            rows.append(fields)
            row_lines.append(line)
    except csv.Error as exc:
        _csv_error(exc, previous_end + 1)
    return header, header_line, rows, row_lines


def _csv_error(exc: csv.Error, line: int) -> None:
    message = str(exc)
    if "unexpected end of data" in message:
        raise DataError(problem("data.unclosed_quote", line=line)) from None
    if "expected after" in message:
        raise DataError(problem("data.stray_quote", line=line)) from None
    if "field larger than field limit" in message:
        raise DataError(
            problem("data.long_cell", line=line, limit=csv.field_size_limit())
        ) from None
    raise DataError(problem("data.bad_csv", line=line, error=clip(message, 60))) from None


def _check_header(header: list[str], line: int, max_columns: int) -> None:
    if len(header) > max_columns:
        _too_many_columns(len(header), max_columns)
    if len(header) == 1:
        raise DataError(problem("data.one_column", name=shown(header[0])))
    if all(is_number(name) for name in header):
        raise DataError(problem("data.numeric_header", line=line, names=quoted(header, 3)))
    for k, name in enumerate(header):
        if not name:
            raise DataError(problem("data.unnamed_column", column=k + 1, line=line))
    seen: dict[str, int] = {}
    for k, name in enumerate(header):
        if name in seen:
            raise DataError(
                problem("data.duplicate_name", name=shown(name), first=seen[name] + 1, second=k + 1)
            )
        seen[name] = k


def _too_many_columns(count: int, limit: int) -> None:
    raise DataError(problem("data.too_many_columns", count=count, limit=limit, features=limit - 1))


def _target_index(header: list[str], target: str | None) -> int:
    if target is None:
        return len(header) - 1
    wanted = target.strip()
    if wanted in header:
        return header.index(wanted)
    close = difflib.get_close_matches(wanted, header, n=1, cutoff=0.6)
    by_case = [name for name in header if name.lower() == wanted.lower()]
    guess = (by_case or close or [None])[0]
    hint = problem("data.did_you_mean", name=shown(guess)) if guess else ""
    columns = quoted(header, 8)
    if len(header) > 8:  # "'a', 'b', ..." and how many there are in all
        columns = problem("data.some_columns", names=columns, count=len(header))
    raise DataError(problem("data.no_such_column", name=shown(wanted), hint=hint, columns=columns))


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
    raise DataError(
        problem(
            "data.multi_class_target",
            column=column_of(name, is_target=True),
            count=len(labels),
            values=quoted(list(labels), 4),
        )
    )


def _constant_target(name: str, value: str) -> None:
    raise DataError(
        problem("data.constant_target", column=column_of(name, is_target=True), value=shown(value))
    )
