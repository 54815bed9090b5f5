"""Problems (models/problems.py) against the string tables (locales/): every code the engine can
raise is worded in every language, every ``problem.*`` key is a code the engine raises, and a
problem carries every value its words need, in every language.

The codes are read from the engine's code (tests/support/problem_codes.py): the literal first
argument of each ``problem(...)``, ``Problem(...)`` and ``PydanticCustomError(...)`` under
models/, whichever part of the engine raises it. The values are checked on real problems: each
sample below makes the engine refuse something, as the tests of its module do.
"""

import math
import string

import pytest

from locales import EN, LANGUAGES, say, say_first
from models.config import ConfigError
from models.fields import (
    FieldSpec,
    config_from_json,
    from_flat,
    parse_config,
    problem_of,
    with_changes,
)
from models.infra import settings
from models.infra.settings import SettingError
from models.infra.sweep import parse_values, plan
from models.problems import Problem, ProblemError
from models.teaching.concepts import parse_request
from tests.support.problem_codes import codes_in, problem_codes

PREFIX = "problem."


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _problem_keys(table) -> set[str]:
    return {k for k in table if k.startswith(PREFIX)}


# -- the codes against the tables ---------------------------------------------------------------


def test_the_scan_sees_each_way_a_code_is_named():
    source = (
        "problem('a.one', x=1)\n"
        "Problem('a.two', {})\n"
        "raise PydanticCustomError('a.three', 'log {x}', {'x': 1})\n"
        "problems.problem('a.four')\n"
        "problem(code)\n"  # not a literal: a code passed through, named where it is made
        "print('a.five')\n"
    )
    assert codes_in(source) == {"a.one", "a.two", "a.three", "a.four"}


def test_the_scan_finds_the_codes_of_every_part_of_the_engine():
    codes = problem_codes()
    families = {code.split(".")[0] for code in codes}
    assert {"config", "allowed", "link", "setting", "sweep", "request"} <= families
    assert "models/config.py" in codes["config.kernel_too_large"]  # pydantic's custom errors
    assert "models/fields.py" in codes["config.out_of_range"]


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_code_the_engine_raises_is_worded_in_every_language(lang):
    table = LANGUAGES[lang]
    missing = {c: where for c, where in problem_codes().items() if PREFIX + c not in table}
    assert missing == {}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_problem_key_is_a_code_the_engine_raises(lang):
    raised = {PREFIX + c for c in problem_codes()}
    assert sorted(_problem_keys(LANGUAGES[lang]) - raised) == []


# -- the values against the words ---------------------------------------------------------------


def refused(call, *args, **kwargs) -> tuple[Problem, ...]:
    """The problems of the ProblemError that call raises (it must raise one)."""
    with pytest.raises(ProblemError) as info:
        call(*args, **kwargs)
    return info.value.problems


def setting_refused(monkeypatch, name: str, value: str, read) -> tuple[Problem, ...]:
    monkeypatch.setenv(f"GRADIENT_LAB_{name}", value)
    with pytest.raises(SettingError) as info:
        read()
    return info.value.problems


def cfg(**sections) -> dict:
    return sections


SHAPES_CNN = {"data": {"name": "shapes"}, "model": {"arch": "cnn"}}
BASE = parse_config({"data": {"n_samples": 200}, "model": {"depth": 2, "width": 4}})

