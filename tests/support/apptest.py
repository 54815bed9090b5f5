"""The dashboard driven through Streamlit's AppTest, as a user drives it: open a lab or a page
(from a link, or by setting its widgets), press its buttons, train until every run has ended, and
read what the page shows.

Pages are opened from DASHBOARD, an absolute path, so a test in any folder opens the same app.
The job pool is a cached resource, so every AppTest in one process shares its warm workers.
"""

import json
import re
import time

from streamlit.testing.v1 import AppTest

from locales import LANGUAGES, say
from models.fields import FIELDS
from tests.support import DASHBOARD

SMALL = {"data.n_samples": "300", "train.epochs": "3", "train.snapshot_every": "10"}


def open_lab(params: dict[str, str] | None = None, page: str = "pages/deep_networks.py") -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page(page)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def open_page(name, widgets=None):
    """The page, then each widget (by key) set as a user would. (AppTest does not seed widgets
    bound to the URL; tests/browser/test_dashboard.py opens these pages by URL in Chromium.)"""
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.run()
    at.switch_page(f"pages/{name}.py")
    at.run()
    for (kind, key), value in (widgets or {}).items():
        getattr(at, kind)(key=key).set_value(value)
        at.run()
    assert not at.exception, at.exception
    return at


def open_link(page: str, params: dict | None = None, timeout: float = 120) -> AppTest:
    """A page of the dashboard opened from a link carrying `params` (a list value is a key
    repeated in the URL). Concept pages compute in a worker that may still import TensorFlow."""
    at = AppTest.from_file(DASHBOARD, default_timeout=timeout)
    at.run()
    at.switch_page(f"pages/{page}.py")
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def statuses(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def _ended_patterns(lang: str) -> list[re.Pattern]:
    """A status line of a run that ended, in lang: the end statuses' templates as patterns."""
    patterns = []
    for status in ("completed", "diverged", "stopped", "failed"):
        parts = re.split(r"\{[^{}]*\}", LANGUAGES[lang][f"dn.status.{status}"])
        patterns.append(re.compile(".+?".join(map(re.escape, parts)), re.S))
    return patterns


def train_until_done(at: AppTest, timeout: float = 180, lang: str = "en") -> list[str]:
    button(at, LANGUAGES[lang]["dn.train"]).click().run()
    ended = _ended_patterns(lang)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert not at.exception, at.exception
        texts = statuses(at)
        if texts and all(any(p.fullmatch(s) for p in ended) for s in texts):
            at.run()  # the rerun the fragment asks for once every run has ended
            return texts
        time.sleep(0.25)
        at.run()
    raise AssertionError(f"training did not finish: {statuses(at)}")


def run_card(at: AppTest, qid: str, timeout: float = 120) -> None:
    """Press a Questions card's Run on the open Questions page and rerun until its runs ended."""
    at.button(key=f"q:{qid}:run").click().run()
    deadline = time.monotonic() + timeout
    while not at.session_state[f"q:{qid}"].done and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    at.run()


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def texts(at):
    return " ".join(m.value for m in at.markdown)


def field(at: AppTest, kind: str, key: str):
    """A config form's widget by its key without the form's version ("dn:model.depth"): the
    form makes new widgets, ``dn:model.depth@2``, each time a preset or a link loads
    (ui.config_form.widget_key)."""
    versioned = re.compile(re.escape(key) + r"(@\d+)?")
    return next(w for w in getattr(at, kind) if w.key and versioned.fullmatch(w.key))


def sidebar_widgets(at: AppTest, prefix: str) -> dict[str, object]:
    """Every config widget in the sidebar by key (without the form's version), with its
    value."""
    out = {}
    for kind in ("slider", "selectbox", "number_input", "toggle", "radio", "multiselect"):
        for w in getattr(at.sidebar, kind):
            if w.key and w.key.startswith(f"{prefix}:"):
                out[re.sub(r"@\d+$", "", w.key)] = w.value
    return out


def unescaped(text: str) -> str:
    return text.replace("\\", "")  # user text inside Markdown is shown backslash-escaped


def shown(text: str) -> str:
    """Markdown source as it reads on the page: escaped characters unescaped."""
    return re.sub(r"\\(.)", r"\1", text)


def one_sentence(elements) -> str:
    [element] = elements
    text = shown(element.value)
    assert "\n" not in text and "Traceback" not in text
    return text


# What a link or a file may carry, and the words a refusal of it holds.
TEN_KB = "9" * 10_000


def allowed(path: str) -> str:
    """The start of a field's out-of-range sentence: 'model.depth must be an integer from 1 to
    64', worded from the string tables as the page words it."""
    return f"{path} must be {say(FIELDS[path].allowed())}"
