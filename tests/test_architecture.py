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
    files = list((ROOT / "models").glob("*.py"))
    assert files
    for path in files:
        assert not imported_modules(path) & {"streamlit", "altair"}, path


def test_config_jobs_and_presets_load_without_tensorflow():
    code = (
        "import sys, models.config, models.jobs, models.presets, models.datasets, models.store;"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_charts_are_pure_altair():
    files = list((ROOT / "charts").glob("*.py"))
    assert len(files) >= 2
    for path in files:
        assert not imported_modules(path) & {"streamlit", "tensorflow", "keras", "models"}, path


def test_the_server_side_never_imports_tensorflow_and_nothing_imports_pages():
    files = [ROOT / "dashboard.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    for path in [*files, *(ROOT / "models").glob("*.py"), *(ROOT / "charts").glob("*.py")]:
        names = imported_modules(path)
        if path in files:
            assert not names & {"tensorflow", "keras"}, path
        assert "pages" not in names, path
