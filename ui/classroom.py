"""A lesson given to a class (models/infra/classroom.py): what a student's class link adds to a
lab page, and the class board (pages/board.py).

A class link is a lesson link with ``?class=<class id>``. On it, a student types a display name
once (the store keeps it by their browser's owner key, so a reload remembers it) and, after each
Train, may share that Train's runs to the board with one click: nothing is shared without it.
The board link is ``/board?class=<id>`` (read-only: what a teacher projects) or, for the teacher
alone, ``/board?class=<id>&admin=<key>`` (hide an entry, close the class). Without a class id
the board shows nothing of any class. Every name and answer a user typed is shown as text.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from charts.board import outcome_chart
from charts.style import with_font
from models.fields import FIELDS
from models.infra import classroom
from models.infra.store import MAX_NAME, StoreError
from models.teaching.lessons import Lesson, final_value, lesson_from_json, measure
from ui import owner
from ui.i18n import choice_label, field_label, say, t, with_language, worded
from ui.pool import run_store
from ui.runs import RunGroup
from ui.text import escape_markdown

CLASS_PARAM, ADMIN_PARAM = "class", "admin"
BOARD_EVERY = 20.0  # seconds between board redraws: three a minute, whatever the class size
METRICS = ("val_loss", "val_accuracy", "loss")  # a shared run's final numbers, in this order
LOG_METRICS = ("val_loss", "loss")  # drawn on a log axis


def class_of_link(lesson_id: str) -> classroom.ClassInfo | None:
    """The class a lesson link's ``?class=`` names (None without one), after saying in one
    sentence why a class id that names no class of this lesson is ignored."""
    class_id = st.query_params.get(CLASS_PARAM)
    if not class_id:
        return None
    store = run_store()
    info = None
    if store is not None:
        try:
            info = classroom.get_class(store, class_id)
        except StoreError as exc:
            st.error(say(exc.problem))
            return None
    if info is None or info.lesson_id != lesson_id:
        st.error(t("class.not_found"))
        return None
    return info


def _ask(flag: str) -> None:
    st.session_state[flag] = True


def join_ui(info: classroom.ClassInfo) -> str | None:
    """The student's name in the class: asked once, then shown. Returns it."""
    store = run_store()
    student = owner.store_owner()
    try:
        name = classroom.student_name(store, info.id, student)
    except StoreError as exc:  # locked or unreadable right now: one sentence, the lesson goes on
        st.error(say(exc.problem))
        return None
    if name is not None:
        st.caption(t("class.joined", name=escape_markdown(name)))
        owner.remember_ui()
        return name
    if info.closed:
        st.warning(t("class.closed_notice"))
        return None
    typed = st.text_input(
        t("class.name"), max_chars=MAX_NAME, help=t("class.name_help"), key="class:name"
    )
    # The click only asks (a callback runs whatever the script run does before this line)
    st.button(t("class.join"), key="class:join", on_click=_ask, args=("class:join_asked",))
    if st.session_state.pop("class:join_asked", False):
        try:
            classroom.join(store, info.id, student, typed)
        except StoreError as exc:
            st.error(say(exc.problem))
            return None
        owner.remember_ui()  # the browser keeps its owner token: a reload stays joined
        st.rerun()
    return None


def share_ui(
    prefix: str, lesson: Lesson, info: classroom.ClassInfo, group: RunGroup | None
) -> None:
    """After a Train has ended and its runs are saved: one click shares them to the board."""
    if group is None or group.active:
        return
    store = run_store()
    if store is None or not all(run.saved_id for run in group.runs):
        return  # nothing to open in Compare: the page already says the save failed
    shared_key = f"{prefix}:shared_batch"
    if st.session_state.get(shared_key) is group:
        st.success(t("class.shared", count=len(group.runs)))
        return
    try:
        joined = classroom.student_name(store, info.id, owner.store_owner()) is not None
    except StoreError as exc:
        st.error(say(exc.problem))
        return
    if not joined:
        st.caption(t("class.join_to_share"))
        return
    asked = f"{prefix}:share_asked"
    if not st.session_state.pop(asked, False):  # set by the button's click, before this run
        label = t("class.share", count=len(group.runs))
        st.button(label, key=f"{prefix}:share_to_class", on_click=_ask, args=(asked,))
        return
    runs = shared_runs(lesson, group, st.session_state.get(f"{prefix}:prediction"))
    try:
        classroom.share(store, info.id, owner.store_owner(), runs)
    except StoreError as exc:
        st.error(say(exc.problem))
        return
    st.session_state[shared_key] = group
    st.success(t("class.shared", count=len(group.runs)))


