"""``python -m models``: the headless CLI (models/cli.py)."""

from models.cli import main

raise SystemExit(main())
