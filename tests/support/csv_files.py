"""CSV files: a valid one with a bad line appended (csv_bytes), the corpus of bad files with the
words each refusal must hold (BAD_FILES, the loader's and the upload page's), and a learnable
table (table) carried by a config (csv_config)."""

import numpy as np

from models.fields import parse_config
from models.tables import csv_text


def csv_bytes(bad_line: str | None = None, rows: int = 20, header: str = "a,b,y") -> bytes:
    """A valid file of `rows` data rows; `bad_line` (if given) is appended as line rows + 2."""
    lines = [header] + [f"{i / 10},{i % 3},{i % 2}" for i in range(rows)]
    if bad_line is not None:
        lines.append(bad_line)
    return ("\n".join(lines) + "\n").encode()


BAD_LINE = 22  # header (1) + 20 good rows: an appended row sits on line 22


HUGE_HEADER = ",".join(f"c{i}" for i in range(100_000)).encode()


# (case, file content, load_csv keyword arguments, substrings the message must contain)
BAD_FILES = [
    ("too large", b"a,b\n" + b"1,2\n" * 3000, {"max_bytes": 10_000}, ["12,004 bytes", "10,000"]),
    ("empty", b"", {}, ["empty"]),
    ("only blank lines", b"\n \r\n\n", {}, ["empty"]),
    ("header only", b"a,b,y\n", {}, ["header", "no data rows", "16"]),
    ("NUL bytes", b"a,b\x00,y\n1,2,3\n", {}, ["binary", "byte 3"]),
    ("xlsx", b"PK\x03\x04\x14\x00\x06\x00", {}, ["Excel", "CSV"]),
    ("control bytes", bytes(range(1, 32)) * 50, {}, ["binary"]),
    ("ragged row", csv_bytes("1,2"), {}, [f"line {BAD_LINE}", "2 fields", "3 columns"]),
    ("trailing comma", csv_bytes("1,2,3,"), {}, [f"line {BAD_LINE}", "trailing"]),
    ("duplicate name", csv_bytes(header="a,b,a"), {}, ["'a'", "twice", "columns 1 and 3"]),
    ("empty name", csv_bytes(header="a,,y"), {}, ["column 2", "no name"]),
    ("too many columns", HUGE_HEADER, {}, ["100,000 columns", "64"]),
    ("numbers as header", csv_bytes(header="1,2,3"), {}, ["header", "numbers"]),
    ("too many rows", csv_bytes(rows=40), {"max_rows": 30}, ["more than 30", "line 32"]),
    ("too few rows", csv_bytes(rows=5), {}, ["5 data rows", "at least 16"]),
    ("unknown target", csv_bytes(), {"target": "Y"}, ["'Y'", "did you mean 'y'", "'a', 'b'"]),
    (
        "text in a feature",
        csv_bytes("1,hello world this is a very long cell indeed,0"),
        {},
        ["column 'b'", f"line {BAD_LINE}", "'hello world", "...'", "number"],
    ),
    ("text in the target", csv_bytes("1,2,oops"), {}, ["target column 'y'", "'oops'"]),
    (
        "formula",
        csv_bytes("1,=SUM(A1:A3),0"),
        {},
        ["column 'b'", f"line {BAD_LINE}", "=SUM(A1:A3)", "formulas are not evaluated"],
    ),
    ("empty cell", csv_bytes(",2,0"), {}, ["column 'a'", f"line {BAD_LINE}", "empty"]),
    ("NaN cell", csv_bytes("1,NaN,0"), {}, ["column 'b'", f"line {BAD_LINE}", "'NaN'"]),
    ("empty target", csv_bytes("1,2,"), {}, ["target column 'y'", f"line {BAD_LINE}"]),
    ("infinite cell", csv_bytes("1,-inf,0"), {}, ["column 'b'", f"line {BAD_LINE}", "infinite"]),
    ("float32 overflow", csv_bytes("1e300,2,0"), {}, ["column 'a'", "too large"]),
    ("constant target", csv_bytes(header="a,b,y").replace(b",0\n", b",1\n"), {}, ["same value"]),
    ("one column", b"y\n" + b"1\n" * 20, {}, ["only one column", "'y'"]),
    ("unclosed quote", csv_bytes('1,"2,0'), {}, [f"line {BAD_LINE}", "never closed"]),
    (
        "decimal commas",
        csv_bytes().decode().replace(",", ";").replace("0.5;", "0,5;").encode(),
        {},
        ["column 'a'", "line 7", "'0,5'", "decimal separator"],
    ),
    (
        "multi-class text target",
        b"a,y\n" + b"1,cat\n2,dog\n3,bird\n" * 6,
        {},
        ["target column 'y'", "3 different values", "multi-class"],
    ),
]


def table(rows: int = 200, features: int = 3, seed: int = 0) -> bytes:
    """A separable binary task: label 'yes' when the first two features agree in sign."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    header = ",".join(f"f{i}" for i in range(features)) + ",label"
    lines = [header] + [
        ",".join(f"{v:.4f}" for v in row) + ("," + ("yes" if row[0] * row[1] > 0 else "no"))
        for row in x
    ]
    return ("\n".join(lines) + "\n").encode()


def csv_config(raw: bytes, **sections):
    return parse_config({"data": {"name": "csv", "csv": csv_text(raw)}, **sections})
