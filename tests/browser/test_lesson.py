"""A lesson in Chromium: a teacher locks the model section, writes a prompt and asks for a
prediction on Deep Networks, makes the link (and its QR code); a student opens the link in a
browser of their own, finds the model fields disabled and the prompt on top, predicts, trains
to the end and reads the measured answer next to theirs. Screenshots of both:
tests/screenshots/lesson-teacher.png and lesson-student.png."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from locales import LANGUAGES
from tests.support.app_server import CHROMIUM, ROOT, app_with_clean_log, launch_chromium

EN = LANGUAGES["en"]
SHOTS = ROOT / "tests" / "screenshots"
PROMPT = "Why does a deep sigmoid net <b>not</b> learn? Predict, then train."
assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with app_with_clean_log(tmp_path_factory.mktemp("app")) as server:
        yield server.url


def screenshot(page, name: str) -> None:
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(max(900, height + 40), 8000)})
    time.sleep(0.6)
    page.screenshot(path=SHOTS / f"{name}.png")
    page.set_viewport_size({"width": 1440, "height": 900})


def test_a_teacher_shares_a_lesson_and_a_student_predicts_trains_and_reads_the_answer(app_url):
    SHOTS.mkdir(exist_ok=True)
    params = "model.depth=3&data.n_samples=300&train.epochs=3"
    with sync_playwright() as p:
        browser = launch_chromium(p)
        teacher = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        teacher.goto(f"{app_url}/deep_networks?{params}")
        main = teacher.get_by_test_id("stMain")
        expect(teacher.get_by_role("button", name=re.compile("^Train"))).to_be_enabled(
            timeout=60_000
        )
        main.get_by_text(EN["lesson.share"]).click()
        model = main.get_by_role("radiogroup", name=EN["dn.section.model"])
        model.get_by_text(EN["lesson.visibility.locked"]).click()
        main.get_by_label(EN["lesson.prompt"]).fill(PROMPT)
        main.get_by_text(EN["lesson.ask"]).click()
        question = main.get_by_label(EN["lesson.question"])
        question.fill("Which layer's gradient is larger at the first step?")
        question.press("Tab")
        main.get_by_role("button", name=EN["lesson.make"]).click()
        code = main.locator("code").filter(has_text="lesson=")
        expect(code).to_have_count(1, timeout=30_000)
        link = code.inner_text().strip()
        expect(main.get_by_role("img")).to_have_count(1)  # the QR code
        screenshot(teacher, "lesson-teacher")

        student = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        errors: list[str] = []
        student.on("pageerror", lambda exc: errors.append(str(exc)))
        assert link.startswith(f"{app_url}/deep_networks?lesson=")  # a whole link to share
        student.goto(link)
        main = student.get_by_test_id("stMain")
        expect(main.get_by_text(PROMPT, exact=True)).to_be_visible(timeout=60_000)
        train = student.get_by_role("button", name=re.compile("^Train"))
        expect(train).to_be_disabled()  # predict first
        side = student.get_by_test_id("stSidebar")
        expect(side.get_by_role("slider", name=re.compile("Hidden layers"))).to_be_disabled()
        main.get_by_text(EN["lesson.answer_larger_gradient_at_start_1"]).click()
        expect(train).to_be_enabled(timeout=30_000)
        train.click()
        said = main.get_by_text(re.compile(r"^You predicted"))
        expect(said).to_be_visible(timeout=120_000)
        expect(main.get_by_text(re.compile(r"^Gradient norm at the first step: "))).to_be_visible()
        assert student.locator('[data-testid="stException"]').count() == 0
        assert not errors, errors
        screenshot(student, "lesson-student")
        browser.close()
