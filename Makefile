# Two commands do everything on a fresh machine:
#   make setup   install (venv + pinned deps + profile), generate demo data,
#                dbt seed && dbt build on DuckDB
#   make test    install what the tests need, lint, and run every test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The BigQuery API emulator pins its own duckdb, so it gets its own venv.
BQ_VENV := .venv-bq-emulator
PIP_FLAGS := --disable-pip-version-check --quiet --prefer-binary
# `make bench`: scales to run and extra options of python -m bench (python -m bench --help)
BENCH_SCALES ?= small,demo
BENCH_ARGS ?=
# `make dagster`: where the orchestrator's UI listens
DAGSTER_PORT ?= 3000
export DBT_PROFILES_DIR ?= $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help setup install profile data build report dagster bq-emulator browser test lint pytest bench bench-scale clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/dbt: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -r requirements.txt
	touch $@

# The git hook (.pre-commit-config.yaml) goes in only when this folder is a
# git checkout of its own (not an unpacked copy inside another repository).
install: $(BIN)/dbt profile  ## create the venv with the pinned dependencies; install the pre-commit hook
	@if [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ]; then \
		$(BIN)/pre-commit install || echo "pre-commit hook not installed (see above)"; fi

$(BQ_VENV)/bin/crucible: requirements-bq-emulator.txt
	$(PYTHON) -m venv $(BQ_VENV)
	$(BQ_VENV)/bin/pip install $(PIP_FLAGS) --only-binary :all: -r requirements-bq-emulator.txt
	touch $@

bq-emulator: $(BQ_VENV)/bin/crucible  ## venv of the local BigQuery API emulator (tests)

# tests/browser.py finds Chromium ($$CHROMIUM_PATH, else PATH). Missing: root
# (CI, a fresh machine) installs Debian's package; anyone else is told how, in
# one line, and the browser tests are skipped.
browser: $(BIN)/dbt  ## headless Chromium for the docs-site and report tests
	@$(BIN)/python -m tests.browser >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else $(BIN)/python -m tests.browser || true; fi; }

profile: profiles.yml
profiles.yml:
	cp profiles.example.yml profiles.yml

data: install  ## generate the demo data set into seeds/
	$(BIN)/python scripts/generate_saas_data.py --scale demo

build: install  ## check the raw files, dbt seed && dbt build on DuckDB (saas.duckdb or $$DBT_DUCKDB_PATH)
	$(BIN)/python -m orchestration.preflight
	$(BIN)/dbt seed
	$(BIN)/dbt build --exclude-resource-type seed

report: install  ## write target/usage_report.html from the built marts
	$(BIN)/python -m report

setup: install data build  ## everything: install, demo data, seed and build on DuckDB

# The instance is this folder (dagster.yaml); the run history stays in .dagster/.
dagster: install  ## the orchestrator's UI and scheduler (Dagster), http://127.0.0.1:3000 (DAGSTER_PORT=...)
	DAGSTER_HOME=$(CURDIR) $(BIN)/dagster dev -h 127.0.0.1 -p $(DAGSTER_PORT)

lint: install  ## ruff, mypy, sqlfluff (DuckDB + BigQuery), dbt-score conventions
	scripts/lint.sh

# Two workers (2 cores), one test module per worker at a time, the longest
# modules first (tests/conftest.py); PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15 -m "not bench"

pytest: install bq-emulator browser
	$(PYTEST)

# Lint runs beside pytest, at a lower priority: it fills the time pytest's two
# workers leave the cores idle (waits, the last module alone) without slowing
# the longest modules, which set the wall time. It prints when it is done; the
# target fails if either failed.
test: install bq-emulator browser  ## every test (what CI runs): lint + pytest
	@status=0; lint_log=$$(mktemp); nice -n 10 scripts/lint.sh > "$$lint_log" 2>&1 & lint=$$!; \
	$(PYTEST) || status=1; wait $$lint || status=1; cat "$$lint_log"; rm -f "$$lint_log"; \
	exit $$status

# The bench's own checks first (tests/test_bench.py: a small run end to end,
# every mart equal to the hand-written baseline's), then the measurements.
bench: install  ## check the bench, then time every step against its baseline, small and demo (BENCH_SCALES, BENCH_ARGS)
	$(BIN)/pytest -q -m bench tests/test_bench.py
	$(BIN)/python -m bench --scales $(BENCH_SCALES) $(BENCH_ARGS)

# ~12M activity rows, Parquet read in place: a few minutes. The full
# 100M+ rows (25 GB of disk, most of an hour): make bench BENCH_SCALES=large
bench-scale: install  ## the same at ~12M activity rows (bench/results/bench-medium.json)
	$(BIN)/python -m bench --scales medium --out bench/results/bench-medium.json $(BENCH_ARGS)

clean:  ## remove build artefacts (keeps the venv)
	rm -rf target logs dbt_packages saas.duckdb .pytest_cache