def shared_runs(
    lesson: Lesson, group: RunGroup, predicted: int | None
) -> list[classroom.SharedRun]:
    """The group's runs as the board keeps them: what changed from the lesson, final numbers,
    the student's prediction and what the runs measured."""
    measured = None
    if lesson.prediction is not None:
        measured = measure(lesson.prediction, [(r.result.status, r.frame) for r in group.runs])
        measured = measured.answer
    return [
        classroom.SharedRun(
            run_id=run.saved_id,
            label=run.label,
            status=run.result.status,
            changed=lesson.changes(run.label, run.config),
            metrics={m: final_value(run.frame, m) for m in METRICS},
            predicted=predicted if lesson.prediction is not None else None,
            measured=measured,
        )
        for run in group.runs
    ]


def links(lesson_path: str, class_id: str, admin_key: str) -> dict[str, str]:
    """A class's three links, relative to the server: the students' lesson link, the board
    to project (read-only) and the teacher's own board link (with the admin key)."""
    board = {CLASS_PARAM: class_id}
    return {
        "lesson": f"{lesson_path}&{urlencode({CLASS_PARAM: class_id})}",
        "board": "/board?" + urlencode(with_language(board)),
        "admin": "/board?" + urlencode(with_language({**board, ADMIN_PARAM: admin_key})),
    }


# -- the board ----------------------------------------------------------------------------------


def board_ui() -> None:
    """The class board of the link's class: read-only, or with the admin's controls."""
    class_id, admin_key = st.query_params.get(CLASS_PARAM), st.query_params.get(ADMIN_PARAM)
    if not class_id:
        st.info(t("board.no_class"))
        return
    store = run_store()
    if store is None:
        st.error(t("lesson.no_store"))
        return
    try:
        info = classroom.get_class(store, class_id)
        admin = admin_key is not None and classroom.is_admin(store, class_id, admin_key)
        lesson = None if info is None else _lesson(store, info.lesson_id)
    except StoreError as exc:
        st.error(say(exc.problem))
        return
    if info is None:
        st.error(t("board.not_found"))
        return
    if admin_key is not None and not admin:
        st.warning(t("board.not_admin"))

    @st.fragment(run_every=BOARD_EVERY)
    def live_board() -> None:
        try:
            _draw(store, class_id, admin_key if admin else None, lesson)
        except StoreError as exc:
            st.error(say(exc.problem))

    live_board()


def _lesson(store, lesson_id: str) -> Lesson | None:
    spec = store.get_lesson(lesson_id)
    return None if spec is None else lesson_from_json(spec)


def _draw(store, class_id: str, admin_key: str | None, lesson: Lesson | None) -> None:
    info = classroom.get_class(store, class_id)
    entries = classroom.board(store, class_id, hidden=admin_key is not None)
    state = t("board.closed") if info.closed else t("board.open")
    st.caption(t("board.counts", students=info.students, shared=info.shared, state=state))
    if lesson is not None and lesson.prompt:
        st.text(lesson.prompt)
    if lesson is not None and lesson.prediction is not None:
        _tally_ui(lesson, [e for e in entries if not e.hidden])
    if not entries:
        st.info(t("board.empty"))
    else:
        frame = board_frame(entries)
        _table_ui(frame, admin=admin_key is not None)
        _chart_ui(frame, lesson)
    if admin_key is not None:
        _admin_ui(store, class_id, admin_key, info, entries)


def board_frame(entries: list[classroom.BoardEntry]) -> pd.DataFrame:
    """One row per shared run: who, which run, what changed, final numbers, status, link."""
    rows = []
    for e in entries:
        changed = "; ".join(
            f"{field_label(p)} = {choice_label(p, v)}"
            for p, v in e.run.changed.items()
            if p in FIELDS
        )
        rows.append(
            {
                "entry": e.id,
                "student": e.name,
                "run": e.run.label,
                "changed": changed or t("board.unchanged"),
                **{m: e.run.metrics.get(m) for m in METRICS},
                "status": t(f"cmp.status.{e.run.status}"),
                "compare": "/compare?" + urlencode(with_language({"runs": e.run.run_id})),
                "hidden": e.hidden,
                "_changed": e.run.changed,
            }
        )
    return pd.DataFrame(rows)


def _table_ui(frame: pd.DataFrame, admin: bool) -> None:
    columns = ["student", "run", "changed", *METRICS, "status", "compare"] + (
        ["hidden"] if admin else []
    )
    config = {c: t(f"board.col.{c}") for c in columns}
    config.update(
        {m: st.column_config.NumberColumn(t(f"board.col.{m}"), format="%.4g") for m in METRICS}
    )
    config["compare"] = st.column_config.LinkColumn(
        t("board.col.compare"), display_text=t("board.open_run")
    )
    st.dataframe(frame[columns], column_config=config, hide_index=True, width="stretch")


