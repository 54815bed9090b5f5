"""Saved runs belong to the browser (ui/owner.py), in a real browser: a run trained on Deep
Networks is still on Compare after a reload (its owner token is a cookie), another browser sees
none of it, and "Forget my runs" empties the list for good. Debian's Chromium driven by
Playwright; the app on its own database, so the lists hold only this test's runs."""

import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.app_server import CHROMIUM, ROOT, AppServer, launch_chromium
from ui.owner import COOKIE, TOKEN

SHOTS = ROOT / "tests" / "screenshots"
TRAIN = re.compile(r"^Train( Shortcut|$)")  # the button's name includes its shortcut's hint
VIEWPORT = {"width": 1500, "height": 2400}
assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    where = tmp_path_factory.mktemp("owner")  # its database and its server log
    with AppServer(where / "app.log", env={"GRADIENT_LAB_DB": str(where / "runs.db")}) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def owner_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == COOKIE), None)


def open_compare(page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=30_000)


def test_a_run_survives_a_reload_stays_private_and_is_forgotten_on_request(browser, app_url):
    SHOTS.mkdir(exist_ok=True)
    mine = browser.new_context(viewport=VIEWPORT)
    page = mine.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    params = {"data.n_samples": "200", "train.epochs": "1"}
    page.goto(f"{app_url}/deep_networks?{urlencode(params)}")
    train = page.get_by_role("button", name=TRAIN)
    expect(train).to_have_count(1, timeout=60_000)  # not a stale copy beside it
    expect(train).to_be_enabled(timeout=60_000)
    train.click()
    ended = page.get_by_text(re.compile(r"^A: (completed|diverged)"))
    expect(ended).to_have_count(1, timeout=90_000)
    expect(page.get_by_text("Saved to your runs (1)")).to_have_count(1, timeout=15_000)

    # The owner token is in a cookie: a year, the whole site, SameSite=Strict, never in the URL.
    page.wait_for_function(f"() => document.cookie.includes('{COOKIE}=')", timeout=10_000)
    cookie = owner_cookie(mine)
    assert TOKEN.fullmatch(cookie["value"]), cookie
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["expires"] > time.time() + 360 * 24 * 3600
    assert cookie["value"] not in page.url
    page.screenshot(path=SHOTS / "deep_networks_saved_run.png", full_page=True)

    page.reload()  # F5: a new Streamlit session, the same browser
    expect(page.get_by_role("button", name=TRAIN)).to_be_enabled(timeout=60_000)
    open_compare(page)
    expect(page.locator(".vega-embed")).to_have_count(1, timeout=30_000)  # the run, charted
    expect(page.get_by_text("No saved runs yet")).to_have_count(0)
    page.screenshot(path=SHOTS / "compare_after_reload.png", full_page=True)

    theirs = browser.new_context(viewport=VIEWPORT)  # another browser: no cookie
    other = theirs.new_page()
    other.goto(f"{app_url}/compare")
    expect(other.get_by_text("No saved runs yet")).to_be_visible(timeout=30_000)
    assert owner_cookie(theirs) is None or owner_cookie(theirs)["value"] != cookie["value"]
    theirs.close()

    page.get_by_text("Forget my runs").click()  # the expander
    page.get_by_role("button", name="Delete my 1 runs").click()
    expect(page.get_by_text("Forgotten: 1 run(s) deleted")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("No saved runs yet")).to_be_visible()
    page.wait_for_function(
        f"() => document.cookie.includes('{COOKIE}=') && "
        f"!document.cookie.includes('{cookie['value']}')",
        timeout=10_000,
    )  # a new token, so a new list
    page.screenshot(path=SHOTS / "compare_forgotten.png", full_page=True)
    page.reload()
    expect(page.get_by_text("No saved runs yet")).to_be_visible(timeout=30_000)
    assert not errors
    mine.close()
