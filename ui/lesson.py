"""A lab page as a lesson (models.teaching.lessons): a teacher's *Share as a lesson* and what a
student's lesson link opens.

A lesson link is the page with ``?lesson=<id>``: the page reads the lesson from the run store
and draws its form with the lesson's config, the fields the teacher locked disabled and those
hidden gone (``schema_for``: they are fixed fields of the page, so neither the URL nor a
preset nor a file changes them, each refused with a sentence naming the field); the prompt on
top as plain text; and, when the teacher asked for a prediction, its answers before Train
(Train waits for one), then at the end the measured answer next to the student's with the
numbers it rests on.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlencode

import segno
import streamlit as st

from models.config import RunConfig
from models.fields import FIELDS
from models.infra.classroom import create_class
from models.infra.store import StoreError
from models.teaching.lessons import (
    MAX_ANSWER,
    MAX_PROMPT,
    MAX_QUESTION,
    MEASURES,
    SECTIONS,
    VISIBILITIES,
    Lesson,
    LessonError,
    lesson_from_json,
    lesson_from_page,
    measure,
)
from ui import classroom as classroom_ui
from ui import config_form as form
from ui.i18n import LANG_PARAM, current, say, say_first, t, worded
from ui.pool import run_store
from ui.runs import RunGroup
from ui.text import escape_markdown
from ui.verdict import value

LESSON_PARAM = "lesson"
CLASS_STATE = "lesson:class"  # the class this script run's link names (prompt_ui)


def lesson_of_link() -> tuple[Lesson | None, str | None]:
    """The lesson the link names (read once per session), and a sentence when it names none."""
    lesson_id = st.query_params.get(LESSON_PARAM)
    if not lesson_id:
        return None, None
    cache = st.session_state.setdefault("lesson:cache", {})
    if lesson_id not in cache:
        store = run_store()
        if store is None:
            return None, t("lesson.no_store")
        try:
            spec = store.get_lesson(lesson_id)
        except StoreError as exc:
            return None, say(exc.problem)
        cache[lesson_id] = None if spec is None else lesson_from_json(spec)
    lesson = cache[lesson_id]
    return lesson, None if lesson is not None else t("lesson.not_found")


def schema_for(page: form.PageSchema, name: str) -> tuple[form.PageSchema, Lesson | None]:
    """The page's schema, or, on a lesson link for this page, the lesson's: its config as the
    page's starting values, its locked and hidden fields fixed at the lesson's values, its runs
    B-D as the teacher set them. The form has its own keys per lesson."""
    lesson, why = lesson_of_link()
    if why:
        st.error(why)
    if lesson is None or lesson.page != name:
        return page, None
    fixed = lesson.fixed()
    schema = replace(
        page,
        prefix=f"{page.prefix}-{st.query_params[LESSON_PARAM][:12]}",
        fixed={**fixed, **page.fixed},
        defaults={**page.defaults, **lesson.config},
        locked=frozenset(p for p in fixed if lesson.visibility(p) == "locked"),
        hidden=frozenset(p for p in fixed if lesson.visibility(p) == "hidden"),
        lesson_variants=lesson.variants,
    )
    return schema, lesson


def prompt_ui(lesson: Lesson) -> None:
    """The teacher's prompt, as text (never Markdown or HTML); on a class link, the student's
    name in the class (asked once)."""
    with st.container(border=True):
        st.caption(t("lesson.prompt_title"))
        if lesson.prompt:
            st.text(lesson.prompt)
        info = classroom_ui.class_of_link(st.query_params[LESSON_PARAM])
        st.session_state[CLASS_STATE] = info  # for outcome_ui, later in this script run
        if info is not None:
            classroom_ui.join_ui(info)


def prediction_ui(page: form.PageSchema, lesson: Lesson) -> bool:
    """The prediction's answers, before Train; True once one is chosen (or none is asked)."""
    if lesson.prediction is None:
        return True
    p = lesson.prediction
    st.radio(
        t("lesson.predict", question=escape_markdown(p.question)),  # a teacher's text: as text
        range(len(p.answers)),
        index=None,
        format_func=worded(range(len(p.answers)), lambda i: escape_markdown(p.answers[i])),
        key=f"{page.prefix}:prediction",
    )
    answered = st.session_state.get(f"{page.prefix}:prediction") is not None
    hint = st.empty()  # drawn either way: Train and what follows keep their places when the
    if not answered:  # hint goes (a moved element stands next to its old copy until the rerun ends)
        hint.caption(t("lesson.predict_first"))
    return answered


