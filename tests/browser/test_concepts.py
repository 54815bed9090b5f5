"""Home and the concept pages as a new user sees them: Chromium at 1440 x 900 (Playwright), the
app served by `streamlit run` on 127.0.0.1. The first step is on the first screen and opens the
vanishing-gradient comparison; every concept chart stays inside its column. Screenshots go to
tests/screenshots/ (git-ignored)."""

import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.app_server import CHROMIUM, ROOT, AppServer, launch_chromium
from ui.i18n import t

SHOTS = ROOT / "tests" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}
assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}"

# Each chart's drawing (canvas or svg) against the block it sits in: a column, or the page.
OVERFLOW = """() => [...document.querySelectorAll('[data-testid="stMain"] .vega-embed')].map(e => {
  const drawn = e.querySelector('canvas, svg').getBoundingClientRect();
  const block = e.closest('[data-testid="stVerticalBlock"]').getBoundingClientRect();
  return Math.round(drawn.right - block.right);
})"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with AppServer(tmp_path_factory.mktemp("app") / "server.log") as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    yield pg
    context.close()


def test_the_first_step_is_on_the_first_screen_and_opens_the_vanishing_comparison(page, app_url):
    SHOTS.mkdir(exist_ok=True)
    page.goto(app_url)
    link = page.get_by_role("link", name=t("home.start.button"))
    expect(link).to_be_visible(timeout=30_000)
    box = link.bounding_box()
    assert box["y"] + box["height"] <= VIEWPORT["height"], box  # no scrolling needed
    page.screenshot(path=SHOTS / "home.png")
    link.click()
    expect(page.get_by_role("button", name=t("dn.train"))).to_be_enabled(timeout=60_000)
    time.sleep(1)  # the page writes its own URL back after its first run
    params = parse_qs(urlparse(page.url).query)
    assert urlparse(page.url).path.endswith("/deep_networks")
    # A sigmoid, B ReLU + He, C sigmoid + batch norm, D sigmoid + residual
    assert params["model.activation"] == ["sigmoid"] and params["model.depth"] == ["10"]
    assert params["b.model.activation"] == ["relu"]
    assert params["b.model.initializer"] == ["he_normal"]
    assert params["c.model.batch_norm"] == ["true"]
    assert params["d.model.residual"] == ["true"]
    assert not page.get_by_text(t("dn.url_notice")).count()


@pytest.mark.parametrize(
    ("path", "charts"),
    [
        ("activations", 2),
        ("optimizers", 2),
        ("optimizers?" + urlencode({"opt_f": "Saddle x² − y²"}), 2),
    ],
)
def test_every_concept_chart_stays_inside_its_column(page, app_url, path, charts):
    page.goto(f"{app_url}/{path}")
    main = page.locator('[data-testid="stMain"]')
    expect(main.locator(".vega-embed").first).to_be_visible(timeout=120_000)
    main.evaluate("m => m.scrollTo(0, m.scrollHeight)")  # charts below the fold render too
    expect(main.locator(".vega-embed")).to_have_count(charts, timeout=30_000)
    time.sleep(1)  # a container-wide chart takes its width after the first draw
    overflow = page.evaluate(OVERFLOW)
    assert len(overflow) == charts and max(overflow) <= 0, (path, overflow)


def test_the_backprop_equations_fit_the_page_at_the_largest_net(page, app_url):
    page.goto(f"{app_url}/backprop?bp_in=4&bp_h=4&bp_out=4")
    equations = page.locator('[data-testid="stMain"] .katex-display')
    expect(equations).to_have_count(12, timeout=120_000)  # 6 forward, 6 backward
    # what does not fit scrolls inside the equation's box: its hidden width (KaTeX's aligned
    # rows report 2 px of it from their struts)
    hidden = equations.evaluate_all("es => es.map(e => e.scrollWidth - e.clientWidth)")
    assert max(hidden) <= 2, hidden  # a 4 x 4 product on one row hid ~200 px
