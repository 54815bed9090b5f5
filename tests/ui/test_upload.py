"""Training on an uploaded CSV table from the Deep Networks page (ui/upload.py): the page takes the
file and trains on it, says what is wrong with a bad one in one sentence and keeps everything it
had, and an imported run record brings its table along. (The schema carries the table as
data.csv: tests/models/test_config.py; the engine trains on it: tests/models/test_datasets.py.)
"""

import json

from tests.support.apptest import button, field, open_lab, shown, train_until_done
from tests.support.csv_files import BAD_FILES, csv_config, table


def sidebar_captions(at) -> str:
    return shown(" ".join(c.value for c in at.sidebar.caption))


def uploader(at, label: str):
    return next(u for u in at.sidebar.file_uploader if u.proto.label == label)


def upload(at, raw: bytes, name: str = "mine.csv"):
    uploader(at, "Use your own table (CSV)").set_value((name, raw, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_the_page_trains_on_an_uploaded_table_and_goes_back_to_generated_data():
    at = open_lab({"train.epochs": "3"})
    upload(at, table(rows=120, features=4))
    captions = sidebar_captions(at)
    assert "Training on mine.csv: 120 rows, 4 features (f0, f1, f2, f3), target label" in captions
    assert "two classes: no is 0, yes is 1" in captions
    assert field(at, "selectbox", "dn:data.name").value == "csv"
    assert at.sidebar.selectbox(key="dn:csv:target").value == "label"
    texts = train_until_done(at)
    assert "completed" in texts[0], texts
    run = at.session_state["dn:group"].runs[0]
    assert run.config.data.name == "csv" and run.config.task.input_dim == 4
    assert json.loads(run.record_json())["config"]["data"]["csv"].startswith("f0,f1,f2,f3,label")
    assert at.query_params["data.name"] == "csv"  # the link names the dataset, not the data
    button(at, "Use the generated data again").click().run()
    assert field(at, "selectbox", "dn:data.name").value == "circle"
    assert not at.exception and not at.error


# Every file of the engine's corpus is refused with its sentence in tests/models/test_tables.py; the
# page is driven with one of each way a file reaches the loader (empty, binary, ragged, a bad
# cell, a bad target) and the two the page itself adds (its size limit, a legacy encoding).
ON_THE_PAGE = {"empty", "xlsx", "ragged row", "text in a feature", "NaN cell", "constant target"}
BAD_UPLOADS = [(c[0], c[1], c[3]) for c in BAD_FILES if not c[2] and c[0] in ON_THE_PAGE] + [
    ("over 1 MB", b"a,y\n" + b"1.000000,0\n" * 100_000, ["1,100,004 bytes", "1,000,000"]),
    ("Latin-1 text cell", "a,é\n".encode("latin-1") + b"x\xe9,1\n" * 20, ["column 'a'"]),
]


def test_every_bad_upload_is_one_sentence_and_the_page_keeps_its_table():
    at = open_lab({"train.epochs": "3"})
    upload(at, table(rows=50), "good.csv")
    for case, content, expected in BAD_UPLOADS:
        upload(at, content, "bad.csv")
        [error] = at.sidebar.error
        message = shown(error.value)
        assert message.startswith("bad.csv was not loaded: "), (case, message)
        for part in expected:
            assert part in message, (case, part, message)
        assert "Traceback" not in message and "\n" not in message, case
        # nothing lost: the good table is still the one in use
        assert "Training on good.csv: 50 rows" in sidebar_captions(at), case
        assert field(at, "selectbox", "dn:data.name").value == "csv", case
    at.run()  # the sentence is said once; the page then carries on with the good table
    assert not at.sidebar.error and not at.exception


def test_a_target_that_cannot_be_trained_on_is_one_sentence():
    raw = b"a,b,kind\n" + b"".join(f"{i},{i % 7},{'xyz'[i % 3]}\n".encode() for i in range(30))
    at = open_lab()
    upload(at, raw)  # the last column has 3 classes: refused by the loader
    [error] = at.sidebar.error
    assert "target column 'kind'" in shown(error.value) and "multi-class" in shown(error.value)
    good = b"a,b,c\n" + b"".join(f"{i},{i % 2},{i * 0.5}\n".encode() for i in range(30))
    upload(at, good)
    at.sidebar.selectbox(key="dn:csv:target").set_value("b").run()
    assert not at.exception and not at.error
    assert "target b (two classes: 0 is 0, 1 is 1)" in sidebar_captions(at)


def test_html_in_column_names_is_shown_as_text():
    raw = b"<b>bold</b>,[link](javascript:x),y\n" + b"".join(
        f"{i},{i * 2},{i % 2}\n".encode() for i in range(20)
    )
    at = open_lab()
    upload(at, raw, "<img src=x onerror=alert(1)>.csv")
    caption = next(c.value for c in at.sidebar.caption if c.value.startswith("Training on"))
    assert "\\<b\\>bold\\</b\\>" in caption and "\\[link\\]" in caption  # escaped markdown
    assert "<b>bold</b>, [link](javascript:x)" in shown(caption)  # reads as the user wrote it


def test_an_imported_run_record_brings_its_table_along():
    cfg = csv_config(table(rows=60))
    record = {"config": json.loads(cfg.model_dump_json()), "metrics": []}
    at = open_lab()
    payload = ("run.json", json.dumps(record).encode(), "application/json")
    uploader(at, "Import a config (JSON)").set_value(payload).run()
    assert not at.exception
    assert "Config imported" in " ".join(s.value for s in at.success)
    assert field(at, "selectbox", "dn:data.name").value == "csv"
    assert "60 rows" in sidebar_captions(at)
