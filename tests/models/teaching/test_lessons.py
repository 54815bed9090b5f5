"""A teacher's lesson (models/teaching/lessons.py): what students may do with each field, texts
checked as plain text, predictions whose answers fit what the runs decide, and the measured
answer computed from the runs' numbers (both outcomes of each measure, from synthetic rows)."""

import pandas as pd
import pytest

from models.config import RunConfig
from models.fields import to_flat
from models.teaching.lessons import (
    MAX_PROMPT,
    LessonError,
    Prediction,
    lesson_from_page,
    make_lesson,
    measure,
)

CFG = RunConfig()


def lesson(**rest):
    return lesson_from_page("deep_networks", CFG, rest.pop("variants", {}), **rest)


def frame(rows):
    return pd.DataFrame(rows, columns=["name", "step", "depth", "value"])


def test_a_fields_own_choice_wins_over_its_sections_and_edit_is_the_default():
    made = lesson(sections={"model": "locked", "data": "hidden"}, fields={"model.depth": "edit"})
    assert made.visibility("model.width") == "locked"
    assert made.visibility("model.depth") == "edit"
    assert made.visibility("data.noise") == "hidden"
    assert made.visibility("optimizer.learning_rate") == "edit"
    fixed = made.fixed()
    assert "model.depth" not in fixed and fixed["model.width"] == CFG.model.width
    assert fixed["data.noise"] == CFG.data.noise and "train.epochs" not in fixed


def test_a_lesson_keeps_html_as_text_and_round_trips_through_its_json():
    made = lesson(prompt="  <script>alert(1)</script> **why?**  ")
    assert made.prompt == "<script>alert(1)</script> **why?**"  # kept as typed, shown as text
    assert make_lesson(made.model_dump(mode="json")) == made


@pytest.mark.parametrize(
    "rest, code, field",
    [
        ({"prompt": "x" * (MAX_PROMPT + 1)}, "lesson.text_too_long", "prompt"),
        ({"prompt": "9" * 10_000}, "lesson.text_too_long", "prompt"),
        ({"prompt": "ring\x07bell"}, "lesson.control_characters", "prompt"),
        ({"prompt": "right\u202eto left"}, "lesson.control_characters", "prompt"),
        ({"fields": {"model.nope": "locked"}}, "lesson.unknown_field", None),
        ({"variants": {"E": {"model.depth": "3"}}}, "lesson.unknown_run", None),
        ({"sections": {"model": "gone"}}, "lesson.invalid", None),
    ],
)
def test_a_bad_lesson_is_refused_with_the_problem_named(rest, code, field):
    with pytest.raises(LessonError) as caught:
        lesson(**rest)
    assert caught.value.problem.code == code
    if field:
        assert caught.value.problem.values["field"] == field


def test_a_side_by_side_run_the_schema_refuses_is_refused():
    with pytest.raises(LessonError) as caught:
        lesson(variants={"B": {"model.depth": "999"}})
    assert caught.value.problem.values["field"] == "model.depth"


@pytest.mark.parametrize(
    "answers, measure_name, variants, ok",
    [
        (["A", "B"], "lower_val_loss", {"B": {"model.activation": "relu"}}, True),
        (["A", "B", "C"], "lower_val_loss", {"B": {"model.activation": "relu"}}, False),
        (["A", "B"], "lower_val_loss", {}, False),  # one run has nothing to compare
        (["first", "output"], "larger_gradient_at_start", {}, True),
        (["yes", "no", "maybe"], "diverges", {}, False),
    ],
)
def test_a_predictions_answers_fit_what_its_runs_decide(answers, measure_name, variants, ok):
    prediction = {"question": "Which?", "answers": answers, "measure": measure_name}
    if ok:
        assert lesson(prediction=prediction, variants=variants).prediction.answers == tuple(answers)
    else:
        with pytest.raises(LessonError) as caught:
            lesson(prediction=prediction, variants=variants)
        assert caught.value.problem.code == "lesson.answers_count"


@pytest.mark.parametrize("answers", [["same", "same"], ["yes", "  "], ["a\x00", "b"]])
def test_answers_must_be_written_distinct_and_plain(answers):
    with pytest.raises(LessonError):
        lesson(prediction={"question": "Q?", "answers": answers, "measure": "diverges"})


def test_lower_val_loss_names_the_run_with_the_lowest_final_val_loss_either_way():
    p = Prediction(question="Which?", answers=("A", "B"), measure="lower_val_loss")
    a = frame([("val_loss", 0, None, 0.7), ("val_loss", 10, None, 0.30)])
    b = frame([("val_loss", 0, None, 0.7), ("val_loss", 10, None, 0.05)])
    assert measure(p, [("completed", a), ("completed", b)]).answer == 1
    assert measure(p, [("completed", b), ("completed", a)]).answer == 0
    assert measure(p, [("completed", a), ("completed", b)]).numbers == (0.30, 0.05)
    nan = frame([("val_loss", 10, None, float("nan"))])  # a diverged run has no number
    assert measure(p, [("diverged", nan), ("completed", a)]).answer == 1
    empty = frame([])
    assert measure(p, [("failed", empty), ("failed", empty)]).answer is None


def test_larger_gradient_at_start_compares_the_first_layer_with_the_output_either_way():
    p = Prediction(question="?", answers=("first", "output"), measure="larger_gradient_at_start")
    vanishing = frame(
        [("grad_norm", 5, 0, 9.0)]  # a later step does not count, wherever its row is
        + [("grad_norm", 0, 0, 1e-6), ("grad_norm", 0, 1, 1e-3), ("grad_norm", 0, 2, 0.1)]
    )
    assert measure(p, [("completed", vanishing)]).answer == 1
    exploding = frame([("grad_norm", 0, 0, 50.0), ("grad_norm", 0, 2, 0.5)])
    result = measure(p, [("diverged", exploding)])
    assert (result.answer, result.numbers) == (0, (50.0, 0.5))
    # with batch norm the depth's Dense row comes first, and it is the one compared
    with_bn = frame(
        [("grad_norm", 0, 0, 3.0), ("grad_norm", 0, 0, 0.001), ("grad_norm", 0, 1, 1.0)]
    )
    assert measure(p, [("completed", with_bn)]).numbers == (3.0, 1.0)
    assert measure(p, [("failed", frame([]))]).answer is None


def test_diverges_reads_the_runs_status_either_way():
    p = Prediction(question="?", answers=("yes", "no"), measure="diverges")
    assert measure(p, [("diverged", frame([]))]).answer == 0
    assert measure(p, [("completed", frame([]))]).answer == 1
    assert measure(p, [("stopped", frame([]))]).answer is None  # stopped early: not measured


def test_the_lesson_config_is_every_field_of_run_a():
    assert lesson().config == to_flat(CFG)
