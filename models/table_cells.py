"""One cell of a user's table: a number, a missing value, a formula or stray text.

The checks return the problem that names a bad cell (a code with its column, its line as an
editor shows it and the cell's text; models.problems) rather than raising, so models.tables can
report the earliest bad cell of the whole file. Imports only numpy, the stdlib and
models.problems.
"""

from __future__ import annotations

import math
import re

import numpy as np

from models.problems import Problem, problem

# Cells that mean "no value" in the exports people actually upload (pandas, R, Excel, SQL).
MISSING = {"", "nan", "na", "n/a", "null", "none", "#n/a", "-nan"}
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")


def numeric_column(
    cells: list[str], name: str, lines: list[int], is_target: bool
) -> tuple[np.ndarray, tuple[int, Problem] | None]:
    """A numeric column as (float64 values, None), or (_, (line, problem)) of its first bad cell."""
    try:
        values = np.array(cells, dtype=np.float64)  # fast path: numpy parses as float() does
    except ValueError:
        values = None
    if values is not None and np.all(np.abs(values) <= _FLOAT32_MAX):  # also False for NaN
        return values, None
    for i, cell in enumerate(cells):
        found = _cell_problem(cell, column_of(name, is_target), lines[i])
        if found is not None:
            return np.empty(0), (lines[i], found)
    raise AssertionError("a column that failed to parse has no bad cell")


def first_missing_cell(
    cells: list[str], name: str, lines: list[int], is_target: bool
) -> tuple[int, Problem] | None:
    """The (line, problem) of a text column's first missing value, or None."""
    for i, cell in enumerate(cells):
        if cell.lower() in MISSING:
            return lines[i], _missing(cell, column_of(name, is_target), lines[i])
    return None


def _cell_problem(cell: str, column: Problem, line: int) -> Problem | None:
    if cell.lower() in MISSING:
        return _missing(cell, column, line)
    if cell.startswith("="):
        return problem("data.formula", column=column, line=line, value=shown(cell))
    try:
        value = float(cell)
    except ValueError:
        if _DECIMAL_COMMA.match(cell):
            return problem("data.decimal_comma", column=column, line=line, value=shown(cell))
        return problem("data.text_cell", column=column, line=line, value=shown(cell))
    if math.isnan(value):
        return _missing(cell, column, line)
    if math.isinf(value):
        return problem("data.infinite_cell", column=column, line=line, value=shown(cell))
    if abs(value) > _FLOAT32_MAX:
        return problem("data.huge_cell", column=column, line=line, value=shown(cell))
    return None


def _missing(cell: str, column: Problem, line: int) -> Problem:
    if not cell:
        return problem("data.empty_cell", column=column, line=line)
    return problem("data.missing_value", column=column, line=line, value=shown(cell))


def column_of(name: str, is_target: bool) -> Problem:
    """The phrase that names a column: the target column, or a feature column."""
    if is_target:
        return problem("data.target_column", name=shown(name))
    return problem("data.column", name=shown(name))


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


def shown(text: str, limit: int = 30) -> str:
    """A user's text as a problem carries it: clipped, on one line (the words quote it)."""
    return clip(text, limit).replace("\n", " ")


def quoted(texts: list[str], most: int) -> str:
    """Up to `most` of a user's texts as one list value, each quoted as a problem's words quote
    one ('a', 'b', ...): the user's own names, listed as data, the same in every language."""
    items = ", ".join(f"'{shown(text)}'" for text in texts[:most])
    return items + ", ..." * (len(texts) > most)
