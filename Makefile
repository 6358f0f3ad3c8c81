# Saphan. `make demo` serves every API with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench bench-deps clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Saphan needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing Saphan and its dependencies into $(VENV) (a minute or two the first time) ..."
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

## Install, migrate ./saphan.db, load demo data and serve every API on http://localhost:8000
## (another address: make demo PORT=8001 HOST=0.0.0.0)
HOST ?= 127.0.0.1
PORT ?= 8000
demo: $(VENV)/.installed
	$(BIN)/saphan serve --demo --host $(HOST) --port $(PORT)

## Install with dev tools, then lint, type-check and run every test (SQLite, and PostgreSQL if reachable)
test: $(VENV)/.dev-installed lint typecheck pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest -n 2 --dist worksteal

## Run a benchmark scenario (bench/README.md): make bench SCENARIO=depa-vouchers BENCH_ARGS='--db postgresql'
SCENARIO ?= all
BENCH_ARGS ?=
bench: $(VENV)/.installed
	$(BIN)/python -m bench $(SCENARIO) $(BENCH_ARGS)

## Install wrk, the load generator bench/ drives (Debian/Ubuntu; uses sudo when not root)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
bench-deps:
	@command -v wrk >/dev/null 2>&1 && echo "wrk is installed: $$(command -v wrk)" || \
		$(SUDO) apt-get install -y wrk || { $(SUDO) apt-get update && $(SUDO) apt-get install -y wrk; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache saphan.db saphan.db-wal saphan.db-shm
