"""User text shown inside Markdown (ui/text.py): escaped, it keeps no Markdown or HTML and reads
as the user wrote it."""


def test_escaped_user_text_has_no_markdown_or_html_left():
    from ui.text import escape_markdown

    text = "<script>alert(1)</script> [link](javascript:x) **bold** `code` # h"
    escaped = escape_markdown(text)
    for ch in "<>[]()*`#":
        assert ch not in escaped.replace("\\" + ch, "")  # every one of them escaped
    assert escaped.replace("\\", "") == text
