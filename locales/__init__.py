"""Every word a user reads, one string table per language: ``locales/<lang>.toml``.

A key is a TOML path: the line ``running = "..."`` under ``[dn.status]`` is the key
``dn.status.running``. ``t(key, lang, **values)`` formats one. The engine says what went wrong
as a code with values (``models.problems.Problem``); ``say(problem, lang)`` words it from the
key ``problem.<code>``, so the pages and the CLI word the same fault the same way and a new
language is a new file, not new code. ``say_first(problems, lang)`` words the first of several
and counts the rest.

This package imports nothing of the project: the UI (``ui.i18n``) and the CLI both read it.
Adding a language means adding ``<lang>.toml`` with the keys and ``{placeholders}`` of
``en.toml``; tests/ui/test_i18n.py checks both, and that code uses every key.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

LOCALES = Path(__file__).resolve().parent  # the .toml files beside this one, whatever the cwd
DEFAULT_LANGUAGE = "en"


def load_table(path: Path) -> dict[str, str]:
    """A locale file's strings keyed by dotted path; ValueError names a value that is not text."""
    with path.open("rb") as f:
        tree = tomllib.load(f)
    table: dict[str, str] = {}

    def walk(node: dict[str, object], prefix: str) -> None:
        for name, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{name}.")
            elif isinstance(value, str):
                table[prefix + name] = value
            else:
                raise ValueError(f"{path.name}: {prefix}{name} is not a string")

    walk(tree, "")
    return table


@functools.cache
def codes() -> frozenset[str]:
    """The languages there are: one per .toml file here."""
    return frozenset(p.stem for p in LOCALES.glob("*.toml"))


@functools.cache
def _table(lang: str) -> Mapping[str, str]:
    # read once per process, shared read-only by every session
    return MappingProxyType(load_table(LOCALES / f"{lang}.toml"))


class _Languages(Mapping[str, Mapping[str, str]]):
    """``LANGUAGES[lang]`` is lang's table, read from its file the first time it is asked for.
    Only the codes of files here are looked up, so a code from a URL names no path."""

    def __getitem__(self, lang: str) -> Mapping[str, str]:
        if lang not in codes():
            raise KeyError(lang)
        return _table(lang)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(codes()))

    def __len__(self) -> int:
        return len(codes())


LANGUAGES: Mapping[str, Mapping[str, str]] = _Languages()
EN = LANGUAGES[DEFAULT_LANGUAGE]


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The string for key in lang, formatted with values. A missing key is a bug: KeyError."""
    return LANGUAGES[lang][key].format(**values) if values else LANGUAGES[lang][key]


class Coded(Protocol):
    """What the engine reports (``models.problems.Problem``): a code and the values its words
    need. A value may itself be Coded (e.g. the allowed range inside an out-of-range problem)."""

    code: str
    values: Mapping[str, Any]


def say(problem: Coded, lang: str = DEFAULT_LANGUAGE) -> str:
    """The problem in lang's words (key ``problem.<code>``), its Coded values worded first."""
    values = {
        name: say(value, lang) if hasattr(value, "code") and hasattr(value, "values") else value
        for name, value in problem.values.items()
    }
    return t(f"problem.{problem.code}", lang, **values)


def say_first(problems: Sequence[Coded], lang: str = DEFAULT_LANGUAGE) -> str:
    """The first problem in words, and how many more there are (a page and the CLI show one
    sentence for a config with several faults)."""
    first, more = say(problems[0], lang), len(problems) - 1
    if not more:
        return first
    key = "problems.and_one_more" if more == 1 else "problems.and_more"
    return t(key, lang, first=first, count=more)
