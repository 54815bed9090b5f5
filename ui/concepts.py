"""The concept pages' link to the engine: one small worker pool for concept requests.

The server never imports TensorFlow, so a page's computation (an activation's derivative, a
pooling backward pass, a Newton step) is a request (models/teaching/concepts.py) run in a worker
process of its own pool (one worker: these take well under a second once TensorFlow is loaded,
and they do not wait behind anybody's training run). Results are cached by request for every
session: a class opening the same page computes it once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import streamlit as st

from models.config import ConfigError
from models.infra.jobs import JobPool, JobRefused
from models.problems import Problem
from models.teaching.concepts import RUNNER, parse_request
from ui.i18n import say_first, t
from ui.router import APP_PARAMS
from ui.text import escape_markdown, say_markdown

CONCEPT_TIMEOUT = 120.0  # seconds a request may wait and run (a cold worker imports TensorFlow)
MAX_PARAM_CHARS = 100  # a longer link value is no setting of a concept page


@st.cache_resource(show_spinner=False)
def concept_pool() -> JobPool:
    return JobPool(
        max_workers=1,
        runner=RUNNER,
        parse=parse_request,
        time_limit=60,
        max_jobs_per_worker=200,  # these build few models; recycling costs a TensorFlow import
    )


class ConceptFailed(RuntimeError):
    """A request that ended without a result: its one argument is why (the job's end reason,
    a models.problems.Problem), or None when it ended without saying."""


@st.cache_data(show_spinner=False, max_entries=512)
def _computed(request_json: str) -> dict:
    job = concept_pool().submit(parse_request(json.loads(request_json)))
    result = None
    try:
        for event in job.events(timeout=CONCEPT_TIMEOUT):
            if event["type"] == "result":
                result = event["data"]
            elif event["type"] == "end" and event["status"] != "completed":
                unknown = Problem("job.unknown_status", {"status": event["status"]})
                raise ConceptFailed(event.get("reason") or unknown)
    finally:
        job.cancel()  # a no-op once ended; frees the worker after a timeout
    if result is None:
        raise ConceptFailed(None)  # ended without a result
    return result


def compute_ui(request: dict) -> dict | None:
    """The engine's result for a request, or None with one sentence on the page."""
    try:
        req = parse_request(request)
    except ConfigError as exc:
        st.error(t("concept.invalid", error=escape_markdown(say_first(exc.problems))))
        return None
    with st.spinner(t("concept.computing")):
        try:
            return _computed(req.model_dump_json())
        except (ConceptFailed, JobRefused, TimeoutError) as exc:
            why = getattr(exc, "problem", None) or exc.args[0]  # a job's code, or None
            error = say_markdown(why) if isinstance(why, Problem) else t("concept.no_result")
            st.error(t("concept.failed", error=error))
            return None


def bounds(model: type, name: str) -> tuple[float, float]:
    """A request field's (min, max) from the schema, so no page retypes them."""
    lo = hi = None
    for rule in model.model_fields[name].metadata:
        lo = getattr(rule, "ge", getattr(rule, "gt", lo))
        hi = getattr(rule, "le", getattr(rule, "lt", hi))
    if lo is None or hi is None:
        raise ValueError(f"{model.__name__}.{name} has no bounds")
    return lo, hi


def default(model: type, name: str):
    return model.model_fields[name].default


def link_guard_ui() -> Callable[[], None]:
    """Guard a concept page's link (its widgets are bound with ``bind="query-params"``, which
    drops a value it cannot take without a word). Call it before the widgets: it removes values
    no widget can take (infinite or NaN numbers, which would crash an integer widget; values
    over 100 characters). Call what it returns after them: one notice names every param of the
    link the page did not take."""
    incoming = {k: st.query_params[k] for k in st.query_params if k not in APP_PARAMS}
    ignored: dict[str, str] = {}
    for key, value in incoming.items():
        if len(value) > MAX_PARAM_CHARS:
            ignored[key] = t("notice.concept_too_long", param=key, size=len(value))
        elif not _finite(value):
            ignored[key] = t("notice.concept_value", param=key, value=value)
        else:
            continue
        del st.query_params[key]

    def notices_ui() -> None:
        for key, value in incoming.items():
            if key in ignored:
                continue
            if key not in st.session_state:  # no widget of this page has that key
                ignored[key] = t("notice.concept_unknown", param=key[:40])
            elif not _same(st.query_params.get(key), value):  # the widget did not take it
                ignored[key] = t("notice.concept_value", param=key, value=value[:40])
        if ignored:
            items = "\n".join(f"- {escape_markdown(n)}" for n in ignored.values())
            st.warning(t("dn.url_notice") + "\n\n" + items)

    return notices_ui


def int_input_ui(container, label: str, low: int, high: int, default: int, key: str, **kwargs):
    """An integer number input bound to the URL param ``key`` by hand: Streamlit 1.67's own
    binding converts a link's value with int(float(v)) and only catches ValueError, so
    ``?key=inf`` would crash the page. A value outside low..high is not taken (the link guard
    names it)."""
    if key not in st.session_state:
        st.session_state[key] = _int_between(st.query_params.get(key), low, high, default)
    current = st.session_state[key]  # also its default (see config_form.field_ui)
    value = container.number_input(label, low, high, current, step=1, key=key, **kwargs)
    if value == default:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = str(value)
    return value


def _int_between(raw: str | None, low: int, high: int, default: int) -> int:
    try:
        number = float(raw) if raw is not None else math.nan
    except ValueError:
        return default
    if math.isfinite(number) and number.is_integer() and low <= number <= high:
        return int(number)
    return default


def _finite(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return True  # not a number at all: the widget decides


def _same(now: str | None, sent: str) -> bool:
    if now is None:
        return False
    if now == sent:
        return True
    try:
        return float(now) == float(sent)  # "2.0" taken as 2
    except ValueError:
        return False
