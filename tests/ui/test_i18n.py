"""The string tables (locales/<lang>.toml, read by the locales package): every locale has
English's keys and placeholders, code uses every key, and every key the code asks for exists."""

import ast
import functools
import importlib
import os
import pkgutil
import re
import string
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import charts
from locales import EN, LANGUAGES, LOCALES, load_table
from models.fields import FIELDS
from models.infra.jobs import END_STATUSES
from models.teaching.presets import PRESETS
from tests.support import ROOT
from tests.support.problem_codes import problem_codes
from ui.i18n import chart_labels, concept_chart_labels, engine_keys, missing_keys

CODE_DIRS = ("ui", "pages", "charts")  # and dashboard.py and locales/: where keys are asked for
CODE_FILES = [
    ROOT / "dashboard.py",
    *sorted((ROOT / "locales").glob("*.py")),  # say: problem.{code}; say_first: problems.*
    *(p for d in CODE_DIRS for p in sorted((ROOT / d).rglob("*.py"))),
]
UI_FILES = [p for p in CODE_FILES if "charts" not in p.relative_to(ROOT).parts]
LOCALE_FILES = sorted(LOCALES.glob("*.toml"))
# st.* calls whose first argument is a page path or a key, not text a user reads.
NOT_TEXT = {"Page", "page_link", "switch_page", "cache_data", "cache_resource", "fragment", "latex"}

# Keys the code builds at run time, by the text before the first {...} of the f-string (or the
# table name a literal holds), and where. A key under one of these counts as used; the families
# the engine's tables decide (ENGINE_FAMILIES) and the charts' are checked exactly below.
BUILT_KEYS = {
    "field.": "ui/i18n.py field_label, ui/runs.py: a label per config field",
    "help.": "ui/config_form.py: a help text per config field",
    "choice.": "ui/i18n.py choice_label: a word for a field's option, where it has one",
    "preset.": "ui/lab.py, ui/verdict.py: preset.{name}.title and .claim",
    "comparison.": "ui/lab.py, ui/verdict.py: comparison.{name}",
    "q.": "pages/questions.py, ui/questions.py: q.{id}.short, .question, .how, .{verdict key},"
    " .row.{a verdict's list value}",
    "q.label.": "ui/questions.py: q.label.{a card's run}, how the card calls that run",
    "chart.": "ui/i18n.py chart_labels: the keys the charts read (their LABEL_KEYS)",
    "concept_chart.": "ui/i18n.py concept_chart_labels: charts.concepts.LABEL_KEYS",
    "dn.status.": "ui/live.py: dn.status.{job status}",
    "dn.download.": "ui/live.py: dn.download.{kind} and dn.download.{kind}_help",
    "run.verdict.": "ui/verdict.py: run.verdict.{models.comparison's verdict key for one run}",
    "cmp.verdict.": "ui/verdict.py: cmp.verdict.{models.comparison's key for runs side by side}",
    "cmp.metric.": "ui/verdict.py: the metric a side-by-side verdict compares",
    "cmp.status.": "ui/verdict.py, ui/sweep.py, pages/compare.py: cmp.status.{run status}",
    "cmp.col.": "pages/compare.py: the summary table's columns",
    "sweep.col.": "ui/sweep.py: the sweep table's columns",
    "rn.cell.": "ui/recurrent.py, pages/recurrent.py: rn.cell.{model.arch}",
    "nav.": "pages/home.py: nav.{page}, the concept pages' links",
    "home.": "pages/home.py: home.{page}, the concept pages' captions",
    "concept.act.": "pages/activations.py: concept.act.{activation}",
    "cnn.upstream.": "ui/pooling.py: cnn.upstream.{kind} of the upstream gradient",
    "cnn.rule_ok.": 'ui/pooling.py: key = "cnn.rule_ok" or "cnn.rule_broken", then {key}.{kind}',
    "cnn.rule_broken.": "ui/pooling.py: as cnn.rule_ok.",
    "opt.function.": "pages/optimizers.py: opt.function.{function}",
    "opt.method.": "pages/optimizers.py: opt.method.{method}",
    "opt.verdict.": "pages/optimizers.py: opt.verdict.{verdict key}",
    "dn.section.": "ui/lesson.py: a section's title in Share as a lesson, dn.section.{section}",
    "lesson.answer_": "ui/lesson.py: the default answers of a measure, lesson.answer_{measure}_{i}",
    "lesson.fields.": "ui/lesson.py: the fields a teacher sets apart, lesson.fields.{visibility}",
    "lesson.measure_": "ui/lesson.py: what the runs decide, lesson.measure_{measure}",
    "lesson.numbers.": "ui/lesson.py: the numbers a measured answer rests on, per measure",
    "lesson.visibility.": "ui/lesson.py: what students may do, lesson.visibility.{visibility}",
    "board.col.": "ui/classroom.py: the class board's columns and titles, board.col.{column}",
    "problem.": "locales say: problem.{code}; used when models/ raises the code (PROBLEM_FAMILY)",
}
# problem.* keys count as used exactly when the engine's code names their code (a literal
# problem(...), Problem(...) or PydanticCustomError(...) under models/: tests/support/
# problem_codes.py), not by their prefix alone.
PROBLEM_FAMILY = "problem."
ENGINE_FAMILIES = ("field.", "help.", "preset.", "comparison.", "q.")


