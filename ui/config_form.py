"""Config widgets drawn from the schema, and the URL that reproduces them.

Every widget reads its bounds, default and choices from ``models.fields.FIELDS``; nothing is
retyped here. The page's values live in ``st.session_state[f"{prefix}:values"]`` (dotted path ->
value), so a widget that is hidden for a while (LeakyReLU's k when the activation is not
leaky_relu) keeps its value. The URL is one query param per changed field, named by its dotted
path (``?model.activation=sigmoid&model.depth=10``), plus ``b.model.depth=...`` for the fields
in which side-by-side config B (C, D) differs from A. Query params are untrusted: they go
through ``models.fields.from_flat`` and each one it rejects becomes a visible notice (the
engine's problem, worded here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from models.config import CLIP_RULES, ConfigError, RunConfig
from models.fields import FIELDS, from_flat, to_flat, url_text, with_changes
from ui.i18n import choice_label, field_label, say, say_first, t, worded
from ui.router import APP_PARAMS
from ui.runs import RUN_LABELS

NUMBER_FORMAT = "%g"  # learning rates and penalties span decades: show 0.0001, not 0.00


@dataclass(frozen=True)
class PageSchema:
    """Which fields a page shows and the values it fixes (an MLP page fixes model.arch)."""

    prefix: str
    fixed: Mapping[str, Any] = field(default_factory=dict)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # narrowed choices
    defaults: Mapping[str, Any] = field(default_factory=dict)  # the page's starting values
    # A field's label where this page's name for it is not the general one: path -> i18n key
    # (on the CNN page model.width is the filters per conv layer, not units per layer).
    labels: Mapping[str, str] = field(default_factory=dict)
    # A lesson's page (ui/lesson.py): the fields students see but cannot change, those they
    # do not see (both also in ``fixed``, with the lesson's values), and runs B-D as the
    # teacher set them (no side-by-side editor then).
    locked: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    lesson_variants: Mapping[str, Mapping[str, str]] | None = None

    def base(self) -> RunConfig:
        return with_changes(RunConfig(), {**self.defaults, **self.fixed})

    def check(self, path: str, value: Any) -> str | None:
        """Why a value from outside (URL, comparison) does not fit this page, or None."""
        if path in self.fixed and value != self.fixed[path]:
            return t("notice.fixed", path=path, value=self.fixed[path])
        if path in self.choices and value not in self.choices[path]:
            return t("notice.choices", path=path, choices=", ".join(self.choices[path]))
        return None


def section_ui(page: PageSchema, title: str, paths: tuple[str, ...], expanded: bool = True):
    """A sidebar section for these fields: an expander titled ``title``, or, when a lesson
    hides every one of them, an empty container (no section with nothing in it)."""
    if all(p in page.hidden for p in paths):
        return st.container()
    return st.expander(title, expanded=expanded)


def field_title(page: PageSchema, path: str) -> str:
    """A field's label as this page shows it (in the sidebar and the side-by-side editor)."""
    return t(page.labels[path]) if path in page.labels else field_label(path)


def _key(page: PageSchema, name: str) -> str:
    return f"{page.prefix}:{name}"


def widget_key(page: PageSchema, name: str) -> str:
    """The key of a form widget (a field's, the clipping rule's): versioned, so that loading a
    preset, a comparison, a file or the defaults makes new widgets. A browser that has not yet
    drawn the loaded values may send its old ones with a click (Train, at once after picking
    a preset); Streamlit would write them over the loaded values, and the click would train
    the old config. Sent to the old keys, they are dropped instead."""
    version = st.session_state.get(_key(page, "editor_version"), 0)
    return _key(page, name) if not version else f"{page.prefix}:{name}@{version}"


def values(page: PageSchema) -> dict[str, Any]:
    """The page's current values (dotted path -> value) for config A."""
    key = _key(page, "values")
    if key not in st.session_state:
        st.session_state[key] = to_flat(page.base())
    vals = st.session_state[key]
    vals.update(page.fixed)  # whatever loaded them (a preset, a file), fixed fields stay
    return vals


def variant_changes(page: PageSchema) -> dict[str, dict[str, str]]:
    """Per side-by-side label (B, C, D): the fields changed from A, as typed (strings); in a
    lesson, the teacher's."""
    if page.lesson_variants is not None:
        return {x: dict(c) for x, c in page.lesson_variants.items()}
    return st.session_state.setdefault(_key(page, "variants"), {})


def load(page: PageSchema, cfg: RunConfig, variants: dict[str, dict[str, str]] | None = None):
    """Replace the page's values (a preset, a reset): widgets re-read them on this run."""
    for name in (*FIELDS, "clip_rule", "clip_threshold"):
        st.session_state.pop(widget_key(page, name), None)  # the old widgets' values
    st.session_state[_key(page, "values")] = to_flat(cfg)
    st.session_state[_key(page, "variants")] = variants or {}
    st.session_state[_key(page, "editor_version")] = (
        st.session_state.get(_key(page, "editor_version"), 0) + 1
    )


