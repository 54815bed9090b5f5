"""A class at once (issue 18, "Lessons and the classroom"): N students on one class lesson and
the class board, against one `streamlit run dashboard.py` on 127.0.0.1.

The class is made without the UI, in the run store the server uses (a temporary GRADIENT_LAB_DB):
a Deep Networks lesson of the "vanishing_sigmoid" preset cut to 300 samples and 2 epochs (14
steps), a prediction ("Which gradient is larger at step 0?") and the learning rate left to edit.
One warm-up session trains first (the workers start). Then each student is a session of
bench/ws_client.py (Streamlit's websocket protocol, no browser) that opens the class link within
--stagger seconds of the others, types a name and clicks "Join the class", picks an answer,
sets its own learning rate (10**uniform(-3, -1)), clicks Train, waits for the end and clicks
"Share 1 run(s) to the class board". One board session (/board?class=...) is open all along;
its fragment is asked to redraw every --board-every seconds (default 5; the app's own timer is
20 s: more samples, a little more load than one projected board). Figures:

- students: joined, completed runs, shared, with errors (an st.error or exception on the page,
  an end other than completed, a step that passed --timeout, no Share button within SHARE_WAIT
  of the end; a failed step's message says what the page showed);
- queue wait (click -> the status line leaves "waiting for a free worker", over the students
  that queued), p50/max: as the page shows it, redrawn every second while queued, so a run
  shorter than that goes from queued to its end in one redraw and its wait is its end;
  Train click -> the run's end, p50/p95 (nearest rank); Share click -> "Shared 1 run(s)";
- board redraw: a fragment rerun request -> its script_finished, p50/max, while students work;
  the board's last caption against the store (classroom.get_class and classroom.board);
- a full class (2,000 shared runs, written directly to the store): in this process,
  classroom.board + ui.classroom.board_frame + classroom.tally + the outcome chart's Vega-Lite
  spec (board_frame runs outside a Streamlit session: its strings fall back to English); on the
  idle server, a board session's first full run and its redraws.

The exit code is 0 whatever the figures unless the server process died (1); --max-minutes
bounds the whole run. The server's log (bench/out/classroom_app.log) is scanned at the end.

Usage: .venv/bin/python bench/classroom.py [--students 30] [--timeout 300] [--max-minutes 20]
                                           [--stagger 5] [--board-every 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from streamlit.proto.Alert_pb2 import Alert  # noqa: E402

from bench.load import (  # noqa: E402
    MARKERS,
    SMALL_CONFIG,
    nearest_rank,
    serve_and_run,
    server_alive,
    ws_visit,
)
from bench.ws_client import StreamlitSession, wait_until  # noqa: E402
from charts.board import outcome_chart  # noqa: E402
from charts.style import with_font  # noqa: E402
from locales import EN  # noqa: E402
from models.fields import with_changes  # noqa: E402
from models.infra import classroom, settings  # noqa: E402
from models.infra.store import RunStore  # noqa: E402
from models.teaching.lessons import lesson_from_page  # noqa: E402
from models.teaching.presets import PRESETS  # noqa: E402
from tests.support.app_server import AppServer  # noqa: E402
from ui.classroom import board_frame  # noqa: E402

LESSON_CHANGES = {"data.n_samples": "300", "train.epochs": "2"}  # under a second once compiled
PREDICTION = {
    "question": "Which gradient is larger at step 0?",
    "answers": ["The first layer's", "The output layer's"],
    "measure": "larger_gradient_at_start",
}
LR = "optimizer.learning_rate"
FULL_CLASS = classroom.MAX_SHARED  # runs on the full board: 200 students x 10
SHARE_WAIT = 60.0  # seconds after the run's end for the Share button (a student would click)


def _template(key: str) -> re.Pattern:
    """A string-table entry as a pattern (each placeholder: any text), so a reworded string
    cannot silently match nothing."""
    return re.compile(re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(EN[key])))


NAME_BOX, JOIN, PREDICT = EN["class.name"], EN["class.join"], EN["lesson.predict"].split("{")[0]
JOINED, SHARE, SHARED, COUNTS = map(
    _template, ("class.joined", "class.share", "class.shared", "board.counts")
)
LR_LABEL = EN["field.optimizer.learning_rate"]


class PageError(Exception):
    """The page showed an error (st.error or an exception) during a step."""


@dataclass
class Student:
    name: str
    lr: float
    answer: int
    open_s: float | None = None  # link -> the name box drawn
    join_s: float | None = None  # Join click -> "You are in the class as"
    lr_set: bool = False
    queued: bool = False
    position: int = 0
    queue_wait_s: float | None = None
    done_s: float | None = None  # Train click -> the status line's end
    end: str = ""
    share_s: float | None = None  # Share click -> "Shared 1 run(s)"
    errors: list[str] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.end.startswith(MARKERS["completed"])


async def _until(session: StreamlitSession, check, deadline: float, step: str):
    """Wait for check(session) (or an error on the page); its value, else TimeoutError/PageError
    naming the step."""

    def ready(s: StreamlitSession) -> bool:
        value = check(s)  # an element (a protobuf message) or a bool
        return (value is not None and value is not False) or bool(s.errors())

    if not await wait_until(session, ready, deadline - time.monotonic()):
        raise TimeoutError(step + (f" ({session.error})" if session.error else ""))
    if session.errors():
        raise PageError(step)
    return check(session)


async def _settled(session: StreamlitSession, action, deadline: float, step: str) -> None:
    """Send a rerun (a click, a changed value) and wait until a full run started after it and
    the session is idle again (a run that calls st.rerun() goes on in the next one)."""
    before = session.state.runs_started
    await action
    await _until(session, lambda s: s.state.runs_started > before and not s.state.running,
                 deadline, step)  # fmt: skip


async def student(url: str, params: dict, s: Student, timeout: float, delay: float) -> Student:
    """One student: open the class link, join, predict, set a learning rate, train, share."""
    await asyncio.sleep(delay)
    marks = {"click": None, "queued": None, "left": None}

    def seen(session: StreamlitSession) -> None:  # timestamps the status line "A: ..."
        if marks["click"] is None:
            return
        now = time.monotonic() - marks["click"]
        status = next((x for x in session.state.texts() if x.startswith("A: ")), "")[3:]
        if status.startswith(MARKERS["queued"]):
            marks["queued"] = marks["queued"] if marks["queued"] is not None else now
            digits = re.match(r"\d+", status[len(MARKERS["queued"]) :])
            s.position = max(s.position, int(digits.group()) if digits else 0)
        elif status and marks["queued"] is not None and marks["left"] is None:
            marks["left"] = now
        if s.done_s is None and any(status.startswith(e) for e in MARKERS["ended"]):
            s.done_s, s.end = now, status

    session = StreamlitSession(url, "deep_networks", params, on_change=seen)
    deadline, step = time.monotonic() + timeout, "opening the class link"
    try:
        t0 = time.monotonic()
        await session.open()
        await _until(
            session, lambda x: x.state.runs_finished > 0 and not x.state.running, deadline, step
        )
        box = await _until(session, lambda x: x.widget("text_input", NAME_BOX), deadline, step)
        s.open_s = time.monotonic() - t0
        step = "joining"
        await _settled(session, session.change(box.id, s.name), deadline, step)
        join = await _until(session, lambda x: x.button(JOIN), deadline, step)
        t0 = time.monotonic()
        await _settled(session, session.click(join.id), deadline, step)
        await _until(session, lambda x: _has(x.state.texts(), JOINED), deadline, step)
        s.join_s = time.monotonic() - t0
        step = "predicting"
        radio = await _until(session, lambda x: x.widget("radio", PREDICT), deadline, step)
        await _settled(session, session.change(radio.id, radio.options[s.answer]), deadline, step)
        step = "setting the learning rate"
        lr_box = session.widget("number_input", LR_LABEL)
        if lr_box is not None:
            await _settled(session, session.change(lr_box.id, s.lr), deadline, step)
            s.lr_set = True
        step = "waiting for Train"
        train = await _until(session, _train_enabled, deadline, step)
        marks["click"] = time.monotonic()
        await session.click(train.id)
        step = "training"
        await _until(session, lambda x: s.done_s is not None, deadline, step)
        if not s.completed:
            raise PageError(f"the run ended: {s.end}")
        step = f"waiting {SHARE_WAIT:g} s after the end for the Share button"
        soon = min(deadline, time.monotonic() + SHARE_WAIT)
        share = await _until(session, lambda x: _button(x, SHARE), soon, step)
        t0 = time.monotonic()
        await session.click(share.id)
        step = "sharing"
        await _until(session, lambda x: _has(x.alerts(Alert.SUCCESS), SHARED), deadline, step)
        s.share_s = time.monotonic() - t0
    except TimeoutError as exc:  # a step that took longer than --timeout (or SHARE_WAIT)
        s.errors.append(f"timeout: {exc} {_page(session)}")
    except PageError as exc:
        s.errors.append(f"{exc}: " + "; ".join(e[:200] for e in session.errors()))
    except OSError as exc:
        s.errors.append(f"websocket: {exc}")
    finally:
        await session.close()
    s.queued = marks["queued"] is not None
    s.queue_wait_s = marks["left"] if s.queued else None
    return s


def _page(session: StreamlitSession) -> str:
    """What a stuck page shows: its status line, the saved caption, its buttons, its runs."""
    texts = session.state.texts()
    status = next((x[:50] for x in texts if x.startswith("A: ")), "none")
    saved = any(MARKERS["saved"] in x for x in texts)
    buttons = [b.label[:24] + (" (off)" if b.disabled else "") for b in session.state.of("button")]
    runs = session.state
    return (f"[page: status {status!r}; saved caption {saved}; buttons {', '.join(buttons)}; "
            f"full runs {runs.runs_started} started, {runs.runs_finished} finished; fragment "
            f"timers {len(session.timers())}]")  # fmt: skip


def _has(texts: list[str], pattern: re.Pattern) -> bool:
    return any(pattern.fullmatch(x) for x in texts)


def _button(session: StreamlitSession, pattern: re.Pattern):
    return next((b for b in session.state.of("button") if pattern.fullmatch(b.label)), None)


def _train_enabled(session: StreamlitSession):
    train = session.button("Train")
    return train if train is not None and not train.disabled else None


# -- the class and the full board --------------------------------------------------------------


def make_class(store: RunStore) -> tuple[str, str]:
    """The lesson and its class, in the server's store: (lesson id, class id)."""
    cfg = with_changes(PRESETS["vanishing_sigmoid"].config(), LESSON_CHANGES)
    lesson = lesson_from_page("deep_networks", cfg, {}, prompt="Predict, then train.",
                              prediction=PREDICTION, fields={LR: "edit"})  # fmt: skip
    lesson_id = store.save_lesson(lesson.model_dump_json())
    class_id, _admin_key = classroom.create_class(store, lesson_id)
    return lesson_id, class_id


