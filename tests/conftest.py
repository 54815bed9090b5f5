"""Test-wide settings: the run store lives in a temporary directory, never in the user's home."""

import os
import tempfile

_STORE_DIR = tempfile.mkdtemp(prefix="gradient-lab-tests-")
os.environ.setdefault("GRADIENT_LAB_DB", os.path.join(_STORE_DIR, "runs.db"))
