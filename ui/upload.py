"""Training on the user's own table: the CSV upload on the Deep Networks page.

An upload is untrusted input. It is checked in this (TensorFlow-free) process by
``models.tables.csv_text`` / ``load_csv``, whose every refusal is a problem (a code with values)
worded in one sentence and shown with ``st.error``; the table that passes rides inside the
config (``data.csv``, ``data.target``), so the worker, the run record, sweeps and saved runs all
carry it. It is never a URL param: a link reproduces the rest of the config, and the page says
so.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from models.config import CSV_DATASET, ConfigError, RunConfig
from models.fields import parse_config, with_changes
from models.tables import MAX_CSV_CHARS, DataError, csv_text, uploaded_table
from ui import config_form as form
from ui.i18n import say_first, t
from ui.text import escape_markdown, say_markdown

MAX_UPLOAD_MB = 1  # what the uploader accepts; Streamlit's server.maxUploadSize is 1 MB too
CSV_ROWS = 20_000  # at most this many data rows (the schema's n_samples bound)
CSV_COLUMNS = 64  # up to 63 features and the target


def _key(prefix: str, name: str) -> str:
    return f"{prefix}:csv:{name}"


def table_ui(page: form.PageSchema) -> tuple[str, str | None] | None:
    """The uploader, the target picker and Remove; returns (csv text, target) once a table is
    loaded, else None. A new table selects data.name 'csv'; Remove goes back to the page's
    default dataset. Draw it inside the page's data section."""
    prefix = page.prefix
    version = st.session_state.get(_key(prefix, "version"), 0)
    uploader = _key(prefix, f"file:{version}")

    def take_file() -> None:
        upload = st.session_state.get(uploader)
        st.session_state[_key(prefix, "version")] = version + 1  # a fresh uploader next run
        if upload is not None:
            result = read_upload(upload.name, upload.getvalue())
            st.session_state[_key(prefix, "result")] = result
            if result[0] == "table":
                _select_dataset(page, CSV_DATASET)

    st.file_uploader(
        t("upload.label"),
        type=["csv", "tsv", "txt"],
        key=uploader,
        on_change=take_file,
        help=t("upload.help", rows=CSV_ROWS, columns=CSV_COLUMNS - 1),
        max_upload_size=MAX_UPLOAD_MB,
    )
    result = st.session_state.pop(_key(prefix, "result"), None)
    if result is not None:
        kind, value = result
        if kind == "error":
            st.error(value)  # one sentence, Markdown-escaped: it may quote the user's cells
        else:
            st.session_state[_key(prefix, "table")] = value
            st.session_state[_key(prefix, "target")] = value["columns"][-1]
    table: dict[str, Any] | None = st.session_state.get(_key(prefix, "table"))
    if table is None:
        return None
    target = st.selectbox(
        t("upload.target"),
        table["columns"],
        key=_key(prefix, "target"),  # set to the last column when the table arrives
        format_func=str,
    )
    try:
        parsed = uploaded_table(table["text"], target)
    except DataError as exc:
        st.error(t("upload.bad_target", error=say_markdown(exc.problem)))
        return None
    st.caption(summary(table["file"], parsed))
    for note in parsed.notes:
        st.caption(say_markdown(note))

    def remove() -> None:
        for name in ("table", "target"):
            st.session_state.pop(_key(prefix, name), None)
        _select_dataset(page, page.base().data.name)

    st.button(t("upload.remove"), on_click=remove, key=_key(prefix, "remove"))
    return table["text"], target


def _select_dataset(page: form.PageSchema, name: str) -> None:
    form.values(page)["data.name"] = name
    st.session_state[form.widget_key(page, "data.name")] = name  # the widget shows it now


def current_config(
    page: form.PageSchema, table: tuple[str, str | None] | None
) -> tuple[RunConfig | None, str | None]:
    """Config A from the widgets, on the uploaded table when data.name is 'csv'; or the
    one-sentence reason it is invalid."""
    vals = form.values(page)
    if vals.get("data.name") != CSV_DATASET:
        return form.current_config(page)
    if table is None:
        return None, t("upload.needed")
    try:
        generated = with_changes(RunConfig(), {**vals, "data.name": page.base().data.name})
        return with_table(generated, table), None
    except ConfigError as exc:
        return None, say_first(exc.problems)


def read_upload(file_name: str, raw: bytes) -> tuple[str, Any]:
    """("table", {...}) for a usable file, or ("error", one sentence in Markdown)."""
    try:
        text = csv_text(raw)
        columns = _columns(text)
    except DataError as exc:
        file, error = escape_markdown(_name(file_name)), say_markdown(exc.problem)
        return "error", t("upload.refused", file=file, error=error)
    return "table", {"file": _name(file_name), "text": text, "columns": columns}


def _columns(text: str) -> list[str]:
    table = uploaded_table(text)  # the last column as target: always parses if the file did
    return [*table.feature_names, table.target_name]


def _name(file_name: str) -> str:
    clean = "".join(c for c in file_name if c.isprintable())
    return clean if len(clean) <= 60 else clean[:57] + "..."


def summary(file_name: str, table: Any) -> str:
    """One line about the table in use; every name in it is the user's text (escaped)."""
    features = ", ".join(table.feature_names)
    if len(features) > 120:
        features = features[:117] + "..."
    if table.task_kind == "binary":
        kind = t("upload.binary", zero=table.classes[0], one=table.classes[1])
    else:
        kind = t("upload.regression")
    return escape_markdown(
        t(
            "upload.summary",
            file=file_name,
            rows=len(table.y),
            n=len(table.feature_names),
            features=features,
            target=table.target_name,
            kind=kind,
        )
    )


def with_table(cfg: RunConfig, table: tuple[str, str | None]) -> RunConfig:
    """cfg training on the uploaded table (raises models.config.ConfigError: one sentence)."""
    text, target = table
    dumped = cfg.model_dump()
    dumped["data"] = {**dumped["data"], "name": CSV_DATASET, "csv": text, "target": target}
    return parse_config(dumped)


def use_table(prefix: str, cfg: RunConfig) -> None:
    """Make cfg's table (an imported config or run record) the page's table."""
    text = cfg.data.csv
    if text is None or len(text) > MAX_CSV_CHARS:
        return
    st.session_state[_key(prefix, "table")] = {
        "file": t("upload.imported"),
        "text": text,
        "columns": _columns(text),
    }
    st.session_state[_key(prefix, "target")] = cfg.data.target or _columns(text)[-1]
