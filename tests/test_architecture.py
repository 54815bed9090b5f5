"""The house's dependency rules, checked by parsing imports (ast), not by convention."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_engine_never_imports_the_ui():
    files = list((ROOT / "models").rglob("*.py"))
    assert ROOT / "models" / "infra" / "jobs.py" in files  # the subpackages are covered
    assert files
    for path in files:
        assert not imported_modules(path) & {"streamlit", "altair", "ui", "pages", "charts"}, path


def test_the_string_tables_import_nothing_of_the_project():
    """locales/ is read by the UI and by the CLI (models/cli.py): it must sit below both."""
    files = list((ROOT / "locales").rglob("*.py"))
    assert files
    for path in files:
        assert not imported_modules(path) & {"models", "ui", "pages", "charts"}, path


# What the dashboard's server process imports of the engine: none of it may load TensorFlow.
TF_FREE = [
    "models.config", "models.fields", "models.tasks", "models.tables", "models.datasets",
    "models.record", "models.frames", "models.comparison", "models.cli",
    "models.infra.settings", "models.infra.jobs", "models.infra.store", "models.infra.sweep",
    "models.infra.ray_pool", "models.teaching.presets", "models.teaching.questions",
    "models.teaching.concepts", "models.teaching.concept_runner",
]  # fmt: skip


def test_config_jobs_and_presets_load_without_tensorflow():
    code = (
        f"import sys, {', '.join(TF_FREE)};"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_charts_are_pure_altair():
    files = list((ROOT / "charts").glob("*.py"))
    assert len(files) >= 2
    for path in files:
        forbidden = {"streamlit", "tensorflow", "keras", "models", "ui", "locales"}
        assert not imported_modules(path) & forbidden, path


def test_the_server_side_never_imports_tensorflow_and_nothing_imports_pages():
    files = [ROOT / "dashboard.py", *(ROOT / "pages").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]
    for path in [*files, *(ROOT / "models").rglob("*.py"), *(ROOT / "charts").rglob("*.py")]:
        names = imported_modules(path)
        if path in files:
            assert not names & {"tensorflow", "keras"}, path
        assert "pages" not in names, path


# -- the house's shape: file sizes, import cycles, private names ---------------------------------

PACKAGES = ("models", "ui", "charts", "pages", "locales")
MAX_LINES = 500


def project_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in [*project_files(*PACKAGES), ROOT / "dashboard.py"]}


def project_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for every import of a project module in path, at any
    depth of the file (a late import inside a function still ties two modules together)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [alias.name for alias in node.names]
            # `from charts import training` names a module; `from models.config import X` a name
            found += [(f"{node.module}.{n}", []) for n in names if f"{node.module}.{n}" in MODULES]
            found.append((node.module, [n for n in names if f"{node.module}.{n}" not in MODULES]))
    return [(m, names) for m, names in found if m in MODULES]


def test_no_module_is_longer_than_the_house_allows():
    long = {
        str(p.relative_to(ROOT)): n
        for p in project_files(*PACKAGES)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {long}"


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in graph as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_import_cycle_finder_finds_a_cycle():
    assert import_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert import_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_between_project_modules():
    graph = {
        name: {
            m for m, _ in project_imports(path) if m != name and MODULES[m].name != "__init__.py"
        }
        for name, path in MODULES.items()
    }
    assert import_cycle(graph) is None


def private_reaches(path: Path) -> list[str]:
    """Each use in path of another project module's underscore name: `from m import _x` or
    `m._x` where m names an imported project module."""
    own = module_name(path) if path.is_relative_to(ROOT) else ""
    tree = ast.parse(path.read_text())
    aliases: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in MODULES:
                    aliases[alias.asname or alias.name] = full
                elif node.module in MODULES and node.module != own and is_private(alias.name):
                    found.append(f"from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and aliases[node.value.id] != own
            and is_private(node.attr)
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_uses_another_modules_private_names():
    files = [*project_files(*PACKAGES, "tests", "bench"), ROOT / "dashboard.py"]
    reaches = {str(p.relative_to(ROOT)): r for p in files if (r := private_reaches(p))}
    assert not reaches


def test_the_private_name_check_sees_both_forms(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from ui import live\nfrom models.config import _fmt\nlive._show(1)\n")
    assert sorted(private_reaches(sample)) == ["from models.config import _fmt", "live._show"]


# -- settings: every GRADIENT_LAB_* variable is read in models/infra/settings.py only ------------


def environment_reads(path: Path) -> list[str]:
    """Each read of a GRADIENT_LAB_* variable in path: os.environ.get / os.getenv / os.environ[...]
    with a name (or an f-string) that starts with GRADIENT_LAB_."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            args = node.args[:1]
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            func, args = ast.unparse(node.value), [node.slice]
        else:
            continue
        if func not in ("os.environ.get", "os.getenv", "environ.get", "getenv", "os.environ"):
            continue
        for arg in args:
            text = ast.unparse(arg)
            if text.lstrip("f").strip("'\"").startswith("GRADIENT_LAB_"):
                found.append(f"{func}({text})")
    return found


