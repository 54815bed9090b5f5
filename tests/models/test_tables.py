"""The table module (models/tables.py, models/table_cells.py): every way a CSV file can be bad
becomes a problem (a code with values) whose English is one sentence naming the column and the
line; a good file loads with its values."""

import numpy as np
import pytest

import models.tables as tables_module
from locales import say
from models.problems import Problem
from models.tables import DataError, load_csv
from tests.support.csv_files import BAD_FILES, BAD_LINE, HUGE_HEADER, csv_bytes


def error_of(source, **kwargs) -> str:
    """The refusal in English, as the string tables word its problem."""
    with pytest.raises(DataError) as info:
        load_csv(source, **kwargs)
    assert info.value.problem.code.startswith("data.")
    message = say(info.value.problem)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_valid_file_loads_with_values_and_class_mapping():
    text = "x1, x2 ,label\n" + "".join(
        f"{i},{-i / 4},{'spam' if i % 3 == 0 else 'ham'}\n" for i in range(18)
    )
    data = load_csv(text.encode())
    assert data.feature_names == ("x1", "x2") and data.target_name == "label"
    assert data.task_kind == "binary" and data.classes == ("ham", "spam")
    assert data.x.dtype == np.float32 and data.x.shape == (18, 2)
    assert data.y.dtype == np.float32 and data.y.shape == (18, 1)
    np.testing.assert_array_equal(data.x[5], [5.0, -1.25])
    np.testing.assert_array_equal(data.y[:4, 0], [1, 0, 0, 1])  # spam -> 1, ham -> 0


def test_numeric_binary_regression_and_chosen_target():
    text = "t,a,b\n" + "".join(f"{1 if i % 2 else -1},{i},{i * i}\n" for i in range(16))
    binary = load_csv(text.encode())  # target defaults to the last column: b, regression
    assert binary.task_kind == "regression" and binary.classes is None
    assert binary.y[3, 0] == 9.0
    chosen = load_csv(text.encode(), target="t")
    assert chosen.feature_names == ("a", "b") and chosen.task_kind == "binary"
    assert chosen.classes == ("-1", "1")
    np.testing.assert_array_equal(chosen.y[:3, 0], [0, 1, 0])


def test_a_few_whole_number_target_values_are_regression_with_a_note():
    text = "a,grade\n" + "".join(f"{i},{i % 4}\n" for i in range(20))
    data = load_csv(text.encode())
    assert data.task_kind == "regression"
    assert [note.code for note in data.notes] == ["data.few_whole_numbers"]
    assert data.notes[0].values == {"target": "grade", "count": 4}
    assert "multi-class" in say(data.notes[0])


def test_encodings_and_separators_that_load():
    latin = ("température,b,y\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(16))).encode(
        "latin-1"
    )
    data = load_csv(latin)
    assert data.feature_names == ("température", "b")
    assert data.x[3, 1] == 6.0
    assert [note.code for note in data.notes] == ["data.read_as_latin1"]
    with_bom = b"\xef\xbb\xbf" + csv_bytes()
    assert load_csv(with_bom).feature_names == ("a", "b")  # the BOM is not part of 'a'
    utf16 = csv_bytes().decode().encode("utf-16")
    assert load_csv(utf16).x.shape == (20, 2)
    semicolons = csv_bytes().decode().replace(",", ";").encode()
    assert load_csv(semicolons).x.shape == (20, 2)
    assert say(load_csv(semicolons).notes[0]) == "the file is read with semicolons as the separator"
    tabs = load_csv(csv_bytes().decode().replace(",", "\t").encode())
    assert [note.code for note in tabs.notes] == ["data.read_with_tabs"]
    assert load_csv(csv_bytes()).notes == ()
    crlf = csv_bytes().replace(b"\n", b"\r\n") + b"\r\n\r\n,,\r\n"  # trailing blank rows
    assert load_csv(crlf).x.shape == (20, 2)
    old_mac = csv_bytes(rows=40).replace(b"\n", b"\r")  # 80 commas before the first \n-less end
    assert load_csv(old_mac).x.shape == (40, 2)


def test_a_path_loads_and_its_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(csv_bytes())
    assert load_csv(path).x.shape == (20, 2)
    assert load_csv(str(path)).x.shape == (20, 2)
    message = error_of(path, max_bytes=100)
    assert f"{path.stat().st_size:,} bytes" in message and "100 bytes" in message
    assert "does not exist" in error_of(tmp_path / "missing.csv")
    assert "folder" in error_of(tmp_path)


@pytest.mark.parametrize(
    "content, kwargs, expected", [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_a_bad_file_gets_one_sentence_naming_the_problem(content, kwargs, expected):
    message = error_of(content, **kwargs)
    for part in expected:
        assert part in message, f"{part!r} missing from: {message}"


def test_a_bad_cell_is_a_code_with_its_column_line_and_clipped_text():
    """The engine says which rule, where and what; the words (and the quotes) are the tables'."""
    with pytest.raises(DataError) as info:
        load_csv(csv_bytes('1,"hello\nworld this is a very long cell",0'))  # a quoted line break
    found = info.value.problem
    assert found.code == "data.text_cell"
    assert found.values["line"] == BAD_LINE
    assert found.values["column"] == Problem("data.column", {"name": "b"})
    assert found.values["value"] == "hello world this is a very ..."  # clipped, one line
    with pytest.raises(DataError) as info:
        load_csv(csv_bytes("1,2,oops"))
    assert info.value.problem.values["column"] == Problem("data.target_column", {"name": "y"})
    assert say(info.value.problem) == (
        f"the target column 'y' has text on line {BAD_LINE} ('oops') where a number is expected"
    )


def test_the_earliest_bad_line_is_reported_first():
    content = csv_bytes("1,2,x") + b"oops,2,0\n"  # text on line 22 (target) and 23 (feature)
    assert f"line {BAD_LINE}" in error_of(content)
    content = csv_bytes("zz,2,0") + b"1,yy,0\n"
    assert "'zz'" in error_of(content)


def test_a_quoted_multiline_cell_keeps_later_line_numbers_true():
    content = csv_bytes(rows=18) + b'1,2,"0\n"\n1,2,3\n1,abc,0\n'
    # rows 18 end on line 19; the quoted cell spans lines 20-21; then 22; 'abc' sits on line 23.
    assert "line 23" in error_of(content)


def test_a_huge_header_fails_before_the_csv_parser_sees_it(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the csv parser should not run")

    monkeypatch.setattr(tables_module, "_read_rows", refuse)
    assert "100,000 columns" in error_of(HUGE_HEADER)


def test_an_unexpected_failure_still_becomes_a_data_error(monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(tables_module, "_read_rows", explode)
    assert "could not be read" in error_of(csv_bytes())
