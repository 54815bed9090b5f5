"""Training on an uploaded CSV table: the schema carries it (data.csv), the engine trains on it,
and the Deep Networks page takes the file, says what is wrong with a bad one in one sentence and
keeps everything it had."""

import json
import re

import numpy as np
import pytest

from models.config import ConfigError, from_flat, parse_config, to_flat, with_changes
from models.datasets import csv_text, make_dataset
from models.trainer import train
from tests.test_dashboard import button, open_lab, train_until_done
from tests.test_datasets import BAD_FILES


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


def test_the_config_carries_the_table_and_derives_the_task_from_it():
    cfg = csv_config(table(rows=200, features=3))
    assert (cfg.task.kind, cfg.task.input_dim, cfg.task.loss) == (
        "binary",
        3,
        "binary_crossentropy",
    )
    assert cfg.data.n_test == 40 and cfg.data.n_train == 160  # 200 rows, test_fraction 0.2
    assert not cfg.task.is_2d  # 3 features: no decision-boundary grid
    assert csv_config(table(features=2)).task.is_2d
    # The table is never a URL param or a widget field, but the record keeps it.
    assert "data.csv" not in to_flat(cfg) and to_flat(cfg, only_changed=True) == {
        "data.name": "csv"
    }
    assert parse_config(json.loads(cfg.model_dump_json())) == cfg
    # Changing another field keeps the table; another dataset drops it.
    assert with_changes(cfg, {"model.depth": 2}).data.csv == cfg.data.csv
    assert with_changes(cfg, {"data.name": "xor"}).data.csv is None


def test_the_parameter_count_follows_the_table_width():
    import keras

    from models.builders import build_model

    cfg = csv_config(table(features=5), model={"depth": 2, "width": 8})
    assert cfg.param_count == build_model(cfg).count_params()  # the oracle: Keras' own count
    keras.backend.clear_session()


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"name": "csv"}, "data.name 'csv' needs a table in data.csv"),
        ({"name": "csv", "csv": "a,y\n1,0\n"}, "data.csv: the file has 1 data row"),
        ({"csv": "a,y\n1,0\n"}, "data.csv and data.target apply to data.name 'csv' only"),
        ({"name": "csv", "csv": "x" * 1_000_001}, "data.csv must be text of at most 1,000,000"),
        ({"name": "csv", "csv": table().decode(), "target": "nope"}, "no column named 'nope'"),
    ],
)
def test_a_bad_table_in_a_config_is_one_sentence_naming_data_csv(data, expected):
    with pytest.raises(ConfigError) as info:
        parse_config({"data": data})
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_a_url_cannot_bring_a_table():
    cfg, notices = from_flat({"data.name": "csv", "data.csv": "a,y\n1,0"})
    assert cfg.data.name == "circle" and cfg.data.csv is None
    assert notices == [
        "ignored data.name: data.name 'csv' needs a table in data.csv: upload a CSV file",
        "ignored unknown parameter 'data.csv'",
    ]


def test_the_engine_trains_on_the_table_standardized_and_split_by_the_seed():
    cfg = csv_config(table(rows=400), train={"epochs": 30}, optimizer={"learning_rate": 0.02})
    data = make_dataset(cfg.data)
    both = np.concatenate([data.x_train, data.x_test])
    np.testing.assert_allclose(both.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(both.std(axis=0), 1, atol=1e-4)
    assert data.x_train.shape == (320, 3) and data.y_test.shape == (80, 1)
    again = make_dataset(cfg.data)
    np.testing.assert_array_equal(again.x_test, data.x_test)  # same seed, same split
    result = train(cfg)
    assert result.status == "completed"
    final = {m["name"]: m["value"] for m in result.metrics if m["step"] == result.steps}
    assert final["val_accuracy"] > 0.85  # the task is learnable from the table's features
    assert {m["depth"] for m in result.metrics if m["name"] == "grad_norm"} == {0, 1, 2, 3, 4}


def shown(text: str) -> str:
    """Markdown source as it reads on the page: escaped characters unescaped."""
    return re.sub(r"\\(.)", r"\1", text)


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
    assert at.sidebar.selectbox(key="dn:data.name").value == "csv"
    assert at.sidebar.selectbox(key="dn:csv:target").value == "label"
    texts = train_until_done(at)
    assert "completed" in texts[0], texts
    run = at.session_state["dn:group"].runs[0]
    assert run.config.data.name == "csv" and run.config.task.input_dim == 4
    assert json.loads(run.record_json())["config"]["data"]["csv"].startswith("f0,f1,f2,f3,label")
    assert at.query_params["data.name"] == "csv"  # the link names the dataset, not the data
    button(at, "Use the generated data again").click().run()
    assert at.sidebar.selectbox(key="dn:data.name").value == "circle"
    assert not at.exception and not at.error


# Every file of the engine's corpus is refused with its sentence in tests/test_datasets.py; the
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
        assert at.sidebar.selectbox(key="dn:data.name").value == "csv", case
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
    assert at.sidebar.selectbox(key="dn:data.name").value == "csv"
    assert "60 rows" in sidebar_captions(at)
