"""The config's fields as the outside world sees them, and every way a config comes in or out.

:data:`FIELDS` is the one table of the schema's fields (dotted paths such as ``model.depth``,
their kind, default, bounds and words) that widgets, URL query params, the CLI's ``--set``,
sweeps and error messages read. Through it: :func:`parse_config` (a dict or JSON), the flat
dotted view (:func:`to_flat`, :func:`from_flat`, :func:`with_changes`), :func:`diff` and
:func:`applies`. Every failure is a :class:`~models.config.ConfigError` of problems: codes with
values (the field, the allowed range as a problem of its own, the value given) that the pages
and the CLI word from the string tables. TensorFlow-free.
"""

from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from models.config import CSV_DATASET, SECTIONS, UPLOAD_FIELDS, ConfigError, DataConfig, RunConfig
from models.problems import Problem, problem


@dataclass(frozen=True)
class FieldSpec:
    """One config field as the UI, the URL and error messages see it."""

    path: str  # dotted, e.g. "model.depth"
    kind: Literal["int", "float", "bool", "choice"]
    default: Any
    optional: bool  # None (off) allowed
    choices: tuple[str, ...] = ()
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    description: str = ""

    def allowed(self) -> Problem:
        """The allowed values as a phrase for a sentence: ``allowed.from_to`` with an integer
        noun, 1 and 64 is worded 'an integer from 1 to 64'."""
        if self.kind == "choice":
            phrase = problem("allowed.choice", choices=", ".join(self.choices))
        elif self.kind == "bool":
            phrase = problem("allowed.bool")
        else:
            noun = problem("allowed.integer") if self.kind == "int" else problem("allowed.number")
            above, below = self.gt is not None, self.lt is not None
            low, high = _fmt(self.gt if above else self.ge), _fmt(self.lt if below else self.le)
            if above and below:
                phrase = problem("allowed.above_below", noun=noun, low=low, high=high)
            elif above:
                phrase = problem("allowed.above_up_to", noun=noun, low=low, high=high)
            elif below:
                phrase = problem("allowed.at_least_below", noun=noun, low=low, high=high)
            else:
                phrase = problem("allowed.from_to", noun=noun, low=low, high=high)
        return problem("allowed.or_null", allowed=phrase) if self.optional else phrase


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{int(x):,}".replace(",", "") if float(x).is_integer() else repr(float(x))


def _field_spec(section: str, name: str, info: Any) -> FieldSpec:
    ann = info.annotation
    optional = False
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        optional, ann = True, args[0]
    bounds: dict[str, float] = {}
    for meta in info.metadata:
        for key in ("ge", "gt", "le", "lt"):
            if getattr(meta, key, None) is not None:
                bounds[key] = getattr(meta, key)
    if typing.get_origin(ann) is Literal:
        kind, choices = "choice", tuple(typing.get_args(ann))
    else:
        kind, choices = {bool: "bool", int: "int", float: "float"}[ann], ()
    return FieldSpec(
        path=f"{section}.{name}",
        kind=kind,
        default=info.default,
        optional=optional,
        choices=choices,
        description=info.description or "",
        **bounds,
    )


FIELDS: dict[str, FieldSpec] = {
    f"{section}.{name}": _field_spec(section, name, info)
    for section, cls in SECTIONS.items()
    for name, info in cls.model_fields.items()
    if f"{section}.{name}" not in UPLOAD_FIELDS
}


