"""A lesson given to a class (ui/classroom.py, pages/board.py) through AppTest: the teacher's
three links; a student joins under a name, trains, and shares only with a click; the board's
privacy (no class id: nothing; the class id: read-only; the admin key: hide and close); forged,
truncated and 10 kB ids, keys and names, each one sentence."""

from __future__ import annotations

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from locales import LANGUAGES
from models.infra import classroom
from models.infra.store import RunStore, StoreError
from models.problems import Problem
from models.teaching.lessons import lesson_from_json
from tests.support import DASHBOARD
from tests.support.apptest import one_sentence, shown
from tests.support.lessons import SMALL, open_lesson, store_lesson, train_button, train_to_end
from tests.support.visible_text import english_on_page
from ui.i18n import say, t
from ui.owner import owner_key

ZH = LANGUAGES["zh"]

HOSTILE = '<img src=x onerror="alert(1)"> **Li** [x](javascript:alert(1))'
PREDICTION = {
    "question": "Which gradient is larger at step 0?",
    "answers": ["The first layer's", "The output layer's"],
    "measure": "larger_gradient_at_start",
}


def new_class(**rest) -> tuple[str, str, str]:
    lesson_id = store_lesson("deep_networks", SMALL, **rest)
    return (lesson_id, *classroom.create_class(RunStore(), lesson_id))


def open_board(**params) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/board.py")
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def join(at: AppTest, name: str) -> AppTest:
    at.text_input(key="class:name").set_value(name)
    at.button(key="class:join").click().run()
    assert not at.exception, at.exception
    return at


def share_button(at: AppTest):
    return [b for b in at.button if b.label.startswith(t("class.share", count=1)[:12])]


def board_rows(at: AppTest):
    frames = [d.value for d in at.dataframe if "student" in d.value.columns]
    return frames[0] if frames else None


def test_a_teacher_gets_the_class_lesson_link_and_two_board_links():
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.run()
    at.switch_page("pages/deep_networks.py").run()
    at.toggle(key="dn:share:class").set_value(True)
    at.button(key="dn:share:make").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    lesson_id, class_id, admin_key = at.session_state["dn:share:made"]
    lesson, board, admin = [c.value for c in at.code]
    assert lesson == f"/deep_networks?lesson={lesson_id}&lang=en&class={class_id}"
    assert board == f"/board?class={class_id}&lang=en"  # no admin key: read-only
    assert admin == f"/board?class={class_id}&admin={admin_key}&lang=en"
    assert classroom.is_admin(RunStore(), class_id, admin_key)
    assert classroom.get_class(RunStore(), class_id).lesson_id == lesson_id


def test_a_student_joins_trains_and_shares_only_with_the_click():
    lesson_id, class_id, admin_key = new_class(prediction=PREDICTION)
    at = open_lesson("deep_networks", lesson_id, **{"class": class_id})
    prefix = f"dn-{lesson_id[:12]}"
    join(at, "  " + HOSTILE)
    joined = [c.value for c in at.caption if c.value.startswith("You are in the class as")]
    assert [shown(j) for j in joined] == [t("class.joined", name=HOSTILE)]  # escaped: text
    at.radio(key=f"{prefix}:prediction").set_value(1).run()
    train_to_end(at, prefix)
    assert classroom.board(RunStore(), class_id) == []  # ended and saved, not shared
    [share] = share_button(at)
    share.click().run()
    assert not at.exception and not at.error
    assert any(s.value == t("class.shared", count=1) for s in at.success)
    [entry] = classroom.board(RunStore(), class_id)
    run = at.session_state[f"{prefix}:group"].runs[0]
    assert entry.name == HOSTILE and entry.run.run_id == run.saved_id
    assert entry.run.predicted == 1 and entry.run.measured in (0, 1)
    assert entry.run.changed == {}  # the lesson's config as it was

    board = open_board(**{"class": class_id})
    rows = board_rows(board)
    assert list(rows["student"]) == [HOSTILE]  # a table cell: text
    assert list(rows["changed"]) == [t("board.unchanged")]
    assert rows["compare"].iloc[0] == f"/compare?runs={run.saved_id}&lang=en"
    tally = next(d.value for d in board.dataframe if t("board.col.chose") in d.value.columns)
    assert list(tally[t("board.col.chose")]) == [0, 1]
    assert sum(tally[t("board.col.measured")]) == 1
    measured = PREDICTION["answers"][entry.run.measured]
    said = t(
        "board.tally_said",
        chose=1,
        students=1,
        chosen=PREDICTION["answers"][1],
        measured=1,
        trains=1,
        answer=measured,
    )
    assert said in [shown(m.value) for m in board.markdown]
    assert not [b for b in board.button if b.label in (t("board.hide"), t("board.close"))]


def test_the_board_shows_nothing_without_a_class_id_and_refuses_forged_ones():
    lesson_id, class_id, admin_key = new_class()
    at = open_board()
    assert [i.value for i in at.info] == [t("board.no_class")]
    assert not at.dataframe and not at.error
    for forged in (class_id[:-1], class_id + "0", "0" * 32, "<script>x</script>", "9" * 10_000):
        at = open_board(**{"class": forged})
        assert one_sentence(at.error) == t("board.not_found")
        assert not at.dataframe
        at = open_board(**{"class": forged, "admin": admin_key})
        assert one_sentence(at.error) == t("board.not_found") and not at.button


