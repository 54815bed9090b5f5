"""A lab page as a lesson (ui/lesson.py) through AppTest: a teacher makes one from the page (a
link and its QR code); a student's link opens the lesson's config with each field as the
teacher chose (editable, disabled, or gone), per field and per section on all three labs; the
prompt as text; Train waits for a prediction, and the run's end says what was measured next
to it. Forged links and a locked field changed through the URL are one sentence each."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from models.infra.store import RunStore
from models.teaching.presets import PRESETS
from tests.support import DASHBOARD
from tests.support.apptest import field, one_sentence, shown
from tests.support.lessons import (
    PAGES,
    SMALL,
    open_lesson,
    store_lesson,
    train_button,
    train_to_end,
)
from ui.i18n import t

HOSTILE = '<img src=x onerror="alert(1)"> **bold** [link](javascript:alert(1))'


def widget(at: AppTest, prefix: str, path: str):
    """The field's widget in the sidebar, or None when the page does not draw it."""
    for kind in ("slider", "number_input", "selectbox", "toggle"):
        try:
            return field(at.sidebar, kind, f"{prefix}:{path}")
        except StopIteration:
            continue
    return None


@pytest.mark.parametrize("page", PAGES)
def test_each_field_is_editable_locked_or_hidden_as_the_teacher_chose(page):
    lesson_id = store_lesson(
        page,
        sections={"model": "hidden", "train": "locked"},
        fields={"model.width": "edit", "data.noise": "locked"},
    )
    at = open_lesson(page, lesson_id)
    prefix = f"{PAGES[page][0]}-{lesson_id[:12]}"
    assert not widget(at, prefix, "model.width").disabled  # the field's own choice wins
    assert widget(at, prefix, "model.depth") is None  # its section hidden
    assert widget(at, prefix, "model.activation") is None
    assert widget(at, prefix, "train.epochs").disabled  # its section locked
    assert widget(at, prefix, "data.noise").disabled  # the field locked
    assert not widget(at, prefix, "optimizer.learning_rate").disabled  # untouched: editable
    config = PRESETS[PAGES[page][1]].config()
    assert at.session_state[f"{prefix}:values"]["model.depth"] == config.model.depth
    sections = [e.label for e in at.sidebar.expander]
    # the model section has one field left (width): it stays; a section wholly hidden goes
    assert t("dn.section.model") in sections

    hidden = open_lesson(page, store_lesson(page, sections={"model": "hidden", "data": "hidden"}))
    sections = [e.label for e in hidden.sidebar.expander]
    assert t("dn.section.model") not in sections
    assert t("dn.section.data") not in sections and t("rn.section.task") not in sections
    assert t("dn.section.optimizer") in sections


def test_a_teacher_makes_a_lesson_link_with_its_qr_code_and_the_student_sees_it():
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.run()
    at.switch_page("pages/deep_networks.py").run()
    at.radio(key="dn:share:section:model").set_value("locked")
    at.multiselect(key="dn:share:hidden").set_value(["data.noise"])
    at.text_area(key="dn:share:prompt").set_value(HOSTILE)
    at.toggle(key="dn:share:ask").set_value(True).run()
    at.text_input(key="dn:share:question").set_value("Which gradient is larger at step 0?")
    at.selectbox(key="dn:share:measure").set_value("larger_gradient_at_start").run()
    at.button(key="dn:share:make").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [link] = [c.value for c in at.code]
    assert link.startswith("/deep_networks?lesson=") and link.endswith("&lang=en")
    assert at.get("image"), "the QR code"
    (lesson_id,) = at.session_state["dn:share:made"]  # no class: the lesson only

    student = open_lesson("deep_networks", lesson_id)
    assert [x.value for x in student.text] == [HOSTILE]  # as text: no Markdown, no HTML
    prefix = f"dn-{lesson_id[:12]}"
    assert widget(student, prefix, "model.depth").disabled
    assert widget(student, prefix, "data.noise") is None
    [predict] = [r for r in student.radio if r.key == f"{prefix}:prediction"]
    assert predict.value is None and train_button(student).disabled  # predict first
    predict.set_value(0).run()
    assert not train_button(student).disabled


@pytest.mark.parametrize("chosen", [0, 1])
def test_the_end_of_the_run_says_what_was_measured_next_to_the_prediction(chosen):
    """Both outcomes: the same lesson, each answer picked once; the sentence names the
    measured answer and calls the matching prediction right, and the numbers follow."""
    prediction = {
        "question": "Which gradient is larger at step 0?",
        "answers": ["The first layer's", "The output layer's"],
        "measure": "larger_gradient_at_start",
    }
    lesson_id = store_lesson("deep_networks", SMALL, prediction=prediction)
    at = open_lesson("deep_networks", lesson_id)
    prefix = f"dn-{lesson_id[:12]}"
    at.radio(key=f"{prefix}:prediction").set_value(chosen).run()
    train_to_end(at, prefix)
    frame = at.session_state[f"{prefix}:group"].runs[0].frame
    step0 = frame[(frame["name"] == "grad_norm") & (frame["step"] == frame["step"].min())]
    first, output = step0.iloc[0]["value"], step0.iloc[-1]["value"]
    measured = 0 if first > output else 1  # an independent reading of the same rows
    said = [shown(x.value) for x in (*at.success, *at.info) if "You predicted" in x.value]
    assert len(said) == 1
    assert prediction["answers"][measured] in said[0].split("measured")[1]
    assert said[0].endswith(": right.") == (chosen == measured)
    numbers = " ".join(c.value for c in at.caption)
    assert "Gradient norm at the first step: first layer: " in numbers


def test_a_locked_field_changed_through_the_url_is_refused_naming_it():
    lesson_id = store_lesson("deep_networks", fields={"model.depth": "locked"})
    at = open_lesson("deep_networks", lesson_id, **{"model.depth": "3", "model.width": "9"})
    [notice] = [shown(w.value) for w in at.warning if t("dn.url_notice") in w.value]
    assert "model.depth" in notice and "model.width" not in notice
    values = at.session_state[f"dn-{lesson_id[:12]}:values"]
    assert values["model.depth"] == PRESETS["vanishing_sigmoid"].config().model.depth
    assert values["model.width"] == 9  # an editable field follows the link


@pytest.mark.parametrize(
    "forged",
    ["0" * 32, "abc", "' OR 1=1 --", "<script>alert(1)</script>", "9" * 10_000],
)
def test_a_forged_or_truncated_lesson_link_is_one_sentence_and_the_page_opens(forged):
    real = store_lesson("deep_networks")
    for lesson_id in (forged, real[:-1]):
        at = open_lesson("deep_networks", lesson_id)
        assert one_sentence(at.error) == t("lesson.not_found")
        assert not train_button(at).disabled  # the page as usual
        assert widget(at, "dn", "model.depth") is not None


def test_a_lesson_is_stored_as_plain_json_never_a_keras_object():
    lesson_id = store_lesson("cnn", prompt=HOSTILE)
    spec = json.loads(RunStore().get_lesson(lesson_id))
    assert spec["page"] == "cnn" and spec["prompt"] == HOSTILE
    assert "class_name" not in json.dumps(spec)