def test_only_the_settings_module_reads_gradient_lab_variables():
    settings = ROOT / "models" / "infra" / "settings.py"
    files = [p for p in [*project_files(*PACKAGES), ROOT / "dashboard.py"] if p != settings]
    reads = {str(p.relative_to(ROOT)): r for p in files if (r := environment_reads(p))}
    assert not reads
    assert settings.read_text().count("os.environ.get(") == 1  # its one reader, text()


def test_the_settings_check_sees_each_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nos.environ.get('GRADIENT_LAB_DB', '')\nos.getenv(f'GRADIENT_LAB_{x}')\n"
        "os.environ['GRADIENT_LAB_JIT']\nos.environ.get('HOME')\n"
        "os.environ['GRADIENT_LAB_X'] = '1'\n"
    )
    assert environment_reads(sample) == [
        "os.environ.get('GRADIENT_LAB_DB')",
        "os.getenv(f'GRADIENT_LAB_{x}')",
        "os.environ('GRADIENT_LAB_JIT')",
    ]


# -- tests: a test file is named after the module it tests -----------------------------------

# Test folders that test the whole app, not one module: in Chromium, and as it is deployed.
TESTS_APART = ("browser", "deploy")
# Top-level test files that test no one module: the house's rules over every module (this file).
TESTS_OF_THE_HOUSE = ("test_architecture.py",)


def module_under_test(test: Path, root: Path = ROOT) -> Path:
    """tests/<a>/<b>/test_<m>.py -> <a>/<b>/<m>.py, or the package <a>/<b>/<m>/__init__.py: the
    module a test file's path names."""
    parts = test.relative_to(root / "tests").parts
    module = root.joinpath(*parts[:-1], parts[-1].removeprefix("test_"))
    package = module.with_suffix("") / "__init__.py"
    return package if package.is_file() else module


def misnamed_tests(root: Path = ROOT) -> list[str]:
    """Every test file, outside the folders apart and the house's own, whose path names no
    existing module."""
    tests = root / "tests"
    misnamed = []
    for test in sorted(tests.rglob("test_*.py")):
        parts = test.relative_to(tests).parts
        if parts[0] in TESTS_APART or (len(parts) == 1 and parts[0] in TESTS_OF_THE_HOUSE):
            continue
        if not module_under_test(test, root).is_file():
            misnamed.append(str(test.relative_to(root)))
    return misnamed


def test_every_test_file_is_named_after_the_module_it_tests():
    assert len(list((ROOT / "tests").rglob("test_*.py"))) > 40  # the tests were found
    assert misnamed_tests() == []


def test_the_test_name_check_sees_a_misnamed_file(tmp_path):
    for path in (
        "ui/live.py", "tests/ui/test_live.py", "tests/ui/test_nothing.py", "tests/test_live.py",
        "locales/__init__.py", "tests/test_locales.py", "tests/browser/test_x.py",
        "tests/test_architecture.py",
    ):  # fmt: skip
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).touch()
    assert misnamed_tests(tmp_path) == ["tests/test_live.py", "tests/ui/test_nothing.py"]


def imported_test_modules(path: Path) -> list[str]:
    """Each test module (tests...test_*) that path imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [
            n
            for n in names
            if n.startswith("tests.") and any(part.startswith("test_") for part in n.split("."))
        ]
    return found


def test_no_test_file_imports_another():
    # What two test files share lives in tests/support/: a test file's own tests run once,
    # where they are, and moving one file breaks no other.
    imports = {
        str(p.relative_to(ROOT)): i
        for p in project_files("tests")
        if (i := imported_test_modules(p))
    }
    assert not imports