@functools.cache
def _trees() -> tuple[tuple[Path, ast.Module], ...]:
    return tuple((path, ast.parse(path.read_text())) for path in CODE_FILES)


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            yield node


def _literal_keys(table) -> set[str]:
    """String literals in the code that are keys of table."""
    return {
        node.value
        for _, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in table
    }


def _built_prefixes(table) -> dict[str, set[str]]:
    """Prefixes of table's keys that the code builds keys from -> where: the text of an f-string
    before its first {...}, or a literal naming a table (``"cnn.rule_ok"`` or ``"chart."``)."""
    found: dict[str, set[str]] = {}
    for path, tree in _trees():
        in_fstrings = set()
        for node in ast.walk(tree):
            prefix = None
            if isinstance(node, ast.JoinedStr):
                in_fstrings.update(id(v) for v in node.values)
                first = node.values[0] if node.values else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    prefix = first.value
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in in_fstrings
                and "." in node.value
                and node.value not in table
            ):
                prefix = node.value if node.value.endswith(".") else node.value + "."
            if prefix and any(k.startswith(prefix) for k in table):
                found.setdefault(prefix, set()).add(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _unused_keys(table) -> list[str]:
    used = _literal_keys(table) | {PROBLEM_FAMILY + code for code in problem_codes()}
    built = tuple(p for p in BUILT_KEYS if p != PROBLEM_FAMILY)
    return sorted(k for k in table if k not in used and not k.startswith(built))


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:  # a stray brace: str.format would raise at run time
        return {f"<{error}>"}


def _chart_label_keys() -> tuple[set[str], set[str]]:
    """The keys the chart modules read: (the lab's charts, the concept pages' charts)."""
    lab, concepts = set(), set()
    for info in pkgutil.iter_modules(charts.__path__):
        module = importlib.import_module(f"charts.{info.name}")
        keys = set(getattr(module, "LABEL_KEYS", ()))
        (concepts if info.name == "concepts" else lab).update(keys)
    return lab | set(getattr(charts, "LABEL_KEYS", ())), concepts


# -- every locale file against English ----------------------------------------------------------


def test_english_is_among_the_locale_files():
    assert LOCALES / "en.toml" in LOCALE_FILES
    assert set(LANGUAGES) == {p.stem for p in LOCALE_FILES}
    assert len(EN) > 500  # the whole table loaded, not one section


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: p.name)
def test_a_locale_has_exactly_the_keys_of_english(path: Path):
    table = load_table(path)
    assert sorted(set(EN) - set(table)) == [], "missing"
    assert sorted(set(table) - set(EN)) == [], "not in en.toml"


@pytest.mark.parametrize("path", LOCALE_FILES, ids=lambda p: p.name)
def test_a_locale_keeps_every_placeholder_of_english(path: Path):
    """A renamed placeholder raises KeyError at run time, a dropped one loses its number, and a
    stray brace makes str.format raise."""
    found = {key: _placeholders(text) for key, text in load_table(path).items()}
    assert sorted(k for k, names in found.items() if any(n.startswith("<") for n in names)) == []
    differ = {
        key: (sorted(_placeholders(EN[key])), sorted(names))
        for key, names in found.items()
        if key in EN and names != _placeholders(EN[key])
    }
    assert differ == {}


def test_a_value_that_is_not_text_is_refused_by_name(tmp_path: Path):
    path = tmp_path / "xx.toml"
    path.write_text('[dn]\ntitle = "Deep Networks"\n\n[dn.status]\nrunning = 3\n')
    with pytest.raises(ValueError, match=r"dn\.status\.running"):
        load_table(path)


