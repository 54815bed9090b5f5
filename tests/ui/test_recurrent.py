"""The Recurrent lab's parameter formulas (ui/recurrent.py): per layer, they sum to the closed-form
count, and each line fits a third of the page at the widest layers the schema allows."""

import re

from models.config import RECURRENT_ARCHS, ConfigError, count_params
from models.fields import FIELDS, parse_config, with_changes
from ui.recurrent import param_terms, term_latex


def test_the_parameter_formulas_sum_to_the_closed_form_count():
    for arch in ("simple_rnn", "lstm", "gru"):
        for depth, width in ((1, 32), (3, 7)):
            cfg = parse_config(
                {
                    "data": {"name": "adding"},
                    "model": {"arch": arch, "depth": depth, "width": width},
                }
            )
            terms = param_terms(cfg)
            assert len(terms) == depth + 1
            for term in terms:
                latex = term_latex(*term)
                assert latex.count("{") == latex.count("}") and "\\{" not in latex, latex
            assert sum(count for *_, count in terms) == count_params(cfg)


def drawn(line: str) -> str:
    """The glyphs KaTeX draws for one line of a formula (roughly: commands and spacing out)."""
    for command, glyph in ((r"\cdot", "·"), (r"\,", ""), (r"\big", ""), ("{,}", ",")):
        line = line.replace(command, glyph)
    line = re.sub(r"\\(begin|end)\{aligned\}", "", line)
    return re.sub(r"[{}&\s]", "", line)


def test_each_line_of_a_parameter_formula_fits_a_third_of_the_page():
    """Three cells' formulas sit side by side; on one line (``4(u(u+d)+u) = 4(64·(64+1)+64) =
    16,896``) an LSTM's ran past its column, about 300 px at 1440 px. Each line of the stacked
    formula, at the widest layers the schema allows, is at most 24 glyphs (about 250 px)."""
    for arch in RECURRENT_ARCHS:
        cfg = parse_config({"data": {"name": "recall"}, "model": {"arch": arch, "depth": 2}})
        for width in range(FIELDS["model.width"].le, 0, -1):  # the widest within the budget
            try:
                cfg = with_changes(cfg, {"model.width": width})
                break
            except ConfigError:
                continue
        assert cfg.model.width >= 100
        for term in param_terms(cfg):
            lines = term_latex(*term).split("\\\\")
            assert len(lines) == 3, lines
            for line in lines:
                assert len(drawn(line)) <= 24, (arch, drawn(line))
