"""What test files share: the repository's root here; in this package's modules, the dashboard
driven through AppTest (apptest.py) or served to Chromium (app_server.py, browser.py), the job
pool's stand-in runners (fake_runner.py), chart specs read back (specs.py, live_specs.py),
sample data (chart_data.py, csv_files.py, records.py) and the problem codes the engine can raise
(problem_codes.py)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # tests/support/ -> tests/ -> the repository
DASHBOARD = str(ROOT / "dashboard.py")  # absolute: AppTest resolves a relative path per caller
