"""The Questions notebook's charts (charts/questions.py): each card's chart fits its column, has a
legend of its series and hands Altair at most 5,000 rows per dataset, however long the run."""

from models.teaching.questions import QUESTIONS


def test_every_card_chart_is_in_its_column_with_a_legend_and_at_most_5000_rows():
    import altair as alt
    import numpy as np
    import pandas as pd

    from charts.questions import LABEL_KEYS, evidence_chart, run_lines_frame
    from ui.i18n import chart_labels

    labels = chart_labels()
    assert set(LABEL_KEYS) <= set(labels)
    steps = np.arange(0, 20_000, 2)  # a long run, recorded at every other step
    rows = []
    for run in ("filters 2", "filters 16", "filters 4"):  # a card's order, not sorted as text
        for depth in range(3):
            for name in ("dead_fraction", "val_loss", "val_accuracy", "grad_norm", "loss"):
                frame = pd.DataFrame({"step": steps, "name": name, "value": 0.5 + 0 * steps})
                rows.append(frame.assign(run=run, layer=f"dense_{depth}", depth=depth))
    metrics = pd.concat(rows, ignore_index=True)
    metrics.loc[metrics["step"] == steps[-1], "value"] = np.inf  # a run that blew up at the end
    names = ("loss", "grad_norm", "grad_norm_first", "dead_fraction", "val_loss", "val_accuracy")
    assert {n for q in QUESTIONS.values() for n in q.evidence} <= set(names)
    for name in names:
        spec = evidence_chart(metrics, name, labels).to_dict()  # MaxRowsError past 5,000
        assert sum(len(v) for v in spec.get("datasets", {}).values()) <= 3 * 5000
        assert all(len(v) <= 5000 for v in spec.get("datasets", {}).values())
        text = str(spec)
        assert "'field': 'run'" in text or "'field': 'layer'" in text  # a legend of series
    no_grads = metrics[metrics["name"] != "grad_norm"]
    assert evidence_chart(no_grads, "grad_norm_first", labels) is None  # nothing to draw
    frame = run_lines_frame(metrics, "val_loss")
    assert len(frame) <= 5000 and np.isfinite(frame["value"]).all()
    assert sorted(frame["run"].unique()) == ["filters 16", "filters 2", "filters 4"]
    chart = evidence_chart(metrics, "val_loss", labels)
    assert chart.to_dict()["width"] == "container" and isinstance(chart, alt.LayerChart)
    colour = chart.to_dict()["layer"][0]["encoding"]["color"]
    assert colour["sort"] == ["filters 2", "filters 16", "filters 4"]  # the card's order
