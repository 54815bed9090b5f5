"""Lessons for AppTest: one stored from a page's preset, and a lesson link opened."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from models.fields import with_changes
from models.infra.store import RunStore
from models.teaching.lessons import lesson_from_page
from models.teaching.presets import PRESETS
from tests.support import DASHBOARD
from ui.i18n import t

PAGES = {  # page -> (prefix, a preset of that page's net)
    "deep_networks": ("dn", "vanishing_sigmoid"),
    "recurrent": ("rn", "rnn_adding_lstm"),
    "cnn": ("cnn", "cnn_shapes_max"),
}
SMALL = {"data.n_samples": "300", "train.epochs": "2"}


def store_lesson(page: str, changes: dict | None = None, **rest) -> str:
    cfg = with_changes(PRESETS[PAGES[page][1]].config(), changes or {})
    lesson = lesson_from_page(page, cfg, rest.pop("variants", {}), **rest)
    return RunStore().save_lesson(lesson.model_dump_json())


def open_lesson(page: str, lesson_id: str, **params) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.query_params["lesson"] = lesson_id
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def train_button(at: AppTest):
    return next(b for b in at.button if b.label == t("dn.train"))


def train_to_end(at: AppTest, prefix: str) -> None:
    """Click Train on a lesson page and rerun until its runs have ended (at most 120 s)."""
    train_button(at).click().run()
    deadline = time.monotonic() + 120
    while at.session_state[f"{prefix}:group"].active and time.monotonic() < deadline:
        time.sleep(0.25)
        at.run()
    at.run()
    assert not at.exception, at.exception
