"""Load and soak (issue 7, "a hosted demo that survives a classroom"), on 127.0.0.1, in one run.

Starts `streamlit run dashboard.py` (its defaults: GRADIENT_LAB_WORKERS training workers, 2
unless set, and a FIFO queue) with the run store in a temporary file (GRADIENT_LAB_DB, so
~/.gradient-lab is never touched), and one headless Chromium. A simulated user is one browser
context (its own Streamlit session) that opens /deep_networks with a small config in the URL,
clicks Train and waits for "A: completed" and the "Saved to your runs" caption. The page itself
timestamps what it shows (a MutationObserver, on the page's clock from the Train click), so the
figures do not depend on how promptly this script polls:

- first chart: click -> the first Vega chart drawn (a canvas or SVG with a size);
- queue wait: click -> the status line leaves "A: waiting for a free worker (position k ...)",
  for users whose status ever showed it;
- done: click -> "A: completed";
- errors: a page error, an st.error or exception element, an end other than completed, a failed
  save, a timeout (per user, --timeout).

1. load: one warm-up session (the workers start), then for each N in --users, N users at once
   (Playwright's async API: asyncio.gather over contexts of one browser), one N after the other
   on the same server: completed jobs, errors (of which timeouts), how many users queued, the
   highest queue position, their p50/max queue wait, p50/p95 first chart and done (nearest
   rank), p50 page open (goto -> Train enabled) and wall time.
2. soak: --sessions S sequential sessions (open, train, wait for the save, close the context).
   Server RSS (the Streamlit process only; the pool recycles its workers itself) after one
   warm-up session and after all S, and every 10 sessions in between; targets: growth at most
   50 MB and zero failed sessions (PASS/FAIL). Streamlit keeps a closed session's state for
   server.disconnectedSessionTTL (120 s) in case its tab reconnects, so the soak first idles
   that long after the load part, and "after" still holds the last two minutes' sessions:
   --settle (default 125 s) then idles again, runs one more session (whose close expires the
   old ones) and reads the RSS once more.

The exit code is 0 whatever the figures (a benchmark, not a test) unless the server process died
(1). Everything is bounded: --timeout per user and --max-minutes overall (a part cut short says
so, and the soak's verdicts then read INCOMPLETE). The server's log (bench/out/load_app.log) is
scanned at the end for tracebacks and errors.

Usage: .venv/bin/python bench/load.py [--users 1,4,16] [--sessions 100] [--only load|soak]
                                      [--max-minutes 60] [--timeout 300] [--settle 125]
                                      [--set data.n_samples=300 ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from playwright.async_api import Error as PlaywrightError  # noqa: E402
from playwright.async_api import async_playwright, expect  # noqa: E402

from bench.memory import tree  # noqa: E402
from bench.ws_client import StreamlitSession, wait_until  # noqa: E402
from locales import EN  # noqa: E402
from models.config import RunConfig  # noqa: E402
from models.fields import with_changes  # noqa: E402
from models.infra import settings  # noqa: E402
from models.infra.store import RunStore  # noqa: E402
from models.infra.worker import process_rss  # noqa: E402
from tests.support.app_server import AppServer, launch_chromium  # noqa: E402

SMALL_CONFIG = {"data.n_samples": "300", "train.epochs": "3"}  # 21 steps: ~1 s once compiled
# The Train button's accessible name is "Train Shortcut Ctrl + Enter"; a plain name="Train" also
# matches other buttons whose name contains the word (a field's help, "Help for Train on ...").
TRAIN = re.compile(r"^Train\b")
VIEWPORT = {"width": 1400, "height": 1600}
MB = 2**20
RSS_GROWTH_TARGET_MB = 50
PARTS = ("load", "soak")
# Streamlit keeps a closed session this long (server.disconnectedSessionTTL, its default: the
# repository's .streamlit/config.toml does not set it) in case its tab reconnects.
SESSION_TTL = 120


def _status_marker(key: str) -> str:
    """The fixed text of a status line after "{label}: " (up to its first placeholder)."""
    return EN[key].split("{label}: ", 1)[1].split("{", 1)[0]


MARKERS = {  # read from the string table, so a reworded status cannot silently match nothing
    "queued": _status_marker("dn.status.queued"),
    "completed": _status_marker("dn.status.completed"),
    "ended": [_status_marker(f"dn.status.{s}") for s in ("completed", "diverged", "stopped")]
    + [_status_marker("dn.status.failed")],
    "saved": EN["lab.saved"].split("{", 1)[0],
    "save_failed": EN["lab.save_failed"].split("{", 1)[0],
}
COMPLETED = MARKERS["completed"]
# Installed before the Train click: timestamps (performance.now(), ms) of what the page shows.
WATCH = """(m) => {
  const s = {click: null, chart: null, queued: null, left: null, position: 0, ended: null,
             endText: '', saved: null, errors: [], history: []};
  window.__load = s;
  const error = (text) => {
    text = text.trim().slice(0, 300);
    if (!s.errors.includes(text)) s.errors.push(text);
  };
  const check = () => {
    if (s.click === null) return;
    const now = performance.now();
    const main = document.querySelector('[data-testid="stMain"]') || document.body;
    const line = [...main.querySelectorAll('p')].map(p => p.textContent)
      .find(t => t.startsWith('A: ')) || '';
    const status = line.slice(3);
    const shape = status.replace(/[0-9][0-9,.]*/g, '#');  // "step # of # · # s"
    const last = s.history[s.history.length - 1];
    if (!last || last[2] !== shape) s.history.push([now, status.slice(0, 80), shape]);
    if (status.startsWith(m.queued)) {
      s.queued ??= now;
      s.position = Math.max(s.position, parseInt(status.slice(m.queued.length)) || 0);
    } else if (status && s.queued !== null) {
      s.left ??= now;
    }
    if (s.chart === null) {
      const c = main.querySelector('.vega-embed canvas, .vega-embed svg');
      if (c && c.getBoundingClientRect().height > 0) s.chart = now;
    }
    if (s.ended === null && m.ended.some(e => status.startsWith(e))) {
      s.ended = now; s.endText = line;
    }
    if (s.ended !== null && s.saved === null) {
      const text = main.textContent;
      if (text.includes(m.saved)) s.saved = now;
      const i = text.indexOf(m.save_failed);
      if (i >= 0) error(text.slice(i, i + 200));
    }
    for (const e of main.querySelectorAll(
        '[data-testid="stException"], [data-testid="stAlertContentError"]')) error(e.textContent);
  };
  document.addEventListener('click', () => { s.click ??= performance.now(); check(); },
                            {capture: true, once: true});
  new MutationObserver(check).observe(document.body,
                                      {subtree: true, childList: true, characterData: true});
}"""
# What a stuck page shows: did the whole page rerun after the end (Train enabled again, the
# downloads drawn), or is it still the fragment's view? Is the connection up?
STUCK = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const button = (re) => [...main.querySelectorAll('button')].find(b => re.test(b.textContent));
  const state = (b) => b ? (b.disabled ? 'disabled' : 'enabled') : 'absent';
  const widget = document.querySelector('[data-testid="stStatusWidget"]');
  return `Train ${state(button(/^Train/))}, Stop ${state(button(/^Stop/))}, `
    + `${main.querySelectorAll('[data-testid="stDownloadButton"]').length} downloads`
    + (widget ? `, status widget "${widget.textContent.trim().slice(0, 60)}"` : '');
}"""
# The wait ends at the save, at an error on the page, or at an end other than "completed".
SETTLED = """(completed) => { const s = window.__load;
  return s.saved !== null || s.errors.length > 0
    || (s.ended !== null && !s.endText.startsWith('A: ' + completed)); }"""


