"""The tests, as the package ``tests``. A test file mirrors the module it tests
(tests/models/infra/test_jobs.py tests models/infra/jobs.py); tests/browser/ drive the app in
Chromium and tests/deploy/ the app as it is deployed; what test files share lives in
tests/support/, and no test file imports another.

Every test folder is a package, so pytest imports a test file by its full name (tests.ui.test_sweep
beside tests.models.infra.test_sweep) and puts the repository, not tests/, on sys.path: ``import
models`` is always the engine.
"""
