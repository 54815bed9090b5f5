"""Every preset and comparison of the three labs, and one Questions card, at their configured
length in a real browser, clicked as a user clicks: Debian's Chromium at 1440x900 against one
fresh `streamlit run` server. Each end state is checked as a reader would look at it:

- no error element on the page, and (at the end) no traceback or exception in the server log;
- every run ended and saved ("Saved to your runs (N)"), and the page says what was measured;
- every chart's drawn canvas inside its container;
- every chart spec the browser received gives a legend to each colour it encodes by a field
  (the specs are read from the app's websocket frames, as the browser got them).

A screenshot of each end state (the whole page, not only the first screen) goes to
tests/screenshots/gallery/; the paths are printed at the end of the module.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from google.protobuf.message import DecodeError
from playwright.sync_api import expect, sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from models.teaching.presets import COMPARISONS, PRESETS
from tests.support.app_server import CHROMIUM, GALLERY_REPORT, ROOT, AppServer, launch_chromium
from ui.i18n import t

SHOTS = ROOT / "tests" / "screenshots" / "gallery"
LOG = ROOT / "tests" / ".gallery-app.log"
assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}"  # fail, never skip

LABS = {"deep_networks": ("mlp",), "recurrent": ("simple_rnn", "lstm", "gru"), "cnn": ("cnn",)}


def _items() -> list[tuple[str, str, str, int]]:
    """(page, "preset" | "comparison", name, runs) for every preset and comparison of a lab."""
    items = []
    for path, archs in LABS.items():
        names = [n for n, p in PRESETS.items() if p.config().model.arch in archs]
        items += [(path, "preset", n, 1) for n in names]
        items += [
            (path, "comparison", c, len(members))
            for c, members in COMPARISONS.items()
            if set(members) <= set(names)
        ]
    return items


ITEMS = _items()
ENDED = re.compile(r"^[^:]{1,30}: (completed|diverged|stopped|failed)")
MEASURED = re.compile(r"^What the runs? measured:")
SAID_STARTS = ("What the run", "For scale", "At that floor", "Dead ReLU", "Both help", "The lower")
SHOWN: list[Path] = []
SAID: list[list[str]] = []  # each end state's status lines and measured sentences

# Each Vega view's drawn canvas against the element Streamlit sized for it.
CHART_BOXES = """() => [...document.querySelectorAll('[data-testid="stMain"] .vega-embed')]
  .filter(e => e.offsetParent !== null)
  .map(e => {
    const drawn = e.querySelector('canvas, svg').getBoundingClientRect();
    const box = e.parentElement.getBoundingClientRect();
    return {drawnLeft: drawn.left, drawnRight: drawn.right, boxLeft: box.left,
            boxRight: box.right, width: drawn.width};
  })"""


@pytest.fixture(scope="module")
def server(request):
    with AppServer(LOG) as app:
        yield app
    # Printed after the run's summary (tests/conftest.py): the screenshots to look at. A
    # write from here would go to pytest's capture, shown only when something fails.
    GALLERY_REPORT.parent.mkdir(parents=True, exist_ok=True)
    GALLERY_REPORT.write_text(
        "".join(
            f"  {path.relative_to(ROOT)}\n" + "".join(f"      {line}\n" for line in said)
            for path, said in zip(SHOWN, SAID, strict=False)
        )
    )
    log = LOG.read_text()
    assert not re.search(r"Traceback|Exception|Error\b", log), log[-3000:]


@pytest.fixture(scope="module")
def page(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        pg = context.new_page()
        pg.specs = []  # Vega-Lite specs as the browser received them
        pg.errors = []
        pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
        pg.on("websocket", lambda ws: ws.on("framereceived", lambda f: _collect(pg.specs, f)))
        yield pg
        browser.close()


def _collect(specs: list[dict], frame: str | bytes) -> None:
    """Every Vega-Lite chart the server sent in a websocket frame (a ForwardMsg protobuf)."""
    if not isinstance(frame, bytes):
        return
    msg = ForwardMsg()
    try:
        msg.ParseFromString(frame)
    except DecodeError:
        return
    if msg.HasField("delta") and msg.delta.HasField("new_element"):
        element = msg.delta.new_element
        if element.WhichOneof("type") == "vega_lite_chart":
            specs.append(json.loads(element.vega_lite_chart.spec))


def _colours_without_legend(spec: object) -> list[str]:
    """Each mark (other than text) that colours by a field and hides that colour's legend. A
    layer that writes each value on its cell (a text mark over the rects) needs no legend."""
    found = []
    if isinstance(spec, dict):
        layers = spec.get("layer") or []
        if any(isinstance(x, dict) and _mark_type(x) == "text" for x in layers):
            return []
        mark_type = _mark_type(spec)
        for channel in ("color", "fill", "strokeDash"):  # stroke: outlines, not series
            enc = (spec.get("encoding") or {}).get(channel)
            hidden = isinstance(enc, dict) and "legend" in enc and enc["legend"] is None
            if hidden and "field" in enc and mark_type != "text":
                found.append(f"{mark_type} {channel}={enc['field']}")
        for value in spec.values():
            found += _colours_without_legend(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _colours_without_legend(value)
    return found


def _mark_type(spec: dict) -> str | None:
    mark = spec.get("mark")
    return mark.get("type") if isinstance(mark, dict) else mark


def _screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main block, so the viewport is stretched
    to the content's height for the picture (same width, so the same layout)."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(max(900, height + 40), 8000)})
    time.sleep(0.6)  # the charts re-fit their new container
    path = SHOTS / f"{name}.png"
    page.screenshot(path=path)
    page.set_viewport_size({"width": 1440, "height": 900})
    SHOWN.append(path)
    return path


def _check_end_state(page, name: str, runs: int) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, name
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0, name
    assert not page.errors, page.errors
    shot = _screenshot(page, name)
    texts = page.get_by_test_id("stMain").locator("p").all_text_contents()
    SAID.append([x for x in texts if ENDED.match(x) or x.startswith(SAID_STARTS)])
    for box in page.evaluate(CHART_BOXES):
        assert box["width"] > 50, (name, box, shot)
        assert box["drawnRight"] <= box["boxRight"] + 1, (name, "chart wider than its column", shot)
        assert box["drawnLeft"] >= box["boxLeft"] - 1, (name, box, shot)
    missing = sorted({m for spec in page.specs for m in _colours_without_legend(spec)})
    assert not missing, (name, "a colour with no legend", missing)
    assert page.specs, "no chart spec was received"


@pytest.mark.parametrize("path, kind, name, runs", ITEMS, ids=[i[2] for i in ITEMS])
def test_every_lab_preset_and_comparison_runs_to_its_end(page, server, path, kind, name, runs):
    page.specs.clear()
    page.goto(f"{server.url}/{path}")
    side = page.get_by_test_id("stSidebar")
    # the sidebar's comboboxes: the language, then the preset and the comparison pickers
    picker = side.get_by_role("combobox").nth(1 if kind == "preset" else 2)
    picker.wait_for(timeout=60_000)
    picker.click()
    label = t(f"preset.{name}.title") if kind == "preset" else t(f"comparison.{name}")
    page.get_by_role("option", name=label, exact=True).click()
    # the pick has been applied once the page says what was loaded: a Train clicked before
    # that trains the form's previous runs (seen in CI: the page's default two cells)
    first = name if kind == "preset" else COMPARISONS[name][0]
    loaded = t("dn.preset_loaded", title=t(f"preset.{first}.title"), claim="").rstrip()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stAlert").filter(has_text=loaded)).to_be_visible(timeout=60_000)
    train = page.get_by_role("button", name=re.compile(r"^Train( Shortcut|$)"))
    expect(train).to_have_count(1, timeout=60_000)  # not a stale copy beside it
    expect(train).to_be_enabled(timeout=60_000)
    train.click()  # at once: the runs must be the preset's, not the form's previous values
    expect(main.get_by_text(ENDED)).to_have_count(runs, timeout=240_000)
    expect(main.get_by_text(f"Saved to your runs ({runs})")).to_have_count(1, timeout=30_000)
    expect(main.get_by_text(MEASURED)).to_have_count(1, timeout=10_000)
    # The claim is shown only when the trained configs are the preset's (or comparison's) own:
    # proof that the click trained what was picked, not the form's previous values.
    claim = "The claims:" if kind == "comparison" else "The claim:"
    expect(main.get_by_text(claim)).to_be_visible()
    statuses = main.get_by_text(ENDED).all_text_contents()
    members = COMPARISONS[name] if kind == "comparison" else (name,)
    assert len(statuses) == len(members), statuses
    if any("diverged" in s for s in statuses):  # an outcome, said with what to try
        expect(main.get_by_text("try clipnorm or a lower learning rate").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Stop"))).to_be_disabled(timeout=10_000)
    _check_end_state(page, f"{path}-{name}", runs)


def test_a_questions_card_runs_to_its_verdict_and_chart(page, server):
    """The dying-ReLU card: three runs with a progress bar each, then the verdict over the chart
    it read, and the runs saved for Compare."""
    qid, runs = "dying_relu", 3
    page.specs.clear()
    page.goto(f"{server.url}/questions")
    heading = page.get_by_role("heading", name=t(f"q.{qid}.question"))
    card = page.get_by_test_id("stVerticalBlock").filter(has=heading).last  # the innermost
    card.get_by_role("button", name=t("q.run")).click()
    expect(card.get_by_test_id("stProgress").first).to_be_visible(timeout=60_000)
    expect(card.get_by_text(f"Saved to your runs ({runs})")).to_have_count(1, timeout=240_000)
    verdict = re.compile(r"^(Both help|The lower rate helps|LeakyReLU helps|Neither helped)")
    expect(card.get_by_text(verdict)).to_be_visible()
    expect(card.locator(".vega-embed").first).to_be_visible()
    _check_end_state(page, f"questions-{qid}", runs)