def _chart_ui(frame: pd.DataFrame, lesson: Lesson | None) -> None:
    """The changed value against the outcome, for a numeric field the runs changed: each run
    at its value of the field (a run that kept the lesson's value at that value)."""
    counts = Counter(p for changed in frame["_changed"] for p in changed if _numeric(p))
    if not counts:
        st.caption(t("board.no_numbers"))
        return
    fields = [p for p, _ in counts.most_common()]
    left, right = st.columns(2)
    path = left.selectbox(
        t("board.x_field"), fields, format_func=worded(fields, field_label), key="board:x"
    )
    metric = right.selectbox(
        t("board.y_metric"),
        METRICS,
        format_func=worded(METRICS, lambda m: t(f"board.col.{m}")),
        key="board:y",
    )
    kept = {}  # the lesson's value of the field, per run label
    if lesson is not None:
        kept = {label: lesson.run_values(label).get(path) for label in set(frame["run"])}
    values = [
        c.get(path, kept.get(run)) for c, run in zip(frame["_changed"], frame["run"], strict=True)
    ]
    x = pd.to_numeric(pd.Series(values, index=frame.index, dtype=object), errors="coerce")
    points = pd.DataFrame(
        {
            "x": x,
            "y": frame[metric],
            "student": frame["student"],
            "run": frame["run"],
            "status": frame["status"],
        }
    ).dropna(subset=["x", "y"])
    if points.empty:
        st.caption(t("board.no_points"))
        return
    log_x = bool((points["x"] > 0).all() and points["x"].max() > 10 * points["x"].min())
    log_y = metric in LOG_METRICS and bool((points["y"] > 0).all())
    labels = {
        "x": field_label(path),
        "y": t(f"board.col.{metric}"),
        **{c: t(f"board.col.{c}") for c in ("student", "run", "status")},
    }
    chart = outcome_chart(points, labels, log_x=log_x, log_y=log_y)
    st.altair_chart(with_font(chart), width="stretch")


def _numeric(path: str) -> bool:
    return path in FIELDS and FIELDS[path].kind in ("int", "float")


def _tally_ui(lesson: Lesson, entries: list[classroom.BoardEntry]) -> None:
    p = lesson.prediction
    tally = classroom.tally(entries, len(p.answers))
    st.markdown(t("board.question", question=escape_markdown(p.question)))
    frame = pd.DataFrame(
        {
            t("board.col.answer"): list(p.answers),
            t("board.col.chose"): list(tally.chose),
            t("board.col.measured"): list(tally.measured),
        }
    )
    st.dataframe(frame, hide_index=True)
    if sum(tally.measured):
        st.markdown(tally_sentence(p.answers, tally))


def tally_sentence(answers: tuple[str, ...], tally: classroom.Tally) -> str:
    """What the tally shows, computed from its numbers: the answer most students chose and the
    answer the shared Trains measured most, each with its count."""
    chosen = max(range(len(answers)), key=lambda i: tally.chose[i])
    measured = max(range(len(answers)), key=lambda i: tally.measured[i])
    return t(
        "board.tally_said" if sum(tally.chose) else "board.tally_measured",
        chose=tally.chose[chosen],
        students=sum(tally.chose),
        chosen=escape_markdown(answers[chosen]),
        measured=tally.measured[measured],
        trains=sum(tally.measured),
        answer=escape_markdown(answers[measured]),
    )


def _admin_ui(store, class_id: str, admin_key: str, info, entries) -> None:
    with st.container(border=True):
        st.caption(t("board.admin"))
        if entries:
            ids = [e.id for e in entries]
            by_id = {e.id: e for e in entries}
            entry = st.selectbox(
                t("board.entry"),
                ids,
                format_func=worded(
                    ids,
                    lambda i: t(
                        "board.entry_option", n=i, name=by_id[i].name, run=by_id[i].run.label
                    ),
                ),
                key="board:entry",
            )
            hidden = by_id[entry].hidden
            st.button(
                t("board.show" if hidden else "board.hide"),
                key="board:hide",
                on_click=classroom.set_hidden,
                args=(store, class_id, admin_key, entry, not hidden),
            )
        st.button(
            t("board.reopen" if info.closed else "board.close"),
            key="board:close",
            on_click=classroom.set_closed,
            args=(store, class_id, admin_key, not info.closed),
        )
