"""One cell of a user's table: a number, a missing value, a formula or stray text.

The checks return the one sentence that names a bad cell (its column, its line as an editor
shows it, what is allowed) rather than raising, so models.tables can report the earliest bad
cell of the whole file. Imports only numpy and the stdlib.
"""

from __future__ import annotations

import math
import re

import numpy as np

# Cells that mean "no value" in the exports people actually upload (pandas, R, Excel, SQL).
MISSING = {"", "nan", "na", "n/a", "null", "none", "#n/a", "-nan"}
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")


def numeric_column(
    cells: list[str], name: str, lines: list[int], is_target: bool
) -> tuple[np.ndarray, tuple[int, str] | None]:
    """A numeric column as (float64 values, None), or (_, (line, message)) of its first bad cell."""
    try:
        values = np.array(cells, dtype=np.float64)  # fast path: numpy parses as float() does
    except ValueError:
        values = None
    if values is not None and np.all(np.abs(values) <= _FLOAT32_MAX):  # also False for NaN
        return values, None
    for i, cell in enumerate(cells):
        message = _cell_problem(cell, _column(name, is_target), lines[i])
        if message is not None:
            return np.empty(0), (lines[i], message)
    raise AssertionError("a column that failed to parse has no bad cell")


def first_missing_cell(
    cells: list[str], name: str, lines: list[int], is_target: bool
) -> tuple[int, str] | None:
    """The (line, message) of a text column's first missing value, or None."""
    for i, cell in enumerate(cells):
        if cell.lower() in MISSING:
            return lines[i], _missing_message(cell, _column(name, is_target), lines[i])
    return None


def _cell_problem(cell: str, column: str, line: int) -> str | None:
    if cell.lower() in MISSING:
        return _missing_message(cell, column, line)
    if cell.startswith("="):
        return (
            f"{column} has a spreadsheet formula on line {line} ({quote(cell)}); formulas are "
            "not evaluated, so save the sheet with computed values (or paste as values) first"
        )
    try:
        value = float(cell)
    except ValueError:
        hint = "; use a dot as the decimal separator" if _DECIMAL_COMMA.match(cell) else ""
        return f"{column} has text on line {line} ({quote(cell)}) where a number is expected{hint}"
    if math.isnan(value):
        return _missing_message(cell, column, line)
    if math.isinf(value):
        return (
            f"{column} has an infinite value on line {line} ({quote(cell)}); every cell must be "
            "a finite number"
        )
    if abs(value) > _FLOAT32_MAX:
        return (
            f"{column} has a value too large on line {line} ({quote(cell)}); values must lie "
            "within ±3.4e38"
        )
    return None


def _missing_message(cell: str, column: str, line: int) -> str:
    what = "an empty cell" if not cell else f"a missing value ({quote(cell)})"
    return (
        f"{column} has {what} on line {line}; every cell needs a value, so fill it in or delete "
        "the row"
    )


def _column(name: str, is_target: bool) -> str:
    return f"the target column {quote(name)}" if is_target else f"column {quote(name)}"


def is_number(text: str) -> bool:
    """Whether Python reads the text as a float (as numeric_column's parse does)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def clip(text: str, limit: int) -> str:
    """The text, cut to at most `limit` characters with '...' where it was cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def quote(text: str, limit: int = 30) -> str:
    """A user's text as a message quotes it: in single quotes, clipped, on one line."""
    # repr() would double backslashes and escape quotes; users see the plain text in quotes.
    return "'" + clip(text, limit).replace("\n", " ") + "'"
