"""What a user reads on a page run by AppTest, and the English in it.

``visible_texts(at)`` walks every element of the page (main area and sidebar, inside columns,
tabs, expanders and forms) and returns each text a user reads with where it is: Markdown bodies,
alerts, captions, titles, a widget's label, help, placeholder and options, a button's label,
progress lines, a table's column names, and a chart's titles, axis and legend titles and
tooltip titles. ``english_runs(text)`` finds three or more English words in a row outside code
spans, formulas and links, the mark of a sentence left untranslated (a lone name such as
``LSTM`` or ``ReLU + He`` is no run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from streamlit.testing.v1 import AppTest

# proto fields that hold text a user reads (ids, keys, URLs and specs are not)
TEXT_FIELDS = {"body", "label", "help", "placeholder", "options", "text", "caption", "title"}
# chart spec entries that are drawn as text
SPEC_TEXT = {"title", "subtitle", "text"}

_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
_LINK_TARGET = re.compile(r"\]\([^)]*\)|https?://\S+|/\w+\?\S+")
_TEXT_IN_MATH = re.compile(r"\\text\{([^}]*)\}")
_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \t]+[A-Za-z][A-Za-z'’-]*){2,}")


def english_runs(text: str) -> list[str]:
    """Runs of three or more English words outside `code`, $formulas$ (their \\text{} words
    count) and link targets."""
    words_in_math = " · ".join(_TEXT_IN_MATH.findall(text))
    plain = _LINK_TARGET.sub(" ", _MATH.sub(" · ", _CODE.sub(" · ", text)))
    return _RUN.findall(plain) + _RUN.findall(words_in_math)


def _elements(node) -> Iterator[object]:
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from _elements(child)
    if getattr(node, "proto", None) is not None:
        yield node


def _proto_texts(message, path: str) -> Iterator[tuple[str, str]]:
    for field, value in message.ListFields():
        where = f"{path}.{field.name}"
        items = value if field.is_repeated else [value]
        if field.message_type is not None:
            for item in items:
                yield from _proto_texts(item, where)
        elif field.name in TEXT_FIELDS and field.type == field.TYPE_STRING:
            yield from ((where, item) for item in items if item)


def _spec_texts(node, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasets":
                continue
            if key in SPEC_TEXT and isinstance(value, str | list):
                items = value if isinstance(value, list) else [value]
                yield from ((f"{path}.{key}", v) for v in items if isinstance(v, str))
            else:
                yield from _spec_texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _spec_texts(item, path)


def visible_texts(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) for every text a user reads on the page."""
    found: list[tuple[str, str]] = []
    for element in [*_elements(at.main), *_elements(at.sidebar)]:
        kind = getattr(element, "type", type(element).__name__)
        proto = element.proto
        if kind == "vega_lite_chart":
            found += _spec_texts(json.loads(proto.spec), kind)
            continue
        if kind == "arrow_data_frame" or kind == "dataframe":
            frame = element.value
            found += [(f"{kind}.column", str(c)) for c in frame.columns]
            found += [(f"{kind}.index", str(i)) for i in frame.index if isinstance(i, str)]
            cells = frame.select_dtypes(include="object").stack()
            found += [(f"{kind}.cell", v) for v in cells if isinstance(v, str)]
            continue
        found += _proto_texts(proto, kind)
    return found


def english_on_page(at: AppTest) -> list[tuple[str, str, list[str]]]:
    """(where, text, its English runs) for every visible text with a run of English."""
    found = ((where, text, english_runs(text)) for where, text in visible_texts(at))
    return [(where, text, runs) for where, text, runs in found if runs]
