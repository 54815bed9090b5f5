"""A class lesson in Chromium, each person in a browser context of their own.

A teacher locks the model section on Deep Networks, writes a prompt, asks for a prediction,
makes it a class and gets three links (the lesson, with the class id; the board to project; the
board with the admin key) and the QR code. Three students open the lesson link, find the model
fields disabled and the prompt on top, join under a name, predict, each set a learning rate of
their own, train to the end, read the measured answer next to theirs and share the run with one
click. The read-only board then lists the three runs (names as typed, shown as text) and the
prediction's tally, with no teacher's controls; the admin link hides one entry.

Screenshots: tests/screenshots/lesson-teacher.png, lesson-student.png, lesson-board.png,
lesson-board-admin.png.
"""

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
STUDENTS = [  # name as typed, the answer picked (0: first layer's), the learning rate set
    ("Li <script>alert(1)</script>", 1, "0.001"),
    ("Wang **Fang**", 1, "0.01"),
    ("Zhang", 0, "0.1"),
]
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


def make_class_lesson(browser, app_url: str) -> dict[str, str]:
    """The teacher's clicks; returns the three links the page gave."""
    teacher = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    params = "model.depth=3&data.n_samples=300&train.epochs=3"
    teacher.goto(f"{app_url}/deep_networks?{params}")
    main = teacher.get_by_test_id("stMain")
    expect(teacher.get_by_role("button", name=re.compile("^Train"))).to_be_enabled(timeout=60_000)
    main.get_by_text(EN["lesson.share"]).click()
    model = main.get_by_role("radiogroup", name=EN["dn.section.model"])
    model.get_by_text(EN["lesson.visibility.locked"]).click()
    main.get_by_label(EN["lesson.prompt"]).fill(PROMPT)
    main.get_by_text(EN["lesson.ask"]).click()
    question = main.get_by_label(EN["lesson.question"])
    question.fill("Which layer's gradient is larger at the first step?")
    question.press("Tab")
    main.get_by_text(EN["lesson.as_class"]).click()
    main.get_by_role("button", name=EN["lesson.make"]).click()
    codes = main.locator("code")
    expect(codes.filter(has_text="admin=")).to_have_count(1, timeout=30_000)
    lesson, board, admin = (c.strip() for c in codes.all_inner_texts()[-3:])
    expect(main.get_by_role("img")).to_have_count(1)  # the QR code
    screenshot(teacher, "lesson-teacher")
    teacher.context.close()
    return {"lesson": lesson, "board": board, "admin": admin}


def student_takes_the_lesson(browser, link: str, name: str, answer: int, rate: str, shot: bool):
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(link)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(PROMPT, exact=True)).to_be_visible(timeout=60_000)
    train = page.get_by_role("button", name=re.compile("^Train"))
    expect(train).to_be_disabled()  # predict first
    side = page.get_by_test_id("stSidebar")
    expect(side.get_by_role("slider", name=re.compile("Hidden layers"))).to_be_disabled()
    main.get_by_label(EN["class.name"], exact=True).fill(name)
    main.get_by_role("button", name=EN["class.join"]).click()
    expect(main.get_by_text(EN["class.joined"].format(name=name), exact=True)).to_be_visible(
        timeout=30_000
    )
    rate_box = side.get_by_label(EN["field.optimizer.learning_rate"], exact=True)
    rate_box.fill(rate)
    rate_box.press("Enter")
    answers = (
        "lesson.answer_larger_gradient_at_start_0",
        "lesson.answer_larger_gradient_at_start_1",
    )
    main.get_by_text(EN[answers[answer]]).click()
    expect(train).to_have_count(1, timeout=30_000)  # one Train, not a stale copy beside it
    expect(train).to_be_enabled(timeout=30_000)
    expect(rate_box).to_have_value(rate)
    train.click()
    # exactly one each: while a full run redraws what the live fragment drew, the frontend can
    # show the old element next to the new one for a moment (a count waits that out)
    expect(main.get_by_text(re.compile(r"^You predicted"))).to_have_count(1, timeout=180_000)
    expect(main.get_by_text(re.compile(r"^Gradient norm at the first step: "))).to_have_count(1)
    share = main.get_by_role("button", name=EN["class.share"].format(count=1))
    expect(share).to_have_count(1, timeout=30_000)
    share.click()
    expect(main.get_by_text(EN["class.shared"].format(count=1))).to_have_count(1, timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not errors, errors
    if shot:
        screenshot(page, "lesson-student")
    return page


def test_a_class_lesson_three_students_and_the_board(app_url):
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        links = make_class_lesson(browser, app_url)
        assert links["lesson"].startswith(f"{app_url}/deep_networks?lesson=")
        assert "&class=" in links["lesson"] and "admin=" not in links["lesson"]
        assert "admin=" not in links["board"]
        students = [
            student_takes_the_lesson(browser, links["lesson"], name, answer, rate, shot=i == 0)
            for i, (name, answer, rate) in enumerate(STUDENTS)
        ]

        board = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        board.goto(links["board"])
        main = board.get_by_test_id("stMain")
        expect(
            main.get_by_text(re.compile(r"^3 student\(s\) joined, 3 run\(s\) shared"))
        ).to_be_visible(timeout=60_000)
        grid = main.get_by_test_id("stDataFrame")
        expect(grid).to_have_count(2)  # the tally and the runs
        screenshot(board, "lesson-board")
        # the grid draws on a canvas; its accessible table holds each cell's text
        cells = grid.last.locator("td").all_text_contents()
        for name, _, _ in STUDENTS:
            assert name in cells
        tally = grid.first.locator("td").all_text_contents()  # answer, chose it, measured it
        chose = [int(tally[i + 1]) for i in range(0, len(tally), 3)]
        assert chose == [1, 2] and sum(int(tally[i + 2]) for i in range(0, len(tally), 3)) == 3
        expect(main.locator(".vega-embed")).to_have_count(1)  # learning rate vs outcome
        expect(main.get_by_role("button", name=EN["board.hide"])).to_have_count(0)  # read-only
        assert board.locator('[data-testid="stException"]').count() == 0
        screenshot(board, "lesson-board")

        admin = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        admin.goto(links["admin"])
        main = admin.get_by_test_id("stMain")
        hide = main.get_by_role("button", name=EN["board.hide"])
        expect(hide).to_be_visible(timeout=60_000)
        hide.click()
        expect(main.get_by_role("button", name=EN["board.show"])).to_be_visible(timeout=30_000)
        screenshot(admin, "lesson-board-admin")
        board.reload()
        main = board.get_by_test_id("stMain")
        expect(main.get_by_text(re.compile(r"^3 student\(s\) joined"))).to_be_visible(
            timeout=60_000
        )
        for page in students:
            page.context.close()
        browser.close()
