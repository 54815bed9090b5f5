"""Memory a deployment needs (issue 7): the dashboard's process tree, measured in one run.

Starts `streamlit run dashboard.py` on 127.0.0.1, then in Chromium: opens Home (server only),
a lab page (the training pool's workers start and import TensorFlow), trains the default config,
opens the Activations page (the concept pool's worker starts) and runs two Questions cards.
After each stage it prints the resident memory (RSS) of the server and of each worker process,
and the total: what a host's memory limit must cover. Workers: GRADIENT_LAB_WORKERS (default 2).

Usage: .venv/bin/python bench/memory.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from models.infra.worker import process_rss  # noqa: E402
from tests.support.app_server import AppServer, launch_chromium  # noqa: E402

MB = 1024 * 1024


def tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def pss(pid: int) -> int:
    """Proportional set size: shared pages (TensorFlow's libraries, mapped by every worker)
    divided among the processes that share them, so the sum over processes is what the host
    actually holds. RSS counts shared pages once per process."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def report(stage: str, server_pid: int) -> float:
    pids = tree(server_pid)
    rss = {p: (process_rss(p) or 0) / MB for p in pids}
    total_pss = sum(pss(p) for p in pids) / MB
    server = rss.pop(server_pid)
    workers = sorted((v for v in rss.values() if v > 50), reverse=True)  # skip tiny helpers
    print(
        f"{stage:<34} RSS: server {server:4.0f} MB, workers {[round(w) for w in workers]} MB"
        f" · total PSS {total_pss:5.0f} MB",
        flush=True,
    )
    return total_pss


def main() -> None:
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    with AppServer(out / "memory_app.log") as app, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 2000})
        page.goto(app.url)
        expect(page.get_by_text("The labs")).to_be_visible(timeout=60_000)
        page.wait_for_timeout(2000)
        report("home (server only)", app.proc.pid)
        page.goto(f"{app.url}/deep_networks")
        expect(page.get_by_role("button", name="Train")).to_be_enabled(timeout=60_000)
        page.wait_for_timeout(8000)  # the workers import TensorFlow
        report("lab page (training workers up)", app.proc.pid)
        page.get_by_role("button", name="Train").click()
        expect(page.get_by_text(re.compile(r"^A: completed"))).to_be_visible(timeout=180_000)
        report("after one default run", app.proc.pid)
        page.goto(f"{app.url}/activations")
        expect(page.get_by_text(re.compile("Why depth vanishes"))).to_be_visible(timeout=120_000)
        report("activations (concept worker up)", app.proc.pid)
        page.goto(f"{app.url}/questions")
        buttons = page.get_by_role("button", name="Run the experiment")
        expect(buttons).to_have_count(10, timeout=60_000)
        buttons.nth(7).click()  # LSTM parameters: a run
        buttons.nth(9).click()  # Newton: Hessians in the concept worker
        expect(page.get_by_text(re.compile("The Hessian has P² entries"))).to_be_visible(
            timeout=180_000
        )
        expect(page.get_by_text(re.compile("exactly what Keras"))).to_be_visible(timeout=180_000)
        peak = report("after two Questions cards", app.proc.pid)
        print(f"memory in use at the peak (PSS, 2 training workers + 1 concept): {peak:.0f} MB")
        browser.close()


if __name__ == "__main__":
    main()