def problem_of(err: dict[str, Any]) -> Problem:
    """One pydantic error as a problem: a field's (named, with its allowed values and the value
    given, quoted), or a rule's (models.config raises those with their code and values)."""
    loc = [str(p) for p in err.get("loc", ())]
    path = ".".join(loc)
    etype = err.get("type", "")
    given = err.get("input")
    got = (
        problem("config.long_number", digits=given.digits)
        if isinstance(given, _LongNumber)
        else _short(given)
    )
    if etype == "extra_forbidden":
        if len(loc) == 1:
            return problem("config.unknown_section", section=path)
        section = loc[0]
        known = ", ".join(SECTIONS[section].model_fields) if section in SECTIONS else ""
        return problem("config.unknown_field", field=path, section=section, known=known)
    if path in FIELDS:
        return problem("config.out_of_range", field=path, allowed=FIELDS[path].allowed(), got=got)
    if path in UPLOAD_FIELDS:
        limit = DataConfig.model_fields[loc[1]].metadata[0].max_length
        return problem("config.text_too_long", field=path, limit=limit, got=got)
    if etype.startswith("config."):  # a section's rule (data.csv) or the whole config's
        return Problem(etype, dict(err.get("ctx") or {}))
    if len(loc) == 1 and loc[0] in SECTIONS:
        return problem("config.not_an_object", field=path, got=got)
    # No such error is known to reach here: pydantic's own words, naming where.
    return problem("config.invalid", field=path or "config", detail=err.get("msg", ""))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_config(data: Any) -> RunConfig:
    """Validate a plain dict (e.g. parsed JSON) into a RunConfig, or raise ConfigError."""
    if isinstance(data, RunConfig):
        return data
    if isinstance(data, BaseModel):
        # A RunConfig from an earlier import of this module (Streamlit reloads edited modules
        # while sessions keep their objects): validate its fields again.
        data = data.model_dump()
    if not isinstance(data, dict):
        kind = "str" if isinstance(data, str) else type(data).__name__  # a _LongNumber is text
        raise ConfigError(problem("config.not_a_json_object", kind=kind))
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([problem_of(e) for e in exc.errors()]) from None


MAX_JSON_BYTES = 100_000  # a config file; the largest real one is a few hundred bytes


class _NotANumber(ValueError):
    """NaN, Infinity or -Infinity in a config file (JSON has no such numbers)."""


class _LongNumber(str):
    """A JSON integer of over 100 digits, kept as text (every field refuses it); a problem's
    ``got`` names it as ``config.long_number`` with its count of digits."""

    digits: int

    def __new__(cls, digits: int) -> _LongNumber:
        text = super().__new__(cls, f"a {digits:,}-digit number")  # inside a list: repr() shows
        text.digits = digits
        return text


def config_from_json(text: str | bytes) -> RunConfig:
    """Parse JSON text into a RunConfig. Rejects NaN/Infinity literals and deep nesting."""
    return parse_config(json_data(text))


def json_data(text: str | bytes) -> Any:
    """JSON text from outside (a file, an upload) as Python data, with a config file's guards:
    at most 100 kB, no NaN/Infinity literals, no deep nesting; ConfigError otherwise."""
    if len(text) > MAX_JSON_BYTES:
        raise ConfigError(problem("config.file_too_large", size=len(text), limit=MAX_JSON_BYTES))

    def _reject_constant(name: str) -> None:
        raise _NotANumber(name)

    def _int(digits: str) -> int | str:
        # Python refuses to read an int of over 4,300 digits with a developer's message; such a
        # number is outside every bound, so it stands in as text the field's own problem quotes.
        return int(digits) if len(digits) <= 100 else _LongNumber(len(digits))

    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_int)
    except RecursionError:
        raise ConfigError(problem("config.nested_too_deep")) from None
    except _NotANumber as exc:
        raise ConfigError(problem("config.not_a_number", literal=exc.args[0])) from None
    except json.JSONDecodeError as exc:  # the parser's own words for what it expected, and where
        where = {"line": exc.lineno, "column": exc.colno, "char": exc.pos}
        raise ConfigError(problem("config.not_json", detail=exc.msg, **where)) from None
    except ValueError as exc:  # bytes in no encoding JSON allows (UnicodeDecodeError)
        raise ConfigError(problem("config.unreadable", detail=str(exc))) from None
    return data


def config_to_json(cfg: RunConfig, indent: int | None = 2) -> str:
    return cfg.model_dump_json(indent=indent)


def to_flat(cfg: RunConfig, only_changed: bool = False) -> dict[str, Any]:
    """Dotted-path view, e.g. {'model.depth': 4, ...}; only_changed: fields off their default."""
    dumped = cfg.model_dump(exclude={"data": {"csv", "target"}})  # UPLOAD_FIELDS
    flat = {f"{s}.{k}": v for s, section in dumped.items() for k, v in section.items()}
    if only_changed:
        flat = {k: v for k, v in flat.items() if v != FIELDS[k].default}
    return flat


_NULL_WORDS = {"", "none", "null", "off"}
_TRUE_WORDS = {"true", "1", "yes", "on"}
_FALSE_WORDS = {"false", "0", "no", "off"}