def test_the_tables_are_found_from_any_working_directory(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "from ui.i18n import t; print(t('nav.deep_networks'))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == EN["nav.deep_networks"]


# -- the keys against the code ------------------------------------------------------------------


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


def test_every_english_key_is_used_by_some_code():
    assert _unused_keys(EN) == []


def test_the_listed_key_families_are_the_ones_the_code_builds():
    """A new f-string key family must be listed in BUILT_KEYS, and a family no code builds any
    more must leave it (so its keys are checked as unused again)."""
    found = _built_prefixes(EN)
    assert {p: sorted(found[p]) for p in set(found) - set(BUILT_KEYS)} == {}
    assert sorted(set(BUILT_KEYS) - set(found)) == []


def test_the_engine_families_hold_exactly_the_keys_the_engine_calls_for():
    """field./help./preset./comparison./q. keys beyond the engine's fields, presets,
    comparisons and questions (and the pages' literal ones) are stale; every choice word names
    a field's option."""
    family = {k for k in EN if k.startswith(ENGINE_FAMILIES)}
    assert sorted(family - engine_keys() - _literal_keys(EN)) == []
    stale = []
    for key in (k for k in EN if k.startswith("choice.")):
        path, value = key.removeprefix("choice.").rsplit(".", 1)
        if path not in FIELDS or value not in FIELDS[path].choices:
            stale.append(key)
    assert stale == []


def test_the_chart_labels_are_exactly_the_keys_the_charts_read():
    lab, concepts = _chart_label_keys()
    assert len(lab) > 40 and len(concepts) > 20
    for lang in LANGUAGES:
        assert set(chart_labels(lang)) == lab
        assert set(concept_chart_labels(lang)) == concepts


def test_english_texts_the_engine_also_writes_are_the_same():
    """The field descriptions (CLI, JSON schema) and the presets' titles and claims (CLI) are
    written in English in the engine as well: the pages and the CLI say the same."""
    differ = [p for p, spec in FIELDS.items() if EN[f"help.{p}"] != spec.description]
    differ += [
        f"preset.{n}.{part}"
        for n, preset in PRESETS.items()
        for part in ("title", "claim")
        if EN[f"preset.{n}.{part}"] != getattr(preset, part)
    ]
    assert differ == []


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


# -- the Chinese table against its glossary -----------------------------------------------------

GLOSSARY = tomllib.loads((LOCALES / "glossary" / "zh.toml").read_text())
_NOT_WORDS = re.compile(
    r"\{[^{}]*\}|(`+).+?\1|\$\$.+?\$\$|\$[^$\n]+?\$|Gradient Lab|\b[A-Z][A-Z0-9_]{3,}\b", re.S
)


def _words(text: str) -> str:
    """A string without its placeholders, code spans, formulas and names (the app's, and
    settings in capitals): words, not names."""
    return _NOT_WORDS.sub(" ", text)


def glossary_misses(zh: dict[str, str], glossary: dict) -> list[str]:
    """Where the Chinese table strays from its glossary: a term the English uses that the
    Chinese lacks, a word to avoid outside a first-use form, or a section (the key's first
    part) whose first use of a term lacks its first-use form."""
    misses = []
    for term in glossary["term"]:
        pattern = re.compile(term["en"], re.I)
        first_seen: set[str] = set()
        for key, text in zh.items():
            if pattern.search(_words(EN[key])) and term["zh"] not in text:
                misses.append(f"{key}: English says /{term['en']}/, Chinese lacks {term['zh']}")
            section = key.split(".")[0]
            if "first_use" in term and term["zh"] in text and section not in first_seen:
                first_seen.add(section)
                if term["first_use"] not in text:
                    misses.append(f"{key}: first {term['zh']} of [{section}] without its gloss")
    long_forms = [term["first_use"] for term in glossary["term"] if "first_use" in term]
    for key, text in zh.items():
        bare = text
        for form in long_forms:
            bare = bare.replace(form, "")
        misses += [f"{key}: avoids {word}" for word in glossary["avoid"] if word in bare]
    return misses


def test_the_chinese_table_uses_the_glossarys_terms():
    assert len(GLOSSARY["term"]) > 40
    assert glossary_misses(dict(LANGUAGES["zh"]), GLOSSARY) == []


def test_the_glossary_check_finds_a_term_dropped_an_avoided_word_and_a_missing_gloss():
    zh = dict(LANGUAGES["zh"])
    zh["dn.train"] = "开始"  # English "Train": no term, still fine
    assert glossary_misses(zh, GLOSSARY) == []
    key = next(k for k in zh if "学习率" in zh[k])
    broken = {**zh, key: zh[key].replace("学习率", "步长")}
    assert any(m.startswith(f"{key}:") and "学习率" in m for m in glossary_misses(broken, GLOSSARY))
    broken = {**zh, key: zh[key] + "池化"}
    assert f"{key}: avoids 池化" in glossary_misses(broken, GLOSSARY)
    first = next(k for k in zh if "汇聚（池化）" in zh[k])
    broken = {**zh, first: zh[first].replace("汇聚（池化）", "汇聚")}
    assert any(m.startswith(f"{first}: first 汇聚") for m in glossary_misses(broken, GLOSSARY))
