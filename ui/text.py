"""User text (URL params, typed values) shown inside Markdown elements, escaped to stay text;
and an engine problem worded for a Markdown element (``say_markdown``)."""

import re

from models.problems import Problem
from ui.i18n import say

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")
DIAGNOSTIC = "error"  # the value name of an exception's or a driver's own words (code font)


def escape_markdown(text: str) -> str:
    """Backslash-escape every Markdown (and HTML) character, so the text renders literally."""
    return _MARKDOWN.sub(r"\\\1", text)


def code_span(text: str) -> str:
    """The text in code font, as it is: fenced by more backticks than it holds in a row."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def say_markdown(problem: Problem, lang: str | None = None) -> str:
    """A problem in the session's (or lang's) words for a Markdown element: its text values
    escaped (they may quote a user's cells or names), a diagnostic ``error`` value (an
    exception's first line) in code font."""
    return say(_for_markdown(problem), lang)


def _for_markdown(problem: Problem) -> Problem:
    values = {}
    for name, value in problem.values.items():
        if isinstance(value, Problem):
            value = _for_markdown(value)
        elif name == DIAGNOSTIC:
            value = code_span(str(value))
        elif isinstance(value, str):
            value = escape_markdown(value)
        values[name] = value
    return Problem(problem.code, values)
