"""The problem codes the engine can raise, read from its code: the literal first argument of
every ``problem(...)``, ``Problem(...)`` and ``PydanticCustomError(...)`` call under models/.
The string tables must word exactly these (tests/models/test_problems.py), and a ``problem.*``
key counts as used when its code is here (tests/ui/test_i18n.py)."""

import ast
import functools

from tests.support import ROOT

MAKERS = {"problem", "Problem", "PydanticCustomError"}  # the calls that name a code


def codes_in(source: str) -> set[str]:
    """The codes that literal calls in one module's source name."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if name in MAKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
    return found


@functools.cache
def problem_codes() -> dict[str, tuple[str, ...]]:
    """Every code the engine names -> the modules (paths from the root) that name it."""
    where: dict[str, list[str]] = {}
    for path in sorted((ROOT / "models").rglob("*.py")):
        for code in codes_in(path.read_text()):
            where.setdefault(code, []).append(str(path.relative_to(ROOT)))
    return {code: tuple(paths) for code, paths in where.items()}