def fill_class(store: RunStore, lesson_id: str, rng: random.Random) -> str:
    """A second class of the lesson with FULL_CLASS shared runs: 200 students, 10 shares each."""
    class_id, _ = classroom.create_class(store, lesson_id)
    for i in range(FULL_CLASS // 10):
        who = sha256(f"student {i}".encode()).hexdigest()
        classroom.join(store, class_id, who, f"Student {i:03d}")
        runs = []
        for j in range(10):
            lr, loss = 10 ** rng.uniform(-3, -1), rng.uniform(0.2, 0.7)
            metrics = {"val_loss": loss, "val_accuracy": 1 - loss / 2, "loss": loss * 0.9}
            run_id = sha256(f"{i}-{j}".encode()).hexdigest()[:32]
            runs.append(classroom.SharedRun(run_id, "A", "completed", {LR: f"{lr:.4g}"}, metrics,
                                            predicted=rng.randrange(2), measured=1))  # fmt: skip
        classroom.share(store, class_id, who, runs)
    return class_id


def time_board_in_process(store: RunStore, class_id: str, repeats: int = 5) -> dict:
    """Seconds per stage of drawing a board's data, in this process (p50 of repeats)."""
    # board_frame's strings read st.session_state; outside a script run Streamlit warns per call
    for name in ("scriptrunner_utils.script_run_context", "state.session_state_proxy"):
        logging.getLogger(f"streamlit.runtime.{name}").setLevel(logging.ERROR)
    stages: dict[str, list[float]] = {"board": [], "board_frame": [], "tally": [], "chart": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        entries = classroom.board(store, class_id)
        t1 = time.perf_counter()
        frame = board_frame(entries)
        t2 = time.perf_counter()
        classroom.tally(entries, len(PREDICTION["answers"]))
        t3 = time.perf_counter()
        x = pd.to_numeric(frame["_changed"].map(lambda c: c.get(LR)), errors="coerce")
        points = frame.assign(x=x, y=frame["val_loss"])[["x", "y", "student", "run", "status"]]
        labels = {c: c for c in points.columns}
        with_font(outcome_chart(points, labels, log_x=True, log_y=True)).to_dict()
        t4 = time.perf_counter()
        for stage, took in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            stages[stage].append(took)
    return {k: statistics.median(v) for k, v in stages.items()} | {"entries": len(entries)}


async def board_session(url: str, class_id: str, every: float) -> StreamlitSession:
    board = StreamlitSession(url, "board", {"class": class_id, "lang": "en"}, fragment_every=every)
    await board.open()
    return board


# -- figures -----------------------------------------------------------------------------------


def _s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _spread(values: list[float], p95: bool = False) -> str:
    """p50 (and p95, nearest rank) and max, in seconds."""
    mid = f", p95 {_s(nearest_rank(values, 0.95))} s" if p95 else ""
    return f"p50 {_s(nearest_rank(values, 0.5))} s{mid}, max {_s(max(values, default=None))} s"


def report_students(students: list[Student], wall: float) -> None:
    def of(name: str) -> list[float]:
        return [getattr(s, name) for s in students if getattr(s, name) is not None]

    failed = [s for s in students if s.errors]
    completed, lr_set = sum(s.completed for s in students), sum(s.lr_set for s in students)
    print(f"students: {len(of('join_s'))} joined, {completed} completed runs, "
          f"{len(of('share_s'))} shared, {len(failed)} with errors; {lr_set} set their "
          f"learning rate; wall {wall:.1f} s")  # fmt: skip
    print(f"  page open (link -> name box) {_spread(of('open_s'))}; Join click -> joined "
          f"{_spread(of('join_s'))}")  # fmt: skip
    waits = [s.queue_wait_s for s in students if s.queued and s.queue_wait_s is not None]
    highest = max((s.position for s in students), default=0)
    print(f"  queue: {sum(s.queued for s in students)} of {len(students)} queued (highest "
          f"position {highest}); wait {_spread(waits)}")  # fmt: skip
    print(f"  Train click -> end {_spread(of('done_s'), p95=True)}; Share click -> shared "
          f"{_spread(of('share_s'))}")  # fmt: skip
    for text, n in Counter(e for s in failed for e in s.errors).most_common(6):
        print(f"  {n} x {text[:300]}")


def report_store(store: RunStore, class_id: str, students: list[Student]) -> dict:
    info = classroom.get_class(store, class_id)
    entries = classroom.board(store, class_id)
    lrs = sorted(float(e.run.changed[LR]) for e in entries if LR in e.run.changed)
    tally = classroom.tally(entries, len(PREDICTION["answers"]))
    chose = [0, 0]
    for s in students:
        chose[s.answer] += s.share_s is not None
    print(f"store: get_class {info.students} students, {info.shared} shared; board() "
          f"{len(entries)} entries from {len({e.name for e in entries})} names, statuses "
          f"{dict(Counter(e.run.status for e in entries))}")  # fmt: skip
    spread = f" ({lrs[0]:.4g} .. {lrs[-1]:.4g}, {len(set(lrs))} distinct)" if lrs else ""
    print(f"  learning rates changed in {len(lrs)} entries{spread}; tally chose {tally.chose} "
          f"(the students that shared chose {tuple(chose)}), measured "
          f"{tally.measured}")  # fmt: skip
    return {"students": info.students, "shared": info.shared, "entries": len(entries)}


# -- the run -----------------------------------------------------------------------------------


async def run(server: AppServer, store: RunStore, args) -> bool:
    deadline = time.monotonic() + args.max_minutes * 60
    rng = random.Random(args.seed)
    lesson_id, class_id = make_class(store)
    params = {"lesson": lesson_id, "class": class_id, "lang": "en"}
    warm = await ws_visit(server.url, SMALL_CONFIG, min(args.timeout, 300.0))
    problems = "; ".join(warm.errors)
    print(f"warm-up (the workers start): {'ok' if warm.ok else 'FAILED'}, done "
          f"{_s(warm.done_s)} s{'; ' + problems if problems else ''}", flush=True)  # fmt: skip
    print(f"{args.students} students on one class, within {args.stagger:g} s; board redraw "
          f"asked every {args.board_every:g} s; timeout {args.timeout:g} s each",
          flush=True)  # fmt: skip
    board = await board_session(server.url, class_id, args.board_every)
    students = [
        Student(f"Student {i + 1:02d}", 10 ** rng.uniform(-3, -1), rng.randrange(2))
        for i in range(args.students)
    ]
    timeout = max(5.0, min(args.timeout, deadline - time.monotonic() - 60))
    t0 = time.monotonic()
    await asyncio.gather(
        *(student(server.url, params, s, timeout, rng.uniform(0, args.stagger)) for s in students)
    )
    wall = time.monotonic() - t0
    redraws = len(board.fragment_seconds)  # the last redraw after every share shows them all
    await wait_until(board, lambda b: len(b.fragment_seconds) > redraws, args.board_every + 30)
    await board.close()
    if not server_alive(server):
        return False
    report_students(students, wall)
    live = board.fragment_seconds[:redraws]
    caption = next((x for x in board.state.texts() if COUNTS.fullmatch(x)), "no counts caption")
    print(f"board while the students worked: {len(live)} redraws, request -> script_finished "
          f"{_spread(live)}; errors: {board.errors() or board.error or 'none'}; chart drawn: "
          f"{board.has_chart()}")  # fmt: skip
    print(f"  the board's last caption: {caption!r}")
    args.record |= {"students": [asdict(s) for s in students], "board_redraws_s": live}
    args.record["store"] = report_store(store, class_id, students)

    if deadline - time.monotonic() < 60:
        print("full class: skipped (--max-minutes reached)")
        return True
    full_id = fill_class(store, lesson_id, rng)
    stages = time_board_in_process(store, full_id)
    took = {k: v for k, v in stages.items() if k != "entries"}
    print(f"a full class ({stages['entries']} shared runs), in this process (p50 of 5): "
          f"{', '.join(f'{k} {v * 1000:.0f} ms' for k, v in took.items())}; total "
          f"{sum(took.values()) * 1000:.0f} ms")  # fmt: skip
    t0 = time.monotonic()
    big = await board_session(server.url, full_id, 2.0)
    opened = await wait_until(big, lambda b: b.state.runs_finished > 0, 120)
    open_s = time.monotonic() - t0
    await wait_until(big, lambda b: len(b.fragment_seconds) >= 5, 60)
    await big.close()
    full = big.fragment_seconds
    print(f"  on the idle server: first full run {_s(open_s) if opened else 'never'} s; "
          f"{len(full)} redraws {_spread(full)}; errors: {big.errors() or big.error or 'none'}; "
          f"chart drawn: {big.has_chart()}")  # fmt: skip
    args.record["full_class"] = {"in_process_s": stages, "open_s": open_s, "redraws_s": full}
    return server_alive(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per student")
    parser.add_argument("--max-minutes", type=float, default=20.0)
    parser.add_argument("--stagger", type=float, default=5.0, help="students open within (s)")
    parser.add_argument("--board-every", type=float, default=5.0, help="board redraw ask (s)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--json", type=Path, help="also write every student's figures here")
    args = parser.parse_args()
    args.record = {}

    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    log = out / "classroom_app.log"
    load = os.getloadavg()
    steps = with_changes(PRESETS["vanishing_sigmoid"].config(), LESSON_CHANGES).total_steps
    changes = ", ".join(f"{k}={v}" for k, v in LESSON_CHANGES.items())
    print(f"lesson: vanishing_sigmoid, {changes} ({steps} steps); {settings.workers()} workers; "
          f"{os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
          flush=True)  # fmt: skip
    serve_and_run("classroom", log, run, args)


if __name__ == "__main__":
    main()
