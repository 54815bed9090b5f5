"""A lesson: a lab page's experiment as a teacher shapes it for a class.

A teacher sets up a config (or runs side by side) on Deep Networks, Recurrent or CNN and says,
per section or per field, what students may change (``edit``), see but not change (``locked``)
or not see (``hidden``); writes a short prompt; and may ask for a prediction before Train, one
question with two to four answers whose correct one is computed from the run's numbers when it
ends (``MEASURES``). A lesson is stored by the run store under an unguessable id, and a lesson
link names only that id, so a student cannot drop a lock by editing the URL.

Every text is plain (shown as text, never as Markdown or HTML), length-limited and free of
control characters. Pure: pydantic and the config schema; no Streamlit, no TensorFlow.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from models.comparison import at_last
from models.config import ConfigError, RunConfig
from models.fields import FIELDS, diff, to_flat, url_text, with_changes
from models.problems import Problem, ProblemError, problem

PAGES = ("deep_networks", "recurrent", "cnn")
SECTIONS = ("data", "model", "optimizer", "train")
Visibility = Literal["edit", "locked", "hidden"]
VISIBILITIES: tuple[str, ...] = ("edit", "locked", "hidden")
MAX_PROMPT = 600  # characters of the prompt
MAX_QUESTION = 200
MAX_ANSWER = 80
MAX_LESSON_JSON = 20_000  # bytes of a stored lesson
RUN_LABELS = ("A", "B", "C", "D")
# What a prediction can ask; its answers, in order, and how many there must be:
# - lower_val_loss: one answer per run (A, B, ...): which run ends with the lower val loss;
# - larger_gradient_at_start: the first hidden layer, the output layer: whose gradient norm is
#   larger at the first recorded step (run A);
# - diverges: yes, no: does run A diverge.
MEASURES = ("lower_val_loss", "larger_gradient_at_start", "diverges")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class LessonError(ProblemError):
    """A lesson that cannot be made or read: ``err.problem`` says why (``lesson.*``)."""


def plain_text(value: str, field: str, limit: int, multiline: bool = False) -> str:
    """A teacher's or student's text as the lesson keeps it: trimmed; refused (naming the
    field) when empty where required, longer than limit, or holding control characters."""
    text = value.strip()
    if len(text) > limit:
        raise PydanticCustomError(
            "lesson.text_too_long",
            "{field} must be at most {limit} characters (got {got})",
            {"field": field, "limit": limit, "got": len(text)},
        )
    if _CONTROL.search(text if multiline else text.replace("\n", "\x0b")):
        raise PydanticCustomError(
            "lesson.control_characters",
            "{field} may not contain control characters",
            {"field": field},
        )
    return text


class Prediction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=1)
    answers: tuple[str, ...] = Field(min_length=2, max_length=4)
    measure: Literal["lower_val_loss", "larger_gradient_at_start", "diverges"]

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return plain_text(value, "prediction.question", MAX_QUESTION)

    @field_validator("answers")
    @classmethod
    def _answers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        answers = tuple(plain_text(a, "prediction.answers", MAX_ANSWER) for a in value)
        if any(not a for a in answers) or len(set(answers)) != len(answers):
            raise PydanticCustomError(
                "lesson.answers_distinct", "each answer must be written, and differ", {}
            )
        return answers


class Lesson(BaseModel):
    """What a lesson link restores: the page, run A's config and B-D's changes, what students
    may do with each field, the prompt and the prediction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    page: Literal["deep_networks", "recurrent", "cnn"]
    config: dict[str, Any]  # run A, every field by dotted path (models.fields.to_flat)
    variants: dict[str, dict[str, str]] = {}  # B, C, D: the fields they change, as typed
    sections: dict[Literal["data", "model", "optimizer", "train"], Visibility] = {}
    fields: dict[str, Visibility] = {}  # a field's own choice wins over its section's
    prompt: str = ""
    prediction: Prediction | None = None

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        return plain_text(value, "prompt", MAX_PROMPT, multiline=True)

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, Visibility]) -> dict[str, Visibility]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise PydanticCustomError(
                "lesson.unknown_field", "unknown field {field}", {"field": unknown[0][:40]}
            )
        return value

    @field_validator("variants")
    @classmethod
    def _variants(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        if not set(value) <= set(RUN_LABELS[1:]):
            raise PydanticCustomError("lesson.unknown_run", "runs are B, C and D", {})
        return value

    def run_config(self) -> RunConfig:
        """Run A's config; LessonError when the stored fields do not make a valid one."""
        try:
            return with_changes(RunConfig(), self.config)  # as a whole: fields depend on others
        except ConfigError as exc:
            raise LessonError(exc.problems) from None

    @property
    def runs(self) -> int:
        return 1 + len(self.variants)

    def visibility(self, path: str) -> str:
        """What students may do with a field: its own choice, else its section's, else edit."""
        return self.fields.get(path) or self.sections.get(path.split(".")[0], "edit")

    def run_values(self, label: str) -> dict[str, Any]:
        """Run ``label``'s config (A-D) as the lesson sets it, every field by dotted path."""
        return to_flat(self._config_of(label))

    def changes(self, label: str, cfg: RunConfig) -> dict[str, str]:
        """What a student changed in run ``label`` (A-D): the fields where ``cfg`` differs from
        the lesson's config for that run, each with its new value as text (as a link has it)."""
        return {path: url_text(new) for path, (_, new) in diff(self._config_of(label), cfg).items()}

    def _config_of(self, label: str) -> RunConfig:
        return with_changes(self.run_config(), self.variants.get(label, {}))

    def fixed(self) -> dict[str, Any]:
        """The fields students cannot change (locked or hidden), with the lesson's values."""
        return {p: v for p, v in self.config.items() if self.visibility(p) != "edit"}


def make_lesson(data: dict[str, Any]) -> Lesson:
    """A lesson from the teacher's form (or a stored one), checked whole: LessonError names
    the first problem (a text too long, a control character, answers that do not fit the
    measure, a config the schema refuses)."""
    try:
        lesson = Lesson.model_validate(data)
    except ValidationError as exc:
        raise LessonError(_problems(exc)) from None
    cfg = lesson.run_config()
    for changes in lesson.variants.values():
        try:
            with_changes(cfg, changes)
        except ConfigError as exc:
            raise LessonError(exc.problems) from None
    if lesson.prediction is not None:
        wanted = {"lower_val_loss": lesson.runs, "larger_gradient_at_start": 2, "diverges": 2}
        count = wanted[lesson.prediction.measure]
        if count < 2 or len(lesson.prediction.answers) != count:
            got = len(lesson.prediction.answers)
            raise LessonError(problem("lesson.answers_count", count=count, got=got))
    return lesson


def lesson_from_json(text: str) -> Lesson | None:
    """A stored lesson, or None when it no longer makes a valid one (stored by an older
    version, or not JSON)."""
    try:
        return make_lesson(json.loads(text))
    except (LessonError, ValueError):
        return None


def lesson_from_page(
    page: str, cfg: RunConfig, variants: dict[str, dict[str, str]], **rest: Any
) -> Lesson:
    """A lesson of a page's current config (``to_flat``) and side-by-side changes."""
    return make_lesson({"page": page, "config": to_flat(cfg), "variants": variants, **rest})


def _problems(exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "lesson"
        if err["type"].startswith("lesson."):
            out.append(Problem(err["type"], dict(err.get("ctx") or {})))
        else:
            out.append(problem("lesson.invalid", field=where[:60]))
    return out


@dataclass(frozen=True)
class Measured:
    """The correct answer (its index) and the numbers it rests on, by the answer's run or
    layer; None when the runs did not measure it (a run failed before its first record)."""

    answer: int | None
    numbers: tuple[float | None, ...]


def measure(prediction: Prediction, runs: list[tuple[str, pd.DataFrame]]) -> Measured:
    """The prediction's correct answer, computed from the runs' numbers: each run's status
    and its metric rows (name, step, depth, value; A first)."""
    if prediction.measure == "lower_val_loss":
        losses = tuple(final_value(frame, "val_loss") for _, frame in runs)
        known = [(v, i) for i, v in enumerate(losses) if v is not None]
        return Measured(min(known)[1] if known else None, losses)
    status, frame = runs[0]
    if prediction.measure == "diverges":
        if status not in ("completed", "diverged"):
            return Measured(None, ())
        return Measured(0 if status == "diverged" else 1, ())
    grads = frame[frame["name"] == "grad_norm"] if len(frame) else frame
    if grads.empty:
        return Measured(None, (None, None))
    rows = grads[grads["step"] == grads["step"].min()]
    # the first row at a depth is its Dense / Conv / recurrent layer (its batch norm follows)
    first = _finite(rows[rows["depth"] == rows["depth"].min()]["value"].iloc[0])
    output = _finite(rows[rows["depth"] == rows["depth"].max()]["value"].iloc[0])
    if first is None or output is None:
        return Measured(None, (first, output))
    return Measured(0 if first > output else 1, (first, output))


def final_value(frame: pd.DataFrame, name: str) -> float | None:
    """A run-wide metric (``loss``, ``val_loss``, ``val_accuracy``) at the last step it was
    recorded, from a run's long-form metric rows; None when never recorded or not finite."""
    return _finite(at_last(frame, name))


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)
