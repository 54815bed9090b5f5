# One command to set up and run, one to set up and test. The virtualenv lives in .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run train test lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt requirements-ray.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The main job: the dashboard on http://localhost:8501 (Ctrl-C stops it and its workers).
run: $(STAMP)
	$(PY) -m streamlit run dashboard.py --browser.gatherUsageStats false

# Headless: train the vanishing-gradient preset with the CLI and write its run record.
train: $(STAMP)
	$(PY) -m models train --preset vanishing_sigmoid --out vanishing_sigmoid.run.json
	@echo "run record written to vanishing_sigmoid.run.json"

# Two test processes (pytest-xdist), each running whole files: most tests wait on worker
# processes, a browser or a server, so the second core is otherwise idle.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -q -n 2 --dist loadfile

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(STAMP)
	$(PY) bench/train_speed.py
	$(PY) bench/worker_pool.py
	$(PY) bench/dashboard.py
	$(PY) bench/recurrent.py
	$(PY) bench/store.py
	$(PY) bench/sweep.py
	$(PY) bench/memory.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