def seed_from_url(page: PageSchema, params: Mapping[str, str]) -> list[str]:
    """Take the config from the URL when it is new to this session; returns the notices.

    New means: the page's first run in the session, or a URL this page never wrote (a link
    pasted into a tab whose session Streamlit reconnected). Not one it wrote before: a browser
    sends its URL with every click, and a click that lands before the page's latest rewrite
    reached the browser (Train, at once after picking a preset) carries an older one. The
    notices are kept in the session, so they stay visible after the URL is rewritten.
    """
    notices_key, synced_key = _key(page, "url_notices"), _key(page, "url_synced")
    incoming = {k: params[k] for k in params if k not in APP_PARAMS}
    if notices_key in st.session_state and (
        st.session_state.get(synced_key) == incoming or _url_id(incoming) in _written(page)
    ):
        return st.session_state[notices_key]
    st.session_state[synced_key] = incoming
    own: dict[str, str] = {}
    variants: dict[str, dict[str, str]] = {}
    notices: list[str] = []
    for key in params:
        raw = params[key]
        head, _, rest = key.partition(".")
        if key in APP_PARAMS:
            continue
        if head.upper() in RUN_LABELS[1:] and head.islower() and rest in FIELDS:
            variants.setdefault(head.upper(), {})[rest] = raw
        else:
            own[key] = raw
    cfg, ignored = from_flat(own, page.base())
    notices = [say(p) for p in ignored]
    flat = to_flat(cfg)
    for path, value in list(flat.items()):
        why = page.check(path, value)
        if why:
            notices.append(why)
            flat[path] = to_flat(page.base())[path]
    cfg = with_changes(RunConfig(), flat)
    kept: dict[str, dict[str, str]] = {}
    for label in sorted(variants):
        changes = variants[label]
        error = variant_error(page, cfg, changes)
        if error:
            notices.append(t("notice.variant", label=label, error=error))
        else:
            kept[label] = changes
    load(page, cfg, kept)
    st.session_state[notices_key] = notices
    return notices


def variant_error(page: PageSchema, base: RunConfig, changes: dict[str, str]) -> str | None:
    """One sentence if the changes do not make a valid config for this page, else None."""
    for path, raw in changes.items():
        if path not in FIELDS:
            return t("notice.unknown_field", path=path)
        if isinstance(raw, str) and len(raw) > 100:
            return t("notice.too_long", path=path)
    try:
        cfg = with_changes(base, changes)
    except ConfigError as exc:
        return say_first(exc.problems)
    for path, value in to_flat(cfg).items():
        why = page.check(path, value)
        if why:
            return why
    return None


def sync_url(page: PageSchema, cfg: RunConfig, variants: dict[str, dict[str, str]]) -> None:
    """Rewrite the query params so the URL reproduces the current screen."""
    # A field is in the URL when it is off the schema's default OR off this page's starting
    # value: the link is read against page.base() (the CNN page starts on relu, so a link to
    # tanh must say so even though tanh is the schema's default).
    start = to_flat(page.base())
    wanted = {
        p: url_text(v) for p, v in to_flat(cfg).items() if v != FIELDS[p].default or v != start[p]
    }
    for label, changes in variants.items():
        for path, raw in changes.items():
            wanted[f"{label.lower()}.{path}"] = str(raw)
    current = {k: st.query_params.get_all(k) for k in st.query_params if k not in APP_PARAMS}
    stale = current.keys() - wanted.keys()
    changed = {k: v for k, v in wanted.items() if current.get(k) != [v]}  # a repeated key too
    if stale or changed:
        # key by key: from_dict would also drop the params that are no setting (?lang=)
        for key in stale:
            del st.query_params[key]
        st.query_params.update(changed)
    st.session_state[_key(page, "url_synced")] = wanted
    written = _written(page)
    written[_url_id(wanted)] = None  # newest last; the oldest forgotten past MAX_WRITTEN
    while len(written) > MAX_WRITTEN:
        del written[next(iter(written))]


MAX_WRITTEN = 50  # URLs a page remembers writing (see seed_from_url)


def _written(page: PageSchema) -> dict[tuple, None]:
    return st.session_state.setdefault(_key(page, "url_written"), {})


def _url_id(params: Mapping[str, str]) -> tuple:
    return tuple(sorted(params.items()))


# -- widgets ------------------------------------------------------------------------------------


