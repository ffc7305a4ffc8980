# Quick start: `make demo` (the multi-agent scenario) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One venv, two stamps: the demo installs gitcoord and its runtime dependencies only; the
# first target that needs the dev tools (pytest, mypy, ruff, ...) adds them. The dev install
# includes gitcoord, so it satisfies the demo's stamp too. Editable installs skip the man page
# (see pyproject.toml): gen_manpage.py puts it where `git claim --help` finds it.
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python tools/gen_manpage.py --install
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python tools/gen_manpage.py --install
	touch $(STAMP) $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python demo/run_demo.py

lint: $(STAMP)
	$(BIN)/ruff check gitcoord tests demo bench tools
	$(BIN)/ruff format --check gitcoord tests demo bench tools
	$(BIN)/lint-imports  # reads .importlinter
	$(BIN)/python tools/check_sizes.py

typecheck: $(STAMP)
	$(BIN)/mypy --strict

test: lint typecheck
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist worksteal --durations=15 -q

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run_bench.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
