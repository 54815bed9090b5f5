"""Every user-facing string of the pages lives in the language tables (ui/i18n.py)."""

import ast
from pathlib import Path

import charts
from models.jobs import END_STATUSES
from ui.i18n import EN, LANGUAGES, chart_labels, missing_keys

ROOT = Path(__file__).resolve().parents[1]
UI_FILES = [ROOT / "dashboard.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
# st.* calls whose first argument is a page path or a key, not text a user reads.
NOT_TEXT = {"Page", "page_link", "switch_page", "cache_data", "cache_resource", "fragment", "latex"}


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            yield node


def test_every_literal_key_the_ui_asks_for_exists_in_every_language():
    keys = set()
    for path in UI_FILES:
        for call in _calls(path):
            if isinstance(call.func, ast.Name) and call.func.id == "t" and call.args:
                arg = call.args[0]
                if isinstance(arg, ast.Constant):
                    keys.add(arg.value)
    assert len(keys) > 30  # the scan found the pages' strings
    for lang, table in LANGUAGES.items():
        assert not keys - set(table), (lang, sorted(keys - set(table)))


def test_every_table_has_every_key_fields_presets_and_run_statuses_included():
    for lang in LANGUAGES:
        assert missing_keys(lang) == []
    for status in END_STATUSES:  # status lines are looked up as f"dn.status.{status}"
        assert f"dn.status.{status}" in EN


def test_the_chart_labels_cover_every_key_charts_read():
    for lang in LANGUAGES:
        assert set(charts.LABEL_KEYS) <= set(chart_labels(lang))


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(node.value)


def test_pages_pass_no_literal_text_to_streamlit():
    """A string literal given straight to an st.* element would escape translation."""
    offenders = []
    for path in UI_FILES:
        for call in _calls(path):
            func = call.func
            is_st = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in ("st", "container", "col", "left", "right")
            )
            if not is_st or func.attr in NOT_TEXT:
                continue
            texts = call.args[:1] + [
                k.value for k in call.keywords if k.arg in ("help", "placeholder", "text")
            ]
            if any(_is_text(a) for a in texts):
                offenders.append(f"{path.name}:{call.lineno} st.{func.attr}")
    assert not offenders, offenders
