"""Config widgets drawn from the schema, and the URL that reproduces them (ui/config_form.py),
through the lab pages (AppTest): each field is named by what it is on its page, every widget
defaults to its current value, and a link with hostile params opens, names each one it ignored
and keeps the good ones.

Each hostile link asserts what a user would see and keep: no exception reaches the page, the
refusal is one line naming what was wrong, the good input still applies, and the URL the page
rewrites reproduces the screen. (The schema's own rules: tests/models/test_config.py.)
"""

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import (
    TEN_KB,
    allowed,
    field,
    open_lab,
    open_link,
    sidebar_widgets,
    unescaped,
)
from ui.i18n import t


def notice_lines(at: AppTest) -> list[str]:
    """The items of the page's "Some settings in the link were ignored" notice."""
    notices = [w.value for w in at.warning if w.value.startswith(t("dn.url_notice"))]
    assert len(notices) == 1, [w.value for w in at.warning]
    return [unescaped(x[2:]) for x in notices[0].splitlines() if x.startswith("- ")]


# -- URL params on the lab pages ----------------------------------------------------------------

# Per page: good params (a list is a repeated key: the last value counts, as in st.query_params),
# bad params with words their notice line must hold, unknown keys, and side-by-side configs.
LAB_LINKS = {
    "deep_networks": {
        "prefix": "dn",
        "good": {
            "model.activation": ("relu", "relu"),
            "optimizer.name": ("sgd", "sgd"),
            "data.n_samples": (["abc", "500"], 500),
        },
        "bad": {
            "model.depth": ("abc", [allowed("model.depth"), "(got 'abc')"]),  # wrong type
            "model.width": ("513", [allowed("model.width"), "(got 513)"]),  # out of range
            "data.noise": ("NaN", [allowed("data.noise"), "(got 'NaN')"]),
            "optimizer.learning_rate": ("inf", [allowed("optimizer.learning_rate")]),
            "train.epochs": ("-Infinity", [allowed("train.epochs")]),
            "model.dropout": ("1e400", [allowed("model.dropout")]),  # overflows to inf
            "model.batch_norm": ("maybe", [allowed("model.batch_norm")]),
            "model.l2": (TEN_KB, ["too long (10,000 characters)"]),
            "train.seed": (["5", "abc"], [allowed("train.seed"), "(got 'abc')"]),  # repeated
            "model.arch": ("lstm", ["model.arch 'lstm' needs a sequence task"]),
            "data.name": ("adding", ["needs a 2-D task"]),
        },
        "unknown": ["zzz", "model.depht", "e.model.depth", "<img src=x onerror=alert(1)>"],
        "variants": {
            "b.model.depth": ("NaN", "ignored config B: " + allowed("model.depth")),
            "c.model.width": (TEN_KB, "ignored config C: the value of model.width is too long"),
            "d.model.activation": ("sigmoid", None),
        },
    },
    "recurrent": {
        "prefix": "rn",
        "good": {
            "model.activation": ("relu", "relu"),
            "train.epochs": ("3", 3),
            "data.seq_len": (["9999", "40"], 40),
        },
        "bad": {
            "model.width": ("abc", [allowed("model.width")]),
            "model.depth": ("65", [allowed("model.depth"), "(got 65)"]),
            "data.noise": ("inf", [allowed("data.noise")]),
            "optimizer.learning_rate": ("NaN", [allowed("optimizer.learning_rate")]),
            "data.n_samples": (TEN_KB, ["too long"]),
            "model.arch": ("mlp", ["model.arch 'mlp' needs a 2-D task"]),
            "data.name": ("circle", ["needs a sequence task"]),
            "model.batch_norm": ("true", ["model.batch_norm applies to the mlp and cnn archs"]),
        },
        "unknown": ["zzz", "b.nope", "x" * 10_000],
        "variants": {
            "b.model.arch": (
                "<script>alert(1)</script>",
                "ignored config B: " + allowed("model.arch"),
            ),
            "c.model.arch": ("gru", None),
        },
    },
    "cnn": {
        "prefix": "cnn",
        "good": {
            "model.activation": ("tanh", "tanh"),
            "model.kernel_size": (["abc", "4"], 4),
            "train.epochs": ("2", 2),
        },
        "bad": {
            "model.pooling": ("avg", [allowed("model.pooling"), "(got 'avg')"]),
            "model.width": ("1e400", [allowed("model.width")]),
            "model.depth": ("5", ["model.depth must be at most 4 for the cnn arch (got 5)"]),
            "model.dropout": ("NaN", [allowed("model.dropout")]),
            "model.leaky_k": ("-inf", [allowed("model.leaky_k")]),  # a hidden widget's field
            "model.arch": ("mlp", ["model.arch 'mlp' needs a 2-D task"]),
            "data.name": ("circle", ["model.arch 'cnn' needs an image task"]),
            "train.batch_size": (TEN_KB, ["too long"]),
        },
        "unknown": ["q", "<script>alert(1)</script>"],
        "variants": {},
    },
}


