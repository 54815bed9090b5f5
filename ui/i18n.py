"""The UI's words, read from the string tables in ``locales/`` (one file per language).

Pages call ``t("key", **values)`` and word an engine problem with ``say(exc.problem)`` (or
``say_first(exc.problems)``: the first of several, and how many more); the chart
functions get ``chart_labels()`` (the keys under ``chart.``) or ``concept_chart_labels()`` (under
``concept_chart.``). The schema's field descriptions and the presets' titles and claims are
written in English in the engine too (for the CLI and the JSON schema); ``en.toml`` holds the
same texts, checked equal by a test.
"""

from __future__ import annotations

from locales import DEFAULT_LANGUAGE, EN, LANGUAGES, say, say_first, t
from models.fields import FIELDS
from models.teaching.presets import COMPARISONS, PRESETS
from models.teaching.questions import QUESTIONS

# the pages' words, one import
__all__ = ["DEFAULT_LANGUAGE", "EN", "LANGUAGES", "say", "say_first", "t"]


def field_label(path: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return t(f"field.{path}", lang)


def choice_label(path: str, value: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A choice's display text: its word if the table has one, else the value itself (a code
    name such as ``relu`` or ``he_normal`` reads the same in every language)."""
    return LANGUAGES[lang].get(f"choice.{path}.{value}", value)


def _under(prefix: str, lang: str) -> dict[str, str]:
    return {k[len(prefix) :]: v for k, v in LANGUAGES[lang].items() if k.startswith(prefix)}


def chart_labels(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The chart strings, keyed as the charts package reads them (its ``LABEL_KEYS``)."""
    return _under("chart.", lang)


def concept_chart_labels(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The concept charts' strings, keyed as charts.concepts reads them."""
    return _under("concept_chart.", lang)


def engine_keys() -> set[str]:
    """The keys the engine's tables call for: a label and a help per config field, a title and a
    claim per preset, a title per comparison, and each question's texts and verdicts."""
    keys = {f"field.{p}" for p in FIELDS} | {f"help.{p}" for p in FIELDS}
    keys |= {f"preset.{n}.{part}" for n in PRESETS for part in ("title", "claim")}
    keys |= {f"comparison.{n}" for n in COMPARISONS}
    parts = ("question", "how", "short")
    keys |= {f"q.{q.id}.{part}" for q in QUESTIONS.values() for part in parts}
    keys |= {f"q.{q.id}.{key}" for q in QUESTIONS.values() for key in q.outcomes}
    return keys


def missing_keys(lang: str) -> list[str]:
    """Keys English has and lang lacks, plus keys the engine calls for that lang lacks."""
    table = LANGUAGES[lang]
    return sorted(k for k in set(EN) | engine_keys() if k not in table)
