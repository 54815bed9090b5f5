"""Charts read back as the browser gets them: a chart's Vega-Lite spec (``to_dict()``, which
validates it against the schema) walked into its single-mark views, each with the rows it draws
(data inherited from its parents, the charts' transforms applied), its params and scales."""

import re
from collections.abc import Iterator

import pandas as pd


def spec_of(chart) -> dict:
    return chart.to_dict()  # validates against the Vega-Lite schema


def mark_type(unit: dict) -> str:
    mark = unit["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def units(spec: dict, data=None, datasets=None) -> Iterator[tuple[dict, pd.DataFrame]]:
    """Every single-mark view and the rows it draws (data is inherited from parents)."""
    datasets = spec.get("datasets", {}) if datasets is None else datasets
    if "data" in spec:
        d = spec["data"]
        data = pd.DataFrame(datasets[d["name"]] if "name" in d else d["values"])
    for transform in spec.get("transform", []) if data is not None else []:
        data = filtered(data, transform)
    if "mark" in spec:
        yield spec, data if data is not None else pd.DataFrame()
    for key in ("layer", "concat", "hconcat", "vconcat"):
        for child in spec.get(key, []):
            yield from units(child, data, datasets)


def panel_units(spec: dict, panel: dict) -> list[tuple[dict, pd.DataFrame]]:
    """The units of one panel of a concatenated chart, with the data it inherits from the top."""
    datasets = spec.get("datasets", {})
    top = pd.DataFrame(datasets[spec["data"]["name"]]) if "data" in spec else None
    return list(units(panel, top, datasets))


def filtered(data: pd.DataFrame, transform: dict) -> pd.DataFrame:
    """Apply a transform of the kinds the charts use: a filter Altair writes for
    ``alt.datum.field == value``, a count per group (``joinaggregate``) and a copy of a
    column (``calculate`` of ``datum.field``)."""
    if "calculate" in transform:
        match = re.fullmatch(r"datum\.(\w+)", transform["calculate"])
        assert match, f"a transform these tests cannot apply: {transform}"
        return data.assign(**{transform["as"]: data[match.group(1)]})
    if "joinaggregate" in transform:
        [agg] = transform["joinaggregate"]
        assert agg["op"] == "count", f"a transform these tests cannot apply: {transform}"
        if data.empty:
            return data.assign(**{agg["as"]: []})
        counts = data.groupby(transform["groupby"], dropna=False)[data.columns[0]].transform("size")
        return data.assign(**{agg["as"]: counts})
    text = transform.get("filter", "")
    match = re.fullmatch(r"\(datum\.(\w+) === '?([^']*?)'?\)", text)
    assert match, f"a transform these tests cannot apply: {transform}"
    field, value = match.groups()
    return data[data[field].astype(str) == value]


def walk(node) -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def params(spec: dict) -> list[dict]:
    return [p for k, v in walk(spec) if k == "params" for p in v]


def legend_selection(spec: dict, field: str, count: int = 1) -> dict:
    found = [p for p in params(spec) if p.get("bind") == "legend"]
    assert [p["select"]["fields"] for p in found] == [[field]] * count
    return found[0]


def of_mark(spec: dict, mark: str) -> list[tuple[dict, pd.DataFrame]]:
    return [(u, d) for u, d in units(spec) if mark_type(u) == mark]


def scheme_name(scale: dict) -> str:
    scheme = scale["scheme"]
    return scheme if isinstance(scheme, str) else scheme["name"]
