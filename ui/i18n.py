"""The UI's words, read from the string tables in ``locales/`` (one file per language), in the
language of the session.

The language: ``?lang=`` in the URL when it names a table (``zh``, ``en``), else the browser's
(``st.context.locale``: ``zh*`` is Chinese, anything else English). The router
(dashboard.py) settles it at the top of every run with ``choose_language()``, which also draws
the sidebar's selector; a choice rewrites ``?lang=``, and the param stays in the URL across
page switches. Everything below reads the session's language (``current()``).

Pages call ``t("key", **values)`` and word an engine problem with ``say(exc.problem)`` (or
``say_first(exc.problems)``: the first of several, and how many more); the chart
functions get ``chart_labels()`` (the keys under ``chart.``) or ``concept_chart_labels()`` (under
``concept_chart.``). The schema's field descriptions and the presets' titles and claims are
written in English in the engine too (for the CLI and the JSON schema); ``en.toml`` holds the
same texts, checked equal by a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import streamlit as st

import locales
from locales import DEFAULT_LANGUAGE, EN, LANGUAGES, Coded, codes
from models.fields import FIELDS
from models.teaching.presets import COMPARISONS, PRESETS
from models.teaching.questions import QUESTIONS

__all__ = [
    "DEFAULT_LANGUAGE",
    "EN",
    "LANG_PARAM",
    "LANGUAGES",
    "chart_labels",
    "choice_label",
    "choose_language",
    "concept_chart_labels",
    "current",
    "engine_keys",
    "field_label",
    "language_for",
    "missing_keys",
    "say",
    "say_first",
    "t",
    "with_language",
    "worded",
]
LANG_PARAM = "lang"  # the URL's ?lang=
T = TypeVar("T")
_SESSION_LANG = "ui_lang"  # the language this session's run is drawn in (set by the router)
_EXPLICIT = "ui_lang_chosen"  # the language a link or the selector chose, kept in the URL
_PICKER = "ui_lang_picker"  # the sidebar's selector


def language_for(param: str | None, browser_locale: str | None) -> str:
    """The language a visit gets: the link's ``?lang=`` when it names a table, else the
    browser's (``zh``, ``zh-CN``, ``zh-TW``... give Chinese, anything else English)."""
    if param in codes():
        return param
    if browser_locale and browser_locale.lower().startswith("zh") and "zh" in codes():
        return "zh"
    return DEFAULT_LANGUAGE


def current() -> str:
    """The session's language (English outside a run of the app, e.g. in a unit test)."""
    return st.session_state.get(_SESSION_LANG, DEFAULT_LANGUAGE)


def choose_language() -> str:
    """Settle this run's language and draw the selector that changes it (the router calls this
    first, on every run of every page).

    A link's valid ``?lang=`` wins and is kept: Streamlit drops query params on a page switch,
    so once a session has a language from a link or the selector, the param is written back on
    every page. Without one the browser's language decides and the URL stays as it is. A
    ``?lang=`` naming no language is removed, with a sentence in the sidebar."""
    state, param = st.session_state, st.query_params.get(LANG_PARAM)
    if param in codes():
        lang = state[_EXPLICIT] = param
    elif state.get(_EXPLICIT) in codes():
        lang = state[_EXPLICIT]
        st.query_params[LANG_PARAM] = lang  # back into the URL after a page switch
    else:
        lang = language_for(None, st.context.locale)
    state[_SESSION_LANG] = lang
    state[_PICKER] = lang  # the selector shows the language in use

    def chosen() -> None:
        state[_EXPLICIT] = state[_SESSION_LANG] = state[_PICKER]
        st.query_params[LANG_PARAM] = state[_PICKER]

    languages = sorted(codes())
    st.sidebar.selectbox(
        t("app.language"),
        languages,
        format_func=worded(languages, lambda code: LANGUAGES[code]["app.language_name"]),
        key=_PICKER,
        on_change=chosen,
    )
    if param is not None and param not in codes():
        allowed = ", ".join(languages)
        st.sidebar.caption(t("app.bad_language", got=param[:20], allowed=allowed))
        del st.query_params[LANG_PARAM]
    return lang


def worded(options: Iterable[T], word: Callable[[T], str]) -> Callable[[T], str]:
    """A widget's format_func: each option's words, made now, in this run's language (a
    lambda calling t() would word the option whenever Streamlit or a test calls it)."""
    words = {option: word(option) for option in options}
    return words.__getitem__


def with_language(params: dict[str, str]) -> dict[str, str]:
    """A link's query params with the session's language, so the page it opens (and anyone the
    link is shared with) reads in the language it was made in."""
    return {**params, LANG_PARAM: current()}


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The string for key in the session's language (or lang), formatted with values."""
    return locales.t(key, lang or current(), **values)


def say(problem: Coded, lang: str | None = None) -> str:
    """An engine problem in the session's language (or lang)."""
    return locales.say(problem, lang or current())


def say_first(problems: Sequence[Coded], lang: str | None = None) -> str:
    """The first of several engine problems in the session's language, and how many more."""
    return locales.say_first(problems, lang or current())


def field_label(path: str, lang: str | None = None) -> str:
    return t(f"field.{path}", lang)


def choice_label(path: str, value: str, lang: str | None = None) -> str:
    """A choice's display text: its word if the table has one, else the value itself (a code
    name such as ``relu`` or ``he_normal`` reads the same in every language)."""
    return LANGUAGES[lang or current()].get(f"choice.{path}.{value}", value)


def _under(prefix: str, lang: str | None) -> dict[str, str]:
    table = LANGUAGES[lang or current()]
    return {k[len(prefix) :]: v for k, v in table.items() if k.startswith(prefix)}


def chart_labels(lang: str | None = None) -> dict[str, str]:
    """The chart strings, keyed as the charts package reads them (its ``LABEL_KEYS``)."""
    return _under("chart.", lang)


def concept_chart_labels(lang: str | None = None) -> dict[str, str]:
    """The concept charts' strings, keyed as charts.concepts reads them."""
    return _under("concept_chart.", lang)


def engine_keys() -> set[str]:
    """The keys the engine's tables call for: a label and a help per config field, a title and a
    claim per preset, a title per comparison, and each question's texts, verdicts, verdict
    rows and run labels."""
    keys = {f"field.{p}" for p in FIELDS} | {f"help.{p}" for p in FIELDS}
    keys |= {f"preset.{n}.{part}" for n in PRESETS for part in ("title", "claim")}
    keys |= {f"comparison.{n}" for n in COMPARISONS}
    parts = ("question", "how", "short")
    keys |= {f"q.{q.id}.{part}" for q in QUESTIONS.values() for part in parts}
    keys |= {f"q.{q.id}.{key}" for q in QUESTIONS.values() for key in q.outcomes}
    keys |= {f"q.{q.id}.row.{name}" for q in QUESTIONS.values() for name in q.rows}
    keys |= {f"q.label.{label}" for q in QUESTIONS.values() for label in q.runs}
    return keys


def missing_keys(lang: str) -> list[str]:
    """Keys English has and lang lacks, plus keys the engine calls for that lang lacks."""
    table = LANGUAGES[lang]
    return sorted(k for k in set(EN) | engine_keys() if k not in table)
