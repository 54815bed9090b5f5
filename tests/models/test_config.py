"""The run config schema: defaults, bounds, one-sentence errors, combinations, round-trips.

An error is a ConfigError of problems (codes with values); the sentences asserted here are their
English words from the string tables (locales.say), as the pages and the CLI show them."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from locales import say, say_first
from models.config import CLIP_RULES, MAX_PARAMS, ConfigError, RunConfig
from models.fields import (
    FIELDS,
    config_from_json,
    config_to_json,
    diff,
    from_flat,
    parse_config,
    to_flat,
    with_changes,
)
from tests.support.csv_files import csv_config, table


def error_of(data) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return say_first(info.value.problems)


def json_error_of(text) -> str:
    with pytest.raises(ConfigError) as info:
        config_from_json(text)
    return say_first(info.value.problems)


def test_empty_config_is_the_default_run():
    cfg = parse_config({})
    assert cfg == RunConfig()
    assert cfg.model.arch == "mlp" and cfg.data.name == "circle"
    assert cfg.total_steps > 0 and 0 < cfg.param_count <= MAX_PARAMS


def test_every_field_has_a_description_and_a_default_its_own_rules_accept():
    """A widget starts at its field's default: the schema must accept it on its own (pydantic
    does not validate defaults) and at its bounds or choices."""
    for path, spec in FIELDS.items():
        assert spec.description, path
        assert from_flat({path: spec.default})[1] == [], path
        if spec.choices:
            assert spec.default in spec.choices, path
        if isinstance(spec.default, (int, float)) and not isinstance(spec.default, bool):
            assert spec.ge is None or spec.default >= spec.ge, path
            assert spec.gt is None or spec.default > spec.gt, path
            assert spec.le is None or spec.default <= spec.le, path
            assert spec.lt is None or spec.default < spec.lt, path


def _nested(path: str, value) -> dict:
    section, name = path.split(".")
    return {section: {name: value}}


@pytest.mark.parametrize("path", [p for p, s in FIELDS.items() if s.kind in ("int", "float")])
def test_out_of_range_numbers_name_the_field_and_the_range(path):
    spec = FIELDS[path]
    high = spec.le if spec.le is not None else spec.lt
    message = error_of(_nested(path, high * 10 + 1))
    assert message.startswith(path + " must be ")
    assert ("from" in message or "above" in message or "at least" in message) and "(got " in message
    assert "\n" not in message and len(message) < 200  # one sentence, not a pydantic dump


@pytest.mark.parametrize("path", [p for p, s in FIELDS.items() if s.kind == "choice"])
def test_unknown_choices_list_the_allowed_ones(path):
    message = error_of(_nested(path, "bogus"))
    assert message.startswith(path) and "'bogus'" in message
    for choice in FIELDS[path].choices:
        assert choice in message


def test_bounds_are_the_documented_ones():
    assert (FIELDS["model.depth"].ge, FIELDS["model.depth"].le) == (1, 64)
    assert (FIELDS["model.width"].ge, FIELDS["model.width"].le) == (1, 512)
    assert (FIELDS["optimizer.learning_rate"].gt, FIELDS["optimizer.learning_rate"].le) == (0, 100)
    assert (FIELDS["data.n_samples"].ge, FIELDS["data.n_samples"].le) == (16, 20000)
    assert (FIELDS["data.seq_len"].ge, FIELDS["data.seq_len"].le) == (2, 500)
    assert (FIELDS["model.kernel_size"].ge, FIELDS["model.kernel_size"].le) == (2, 7)
    assert FIELDS["model.kernel_size"].default == 3
    assert FIELDS["model.pooling"].choices == ("max", "mean")
    assert FIELDS["model.pooling"].default == "max"
    assert say(FIELDS["model.depth"].allowed()) == "an integer from 1 to 64"
    assert say(FIELDS["optimizer.learning_rate"].allowed()) == "a number above 0 and up to 100"
    assert say(FIELDS["optimizer.momentum"].allowed()) == "a number at least 0 and below 1"
    assert say(FIELDS["optimizer.clipnorm"].allowed()) == (
        "a number above 0 and up to 1000000 (or null for off)"
    )
    assert say(FIELDS["model.batch_norm"].allowed()) == "true or false"
    assert say(FIELDS["model.pooling"].allowed()) == "one of max, mean"


def test_unknown_fields_and_sections_are_rejected_by_name():
    assert "unknown field 'model.depht'" in error_of({"model": {"depht": 3}})
    assert "unknown section 'modle'" in error_of({"modle": {}})
    assert "must be a JSON object" in error_of([1, 2])


def test_wrong_types_are_rejected():
    assert error_of({"model": {"depth": "ten"}}).startswith("model.depth must be an integer")
    assert error_of({"model": {"depth": 2.5}}).startswith("model.depth")
    assert error_of({"model": 3}).startswith("model must be an object")


@pytest.mark.parametrize(
    "data, words",
    [
        ({"model": {"arch": "lstm"}}, ["model.arch 'lstm'", "sequence task"]),
        ({"data": {"name": "adding"}}, ["model.arch 'mlp'", "2-D task"]),
        (
            {"data": {"name": "adding"}, "model": {"arch": "gru", "batch_norm": True}},
            ["model.batch_norm"],
        ),
        (
            {"data": {"name": "recall"}, "model": {"arch": "lstm", "residual": True}},
            ["model.residual"],
        ),
        (
            {"data": {"name": "recall"}, "model": {"arch": "simple_rnn", "activation": "prelu"}},
            ["'prelu'"],
        ),
        (
            {"optimizer": {"clipnorm": 1.0, "global_clipnorm": 1.0}},
            ["only one of", "optimizer.clipnorm", "optimizer.global_clipnorm"],
        ),
        ({"model": {"depth": 64, "width": 512}}, ["parameters", "1,000,000", "model.width"]),
        ({"model": {"arch": "cnn"}}, ["model.arch 'cnn'", "image task", "shapes", "'circle'"]),
        (
            {"data": {"name": "adding"}, "model": {"arch": "cnn"}},
            ["model.arch 'cnn'", "image task", "'adding'"],
        ),
        ({"data": {"name": "shapes"}}, ["model.arch 'mlp'", "image task 'shapes'", "use cnn"]),
        (
            {"data": {"name": "shapes"}, "model": {"arch": "lstm"}},
            ["model.arch 'lstm'", "sequence task"],
        ),
        (
            {"data": {"name": "shapes"}, "model": {"arch": "cnn", "depth": 5, "kernel_size": 2}},
            ["model.depth must be at most 4 for the cnn arch (got 5)", "16 -> 8 -> 4 -> 2 -> 1"],
        ),
        (
            {"data": {"name": "shapes"}, "model": {"arch": "cnn", "depth": 4, "kernel_size": 3}},
            ["model.kernel_size 3", "2x2 image", "depth 3", "at most 2", "model.depth"],
        ),
        (
            {"data": {"name": "shapes"}, "model": {"arch": "cnn", "depth": 3, "kernel_size": 5}},
            ["model.kernel_size 5", "4x4 image", "depth 2", "at most 4"],
        ),
        (
            {"data": {"name": "shapes"}, "model": {"arch": "cnn", "depth": 2, "width": 512}},
            ["parameters", "1,000,000"],
        ),
        (
            {"data": {"n_samples": 20000}, "train": {"batch_size": 1, "epochs": 2000}},
            ["steps", "train.epochs"],
        ),
    ],
)
def test_impossible_combinations_are_explained(data, words):
    message = error_of(data)
    for word in words:
        assert word in message


@pytest.mark.parametrize("depth, largest_kernel", [(1, 7), (2, 7), (3, 4), (4, 2)])
def test_a_cnn_kernel_fits_the_smallest_map_it_sees(depth, largest_kernel):
    """16x16 images, 2x2 pooling after each conv layer: the last conv layer sees 16 / 2^(depth-1)
    pixels a side, and a kernel may be at most that large."""
    base = {"data": {"name": "shapes"}, "model": {"arch": "cnn", "depth": depth, "width": 4}}
    for k in range(2, 8):
        cfg = {**base, "model": {**base["model"], "kernel_size": k}}
        if k <= largest_kernel:
            assert parse_config(cfg).model.kernel_size == k
        else:
            assert error_of(cfg).startswith(f"model.kernel_size {k} is larger than")


def test_cnn_takes_the_mlp_options_it_can_honour():
    cfg = parse_config(
        {
            "data": {"name": "shapes"},
            "model": {
                "arch": "cnn",
                "depth": 3,
                "batch_norm": True,
                "residual": True,
                "activation": "prelu",
                "dropout": 0.2,
                "pooling": "mean",
            },
        }
    )
    assert cfg.task.is_image and cfg.task.is_classification and cfg.input_shape == (16, 16, 1)
    # kernel_size and pooling are CNN fields; other archs keep (and ignore) their values
    mlp = parse_config({"model": {"kernel_size": 7, "pooling": "mean"}})
    assert mlp.model.arch == "mlp" and mlp.param_count == parse_config({}).param_count


def test_cnn_fields_from_query_params():
    # As for the RNN archs, a page whose model is a CNN starts from a CNN base config: each
    # param is checked alone against it, so arch and dataset cannot switch one at a time.
    base = parse_config({"data": {"name": "shapes"}, "model": {"arch": "cnn", "depth": 2}})
    cfg, notices = from_flat({"model.kernel_size": "5", "model.pooling": "mean"}, base)
    assert notices == []
    assert (cfg.model.arch, cfg.model.kernel_size, cfg.model.pooling) == ("cnn", 5, "mean")
    cfg, notices = from_flat({"model.pooling": "avg", "model.depth": "4"}, base)
    assert cfg == base and len(notices) == 2
    assert say(notices[0]) == (
        "ignored model.pooling: model.pooling must be one of max, mean (got 'avg')"
    )
    assert say(notices[1]).startswith("ignored model.depth: model.kernel_size 3 is larger than")


def test_several_problems_are_counted_in_one_sentence():
    message = error_of({"model": {"depth": 0, "width": 0}})
    assert message.startswith("model.depth") and message.endswith(" (and 1 more problem)")
    message = error_of({"model": {"depth": 0, "width": 0, "dropout": 5}})
    assert message.startswith("model.depth") and message.endswith(" (and 2 more problems)")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_never_enter_a_config(bad):
    assert error_of({"data": {"noise": bad}}).startswith("data.noise")
    assert error_of({"optimizer": {"clipnorm": bad}}).startswith("optimizer.clipnorm")


def test_json_literals_nan_and_infinity_are_refused():
    for literal in ("NaN", "Infinity", "-Infinity"):
        assert json_error_of(f'{{"data": {{"noise": {literal}}}}}') == (
            f"the config file is not valid JSON: {literal} is not a valid number in a config"
        )


def test_hostile_json_is_one_sentence_not_a_traceback():
    expected = {
        "[" * 50_000: "the config file is nested too deeply to be a config",
        "{": "the config file is not valid JSON: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)",
        "\x00\x01": "the config file is not valid JSON: Expecting value: line 1 column 1 (char 0)",
        '{"model": {"depth": 1e999}}': "model.depth must be an integer from 1 to 64 (got inf)",
        "x" * 200_000: "the config file is 200,000 bytes; the limit is 100000",
        b'{"a": "\xe9"}': "the config file is not valid JSON: 'utf-8' codec can't decode byte "
        "0xe9 in position 7: invalid continuation byte",
        '{"model": {"width": ' + "9" * 5000 + "}}": "model.width must be an integer from 1 to "
        "512 (got 'a 5,000-digit number')",
        "[1, 2]": "a config must be a JSON object (got list)",
        "9" * 200: "a config must be a JSON object (got str)",
    }
    for text, sentence in expected.items():
        assert json_error_of(text) == sentence


def test_keras_object_payload_is_just_an_unknown_field():
    payload = {"model": {"class_name": "Lambda", "config": {"function": "os.system"}}}
    assert "unknown field 'model.class_name'" in error_of(payload)


def _value(spec):
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "bool":
        return st.booleans()
    low = spec.ge if spec.ge is not None else spec.gt
    high = spec.le if spec.le is not None else spec.lt
    if spec.kind == "int":
        values = st.integers(int(low), int(high))
    else:
        values = st.floats(
            low, high, exclude_min=spec.gt is not None, exclude_max=spec.lt is not None
        )
    return st.one_of(st.none(), values) if spec.optional else values


@st.composite
def configs(draw):
    """Valid configs: random field values, kept only if the whole config validates."""
    flat = {p: draw(_value(s)) for p, s in FIELDS.items() if draw(st.booleans())}
    cfg, _ = from_flat(flat)
    return cfg


@settings(max_examples=200, deadline=None)
@given(configs())
def test_json_export_import_round_trips_exactly(cfg):
    text = config_to_json(cfg)
    assert config_from_json(text) == cfg
    assert config_to_json(config_from_json(text)) == text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in exported JSON"))


@settings(max_examples=100, deadline=None)
@given(configs())
def test_flat_query_params_round_trip(cfg):
    params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in to_flat(cfg).items()}
    restored, notices = from_flat(params)
    assert notices == [] and restored == cfg


def test_bad_query_params_are_ignored_with_notices():
    cfg, notices = from_flat(
        {
            "model.activation": "sigmoid",
            "model.depth": "10",
            "model.width": "wide",
            "model.bogus": "1",
            "optimizer.learning_rate": "1e9",
            "train.epochs": "9" * 10_000,
            "optimizer.clipnorm": "off",
        }
    )
    assert cfg.model.activation == "sigmoid" and cfg.model.depth == 10
    assert cfg.model.width == RunConfig().model.width
    assert cfg.optimizer.clipnorm is None
    assert len(notices) == 4
    words = [say(n) for n in notices]
    assert "ignored model.width: model.width must be an integer from 1 to 512 (got 'wide')" in words
    assert "ignored unknown parameter 'model.bogus'" in words
    assert "ignored train.epochs: the value is too long (10,000 characters)" in words
    lr = "optimizer.learning_rate"
    assert f"ignored {lr}: {lr} must be a number above 0 and up to 100 (got 1000000000.0)" in words


def test_a_param_that_breaks_a_combination_is_ignored_not_fatal():
    cfg, notices = from_flat({"model.arch": "lstm"})
    assert cfg.model.arch == "mlp" and say(notices[0]) == (
        "ignored model.arch: model.arch 'lstm' needs a sequence task (data.name adding or "
        "recall), not data.name 'circle'"
    )


def test_diff_and_with_changes():
    a = RunConfig()
    b = with_changes(a, {"model.depth": "10", "optimizer.clipnorm": 1.0})
    assert diff(a, b) == {"model.depth": (4, 10), "optimizer.clipnorm": (None, 1.0)}
    assert to_flat(b, only_changed=True) == {"model.depth": 10, "optimizer.clipnorm": 1.0}
    with pytest.raises(ConfigError) as info:
        with_changes(a, {"model.nope": 1})
    assert say(info.value.problem) == "unknown field 'model.nope'"


def test_configs_are_immutable():
    cfg = RunConfig()
    with pytest.raises(ValidationError):
        cfg.model.depth = 3  # type: ignore[misc]


def test_parse_config_revalidates_a_config_from_an_earlier_import_of_the_module():
    """Streamlit reloads edited modules while sessions keep their objects (a stale class)."""
    import importlib.util
    import sys

    import models.config as current

    spec = importlib.util.spec_from_file_location("stale_config", current.__file__)
    stale_module = importlib.util.module_from_spec(spec)
    sys.modules["stale_config"] = stale_module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(stale_module)
        stale = stale_module.RunConfig(model={"depth": 3})
    finally:
        del sys.modules["stale_config"]
    assert not isinstance(stale, current.RunConfig)
    cfg = parse_config(stale)
    assert isinstance(cfg, current.RunConfig) and cfg.model.depth == 3


def test_clip_rules_are_every_clipping_field_once_and_clipping_names_the_one_set():
    """CLIP_RULES is the one list of the optimizer's clipping rules (the clipping widget, the
    rule's check and graph_key read it): each optional threshold field of the optimizer, in field
    order, and nothing else."""
    thresholds = [
        path.removeprefix("optimizer.")
        for path, spec in FIELDS.items()
        if path.startswith("optimizer.") and spec.optional
    ]
    assert list(CLIP_RULES) == thresholds == ["clipnorm", "clipvalue", "global_clipnorm"]
    assert RunConfig().optimizer.clipping is None
    for rule in CLIP_RULES:
        cfg = with_changes(RunConfig(), {f"optimizer.{rule}": 0.5})
        assert cfg.optimizer.clipping == (rule, 0.5)
    for a, b in zip(CLIP_RULES, CLIP_RULES[1:] + CLIP_RULES[:1], strict=True):
        first, second = sorted((a, b), key=CLIP_RULES.index)  # named in CLIP_RULES' order
        message = error_of({"optimizer": {a: 1.0, b: 1.0}})
        assert message.startswith("only one of optimizer.clipnorm, optimizer.clipvalue and ")
        assert message.endswith(f"(got optimizer.{first}, optimizer.{second})")


# -- a user's table in the config (data.csv) ----------------------------------------------------


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
    message = say_first(info.value.problems)
    assert expected in message and "\n" not in message


def test_a_url_cannot_bring_a_table():
    cfg, notices = from_flat({"data.name": "csv", "data.csv": "a,y\n1,0"})
    assert cfg.data.name == "circle" and cfg.data.csv is None
    assert [say(n) for n in notices] == [
        "ignored data.name: data.name 'csv' needs a table in data.csv: upload a CSV file",
        "ignored unknown parameter 'data.csv'",
    ]
