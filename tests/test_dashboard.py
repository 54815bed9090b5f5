"""The router (dashboard.py) settles the language every page is drawn in: ``?lang=`` in the
link, else the browser's, changed by the sidebar's selector.

With ``?lang=zh`` each page, and the lab pages after a run and with a link they refuse, shows
no sentence in English outside code spans and formulas (tests/support/visible_text.py reads
every text a user reads, chart titles and legends included). The browser's own language is
tested in Chromium (tests/browser/test_language.py): AppTest has no browser locale.
"""

import pytest

from locales import LANGUAGES
from tests.support.apptest import field, open_link, run_card, shown, train_until_done
from tests.support.visible_text import english_on_page, english_runs, visible_texts
from ui.i18n import language_for

ZH = LANGUAGES["zh"]
PAGES = (
    "home",
    "deep_networks",
    "recurrent",
    "compare",
    "activations",
    "cnn",
    "optimizers",
    "backprop",
    "questions",
    "board",
)


def chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_the_link_decides_else_the_browser_else_english():
    assert language_for("zh", "en-US") == "zh"
    assert language_for("en", "zh-CN") == "en"
    assert language_for(None, "zh-CN") == "zh"
    assert language_for(None, "zh-TW") == "zh"
    assert language_for("xx", "zh") == "zh"  # a param naming no language is ignored
    assert language_for(None, "fr-FR") == "en"
    assert language_for(None, None) == "en"


def test_the_english_checker_finds_a_sentence_and_spares_names_code_and_formulas():
    assert english_runs("训练 was stopped early")  # three English words
    assert english_runs("$$\\text{the hidden state}$$")  # words inside a formula's text
    assert not english_runs("ReLU + He 初始化，`model.depth` 为 `mlp`")
    assert not english_runs("`the code stays as it is`，$f(x) = a b c$")
    assert not english_runs("[打开](/compare?runs=ab12&lang=zh)")


def test_the_checker_reads_every_kind_of_text_on_an_english_page():
    """The same walk over the page in English finds its sentences: in captions and alerts, a
    widget's label and help, the sidebar, and option labels (so a Chinese page's silence
    means something)."""
    at = open_link("deep_networks", {"lang": "en"})
    kinds = {where.split(".")[0] for where, _, _ in english_on_page(at)}
    assert {"caption", "info", "selectbox", "number_input", "expander"} <= kinds, kinds
    wheres = {where for where, _, _ in english_on_page(at)}
    assert any(w.endswith(".help") for w in wheres), wheres


@pytest.mark.parametrize("page", PAGES)
def test_a_page_in_chinese_shows_no_english_sentence(page):
    at = open_link(page, {"lang": "zh"})
    assert not at.exception, at.exception
    texts = [text for _, text in visible_texts(at)]
    assert sum(chinese(t) for t in texts) > 3, texts  # the page is there, and Chinese
    assert english_on_page(at) == []


def test_the_labs_compare_and_a_question_in_chinese_after_their_runs():
    """A user's flow without a word of English: a side-by-side run on Deep Networks (status
    lines, claim, verdict, every chart's titles, axes and legends, downloads), the runs on
    Compare (picker, summary table, what differs, share lines), a Questions card's runs and
    verdict, and a run on Recurrent and on CNN."""
    small = {"lang": "zh", "data.n_samples": "300", "train.epochs": "3"}
    at = open_link("deep_networks", {**small, "b.model.activation": "relu"})
    ended = train_until_done(at, lang="zh")
    assert len(ended) == 2 and all(chinese(s) for s in ended), ended
    assert at.get("vega_lite_chart"), "the charts are drawn"
    assert english_on_page(at) == []

    at.switch_page("pages/compare.py").run()
    assert not at.exception, at.exception
    assert len(at.multiselect(key="cmp:picked").value) == 2 and at.dataframe
    assert english_on_page(at) == []

    at.switch_page("pages/questions.py").run()
    run_card(at, "clipnorm")
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 2  # the card's evidence, charted
    assert english_on_page(at) == []

    short = {"data.seq_len": "12", "data.n_samples": "200", "model.width": "8"}
    at = open_link("recurrent", {"lang": "zh", **short, "train.epochs": "2"})
    assert train_until_done(at, lang="zh")
    assert english_on_page(at) == []

    at = open_link("cnn", {"lang": "zh", "train.epochs": "1", "data.n_samples": "200"})
    train_until_done(at, lang="zh")
    assert english_on_page(at) == []


def test_a_refused_link_setting_is_said_in_chinese_and_names_the_field():
    at = open_link("deep_networks", {"lang": "zh", "model.depth": "999"})
    [notice] = [shown(w.value) for w in at.warning if ZH["dn.url_notice"] in w.value]
    assert "model.depth" in notice and chinese(notice.replace(ZH["dn.url_notice"], ""))
    assert english_on_page(at) == []


def test_a_change_in_the_form_sticks_while_the_link_names_a_language():
    """?lang= is no setting of the page: the page does not take the link's config again
    because of it, so a value just set stays (and the URL gains it, the language kept)."""
    at = open_link("deep_networks", {"lang": "zh"})
    field(at, "slider", "dn:model.depth").set_value(7).run()
    at.run()
    assert field(at, "slider", "dn:model.depth").value == 7
    assert at.query_params["model.depth"] in ("7", ["7"])
    assert at.query_params["lang"] in ("zh", ["zh"])


def test_links_the_app_makes_carry_the_language():
    """The Home page's experiment link opens the lab in the language it was made in (a link
    copied from it and shared keeps it too); Compare's share lines as well."""
    at = open_link("home", {"lang": "zh"})
    [experiment] = [p.proto for p in at.get("page_link") if p.proto.query_string]
    assert "lang=zh" in experiment.query_string.split("&")
