# Two entry points: `make demo` and `make test`. Both bootstrap .venv from requirements.lock
# on a machine that has nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
# PyTorch for the calibrate/measure tests: the CPU wheel in /opt/wheels (pip's find-links)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fleetmix plan examples/multi-vendor.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_perf.py
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_plan.py

# Regenerate the lock after changing dependencies in pyproject.toml (needs `uv`).
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --universal -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