def test_only_the_admin_key_hides_entries_and_closes_the_class():
    lesson_id, class_id, admin_key = new_class()
    store = RunStore()
    for student, name in (("s1", "Li"), ("s2", "Wang")):
        classroom.join(store, class_id, student, name)
        run = classroom.SharedRun(
            "a" * 32, "A", "completed", {"model.depth": "4"}, {"val_loss": 0.5}
        )
        classroom.share(store, class_id, student, [run])
    for key in (admin_key[:-1], admin_key[:-1] + "x", class_id, "9" * 10_000):
        at = open_board(**{"class": class_id, "admin": key})
        assert one_sentence(at.warning) == t("board.not_admin")
        assert len(board_rows(at)) == 2 and not [b for b in at.button if b.key]
    at = open_board(**{"class": class_id, "admin": admin_key})
    assert not at.warning
    at.selectbox(key="board:entry").set_value(board_entries(class_id)[0])
    at.button(key="board:hide").click().run()
    assert [e.name for e in classroom.board(store, class_id)] == ["Wang"]
    assert list(board_rows(open_board(**{"class": class_id}))["student"]) == ["Wang"]
    at.button(key="board:close").click().run()
    assert classroom.get_class(store, class_id).closed
    assert t("board.closed") in " ".join(c.value for c in open_board(**{"class": class_id}).caption)


def board_entries(class_id: str) -> list[int]:
    return [e.id for e in classroom.board(RunStore(), class_id, hidden=True)]


@pytest.mark.parametrize(
    "name, problem", [("", "class.name_empty"), ("Li\x07", "class.name_control")]
)
def test_a_bad_name_is_one_sentence_and_joins_nobody(name, problem):
    lesson_id, class_id, _ = new_class()
    at = open_lesson("deep_networks", lesson_id, **{"class": class_id})
    join(at, name)
    assert one_sentence(at.error) == say(Problem(problem))
    assert classroom.get_class(RunStore(), class_id).students == 0


def test_a_10_kb_name_is_cut_by_the_field_and_refused_by_the_store():
    lesson_id, class_id, _ = new_class()
    at = open_lesson("deep_networks", lesson_id, **{"class": class_id})
    join(at, "x" * 10_000)  # the field keeps its first 100 characters, as a browser's does
    assert t("class.joined", name="x" * 100) in [c.value for c in at.caption]
    with pytest.raises(StoreError) as excinfo:  # anything longer never reaches the table
        classroom.join(RunStore(), class_id, "someone", "x" * 10_000)
    assert say(excinfo.value.problem) == say(
        Problem("class.name_too_long", {"limit": 100, "length": 10_000})
    )


def test_a_closed_class_and_a_class_of_another_lesson_are_one_sentence_each():
    lesson_id, class_id, admin_key = new_class()
    other_lesson = store_lesson("deep_networks")
    at = open_lesson("deep_networks", other_lesson, **{"class": class_id})
    assert one_sentence(at.error) == t("class.not_found")
    assert not [w for w in at.text_input if w.label == t("class.name")]
    classroom.set_closed(RunStore(), class_id, admin_key)
    at = open_lesson("deep_networks", lesson_id, **{"class": class_id})
    assert one_sentence(at.warning) == t("class.closed_notice")
    assert not train_button(at).disabled  # the lesson still trains


def test_the_boards_chart_puts_each_run_at_its_value_kept_or_changed():
    """A run that kept the lesson's learning rate is drawn at that rate, next to one that
    changed it; both at their final val loss."""
    lesson_id, class_id, _ = new_class()
    store = RunStore()
    kept_rate = classroom_lesson_rate(lesson_id)
    for student, changed, loss in (
        ("s1", {"optimizer.learning_rate": "0.3"}, 0.4),
        ("s2", {}, 0.6),
    ):
        classroom.join(store, class_id, student, student)
        metrics = {"val_loss": loss, "val_accuracy": 0.5, "loss": loss}
        run = classroom.SharedRun("a" * 32, "A", "completed", changed, metrics)
        classroom.share(store, class_id, student, [run])
    at = open_board(**{"class": class_id})
    [chart] = at.get("vega_lite_chart")
    [dataset] = chart.proto.datasets
    points = pa.ipc.open_stream(dataset.data.data).read_pandas()
    assert sorted(zip(points["x"], points["y"], strict=True)) == sorted(
        [(0.3, 0.4), (kept_rate, 0.6)]
    )


def classroom_lesson_rate(lesson_id: str) -> float:
    return lesson_from_json(RunStore().get_lesson(lesson_id)).run_values("A")[
        "optimizer.learning_rate"
    ]


def test_a_class_in_chinese_shows_no_english_sentence():
    """The student's class lines and the board (table, tally, chart, teacher's controls) with
    ?lang=zh: every text worded from the tables (the names and the prompt are the users')."""
    prediction = {**PREDICTION, "question": "哪一层的梯度更大？", "answers": ["第一层", "输出层"]}
    lesson_id, class_id, admin_key = new_class(prediction=prediction, prompt="先预测，再训练。")
    at = open_lesson("deep_networks", lesson_id, **{"class": class_id, "lang": "zh"})
    join(at, "李雷")
    assert [c.value for c in at.caption if "李雷" in c.value] == [
        ZH["class.joined"].format(name="李雷")
    ]
    assert english_on_page(at) == []
    store = RunStore()
    run = classroom.SharedRun(
        "a" * 32, "A", "completed", {"optimizer.learning_rate": "0.1"}, {"val_loss": 0.4}, 1, 0
    )
    classroom.share(store, class_id, owner_of(at), [run])
    board = open_board(**{"class": class_id, "admin": admin_key, "lang": "zh"})
    assert board.get("vega_lite_chart") and len(board.dataframe) == 2
    assert english_on_page(board) == []


def owner_of(at: AppTest) -> str:
    return owner_key(at.session_state["owner:token"])