def outcome_of(page: form.PageSchema, lesson: Lesson | None) -> Callable[[RunGroup], None] | None:
    """What a lesson draws once its runs have ended, for ``lab.live_ui`` to draw in its live
    fragment with the downloads: a full rerun asked for by the fragment can be lost on a loaded
    server (Streamlit's #9921: measured by bench/classroom.py, a student in 30 was left without
    the Share button), a fragment run's output is not."""
    if lesson is None:
        return None
    return functools.partial(outcome_ui, page, lesson)


def outcome_ui(page: form.PageSchema, lesson: Lesson, group: RunGroup | None) -> None:
    """At the runs' end: the measured answer next to the student's, and its numbers; on a
    class link, the button that shares the runs to the class board."""
    if group is None or group.active:
        return
    _measured_ui(page, lesson, group)
    info = st.session_state.get(CLASS_STATE)
    if info is not None:
        classroom_ui.share_ui(page.prefix, lesson, info, group)


def _measured_ui(page: form.PageSchema, lesson: Lesson, group: RunGroup) -> None:
    if lesson.prediction is None:
        return
    p = lesson.prediction
    measured = measure(p, [(run.result.status, run.frame) for run in group.runs])
    chosen = st.session_state.get(f"{page.prefix}:prediction")
    if measured.answer is None:
        st.warning(t("lesson.not_measured"))
        return
    numbers = ", ".join(
        f"{label}: {value(n)}"
        for label, n in zip(_number_labels(p, group), measured.numbers, strict=False)
    )
    said = t(
        "lesson.right" if chosen == measured.answer else "lesson.wrong",
        measured=escape_markdown(p.answers[measured.answer]),
        chosen=escape_markdown(p.answers[chosen]) if chosen is not None else "–",
    )
    (st.success if chosen == measured.answer else st.info)(said)
    if numbers:
        st.caption(t(f"lesson.numbers.{p.measure}", numbers=numbers))


def _number_labels(p, group: RunGroup) -> list[str]:
    if p.measure == "lower_val_loss":
        return [run.label for run in group.runs]
    return [t("lesson.first_layer"), t("lesson.output_layer")]