@pytest.mark.parametrize("page", list(LAB_LINKS))
def test_a_lab_link_with_bad_params_opens_names_each_one_and_keeps_the_good_ones(page):
    case = LAB_LINKS[page]
    prefix = case["prefix"]
    defaults = open_link(page).session_state[f"{prefix}:values"]
    params = {p: raw for p, (raw, _) in case["good"].items()}
    params |= {p: raw for p, (raw, _) in case["bad"].items()}
    params |= {key: TEN_KB if len(key) < 100 else "1" for key in case["unknown"]}
    params |= {p: raw for p, (raw, _) in case["variants"].items()}
    at = open_link(page, params)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]

    lines = notice_lines(at)
    for path, (_, words) in case["bad"].items():
        mine = [x for x in lines if x.startswith(f"ignored {path}: ")]
        assert len(mine) == 1, (path, lines)
        for word in words:
            assert word in mine[0], (path, mine[0])
    for key in case["unknown"]:
        shown = repr(key) if len(key) <= 40 else key[:30]  # a long key is cut short
        assert any(x.startswith("ignored unknown parameter ") and shown in x for x in lines), key
    for _, (_, line) in case["variants"].items():
        if line:
            assert any(x.startswith(line) for x in lines), (line, lines)
    expected_lines = len(case["bad"]) + len(case["unknown"])
    expected_lines += sum(1 for _, line in case["variants"].values() if line)
    assert len(lines) == expected_lines, lines  # one line per bad param, none for a good one
    # Markup in a param is shown as text: the notice's Markdown escapes it.
    notice = next(w.value for w in at.warning if w.value.startswith(t("dn.url_notice")))
    assert "<" not in notice.replace("\\<", "")

    values = at.session_state[f"{prefix}:values"]
    for path, (_, want) in case["good"].items():
        assert values[path] == want, path
    for path in case["bad"]:
        assert values[path] == defaults[path], path
    widgets = sidebar_widgets(at, prefix)
    for path, (_, want) in case["good"].items():
        if f"{prefix}:{path}" in widgets:
            assert widgets[f"{prefix}:{path}"] == want, path
    kept = {p.split(".", 1)[0].upper(): {p.split(".", 1)[1]: raw}
            for p, (raw, line) in case["variants"].items() if line is None}  # fmt: skip
    assert at.session_state[f"{prefix}:variants"] == kept

    # The page rewrote its URL: the good params stay, the bad and unknown ones are gone.
    for path, (_, want) in case["good"].items():
        assert at.query_params.get(path) in (str(want), [str(want)]), path
    for path, (raw, _) in case["bad"].items():
        assert at.query_params.get(path) != raw, path  # the page's own value, if any, instead
    for key in [*case["unknown"], *(p for p, (_, line) in case["variants"].items() if line)]:
        assert key not in at.query_params, key
    for path, (raw, line) in case["variants"].items():
        if line is None:
            assert at.query_params.get(path) == raw, path
    # ... and that URL reproduces the screen in a fresh session, with nothing left to ignore.
    again = open_link(page, dict(at.query_params))
    assert not again.exception and not again.warning, [w.value for w in again.warning]
    assert again.session_state[f"{prefix}:values"] == values
    assert again.session_state[f"{prefix}:variants"] == kept


# -- the field labels and defaults of every lab's sidebar ---------------------------------------


SIDEBAR_LABELS = {
    "pages/deep_networks.py": {"model.depth": "Hidden layers", "model.width": "Units per layer"},
    "pages/cnn.py": {"model.depth": "Conv layers", "model.width": "Filters per conv layer"},
    "pages/recurrent.py": {"model.depth": "Recurrent layers", "model.width": "Units per layer"},
}


@pytest.mark.parametrize("page", sorted(SIDEBAR_LABELS))
def test_the_sidebar_names_each_field_by_what_it_is_on_its_page(page):
    at = open_lab(page=page)
    widgets = [*at.sidebar.slider, *at.sidebar.number_input]
    shown = {w.key.split(":", 1)[1].split("@")[0]: w.label for w in widgets if w.key}
    for path, label in SIDEBAR_LABELS[page].items():
        assert shown[path] == label, (page, path)


@pytest.mark.parametrize("page", ["pages/deep_networks.py", "pages/recurrent.py", "pages/cnn.py"])
def test_every_config_widget_defaults_to_its_current_value(page):
    """A browser that remounts a widget after losing its state falls back to the element's
    default: it must be the value in use, not Streamlit's 0.0 / minimum / first option (16
    users at once once trained, then refused, a learning rate of 0.0)."""
    at = open_lab({"optimizer.learning_rate": "0.05", "train.seed": "7"}, page)
    checked = 0
    for kind in ("number_input", "slider", "toggle", "selectbox", "radio"):
        for widget in getattr(at.sidebar, kind):
            key = (widget.key or "").split("@")[0]  # without the form's version
            if key.split(":", 1)[-1].split(".")[0] not in (
                "data", "model", "optimizer", "train", "clip_rule", "clip_threshold"
            ):  # fmt: skip
                continue
            default = widget.proto.default
            if kind in ("selectbox", "radio"):
                assert default == widget.index, widget.key  # an option's index
            elif kind == "slider":
                assert list(default) == [widget.value], widget.key
            else:
                assert default == widget.value, widget.key
            checked += 1
    assert checked >= 10
    prefix = {"pages/deep_networks.py": "dn", "pages/recurrent.py": "rn", "pages/cnn.py": "cnn"}
    lr = field(at, "number_input", f"{prefix[page]}:optimizer.learning_rate")
    assert lr.value == lr.proto.default == 0.05


def test_a_click_that_carries_an_older_url_of_the_page_keeps_the_form_as_shown():
    """A browser sends its URL with every click; a Train click that lands before the page's
    latest URL rewrite reached it carries the URL the page wrote before. That is no new link:
    the form keeps what it shows (the gallery once trained Recurrent's default cells instead
    of the comparison just picked)."""
    at = open_lab()
    before = dict(at.query_params)  # the URL the page wrote for its defaults
    field(at, "slider", "dn:model.depth").set_value(7).run()
    assert at.query_params["model.depth"] in ("7", ["7"])
    at.query_params.clear()
    at.query_params.update(before)  # the older URL, as a slow browser still has it
    next(b for b in at.button if b.label == t("dn.train")).click().run()
    group = at.session_state["dn:group"]
    try:
        assert [run.config.model.depth for run in group.runs] == [7]
    finally:
        group.stop()