@dataclass
class Visit:
    """One simulated user: seconds from the Train click (None where it never happened)."""

    open_s: float | None = None  # goto -> Train enabled (this script's clock)
    first_chart_s: float | None = None
    queued: bool = False
    position: int = 0  # the highest queue position shown
    queue_wait_s: float | None = None
    done_s: float | None = None
    saved: bool = False
    ws_drops: int = 0  # websockets that closed while the user was still on the page
    history: list[tuple[float, str]] = field(default_factory=list)  # (s, status line) changes
    errors: list[str] = field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        return any(e.startswith("timeout") for e in self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors and self.done_s is not None and self.saved


async def visit(browser, url: str, params: dict, timeout: float) -> Visit:
    """One session in a fresh browser context: open the lab, Train, wait for the save, close."""
    v = Visit()
    deadline = time.monotonic() + timeout
    context = await browser.new_context(viewport=VIEWPORT)
    page, state, stuck, leaving = None, None, None, False

    def on_websocket(ws) -> None:
        def closed(_ws) -> None:
            if not leaving:
                v.ws_drops += 1

        ws.on("close", closed)

    try:
        page = await context.new_page()
        page.on("pageerror", lambda exc: v.errors.append(f"page error: {exc}"))
        page.on("websocket", on_websocket)
        t0 = time.monotonic()
        await page.goto(f"{url}/deep_networks?{urlencode(params)}", timeout=_ms_left(deadline))
        train = page.get_by_role("button", name=TRAIN)
        await expect(train).to_be_enabled(timeout=_ms_left(deadline))
        v.open_s = time.monotonic() - t0
        await page.evaluate(WATCH, MARKERS)
        await train.click(timeout=_ms_left(deadline))
        await page.wait_for_function(
            SETTLED, arg=COMPLETED, polling=250, timeout=_ms_left(deadline)
        )
    except (PlaywrightError, AssertionError) as exc:  # expect() raises AssertionError
        why = [x for x in str(exc).splitlines() if x.startswith("Error:")]  # expect's cause
        timed_out = "Timeout" in type(exc).__name__ or (isinstance(exc, AssertionError) and not why)
        v.errors.append(
            f"timeout ({timeout:g} s)" if timed_out else f"browser: {(why or [_first(exc)])[0]}"
        )
    finally:
        if page is not None:
            with contextlib.suppress(PlaywrightError):
                state = await page.evaluate("window.__load ?? null")
                if v.errors:
                    stuck = await page.evaluate(STUCK)
        leaving = True
        await context.close()
    _fill(v, state)
    if stuck and v.timed_out:
        v.errors = [f"{e} [page: {stuck}]" if e.startswith("timeout") else e for e in v.errors]
    return v


async def ws_visit(url: str, params: dict, timeout: float) -> Visit:
    """One session through Streamlit's websocket protocol (bench/ws_client.py): the same
    steps and figures as visit(), timed by this client as each message arrives."""
    v, marks = Visit(), {"click": None, "chart": None, "queued": None, "left": None}
    last_shape = None

    def seen(session: StreamlitSession) -> None:
        nonlocal last_shape
        if marks["click"] is None:
            return
        now = time.monotonic() - marks["click"]
        line = next((x for x in session.state.texts() if x.startswith("A: ")), "")
        status = line[3:]
        shape = re.sub(r"[0-9][0-9,.]*", "#", status)
        if shape != last_shape:
            v.history.append((now, status[:80]))
            last_shape = shape
        if status.startswith(MARKERS["queued"]):
            marks["queued"] = marks["queued"] if marks["queued"] is not None else now
            digits = re.match(r"\d+", status[len(MARKERS["queued"]) :])
            v.position = max(v.position, int(digits.group()) if digits else 0)
        elif status and marks["queued"] is not None and marks["left"] is None:
            marks["left"] = now
        if marks["chart"] is None and session.has_chart():
            marks["chart"] = v.first_chart_s = now
        if v.done_s is None and any(status.startswith(e) for e in MARKERS["ended"]):
            v.done_s, marks["end"] = now, line
        texts = " ".join(session.state.texts())
        if v.done_s is not None and not v.saved and MARKERS["saved"] in texts:
            v.saved = True
        for e in session.errors():
            if e[:300] not in v.errors:
                v.errors.append(e[:300])

    deadline = time.monotonic() + timeout
    session = StreamlitSession(url, "deep_networks", params, on_change=seen)
    try:
        t0 = time.monotonic()
        await session.open()

        def ready(s: StreamlitSession) -> bool:
            train = s.button("Train")
            return train is not None and not train.disabled and s.state.runs_finished > 0

        if not await wait_until(session, ready, deadline - time.monotonic()):
            raise TimeoutError("before Train could be clicked")
        v.open_s = time.monotonic() - t0
        marks["click"] = time.monotonic()
        await session.click(session.button("Train").id)

        def settled(s: StreamlitSession) -> bool:
            ended_other = v.done_s is not None and not marks.get("end", "").startswith(
                f"A: {COMPLETED}"
            )
            return v.saved or bool(v.errors) or ended_other

        if not await wait_until(session, settled, deadline - time.monotonic()):
            raise TimeoutError("waiting for the save" if v.done_s else "waiting for the end")
    except TimeoutError as exc:
        if session.error:
            v.errors.append(session.error)
        v.errors.append(f"timeout ({timeout:g} s) {exc}".strip())
    except (OSError, websockets.WebSocketException) as exc:
        v.errors.append(f"websocket: {_first(exc)}")
    finally:
        await session.close()
    v.errors = [e if e.startswith(("timeout", "websocket")) else f"on the page: {e}"
                for e in v.errors]  # fmt: skip
    v.queued = marks["queued"] is not None
    v.queue_wait_s = marks["left"] if v.queued else None
    if v.done_s is not None and not marks.get("end", "").startswith(f"A: {COMPLETED}"):
        v.errors.append(f"ended: {marks['end']}")
    return v


def one_visit(browser, url: str, args, timeout: float):
    """A visit by the client --client chose: a Chromium tab, or the websocket client."""
    if args.client == "ws":
        return ws_visit(url, args.params, timeout)
    return visit(browser, url, args.params, timeout)


def _ms_left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic()) * 1000