def share_ui(page: form.PageSchema, name: str, config: RunConfig | None) -> None:
    """*Share as a lesson*: what students may change, a prompt, a prediction; then the link and
    its QR code."""
    if config is None:
        return
    key = f"{page.prefix}:share"
    with st.expander(t("lesson.share")):
        st.caption(t("lesson.share_help"))
        words = worded(VISIBILITIES, lambda v: t(f"lesson.visibility.{v}"))
        sections = {}
        for section in SECTIONS:
            sections[section] = st.radio(
                t(f"dn.section.{section}"),
                VISIBILITIES,
                format_func=words,
                horizontal=True,
                key=f"{key}:section:{section}",
            )
        paths = [p for p in FIELDS if p not in page.fixed]
        labels = worded(paths, lambda p: form.field_title(page, p) if p in FIELDS else p)
        fields = {}
        for visibility in VISIBILITIES:
            chosen = st.multiselect(
                t(f"lesson.fields.{visibility}"),
                paths,
                format_func=labels,
                key=f"{key}:{visibility}",
            )
            fields |= dict.fromkeys(chosen, visibility)
        prompt = st.text_area(t("lesson.prompt"), max_chars=MAX_PROMPT, key=f"{key}:prompt")
        prediction = None
        if st.toggle(t("lesson.ask"), key=f"{key}:ask"):
            question = st.text_input(
                t("lesson.question"), max_chars=MAX_QUESTION, key=f"{key}:question"
            )
            runs = 1 + len(form.variant_changes(page))
            # which run ends lower needs two runs at least: offered only with side-by-side runs
            measures = [m for m in MEASURES if m != "lower_val_loss" or runs > 1]
            kind = st.selectbox(
                t("lesson.measure"),
                measures,
                format_func=worded(measures, lambda m: t(f"lesson.measure_{m}")),
                key=f"{key}:measure",
            )
            count = runs if kind == "lower_val_loss" else 2
            answers = [
                st.text_input(
                    t("lesson.answer", n=i + 1),
                    value=_default_answer(kind, i),
                    max_chars=MAX_ANSWER,
                    key=f"{key}:answer:{kind}:{i}",
                )
                for i in range(count)
            ]
            prediction = {"question": question, "answers": answers, "measure": kind}

        as_class = st.toggle(
            t("lesson.as_class"), key=f"{key}:class", help=t("lesson.as_class_help")
        )

        def make() -> None:
            """Store the lesson as this run drew it (its config and choices): a callback would
            use the run before, whose values miss a text typed just before the click."""
            st.session_state.pop(f"{key}:made", None)
            try:
                lesson = lesson_from_page(
                    name,
                    config,
                    form.variant_changes(page),
                    sections={s: v for s, v in sections.items() if v != "edit"},
                    fields=fields,
                    prompt=prompt,
                    prediction=prediction,
                )
                store = run_store()
                if store is None:
                    st.session_state[f"{key}:refused"] = t("lesson.no_store")
                    return
                lesson_id = store.save_lesson(lesson.model_dump_json())
                made = (lesson_id, *create_class(store, lesson_id)) if as_class else (lesson_id,)
                st.session_state[f"{key}:made"] = made
            except LessonError as exc:
                st.session_state[f"{key}:refused"] = say_first(exc.problems)
            except StoreError as exc:
                st.session_state[f"{key}:refused"] = say(exc.problem)

        def ask() -> None:
            st.session_state[f"{key}:asked"] = True

        st.button(t("lesson.make"), key=f"{key}:make", on_click=ask)
        if st.session_state.pop(f"{key}:asked", False):
            make()
        if refused := st.session_state.pop(f"{key}:refused", None):
            st.error(t("lesson.refused", error=escape_markdown(refused)))
        if made := st.session_state.get(f"{key}:made"):
            link_ui(name, *made)


def _default_answer(kind: str, i: int) -> str:
    if kind == "lower_val_loss":
        return t("lesson.run_answer", label="ABCD"[i])
    return t(f"lesson.answer_{kind}_{i}")


def link_ui(name: str, lesson_id: str, class_id: str | None = None, admin: str = "") -> None:
    """The lesson's link and its QR code, to project in class; for a class, also the board's
    two links: to project (read-only) and the teacher's own (with the admin key)."""
    path = f"/{name}?" + urlencode({LESSON_PARAM: lesson_id, LANG_PARAM: current()})
    url = getattr(st.context, "url", None) or ""
    base = url.split("?")[0].rsplit("/", 1)[0]  # the server's address, as the teacher sees it
    links = classroom_ui.links(path, class_id, admin) if class_id else {"lesson": path}
    link = base + links["lesson"]
    st.text(t("lesson.link"))
    st.code(link, language=None, wrap_lines=True)
    qr = segno.make(link, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=6, border=2)
    st.image(png.getvalue(), caption=t("lesson.qr"), width=240)
    if class_id:
        st.text(t("lesson.board_link"))
        st.code(base + links["board"], language=None, wrap_lines=True)
        st.text(t("lesson.admin_link"))
        st.code(base + links["admin"], language=None, wrap_lines=True)