def field_ui(page: PageSchema, path: str, container: Any = st) -> Any:
    """One config field's widget, bounded by the schema; returns (and stores) its value."""
    spec, vals = FIELDS[path], values(page)
    if path in page.hidden:
        return vals[path]  # a lesson's hidden field: its value, no widget
    key = widget_key(page, path)
    if key not in st.session_state or path in page.locked:
        st.session_state[key] = vals[path]
    label, help_text = field_title(page, path), t(f"help.{path}")
    locked = {"disabled": True} if path in page.locked else {}
    # Every widget also gets the current value as its default (the session state's value
    # wins; the duplication warning is off in .streamlit/config.toml). Without one the
    # element's default is Streamlit's (0.0, the minimum, the first option), and a browser
    # that remounts the widget after losing its state (a slow page under a burst of reruns)
    # shows and sends that default: 16 users at once once got a learning rate of 0.0.
    current = st.session_state[key]
    if spec.kind == "choice":
        options = list(page.choices.get(path, spec.choices))
        if current not in options:
            current = st.session_state[key] = options[0]
        value = container.selectbox(
            label,
            options,
            index=options.index(current),
            key=key,
            help=help_text,
            format_func=worded(options, lambda v: choice_label(path, v)),
            **locked,
        )
    elif spec.kind == "bool":
        value = container.toggle(label, value=bool(current), key=key, help=help_text, **locked)
    elif spec.kind == "int":
        low, high = int(spec.ge), int(spec.le)
        widget = container.slider if high - low <= 100 else container.number_input
        value = widget(label, low, high, int(current), step=1, key=key, help=help_text, **locked)
    else:
        value = _float_ui(spec, label, key, help_text, container, float(current), **locked)
    if path in page.locked:
        value = page.fixed[path]  # whatever a browser sends for a disabled widget
    vals[path] = value
    return value


def _float_ui(
    spec: Any, label: str, key: str, help_text: str, container: Any, current: float, **locked
) -> float:
    low, high = spec.ge, spec.le
    if low is not None and high is not None and high - low <= 1 and spec.default >= 0.01:
        return container.slider(
            label, float(low), float(high), current, step=0.01, key=key, help=help_text, **locked
        )
    # Open bounds (learning rate > 0) cannot be a widget minimum: the schema check reports them.
    return container.number_input(
        label,
        min_value=None if low is None else float(low),
        max_value=None if high is None else float(high),
        value=current,
        step=_step(spec.default),
        format=NUMBER_FORMAT,
        key=key,
        help=help_text,
        **locked,
    )


def _step(default: float | None) -> float:
    """A step one decade below the default (0.001 for a learning rate of 0.01)."""
    if not default:
        return 0.0001
    return 10.0 ** (math.floor(math.log10(abs(default))) - 1)


def clipping_ui(page: PageSchema, container: Any = st) -> None:
    """clipnorm / clipvalue / global_clipnorm as one choice (the schema allows one) + threshold.
    In a lesson the three go together: hidden or locked if any of them is."""
    vals = values(page)
    paths = {f"optimizer.{r}" for r in CLIP_RULES}
    if paths & page.hidden:
        return
    locked = {"disabled": True} if paths & page.locked else {}
    rule_key, threshold_key = widget_key(page, "clip_rule"), widget_key(page, "clip_threshold")
    active = next((r for r in CLIP_RULES if vals[f"optimizer.{r}"] is not None), None)
    if rule_key not in st.session_state:
        st.session_state[rule_key] = active or "off"
    if threshold_key not in st.session_state:
        st.session_state[threshold_key] = float(vals[f"optimizer.{active}"] if active else 1.0)
    rules = ["off", *CLIP_RULES]
    rule = container.radio(
        t("dn.clip.label"),
        rules,
        index=rules.index(st.session_state[rule_key]),  # its default too: see field_ui
        key=rule_key,
        horizontal=True,
        help=t("dn.clip.help"),
        format_func=worded(
            rules, lambda r: t("dn.clip.off") if r == "off" else field_label(f"optimizer.{r}")
        ),
        **locked,
    )
    spec = FIELDS["optimizer.clipnorm"]  # the three share their bounds
    threshold = None
    if rule != "off":
        threshold = container.number_input(
            t("dn.clip.threshold"),
            min_value=None,  # the bound is "above 0": the schema check reports it
            max_value=float(spec.le),
            value=float(st.session_state[threshold_key]),
            step=0.1,
            format=NUMBER_FORMAT,
            key=threshold_key,
            **locked,
        )
    if locked:
        return  # the lesson's values stay (values() keeps the fixed fields)
    for name in CLIP_RULES:
        vals[f"optimizer.{name}"] = threshold if name == rule else None


def current_config(page: PageSchema) -> tuple[RunConfig | None, str | None]:
    """Config A from the widgets' values, or the one-sentence reason it is invalid."""
    try:
        return with_changes(RunConfig(), values(page)), None
    except ConfigError as exc:
        return None, say_first(exc.problems)
