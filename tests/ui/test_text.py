"""User text shown inside Markdown (ui/text.py): escaped, it keeps no Markdown or HTML and reads
as the user wrote it; an engine problem worded for Markdown escapes its values and shows an
exception's own words in code font."""

import re

from streamlit.testing.v1 import AppTest


def test_escaped_user_text_has_no_markdown_or_html_left():
    from ui.text import escape_markdown

    text = "<script>alert(1)</script> [link](javascript:x) **bold** `code` # h"
    escaped = escape_markdown(text)
    for ch in "<>[]()*`#":
        assert ch not in escaped.replace("\\" + ch, "")  # every one of them escaped
    assert escaped.replace("\\", "") == text


def problem_app(values: dict) -> None:
    import streamlit as st

    from models.problems import Problem, problem
    from ui.text import say_markdown

    column = problem("data.column", name=values["name"])
    st.error(say_markdown(Problem("data.text_cell", {**values, "column": column})))
    st.error(say_markdown(problem("job.failed", error=values["error"])))


def test_a_problem_in_markdown_reads_as_its_words_with_values_as_given():
    """A user's cell and an exception's text reach the page as they are: the cell escaped, the
    exception in code font however many backticks it holds (the oracle: the plain words)."""
    from locales import say
    from models.problems import problem

    values = {"name": "**b**", "line": 22, "value": "<i>x</i> [y](z)", "error": "E: `a` ``b``"}
    at = AppTest.from_function(problem_app, kwargs={"values": values}).run()
    cell, failure = (e.value for e in at.error)
    column = problem("data.column", name="**b**")
    plain = say(problem("data.text_cell", column=column, line=22, value="<i>x</i> [y](z)"))
    assert re.sub(r"\\(.)", r"\1", cell) == plain  # unescaped, the words exactly
    assert "**b**" not in cell and "<i>" not in cell  # no bold, no HTML
    assert failure == "the run failed: ``` E: `a` ``b`` ```"  # one code span around it all