def _first(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _fill(v: Visit, state: dict | None) -> None:
    """The page's timestamps as seconds from the click; what it showed as errors."""
    if not state or state["click"] is None:
        if v.errors and v.errors[-1].startswith("timeout"):
            v.errors[-1] += " before Train could be clicked"
        return

    def since_click(key: str) -> float | None:
        return None if state[key] is None else (state[key] - state["click"]) / 1000

    v.first_chart_s, v.done_s = since_click("chart"), since_click("ended")
    v.queued, v.position = state["queued"] is not None, int(state["position"])
    v.queue_wait_s = since_click("left") if v.queued else None
    v.saved = state["saved"] is not None
    v.history = [((t - state["click"]) / 1000, line) for t, line, _ in state["history"]]
    if v.errors and v.errors[-1].startswith("timeout"):
        waiting_for = (
            "the first chart"
            if state["chart"] is None
            else "the run's end"
            if state["ended"] is None
            else "the save"
        )
        status = state["endText"] or "no end status"
        v.errors[-1] += f" waiting for {waiting_for} ({status})"
    v.errors += [f"on the page: {e}" for e in state["errors"]]
    if state["ended"] is not None and not state["endText"].startswith(f"A: {COMPLETED}"):
        v.errors.append(f"ended: {state['endText']}")


# -- figures -----------------------------------------------------------------------------------


def nearest_rank(values: list[float], q: float) -> float | None:
    """The q-quantile by nearest rank (p95 of 4 values is the largest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _error_summary(visits: list[Visit], indent: str = "  ") -> None:
    counts = collections.Counter(e for v in visits for e in v.errors)
    for text, n in counts.most_common(6):
        print(f"{indent}{n} x {text}")
    if len(counts) > 6:
        print(f"{indent}... and {len(counts) - 6} other errors")
    failed = next((v for v in visits if v.errors and v.history), None)
    if failed is not None:  # what one failed user's status line went through
        steps = " -> ".join(f"{t:.1f} s {line!r}" for t, line in failed.history[-6:])
        print(f"{indent}e.g. {steps}")


LOAD_HEADER = (
    f"{'users':>5} {'completed':>9} {'errors':>6} {'timeouts':>8} {'queued':>6} {'max_pos':>7} "
    f"{'wait_p50':>8} {'wait_max':>8} {'chart_p50':>9} {'chart_p95':>9} "
    f"{'done_p50':>8} {'done_p95':>8} {'open_p50':>8} {'wall_s':>7}"
)


def load_row(n: int, visits: list[Visit], wall: float) -> str:
    charts = [v.first_chart_s for v in visits if v.first_chart_s is not None]
    done = [v.done_s for v in visits if v.done_s is not None]
    opened = [v.open_s for v in visits if v.open_s is not None]
    waits = [v.queue_wait_s for v in visits if v.queued and v.queue_wait_s is not None]
    queued = sum(v.queued for v in visits)
    max_position = max((v.position for v in visits), default=0)
    return (
        f"{n:>5} {sum(v.ok for v in visits):>9} {sum(bool(v.errors) for v in visits):>6} "
        f"{sum(v.timed_out for v in visits):>8} {queued:>6} {max_position:>7} "
        f"{_s(statistics.median(waits) if waits else None):>8} {_s(max(waits, default=None)):>8} "
        f"{_s(nearest_rank(charts, 0.5)):>9} {_s(nearest_rank(charts, 0.95)):>9} "
        f"{_s(nearest_rank(done, 0.5)):>8} {_s(nearest_rank(done, 0.95)):>8} "
        f"{_s(nearest_rank(opened, 0.5)):>8} {wall:>7.1f}"
    )


def tree_summary(server: AppServer) -> str:
    pids = [p for p in tree(server.proc.pid) if p != server.proc.pid]
    big = sorted(((process_rss(p) or 0) / MB for p in pids), reverse=True)
    workers = [round(r) for r in big if r > 50]  # the TensorFlow workers; skip tiny helpers
    return f"{len(pids)} child processes, workers' RSS {workers} MB"


def cpu_seconds(server: AppServer) -> dict[str, float]:
    """CPU time (user + system) so far of the server, its workers, this script's browser
    (Playwright's driver and Chromium) and this script (the websocket clients): who is using
    the machine's cores. A worker the pool retired and reaped counts in the server's
    children's time, so a recycled worker's time is not lost."""
    served = set(tree(server.proc.pid))
    live_workers = sorted(served - {server.proc.pid})
    browser = [p for p in tree(os.getpid()) if p not in served and p != os.getpid()]
    return {
        "server": _cpu(server.proc.pid),
        "workers": sum(_cpu(p) for p in live_workers) + _cpu(server.proc.pid, children=True),
        "browser": sum(_cpu(p) for p in browser),
        "this script": _cpu(os.getpid()),
    }


def _cpu(pid: int, children: bool = False) -> float:
    """A process's own CPU seconds, or (children=True) those of its reaped children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0  # gone: its time is lost (a closed renderer's)
    first = 13 if children else 11  # cutime, cstime / utime, stime
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def cpu_line(before: dict[str, float], after: dict[str, float], wall: float) -> str:
    used = ", ".join(f"{k} {(after[k] - before[k]) / wall:.2f}" for k in before)
    load = os.getloadavg()[0]
    return f"cores used over the wall time: {used}; machine load average {load:.1f}"


def server_alive(server: AppServer) -> bool:
    if server.proc.poll() is None:
        return True
    print(f"SERVER DIED (exit code {server.proc.returncode}); see {server.log_path}")
    return False


# -- the two parts ------------------------------------------------------------------------------


async def load(browser, server: AppServer, args, deadline: float) -> bool:
    """N users at once for each N; False if the server died."""
    print(f"load: N users at once, timeout {args.timeout:g} s per user; seconds from the "
          f"Train click (waits: over the users that queued; p95: nearest rank)")  # fmt: skip
    warm = await one_visit(browser, server.url, args, _timeout(args, deadline))
    print(f"  warm-up (the workers start): {'ok' if warm.ok else 'FAILED'}, first chart "
          f"{_s(warm.first_chart_s)} s, done {_s(warm.done_s)} s", flush=True)  # fmt: skip
    _error_summary([warm], "    ")
    print(LOAD_HEADER)
    for n in args.users:
        if deadline - time.monotonic() < 30:
            print(f"{n:>5} skipped: --max-minutes reached")
            continue
        t0, cpu = time.monotonic(), cpu_seconds(server)
        timeout = _timeout(args, deadline)
        visits = await asyncio.gather(
            *(one_visit(browser, server.url, args, timeout) for _ in range(n))
        )
        wall = time.monotonic() - t0
        print(load_row(n, visits, wall), flush=True)
        print(f"      {cpu_line(cpu, cpu_seconds(server), wall)}")
        args.record["load"][n] = [asdict(v) for v in visits]
        _error_summary(visits, "      ")
        if drops := sum(v.ws_drops for v in visits):
            print(f"      websocket drops: {drops}")
        if not server_alive(server):
            return False
    return True


async def soak(browser, server: AppServer, store: RunStore, args, deadline: float) -> bool:
    """Sequential sessions; False if the server died."""
    print(f"soak: {args.sessions} sequential sessions after 1 warm-up, "
          f"timeout {args.timeout:g} s each", flush=True)  # fmt: skip
    if args.idle_first:  # let the sessions closed before this part expire (see the docstring)
        await asyncio.sleep(max(0.0, min(SESSION_TTL + 5, deadline - time.monotonic() - 60)))
    saved_before = len(store.list_all())
    warm = await one_visit(browser, server.url, args, _timeout(args, deadline))
    if not server_alive(server):
        return False
    before = server.rss_bytes()
    print(f"  warm-up: {'ok' if warm.ok else 'FAILED'}, first chart {_s(warm.first_chart_s)} s; "
          f"server RSS {before / MB:.0f} MB; {tree_summary(server)}", flush=True)  # fmt: skip
    _error_summary([warm], "    ")
    visits: list[Visit] = []
    t0, cpu = time.monotonic(), cpu_seconds(server)
    for i in range(1, args.sessions + 1):
        if time.monotonic() > deadline - 5:
            print(f"  stopped by --max-minutes after {len(visits)} sessions")
            break
        timeout = _timeout(args, deadline)
        visits.append(await one_visit(browser, server.url, args, timeout))
        if not server_alive(server):
            return False
        if timeout < args.timeout and visits[-1].timed_out:  # the deadline's, not the app's
            visits.pop()
            print(f"  session {i} cut short by --max-minutes (not counted)")
            break
        if i % 10 == 0 or i == args.sessions:
            print(f"  session {i:>3}: server RSS {server.rss_bytes() / MB:.0f} MB, "
                  f"failed {sum(not v.ok for v in visits)}, "
                  f"{(time.monotonic() - t0) / i:.1f} s/session", flush=True)  # fmt: skip
    after = server.rss_bytes()
    print(f"  {cpu_line(cpu, cpu_seconds(server), time.monotonic() - t0)}")
    args.record["soak"] = [asdict(v) for v in visits]
    failed = [v for v in visits if not v.ok]
    growth = (after - before) / MB
    complete = len(visits) == args.sessions

    def verdict(ok: bool) -> str:
        return ("PASS" if ok else "FAIL") if complete else "INCOMPLETE"

    charts = [v.first_chart_s for v in visits if v.first_chart_s is not None]
    ends = [v.done_s for v in visits if v.done_s is not None]
    drops = sum(v.ws_drops for v in visits)
    print(f"  first chart p50 {_s(nearest_rank(charts, 0.5))} s, p95 "
          f"{_s(nearest_rank(charts, 0.95))} s; done p50 {_s(nearest_rank(ends, 0.5))} s, "
          f"p95 {_s(nearest_rank(ends, 0.95))} s; websocket drops {drops}")  # fmt: skip
    print(f"  server_rss_mb: before {before / MB:.0f}, after {len(visits)} sessions "
          f"{after / MB:.0f}; growth {growth:.1f} MB (target <= {RSS_GROWTH_TARGET_MB}): "
          f"{verdict(growth <= RSS_GROWTH_TARGET_MB)}")  # fmt: skip
    print(f"  failed_sessions: {len(failed)} of {len(visits)} (target 0): "
          f"{verdict(not failed)}")  # fmt: skip
    _error_summary(failed, "    ")
    saved = len(store.list_all()) - saved_before
    shown = sum(v.saved for v in [warm, *visits])
    print(f"  runs in the store: {saved} (sessions that showed the save: {shown}); "
          f"{tree_summary(server)}", flush=True)  # fmt: skip
    if args.settle > 0 and time.monotonic() + args.settle + 60 < deadline:
        await asyncio.sleep(args.settle)  # past the disconnected-session TTL, then one session
        probe = await one_visit(browser, server.url, args, _timeout(args, deadline))
        if not server_alive(server):
            return False
        settled = server.rss_bytes()
        print(f"  after {args.settle:g} s idle and 1 more session "
              f"({'ok' if probe.ok else 'FAILED'}): server RSS {settled / MB:.0f} MB, "
              f"growth {(settled - before) / MB:.1f} MB")  # fmt: skip
    elif args.settle > 0:
        print("  (no RSS reading after --settle: --max-minutes reached)")
    return True


def _timeout(args, deadline: float) -> float:
    return max(5.0, min(args.timeout, deadline - time.monotonic()))


async def run(server: AppServer, store: RunStore, args) -> bool:
    deadline = time.monotonic() + args.max_minutes * 60
    async with async_playwright() as p:
        browser = await launch_chromium(p) if args.client == "browser" else None
        try:
            alive = True
            if "load" in args.parts:
                alive = await load(browser, server, args, deadline)
            args.idle_first = "load" in args.parts
            if alive and "soak" in args.parts:
                alive = await soak(browser, server, store, args, deadline)
        finally:
            if browser is not None:
                await browser.close()
    return alive


def log_problems(log: Path) -> None:
    """The server log's tracebacks and errors (its expected warnings are only counted)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    bad = [x for x in lines if re.search(r"Traceback|\bERROR\b|Exception", x)]
    warnings = collections.Counter(
        re.sub(r"\b[0-9a-zA-Z_-]{8}\b(?=:)", "<id>", x.split("WARNING", 1)[1].strip())[:120]
        for x in lines
        if "WARNING" in x
    )
    print(f"server log ({log}): {len(lines)} lines, {len(bad)} with errors or tracebacks")
    for x in bad[:10]:
        print(f"  {x[:200]}")
    for text, n in warnings.most_common(5):
        print(f"  {n} x WARNING {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,4,16", help="comma-separated N (default 1,4,16)")
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--only", choices=PARTS, help="run only this part")
    parser.add_argument("--max-minutes", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per user")
    parser.add_argument(
        "--settle",
        type=float,
        default=SESSION_TTL + 5,
        help="after the soak: idle seconds, then one session and RSS again (0: skip)",
    )
    parser.add_argument(
        "--client",
        choices=("browser", "ws"),
        default="browser",
        help="a user is a Chromium tab (default), or bench/ws_client.py's websocket client",
    )
    parser.add_argument("--json", type=Path, help="also write every user's figures here")
    parser.add_argument(
        "--set", action="append", default=[], metavar="PATH=VALUE", help="change the config"
    )
    args = parser.parse_args()
    args.users = [int(n) for n in args.users.split(",") if n.strip()]
    args.parts = [args.only] if args.only else list(PARTS)
    args.record = {"load": {}, "soak": []}
    args.params = SMALL_CONFIG | dict(s.split("=", 1) for s in args.set)
    config = with_changes(RunConfig(), args.params)  # fails here, not in 100 browser sessions

    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    log = out / "load_app.log"
    load_before = os.getloadavg()
    print(f"client: {args.client}; config: {urlencode(args.params)} ({config.total_steps} steps); "
          f"{settings.workers()} workers; {os.cpu_count()} CPUs; "
          f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}",
          flush=True)  # fmt: skip
    serve_and_run("load", log, run, args)


def serve_and_run(name: str, log: Path, runner, args) -> None:
    """One server on a temporary run store (GRADIENT_LAB_DB), ``runner(server, store, args)``
    against it, then the total time, the server log's problems, ``args.record`` as JSON if asked,
    and the exit: 0 unless the server died."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"gradient-lab-{name}-") as tmp:
        db = Path(tmp) / "runs.db"
        os.environ["GRADIENT_LAB_DB"] = str(db)  # the server inherits it
        store = RunStore(str(db))
        with AppServer(log) as server:
            alive = asyncio.run(runner(server, store, args))
    load = os.getloadavg()
    print(f"total {(time.monotonic() - started) / 60:.1f} min; load average at the end "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    log_problems(log)
    if args.json:
        args.json.write_text(json.dumps(args.record, indent=1))
    sys.exit(0 if alive else 1)


if __name__ == "__main__":
    main()