def _coerce(spec: FieldSpec, raw: Any) -> Any:
    """Turn a query-param string into the field's type; leave non-strings to pydantic."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if spec.optional and text.lower() in _NULL_WORDS:
        return None
    if spec.kind == "bool":
        if text.lower() in _TRUE_WORDS:
            return True
        if text.lower() in _FALSE_WORDS:
            return False
        return raw
    if spec.kind in ("int", "float"):
        try:
            number = float(text)
        except ValueError:
            return raw
        if not math.isfinite(number):
            return raw
        if spec.kind == "int" and number.is_integer():
            return int(number)
        return number
    return text


def from_flat(
    flat: dict[str, Any], base: RunConfig | None = None
) -> tuple[RunConfig, list[Problem]]:
    """Build a config from dotted-path values (URL query params), skipping bad ones.

    Returns the config and one problem per ignored param (``link.*``), so a shared link with a
    bad or stale param still opens, with a visible notice instead of a crash.
    """
    notices: list[Problem] = []
    nested = (base or RunConfig()).model_dump()
    for key, raw in flat.items():
        spec = FIELDS.get(key)
        if spec is None:
            name = _short(key) if len(str(key)) > 40 else str(key)
            notices.append(problem("link.unknown_param", name=name))
            continue
        if isinstance(raw, str) and len(raw) > 100:
            notices.append(problem("link.value_too_long", field=key, length=len(raw)))
            continue
        section, name = key.split(".", 1)
        candidate = _changed(nested, section, name, _coerce(spec, raw))
        try:
            RunConfig.model_validate(candidate)
        except ValidationError as exc:
            errors = exc.errors()
            # the param's own field error first; else the rule it broke (one field changed)
            own = [e for e in errors if ".".join(map(str, e["loc"])) == key] or errors
            notices.append(problem("link.ignored", field=key, why=problem_of(own[0])))
            continue
        nested = candidate
    return RunConfig.model_validate(nested), notices


def applies(cfg: RunConfig, path: str) -> bool:
    """Whether a field changes anything in this config's run: `model.pooling` does only for a
    CNN, `optimizer.momentum` only for the momentum optimizer, `data.seq_len` only for a
    sequence task, and so on. A diff lists a field only where it applies to some config."""
    m, task = cfg.model, cfg.task
    generated = cfg.data.name != CSV_DATASET
    rules = {
        "data.n_samples": generated,
        "data.noise": generated,
        "data.seed": generated,
        "data.seq_len": task.is_sequence,
        "model.kernel_size": m.arch == "cnn",
        "model.pooling": m.arch == "cnn",
        "model.leaky_k": m.activation == "leaky_relu",
        "model.batch_norm": m.arch in ("mlp", "cnn"),
        "model.residual": m.arch in ("mlp", "cnn"),
        "model.init_scale": m.initializer == "random_normal",
        "optimizer.momentum": cfg.optimizer.name == "momentum",
        "train.snapshot_every": task.is_2d or task.is_image,
    }
    return rules.get(path, path in FIELDS)


def url_text(value: Any) -> str:
    """A field's value as a link's query param (and a lesson's changes) write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def diff(a: RunConfig, b: RunConfig) -> dict[str, tuple[Any, Any]]:
    """Fields whose values differ between two configs: {path: (a_value, b_value)}."""
    fa, fb = to_flat(a), to_flat(b)
    return {k: (fa[k], fb[k]) for k in fa if fa[k] != fb[k]}


def with_changes(cfg: RunConfig, changes: dict[str, Any]) -> RunConfig:
    """A copy of cfg with dotted-path fields changed, validated as a whole (raises ConfigError)."""
    nested = cfg.model_dump()
    for key, value in changes.items():
        if key not in FIELDS:
            raise ConfigError(problem("config.no_such_field", field=key))
        section, name = key.split(".", 1)
        nested = _changed(nested, section, name, _coerce(FIELDS[key], value))
    return parse_config(nested)


def _changed(nested: dict[str, Any], section: str, name: str, value: Any) -> dict[str, Any]:
    """A dumped config with one field changed; a dataset other than 'csv' drops the table."""
    fields = {**nested[section], name: value}
    if (section, name) == ("data", "name") and value != CSV_DATASET:
        fields.update(csv=None, target=None)
    return {**nested, section: fields}
