"""The headless CLI, as a user runs it: python -m models ..."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from models.config import RunConfig, count_params
from tests.support import ROOT


def cli(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "models", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=600,
    )


def test_schema_is_the_config_json_schema():
    out = cli("schema")
    assert out.returncode == 0
    schema = json.loads(out.stdout)
    assert set(schema["properties"]) == {"data", "model", "optimizer", "train"}
    depth = schema["$defs"]["ModelConfig"]["properties"]["depth"]
    assert (depth["minimum"], depth["maximum"]) == (1, 64)


def test_presets_lists_every_preset():
    out = cli("presets", "--json")
    assert out.returncode == 0
    assert {"vanishing_sigmoid", "exploding", "dying_relu"} <= set(json.loads(out.stdout))


def test_train_writes_the_run_record(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model": {"depth": 2}, "train": {"epochs": 2}}))
    out_file = tmp_path / "run.json"
    out = cli("train", str(config), "--out", str(out_file), "--set", "model.width=4")
    assert out.returncode == 0, out.stderr
    assert "completed at step" in out.stderr  # progress and outcome on stderr
    run = json.loads(out_file.read_text())
    assert run["status"] == "completed" and run["diverged_at"] is None
    assert run["config"]["model"]["depth"] == 2 and run["config"]["model"]["width"] == 4
    assert run["config"] == RunConfig.model_validate(run["config"]).model_dump(mode="json")
    assert {"step", "name", "layer", "depth", "t", "value"} == set(run["metrics"][0])
    assert run["steps"] == max(m["step"] for m in run["metrics"])


def test_a_diverged_run_exits_zero_with_its_step():
    out = cli("train", "--preset", "exploding", "--quiet")
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout)
    assert run["status"] == "diverged" and isinstance(run["diverged_at"], int)


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"model": {"depth": 100}}', "model.depth must be an integer from 1 to 64"),
        ('{"model": {"activation": "swish"}}', "model.activation must be one of"),
        ("{not json", "not valid JSON"),
        ('{"data": {"noise": NaN}}', "NaN is not a valid number"),
        (
            '{"model": {"depth": 0, "width": 0}}',
            "error: model.depth must be an integer from 1 to 64 (got 0) (and 1 more problem)",
        ),
    ],
)
def test_an_invalid_config_exits_2_with_one_sentence(tmp_path, content, words):
    config = tmp_path / "bad.json"
    config.write_text(content)
    out = cli("train", str(config))
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]


def test_bad_arguments_exit_2():
    assert cli("train", "/nonexistent/config.json").returncode == 2
    assert cli("train", "--preset", "nope").returncode == 2
    assert cli("train", "--set", "model.depth=abc").returncode == 2
    assert cli("train", "--set", "depth").returncode == 2


def test_summary_reports_keras_parameter_counts():
    out = cli("summary", "--preset", "vanishing_sigmoid")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    from models.teaching.presets import get_preset

    assert summary["total_params"] == count_params(get_preset("vanishing_sigmoid").config())
    assert summary["closed_form_params"] == summary["total_params"]
    assert [layer["name"] for layer in summary["layers"]][0] == "dense_0"


@pytest.mark.parametrize("arch", ["simple_rnn", "lstm", "gru"])
def test_train_runs_every_recurrent_cell_and_records_the_gradient_per_time_step(tmp_path, arch):
    out_file = tmp_path / "run.json"
    sets = {
        "data.name": "adding",
        "data.seq_len": 7,
        "data.n_samples": 64,
        "model.arch": arch,
        "model.depth": 2,
        "model.width": 4,
        "train.epochs": 1,
    }
    args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    out = cli("train", *args, "--out", str(out_file))
    assert out.returncode == 0, out.stderr
    run = json.loads(out_file.read_text())
    assert run["status"] == "completed"
    per_t = [m for m in run["metrics"] if m["name"] == "input_grad_norm" and m["step"] == 0]
    assert sorted(m["t"] for m in per_t) == list(range(7))
    gates = {m["layer"] for m in run["metrics"] if m["name"] == "forget_gate_mean"}
    assert gates == ({"lstm_0", "lstm_1"} if arch == "lstm" else set())


def test_a_headless_run_is_saved_listed_exported_and_deleted(tmp_path):
    db = str(tmp_path / "runs.db")
    sets = ["--set", "model.depth=2", "--set", "model.width=4", "--set", "train.epochs=2"]
    out = cli(
        "train", *sets, "--save", "--name", "<b>cli</b> run", "--db", db, "--out", "/dev/null"
    )
    assert out.returncode == 0, out.stderr
    assert "saved as run" in out.stderr
    listed = cli("runs", "list", "--json", "--db", db)
    [run] = json.loads(listed.stdout)
    assert run["name"] == "<b>cli</b> run" and run["status"] == "completed"
    assert run["owner"] == "cli"
    shown = json.loads(cli("runs", "show", run["id"], "--db", db).stdout)
    assert shown["config"]["model"]["depth"] == 2 and shown["metric_rows"] > 0

    record = json.loads(cli("runs", "export", run["id"], "--format", "json", "--db", db).stdout)
    assert record["steps"] == run["steps"] and record["metrics"][0].keys() == {
        "step", "name", "layer", "depth", "t", "value"
    }  # fmt: skip
    csv_text = cli("runs", "export", run["id"], "--format", "csv", "--db", db).stdout
    assert csv_text.splitlines()[0] == "step,name,layer,depth,t,value"
    assert len(csv_text.splitlines()) == len(record["metrics"]) + 1
    parquet = tmp_path / "m.parquet"
    out = cli("runs", "export", run["id"], "--format", "parquet", "--out", str(parquet), "--db", db)
    assert out.returncode == 0, out.stderr
    frame = pd.read_parquet(parquet)
    assert len(frame) == len(record["metrics"])
    assert frame["value"].tolist() == [m["value"] for m in record["metrics"]]

    assert cli("runs", "delete", run["id"], "--db", db).returncode == 0
    assert json.loads(cli("runs", "list", "--json", "--db", db).stdout) == []
    missing = cli("runs", "show", run["id"], "--db", db)
    assert missing.returncode == 2 and "there is no run" in missing.stderr


def test_a_bad_run_name_is_refused_before_training_and_nothing_is_saved(tmp_path):
    db, record = tmp_path / "runs.db", tmp_path / "run.json"
    out = cli("train", "--save", "--name", "x" * 101, "--db", str(db), "--out", str(record))
    assert out.returncode == 2
    assert out.stderr.strip().endswith("The run name must be at most 100 characters, not 101.")
    assert "step" not in out.stderr and not record.exists()  # it never trained
    assert json.loads(cli("runs", "list", "--json", "--db", str(db)).stdout) == []


def test_a_csv_table_trains_headless_from_a_config_file(tmp_path):
    rows = "\n".join(f"{i / 10},{(i * 7) % 5},{i % 2}" for i in range(40))
    config = {"data": {"name": "csv", "csv": "a,b,y\n" + rows}, "train": {"epochs": 2}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    out = cli("train", str(path), "--quiet")
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["status"] == "completed" and record["config"]["data"]["csv"].startswith("a,b,y")
    assert record["layers"][0]["kind"] == "Dense" and record["steps"] == 2


def test_a_saved_run_exports_to_tensorboard_and_as_a_keras_script(tmp_path):
    import tensorflow as tf

    db = str(tmp_path / "runs.db")
    sets = ["--set", "model.depth=2", "--set", "model.width=4", "--set", "train.epochs=2"]
    assert cli("train", *sets, "--save", "--db", db, "--out", "/dev/null").returncode == 0
    [run] = json.loads(cli("runs", "list", "--json", "--db", db).stdout)
    record = json.loads(cli("runs", "export", run["id"], "--db", db).stdout)
    logdir = tmp_path / "tb"
    out = cli(
        "runs", "export", run["id"], "--format", "tensorboard", "--out", str(logdir), "--db", db
    )
    assert out.returncode == 0, out.stderr
    seen: dict[str, dict[int, float]] = {}
    for path in logdir.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                seen.setdefault(value.tag, {})[event.step] = value.simple_value
    assert {"loss", "val_loss", "grad_norm/dense_0", "grad_norm/output"} <= set(seen)
    for m in record["metrics"]:
        if m["name"] == "grad_norm" and m["layer"] == "dense_0":
            assert seen["grad_norm/dense_0"][m["step"]] == pytest.approx(m["value"], rel=1e-6)
    script = cli("runs", "export", run["id"], "--format", "script", "--db", db).stdout
    assert "keras.layers.Dense(4" in script and "name='dense_1'" in script


def test_train_runs_a_cnn_and_records_its_filters(tmp_path):
    out_file = tmp_path / "run.json"
    sets = {
        "data.name": "shapes",
        "data.n_samples": 96,
        "model.arch": "cnn",
        "model.depth": 2,
        "model.width": 3,
        "model.kernel_size": 5,
        "model.pooling": "mean",
        "train.epochs": 2,
    }
    args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    out = cli("train", *args, "--out", str(out_file))
    assert out.returncode == 0, out.stderr
    run = json.loads(out_file.read_text())
    assert run["status"] == "completed" and run["config"]["model"]["pooling"] == "mean"
    assert [(layer["layer"], layer["depth"]) for layer in run["layers"]] == [
        ("conv_0", 0),
        ("conv_1", 1),
        ("output", 2),
    ]
    assert {"conv_0", "conv_1", "output"} == {
        m["layer"] for m in run["metrics"] if m["name"] == "grad_norm" and m["step"] == 0
    }
    assert "val_accuracy" in {m["name"] for m in run["metrics"]}
    first, last = run["filters"][0], run["filters"][-1]
    assert (first["step"], last["step"]) == (0, run["steps"])
    assert first["layer"] == "conv_0" and len(first["kernels"]) == 3  # one per filter
    assert all(len(k) == 5 and all(len(row) == 5 for row in k) for k in first["kernels"])


def test_a_cnn_preset_summary_and_a_kernel_too_large_exits_2():
    out = cli("summary", "--preset", "cnn_shapes_max")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["closed_form_params"] == summary["total_params"]
    assert [layer["type"] for layer in summary["layers"]] == ["Conv2D", "Conv2D", "Dense"]
    out = cli("train", "--preset", "cnn_shapes_max", "--set", "model.depth=4")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip() == (
        "error: model.kernel_size 3 is larger than the 2x2 image the conv layer at depth 3 sees "
        "after pooling; with model.depth 4 it must be at most 2, so lower model.kernel_size or "
        "model.depth"
    )


def test_runs_show_words_why_a_run_ended_for_new_and_old_saved_runs(tmp_path):
    """A run's reason is stored as a code (models/record.py) and `runs show` says it in English;
    a run saved before reasons were codes holds the sentence itself, shown as it is. `export`
    keeps the code."""
    from models.infra.jobs import time_limit_reason
    from models.infra.store import RunStore
    from models.record import reason_json

    db = str(tmp_path / "runs.db")
    store = RunStore(db)
    row = {"step": 0, "name": "loss", "layer": None, "depth": None, "t": None, "value": 1.0}
    base = {"config": RunConfig().model_dump(mode="json"), "status": "stopped", "metrics": [row]}
    coded = store.save({**base, "reason": reason_json(time_limit_reason(600))}, owner="cli")
    old = store.save({**base, "reason": "stopped: the run was cancelled"}, owner="cli")
    store.engine.dispose()
    for run_id, english in (
        (coded, "stopped: the run reached the time limit of 600 s"),
        (old, "stopped: the run was cancelled"),
    ):
        shown = cli("runs", "show", run_id, "--db", db)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["reason"] == english
    exported = json.loads(cli("runs", "export", coded, "--format", "json", "--db", db).stdout)
    assert exported["reason"]["code"] == "job.stopped"
