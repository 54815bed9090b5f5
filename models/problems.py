"""What a user can get wrong, said as codes with values, never as sentences.

The engine checks configs, tables, settings and jobs; when one breaks a rule it raises a
``ProblemError`` carrying ``Problem``s: a code (``config.out_of_range``) and the values the words
need (``field="model.depth"``, ``got=100``). The pages and the CLI word each code from the string
tables (``locales.say``, key ``problem.<code>``), in the user's language. ``str()`` of either is
a terse code form for logs and tracebacks, not for a user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``code`` names it (a key under ``[problem]`` in every locale) and
    ``values`` fill its placeholders; a value may be a Problem too (a phrase inside a sentence)."""

    code: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.values.items())
        return f"{self.code}({inner})"


def problem(code: str, **values: Any) -> Problem:
    return Problem(code, values)


class ProblemError(ValueError):
    """A fault a user caused: one or more problems, the first the one a page shows."""

    def __init__(self, problems: Problem | Sequence[Problem]):
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        if not self.problems:
            raise ValueError("a ProblemError needs at least one problem")
        super().__init__("; ".join(map(str, self.problems)))

    @property
    def problem(self) -> Problem:
        return self.problems[0]
