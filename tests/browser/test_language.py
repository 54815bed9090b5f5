"""The lab in Chinese in Chromium: a browser whose language is Chinese (Playwright's
``locale="zh-CN"``) opens Deep Networks by a link without ``?lang=``, and the page, the
sidebar, the status lines, the verdict and the charts are in Chinese; a preset runs to its end
(screenshot: tests/screenshots/zh-deep_networks-vanishing_sigmoid.png). The sidebar's selector
then switches to English: the URL says ``lang=en``, and keeps saying it on another page.
"""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from locales import LANGUAGES
from tests.support.app_server import CHROMIUM, ROOT, app_with_clean_log, launch_chromium
from tests.support.visible_text import english_runs

ZH, EN = LANGUAGES["zh"], LANGUAGES["en"]
SHOTS = ROOT / "tests" / "screenshots"
assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}"
# Streamlit's own words, which the app cannot translate (listed in the README): the skip link,
# the file uploader's.
STREAMLIT_OWN = (
    "Skip to main content",
    "Drag and drop file here",
    "Browse files",
    "Limit 200MB per file",
)
# The page's text as a user reads it, without code spans, formulas and charts (drawn on canvas).
PAGE_TEXT = """() => {
  const hidden = [...document.querySelectorAll(
      'code, .katex, .vega-embed, [data-testid="stFileUploaderDropzone"]')];
  hidden.forEach(n => n.style.setProperty('display', 'none'));
  const text = document.querySelector('[data-testid="stAppViewContainer"]').innerText;
  hidden.forEach(n => n.style.removeProperty('display'));
  return text;
}"""


def ended(lang: str) -> re.Pattern:
    """A status line of a run that completed, in lang."""
    parts = re.split(r"\{[^{}]*\}", LANGUAGES[lang]["dn.status.completed"])
    return re.compile(".+?".join(map(re.escape, parts)))


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with app_with_clean_log(tmp_path_factory.mktemp("app")) as server:
        yield server.url


def test_a_chinese_browser_gets_the_lab_in_chinese_and_a_preset_runs_to_its_end(app_url):
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{app_url}/deep_networks")  # no ?lang=: the browser's language decides
        train = page.get_by_role("button", name=re.compile(f"^{ZH['dn.train']}"))
        expect(train).to_have_count(1, timeout=60_000)  # not a stale copy beside it
        expect(train).to_be_enabled(timeout=60_000)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_text(ZH["nav.deep_networks"], exact=True)).to_be_visible()

        side = page.get_by_test_id("stSidebar")
        side.get_by_role("combobox").nth(1).click()  # after the language: the preset picker
        page.get_by_role("option", name=ZH["preset.vanishing_sigmoid.title"], exact=True).click()
        expect(train).to_have_count(1, timeout=60_000)  # not a stale copy beside it
        expect(train).to_be_enabled(timeout=60_000)
        train.click()
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text(ended("zh"))).to_have_count(1, timeout=240_000)
        claim = ZH["preset.vanishing_sigmoid.claim"][:12]  # the claim stays, in Chinese
        expect(main.get_by_text(claim).first).to_be_visible()
        time.sleep(1.5)  # the last redraw of the charts
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not errors, errors
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
        )
        page.set_viewport_size({"width": 1440, "height": min(max(900, height + 40), 8000)})
        time.sleep(0.6)
        page.screenshot(path=SHOTS / "zh-deep_networks-vanishing_sigmoid.png")
        page.set_viewport_size({"width": 1440, "height": 900})

        lines = [line for line in page.evaluate(PAGE_TEXT).splitlines() if line.strip()]
        english = [
            line for line in lines if english_runs(line) and not line.startswith(STREAMLIT_OWN)
        ]
        assert english == [], english
        assert sum(any("\u4e00" <= c <= "\u9fff" for c in line) for line in lines) > 20

        # The selector switches to English and writes ?lang=en, kept on the next page.
        side.get_by_role("combobox").nth(0).click()
        page.get_by_role("option", name=EN["app.language_name"], exact=True).click()
        expect(page.get_by_role("button", name=re.compile(f"^{EN['dn.train']}"))).to_be_visible(
            timeout=30_000
        )
        expect(page).to_have_url(re.compile(r"[?&]lang=en\b"))
        nav.get_by_text(EN["nav.compare"], exact=True).click()
        expect(page).to_have_url(re.compile(r"/compare\?(.*&)?lang=en\b"), timeout=30_000)
        expect(main.get_by_text(EN["cmp.title"]).first).to_be_visible()
        browser.close()
