"""Altair charts as Vega-Lite specs a live page can redraw several times a second.

Streamlit's frontend rebuilds a Vega view whenever a spec (without its data) changes, and only
swaps the data when it does not; rebuilding is what limits how often a live chart can redraw.
So a live chart's spec must not change while a run merely gains steps:

- ``vega_spec`` names a chart's datasets (and the views and selections Altair names after
  them) by the chart's name, not by a hash of the rows, and hands the rows over as bytes;
- ``live_spec`` keeps the spec of a chart's shape (built once by a chart module's ``*_view``
  over a named dataset) and only puts the new rows (its ``*_frame``) under that name;
- ``SpecCache`` keeps each spec until what it depends on changes.

The bytes are made by a serializer the caller passes (an Arrow IPC stream: Streamlit passes
Arrow bytes through, where lists of records would be converted again at every redraw), so this
module stays pure: altair and pandas only, no Streamlit, no engine. Drawing the spec is the
caller's (``st.vega_lite_chart``); ``stretches`` says at which width.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import altair as alt
import pandas as pd

from charts.style import FONT

Serializer = Callable[[pd.DataFrame], bytes]  # rows -> the bytes of one dataset


class SpecCache:
    """Values (chart specs) by name, each made again only when its key changes.

    A run group keeps one, so the page rebuilds a chart's spec only when the chart's data (its
    key: the runs' lengths, the snapshots' count, a chart's shape) changed."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Hashable, Any]] = {}

    def get(self, name: str, key: Hashable, make: Callable[[], Any]) -> Any:
        """What ``make()`` made for ``name`` when its key was ``key``; made now if the key
        changed (or ``name`` is new)."""
        hit = self._kept.get(name)
        if hit is None or hit[0] != key:
            hit = (key, make())
            self._kept[name] = hit
        return hit[1]


def vega_spec(chart: alt.TopLevelMixin, name: str, serialize: Serializer) -> dict:
    """The chart's spec with its datasets under stable names, as ``serialize``'s bytes.

    Altair names a dataset (and the views that use it) by a hash of its rows, so every redraw
    would change the spec and make the browser build a new Vega view. Named ``{name}-0``,
    ``{name}-1``... instead, a spec that only gained rows is unchanged, and Streamlit swaps the
    data in the existing view. Altair's schema validation is skipped: the tests in
    tests/charts/ validate what the chart modules make.
    """
    spec = chart.to_dict(validate=False)
    datasets = spec.pop("datasets", {})
    text = json.dumps(spec)
    renamed = {}
    for i, (old, records) in enumerate(datasets.items()):
        new = f"{name}-{i}"
        text = text.replace(json.dumps(old), json.dumps(new))
        renamed[new] = serialize(pd.DataFrame.from_records(records))
    # Altair also names views and selections by hashes that cover the data.
    for prefix in ("view", "param"):
        found = dict.fromkeys(re.findall(rf'"{prefix}_[0-9a-f]+(?:_[0-9]+)?"', text))
        for i, old in enumerate(found):
            text = text.replace(old, f'"{name}_{prefix}_{i}"')
    spec = json.loads(text)
    spec["datasets"] = renamed
    spec.setdefault("config", {})["font"] = FONT  # every text, Chinese too
    # Canvas: a live chart redraws several times a second, and updating thousands of SVG
    # nodes (heatmap and boundary cells) is what costs the browser most.
    spec["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    return spec


def live_spec(
    skeletons: SpecCache,
    name: str,
    frame: Callable[[], tuple[pd.DataFrame, Hashable]],
    view: Callable[[Any, Mapping[str, str], alt.NamedData], alt.TopLevelMixin],
    labels: Mapping[str, str],
    serialize: Serializer,
) -> dict:
    """A chart's spec from its frame, building the Altair chart only for a new shape.

    ``frame()`` gives the rows and the shape (everything else the spec depends on: a chart
    module's ``*_frame``); the spec of the current shape, built by ``view`` (its ``*_view``)
    over the dataset ``{name}-live``, is kept in ``skeletons``, so a redraw only serializes
    the new rows.
    """
    data, shape = frame()
    live = f"{name}-live"
    skeleton = skeletons.get(
        name, shape, lambda: vega_spec(view(shape, labels, alt.NamedData(live)), name, serialize)
    )
    return {**skeleton, "datasets": {**skeleton["datasets"], live: serialize(data)}}


def stretches(spec: Mapping[str, Any]) -> bool:
    """Whether a spec is drawn as wide as its column: a single view of width "container".
    Concatenated panels have fixed sizes in Vega-Lite and would be cut off if stretched."""
    return spec.get("width") == "container"
