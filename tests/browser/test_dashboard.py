"""The dashboard in a real browser: Debian's Chromium driven by Playwright, the app served by
`streamlit run` on 127.0.0.1. Loads shared URLs, clicks Train, waits for the end, checks the
charts and the divergence banner, and saves screenshots to tests/screenshots/ (git-ignored)."""

import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect, sync_playwright

from models.infra.store import RunStore
from tests.support.app_server import CHROMIUM, ROOT, AppServer, launch_chromium
from tests.support.browser import wait_until_ended

SHOTS = ROOT / "tests" / "screenshots"
# A missing browser must fail the suite, not skip it: CI installs Chromium (.ci/run).
assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}"


@pytest.fixture(scope="module")
def app_url():
    with AppServer(ROOT / "tests" / ".browser-app.log") as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    # Tall, because Streamlit scrolls inside the page and a full-page screenshot would stop at
    # the first screen.
    context = browser.new_context(viewport={"width": 1500, "height": 3400})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    context.close()


def open_lab(page, app_url: str, params: dict, path: str = "deep_networks") -> None:
    page.goto(f"{app_url}/{path}?{urlencode(params)}")
    expect(page.get_by_role("button", name="Train")).to_be_enabled(timeout=60_000)


def test_a_shared_link_trains_side_by_side_and_draws_every_chart(page, app_url):
    SHOTS.mkdir(exist_ok=True)
    params = {
        "model.depth": "6",
        "model.activation": "sigmoid",
        "optimizer.name": "sgd",
        "optimizer.learning_rate": "0.1",
        "train.epochs": "8",
        "b.model.activation": "relu",
        "b.model.initializer": "he_normal",
    }
    open_lab(page, app_url, params)  # the fresh server's first request is this deep link
    nav = page.get_by_test_id("stSidebarNav")  # served through dashboard.py
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Deep Networks")).to_be_visible()
    expect(page.get_by_text("What differs")).to_be_visible()
    page.get_by_role("button", name="Train").click()
    # a guard, not a speed check (bench/dashboard.py times it): the fresh server's workers
    # import TensorFlow and compile while a busy machine serves them
    expect(page.locator(".vega-embed").first).to_be_visible(timeout=90_000)
    page.screenshot(path=SHOTS / "deep_networks_training.png", full_page=True)
    wait_until_ended(page, runs=2)
    expect(page.locator(".vega-embed")).to_have_count(5, timeout=10_000)
    expect(page.get_by_text("A: completed")).to_be_visible()
    expect(page.get_by_text("B: completed")).to_be_visible()
    # One download menu per run, and one archive of both.
    expect(page.get_by_role("button", name="Download all runs (.zip)")).to_be_visible(
        timeout=15_000
    )
    page.get_by_role("button", name="Download A", exact=True).click()
    expect(page.get_by_role("button", name="Download metrics (CSV)", exact=True)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download metrics (CSV)", exact=True).click()
    assert download.value.suggested_filename == "gradient-lab-a-sigmoid.metrics.csv"
    page.keyboard.press("Escape")
    assert "model.activation=sigmoid" in page.url and "b.model.activation=relu" in page.url
    page.screenshot(path=SHOTS / "deep_networks_side_by_side.png", full_page=True)
    assert not page.errors


def test_bad_params_in_a_link_show_a_notice_and_the_page_still_works(page, app_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = "<img src=x onerror=alert(1)>"
    open_lab(page, app_url, {"model.depth": "abc", "model.width": hostile, hostile: "[x](y)"})
    expect(page.get_by_text("Some settings in the link were ignored")).to_be_visible()
    expect(page.get_by_text("ignored model.depth")).to_be_visible()
    expect(page.get_by_text(hostile).first).to_be_visible()  # shown as text, not as markup
    assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
    assert not dialogs
    page.screenshot(path=SHOTS / "deep_networks_notice.png", full_page=True)
    assert not page.errors


def test_closing_the_tab_cancels_its_run(browser, app_url):
    log = ROOT / "tests" / ".browser-app.log"
    before = log.read_text().count("its browser session ended")
    context = browser.new_context()
    page = context.new_page()
    # 200,000 steps (the schema's maximum): still training long after the tab is gone.
    long_run = {"data.n_samples": "20000", "model.width": "64", "train.epochs": "400"}
    open_lab(page, app_url, long_run)
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text(re.compile(r"^A: step [1-9]"))).to_be_visible(timeout=120_000)
    context.close()  # the tab goes away mid-run
    deadline = time.monotonic() + 30  # the reaper checks every 2 s; a loaded CI box is slow
    while log.read_text().count("its browser session ended") == before:
        assert time.monotonic() < deadline, "the orphaned run was not cancelled within 30 s"
        time.sleep(0.5)


def test_the_recurrent_page_trains_two_cells_from_a_link(page, app_url):
    SHOTS.mkdir(exist_ok=True)
    params = {
        "data.seq_len": "20",
        "data.n_samples": "400",
        "train.epochs": "3",
        "model.arch": "simple_rnn",
        "b.model.arch": "lstm",
    }
    open_lab(page, app_url, params, path="recurrent")
    expect(
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Recurrent")
    ).to_be_visible()
    page.get_by_role("button", name="Train").click()
    ended = page.get_by_text(re.compile(r"^(SimpleRNN|LSTM): (completed|diverged|stopped)"))
    expect(ended).to_have_count(2, timeout=180_000)
    expect(page.get_by_text("SimpleRNN: completed")).to_be_visible()
    expect(page.get_by_text("LSTM: completed")).to_be_visible()
    # loss + baseline, gradient through time (profile and heatmap), forget gate, grad norms
    expect(page.locator(".vega-embed")).to_have_count(5, timeout=15_000)
    expect(
        page.get_by_text(re.compile(r"count_params\(\) of the trained model: .*equal"))
    ).to_have_count(2)
    assert "b.model.arch=lstm" in page.url
    page.screenshot(path=SHOTS / "recurrent.png", full_page=True)
    assert not page.errors


def test_saved_runs_compare_in_the_session_and_open_elsewhere_only_by_link(browser, app_url):
    SHOTS.mkdir(exist_ok=True)
    mine = browser.new_context(viewport={"width": 1500, "height": 3400})
    page = mine.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_lab(page, app_url, {"data.n_samples": "300", "train.epochs": "3", "b.model.depth": "2"})
    page.get_by_role("button", name="Train").click()
    wait_until_ended(page, runs=2)
    expect(page.get_by_text("Saved to your runs (2)")).to_have_count(1, timeout=15_000)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Compare").click()
    expect(page.get_by_text("Drag across this strip").first).to_be_visible(timeout=30_000)
    expect(page.locator(".vega-embed")).to_have_count(1, timeout=15_000)  # the linked views
    expect(page.get_by_text("What differs")).to_be_visible()
    page.wait_for_function("() => location.search.includes('runs=')")
    ids = re.search(r"runs=([0-9a-f,%C]+)", page.url).group(1).replace("%2C", ",").split(",")
    assert len(ids) == 2
    page.screenshot(path=SHOTS / "compare.png", full_page=True)
    assert not errors

    theirs = browser.new_context(viewport={"width": 1500, "height": 2000})
    other = theirs.new_page()
    other.goto(f"{app_url}/compare")
    expect(other.get_by_text("No saved runs yet")).to_be_visible(timeout=30_000)
    other.goto(f"{app_url}/compare?runs={ids[0]}")
    expect(other.locator(".vega-embed")).to_have_count(1, timeout=30_000)
    expect(other.get_by_text(ids[0][:6]).first).to_be_visible()
    assert ids[1][:6] not in other.content()  # the other run of the first session stays private
    mine.close()
    theirs.close()


def test_concept_pages_follow_their_links_and_compute_in_the_worker(page, app_url):
    SHOTS.mkdir(exist_ok=True)
    # Widgets bound to the URL take their values from it (select boxes by their shown text);
    # a value out of range is dropped and the default used.
    page.goto(f"{app_url}/activations?act_n=7&act_x=99")
    expect(page.get_by_text(re.compile(r"After 7 layers, sigmoid's best case"))).to_be_visible(
        timeout=90_000
    )
    expect(page.get_by_text(re.compile(r"^sigmoid: f′ peaks at 0\.25 at x = 0"))).to_be_visible()
    # Two charts: the linked views, and the chain-rule product further down (drawn once it
    # is scrolled to, so the count is read at the bottom of the page).
    expect(page.locator(".vega-embed").first).to_be_visible(timeout=15_000)
    page.locator('[data-testid="stMain"]').evaluate("m => m.scrollTo(0, m.scrollHeight)")
    page.mouse.wheel(0, 20_000)
    expect(page.locator(".vega-embed")).to_have_count(2, timeout=30_000)
    page.screenshot(path=SHOTS / "activations.png", full_page=True)
    page.goto(f"{app_url}/optimizers?{urlencode({'opt_f': 'Saddle x² − y²', 'opt_x': '0.5'})}")
    expect(page.get_by_text(re.compile(r"^Newton stopped at a saddle"))).to_be_visible(
        timeout=60_000
    )
    page.screenshot(path=SHOTS / "optimizers.png", full_page=True)
    page.goto(f"{app_url}/backprop?bp_h=3")
    expect(
        page.get_by_text(re.compile(r"^All 13 gradients by hand equal GradientTape's"))
    ).to_be_visible(timeout=60_000)
    assert not page.errors


def test_the_cnn_page_checks_pooling_and_trains_a_cnn(page, app_url):
    page.goto(f"{app_url}/cnn?train.epochs=2")
    expect(page.get_by_text(re.compile(r"^Max pooling routed each window's whole"))).to_be_visible(
        timeout=90_000
    )
    expect(page.get_by_role("button", name="Train")).to_be_enabled(timeout=60_000)
    page.get_by_role("button", name="Train").click()
    wait_until_ended(page, 1)
    expect(page.get_by_text("A: completed")).to_be_visible()
    # 6 pooling matrices; loss, gradient norms, heatmap and the filters of the CNN
    expect(page.locator(".vega-embed")).to_have_count(10, timeout=15_000)
    page.screenshot(path=SHOTS / "cnn.png", full_page=True)
    assert "train.epochs=2" in page.url and not page.errors


PWNED = "window.__pwned=1"
PAYLOAD_IN_DOM = """() => [...document.querySelectorAll('script')]
    .filter(s => s.textContent.includes('__pwned')).length
  + document.querySelectorAll('img[src="x"], [onerror], [onload]').length"""


def test_no_script_in_a_run_name_or_a_link_ever_runs(page, app_url):
    """Script payloads in URL params, in a `runs=` link and in a run renamed on Compare: in the
    browser none runs (no dialog, window.__pwned stays unset), none becomes an element, and the
    name reads as the literal text it is."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def untouched() -> None:
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        assert page.evaluate(PAYLOAD_IN_DOM) == 0
        assert not dialogs, dialogs

    link = {
        "model.activation": f"<script>{PWNED}</script>",
        f"<img src=x onerror={PWNED}>": "1",
        "data.n_samples": "300",
        "train.epochs": "3",
    }
    train = page.get_by_role("button", name=re.compile(r"^Train"))
    page.goto(f"{app_url}/deep_networks?{urlencode(link)}")
    expect(train).to_have_count(1, timeout=60_000)  # not a stale copy beside it
    expect(train).to_be_enabled(timeout=60_000)
    expect(page.get_by_text(f"<script>{PWNED}</script>").first).to_be_visible()
    untouched()
    train.click()
    wait_until_ended(page, runs=1)
    expect(page.get_by_text("Saved to your runs (1)")).to_have_count(1, timeout=15_000)

    # Rename the run on Compare (same session), from the keyboard: type, then Enter.
    name = f'<img src=x onerror="{PWNED};alert(1)"><script>{PWNED}</script> {time.time_ns()}'
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Compare").click()
    page.get_by_text("Rename a run").click()
    field = page.get_by_role("textbox", name="New name")
    field.fill(name)
    field.press("Enter")
    expect(page.get_by_text("Renamed: the lists, tables and charts")).to_be_visible(timeout=15_000)
    (run_id,) = [r.id for _, r in RunStore().list_all() if r.name == name]  # stored verbatim
    label = f"{name} · {run_id[:6]}"  # as typed, in the share line and both pickers
    expect(page.get_by_text(f"{label}:", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stMultiSelect").get_by_text(label, exact=False)).to_be_visible()
    picker = page.get_by_role("combobox", name="Run (one of yours)")
    expect(picker).to_have_value(re.compile("^" + re.escape(label)))
    expect(page.locator(".vega-embed")).to_have_count(1, timeout=15_000)  # the linked views
    untouched()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "compare_renamed.png", full_page=True)

    # A share link whose runs= carries payloads next to the real id (a fresh page load).
    bad = [f"<script>{PWNED}</script>", f"<img src=x onerror={PWNED}>"]
    page.goto(f"{app_url}/compare?{urlencode({'runs': ','.join([*bad, run_id])})}")
    expect(page.get_by_text("These are not run ids and were ignored")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(bad[0], exact=False).first).to_be_visible()
    expect(page.get_by_text(f"{label}:", exact=False)).to_be_visible()
    expect(page.locator(".vega-embed")).to_have_count(1, timeout=15_000)  # the linked views
    untouched()
    assert not page.errors
