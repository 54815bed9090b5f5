"""The concept pages' link to the engine: one small worker pool for concept requests.

The server never imports TensorFlow, so a page's computation (an activation's derivative, a
pooling backward pass, a Newton step) is a request to ``models.concepts`` run in a worker process
of its own pool (one worker: these take well under a second once TensorFlow is loaded, and they
do not wait behind anybody's training run). Results are cached by request for every session: a
class opening the same page computes it once.
"""

from __future__ import annotations

import json

import streamlit as st

from models.concepts import parse_request
from models.config import ConfigError
from models.jobs import JobPool, JobRefused
from ui.i18n import t
from ui.text import escape_markdown

CONCEPT_TIMEOUT = 120.0  # seconds a request may wait and run (a cold worker imports TensorFlow)


@st.cache_resource(show_spinner=False)
def concept_pool() -> JobPool:
    return JobPool(
        max_workers=1,
        runner="models.concepts:iter_events",
        parse=parse_request,
        time_limit=60,
        max_jobs_per_worker=200,  # these build few models; recycling costs a TensorFlow import
    )


class ConceptFailed(RuntimeError):
    """A request that ended without a result; ``str(err)`` is one sentence."""


@st.cache_data(show_spinner=False, max_entries=512)
def _computed(request_json: str) -> dict:
    job = concept_pool().submit(parse_request(json.loads(request_json)))
    result = None
    try:
        for event in job.events(timeout=CONCEPT_TIMEOUT):
            if event["type"] == "result":
                result = event["data"]
            elif event["type"] == "end" and event["status"] != "completed":
                raise ConceptFailed(event.get("reason") or event["status"])
    finally:
        job.cancel()  # a no-op once ended; frees the worker after a timeout
    if result is None:
        raise ConceptFailed("the computation ended without a result")
    return result


def compute_ui(request: dict) -> dict | None:
    """The engine's result for a request, or None with one sentence on the page."""
    try:
        req = parse_request(request)
    except ConfigError as exc:
        st.error(t("concept.invalid", error=escape_markdown(str(exc))))
        return None
    with st.spinner(t("concept.computing")):
        try:
            return _computed(req.model_dump_json())
        except (ConceptFailed, JobRefused, TimeoutError) as exc:
            st.error(t("concept.failed", error=escape_markdown(str(exc))))
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