# Per sample: a call that makes the engine refuse something -> its problems.
SAMPLES = {
    "a field out of range": lambda mp: refused(parse_config, cfg(model={"depth": 100})),
    "a number out of range": lambda mp: refused(parse_config, cfg(data={"noise": 2})),
    "an open bound": lambda mp: refused(parse_config, cfg(optimizer={"learning_rate": 0})),
    "a half-open bound": lambda mp: refused(parse_config, cfg(optimizer={"momentum": 1})),
    "an optional field": lambda mp: refused(parse_config, cfg(optimizer={"clipnorm": -1})),
    "a choice": lambda mp: refused(parse_config, cfg(model={"activation": "x"})),
    "a switch": lambda mp: refused(parse_config, cfg(model={"batch_norm": "maybe"})),
    "both bounds open": lambda mp: (  # no field of the schema has them: a spec of its own
        FieldSpec("x.y", "float", 0.5, optional=False, gt=0, lt=1).allowed(),
    ),
    "a 5,000-digit number": lambda mp: refused(
        config_from_json, '{"model": {"width": ' + "9" * 5000 + "}}"
    ),
    "an unknown section": lambda mp: refused(parse_config, {"modle": {}}),
    "an unknown field": lambda mp: refused(parse_config, cfg(model={"depht": 1})),
    "an unknown field changed": lambda mp: refused(with_changes, BASE, {"model.nope": 1}),
    "a section that is no object": lambda mp: refused(parse_config, cfg(model=3)),
    "a table too long": lambda mp: refused(
        parse_config, cfg(data={"name": "csv", "csv": "x" * 1_000_001})
    ),
    "an unforeseen pydantic error": lambda mp: (
        problem_of({"loc": ("model", "depth", 0), "type": "new", "msg": "Input is new"}),
    ),
    "a table on another dataset": lambda mp: refused(parse_config, cfg(data={"csv": "a,y\n1,0"})),
    "csv without a table": lambda mp: refused(parse_config, cfg(data={"name": "csv"})),
    "a table too small": lambda mp: refused(
        parse_config, cfg(data={"name": "csv", "csv": "a,y\n1,0\n"})
    ),
    "an RNN on 2-D data": lambda mp: refused(parse_config, cfg(model={"arch": "lstm"})),
    "an MLP on sequences": lambda mp: refused(parse_config, cfg(data={"name": "adding"})),
    "an MLP on images": lambda mp: refused(parse_config, cfg(data={"name": "shapes"})),
    "a CNN on 2-D data": lambda mp: refused(parse_config, cfg(model={"arch": "cnn"})),
    "a CNN too deep": lambda mp: refused(
        parse_config, {**SHAPES_CNN, "model": {"arch": "cnn", "depth": 5, "kernel_size": 2}}
    ),
    "a kernel too large": lambda mp: refused(
        parse_config, {**SHAPES_CNN, "model": {"arch": "cnn", "depth": 4}}
    ),
    "batch norm on an RNN": lambda mp: refused(
        parse_config, cfg(data={"name": "adding"}, model={"arch": "gru", "batch_norm": True})
    ),
    "residual on an RNN": lambda mp: refused(
        parse_config, cfg(data={"name": "adding"}, model={"arch": "gru", "residual": True})
    ),
    "PReLU in an RNN": lambda mp: refused(
        parse_config, cfg(data={"name": "adding"}, model={"arch": "gru", "activation": "prelu"})
    ),
    "two clipping rules": lambda mp: refused(
        parse_config, cfg(optimizer={"clipnorm": 1, "clipvalue": 1})
    ),
    "too many parameters": lambda mp: refused(parse_config, cfg(model={"depth": 64, "width": 512})),
    "too many steps": lambda mp: refused(
        parse_config, cfg(data={"n_samples": 20000}, train={"batch_size": 1, "epochs": 2000})
    ),
    "too many records": lambda mp: refused(
        parse_config,
        cfg(data={"n_samples": 20000}, train={"batch_size": 8, "epochs": 100, "record_every": 1}),
    ),
    "not an object": lambda mp: refused(parse_config, [1, 2]),
    "a file too large": lambda mp: refused(config_from_json, " " * 100_001),
    "a file nested too deeply": lambda mp: refused(config_from_json, "[" * 50_000),
    "NaN in a file": lambda mp: refused(config_from_json, '{"data": {"noise": NaN}}'),
    "not JSON": lambda mp: refused(config_from_json, "{"),
    "bytes in no encoding": lambda mp: refused(config_from_json, b'{"a": "\xe9"}'),
    "a link": lambda mp: tuple(
        from_flat({"model.depht": "1", "model.depth": "x" * 101, "model.arch": "lstm"})[1]
    ),
    "a whole-number setting": lambda mp: setting_refused(mp, "QUEUE", "lots", settings.queue),
    "a choice setting": lambda mp: setting_refused(mp, "JIT", "yes", settings.jit),
    "a sweep of no field": lambda mp: refused(parse_values, "model.nope", "1"),
    "a sweep of no value": lambda mp: refused(parse_values, "model.depth", ","),
    "a sweep's values repeat": lambda mp: refused(parse_values, "model.depth", "2,2"),
    "an empty sweep": lambda mp: refused(plan, BASE, []),
    "a field swept twice": lambda mp: refused(
        plan, BASE, [("model.depth", ["1"]), ("model.depth", ["2"])]
    ),
    "the seed swept": lambda mp: refused(plan, BASE, [("train.seed", ["1"])]),
    "too many seeds": lambda mp: refused(plan, BASE, [("model.depth", ["1"])], 9),
    "too many runs": lambda mp: refused(
        plan, BASE, [("model.depth", [str(d) for d in range(1, 20)])], 5
    ),
    "a request's rules": lambda mp: (
        refused(parse_request, {"kind": "pooling", "inputs": [[1, 2], [3]]})
        + refused(parse_request, {"kind": "pooling", "inputs": [[1, math.nan], [3, 4]]})
        + refused(parse_request, {"kind": "pooling", "inputs": [[1, 2, 3]] * 3})
        + refused(parse_request, {"kind": "pooling", "inputs": [[1, 2]] * 2, "upstream": [[1, 2]]})
        + refused(parse_request, {"kind": "optimizers", "start": (9, 0)})
        + refused(parse_request, {"kind": "backprop", "sizes": [2, 9, 1]})
        + refused(parse_request, {"kind": "backprop", "inputs": [1.0]})
        + refused(parse_request, {"kind": "backprop", "targets": [1.0, 2.0]})
        + refused(parse_request, {"kind": "backprop", "inputs": [500, 1]})
        + refused(parse_request, {"kind": "hessian_cost", "widths": [2, 99]})
    ),
    "a request's fields": lambda mp: (
        refused(parse_request, {"kind": "activations", "x_max": 0, "slope": 2, "extra": 1})
        + refused(parse_request, {"kind": "optimizers", "learning_rate": 0, "momentum": 1})
        + refused(parse_request, {"kind": "activations", "names": ["softmax"], "points": "x"})
        + refused(parse_request, {"kind": "activations", "points": 2.5, "depth": "9" * 5000})
        + refused(parse_request, {"kind": "activations", "slope": "x", "x_max": [1]})
        + refused(parse_request, {"kind": "optimizers", "condition": math.inf, "methods": []})
        + refused(parse_request, {"kind": "hessian_cost", "widths": [1] * 9})
        + refused(parse_request, {"kind": "pooling", "inputs": 5})
        + refused(parse_request, {"kind": "pooling", "inputs": [[1, 2]]})
        + refused(parse_request, {"kind": "pooling", "inputs": [[1, 2]] * 2, "pool": 1})
        + refused(parse_request, {"kind": "optimizers", "start": [1]})
        + refused(parse_request, {"kind": "activations", "points": [1]})
        + refused(parse_request, {"kind": "activations", "points": math.nan})
    ),
    "a request of no kind": lambda mp: (
        refused(parse_request, {"kind": "nonsense"})
        + refused(parse_request, {})
        + refused(parse_request, [])
    ),
}


