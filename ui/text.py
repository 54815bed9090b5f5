"""User text (URL params, typed values) shown inside Markdown elements, escaped to stay text."""

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def escape_markdown(text: str) -> str:
    """Backslash-escape every Markdown (and HTML) character, so the text renders literally."""
    return _MARKDOWN.sub(r"\\\1", text)