def _every_problem(problems) -> list[Problem]:
    """The problems and, inside their values, the problems worded within them."""
    out, stack = [], list(problems)
    while stack:
        p = stack.pop()
        out.append(p)
        stack += [v for v in p.values.values() if isinstance(v, Problem)]
    return out


@pytest.fixture(scope="module")
def sampled() -> dict[str, list[Problem]]:
    """Each sample's problems, made once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        return {name: _every_problem(make(mp)) for name, make in SAMPLES.items()}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_a_problem_carries_every_value_its_words_need(sampled, lang):
    table = LANGUAGES[lang]
    lacking = {}
    for name, problems in sampled.items():
        for p in problems:
            if PREFIX + p.code not in table:
                continue  # a missing key: the test above names it
            need = _placeholders(table[PREFIX + p.code])
            if need - set(p.values):
                lacking[f"{name}: {p.code}"] = sorted(need - set(p.values))
            else:
                say(p, lang)  # and the values fit their formats ({params:,} takes a number)
    assert lacking == {}


def test_every_code_of_the_config_links_settings_sweeps_and_requests_is_sampled(sampled):
    """A new code of these parts needs a sample above (the data, job and store problems are
    sampled the same way where their tests list them)."""
    families = ("config.", "allowed.", "link.", "setting.", "sweep.", "request.")
    seen = {p.code for problems in sampled.values() for p in problems}
    assert sorted(c for c in problem_codes() if c.startswith(families) and c not in seen) == []


def test_several_problems_are_one_sentence_with_a_count():
    one = (Problem("config.csv_needs_table"),)
    assert say_first(one) == EN["problem.config.csv_needs_table"]
    three = one + (Problem("sweep.seed_swept"),) * 2
    assert say_first(three) == EN["problem.config.csv_needs_table"] + " (and 2 more problems)"
    problems = refused(parse_config, cfg(model={"depth": 0, "width": 0}))
    assert say_first(problems).endswith("(got 0) (and 1 more problem)")


def test_str_of_a_problem_is_its_code_for_logs_not_words():
    [p] = refused(parse_config, cfg(model={"depth": 100}))
    assert str(p).startswith("config.out_of_range(field=model.depth, allowed=allowed.from_to(")
    assert say(p) == "model.depth must be an integer from 1 to 64 (got 100)"
    with pytest.raises(ConfigError) as info:
        parse_config(cfg(model={"depth": 100}))
    assert str(info.value) == str(p)
