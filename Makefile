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
PIP_FLAGS := --disable-pip-version-check --quiet --prefer-binary
export DBT_PROFILES_DIR ?= $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help setup install profile data build test lint pytest bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/dbt: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -r requirements.txt
	touch $@

install: $(BIN)/dbt profile  ## create the venv with the pinned dependencies

profile: profiles.yml
profiles.yml:
	cp profiles.example.yml profiles.yml

data: install  ## generate the demo data set into seeds/
	$(BIN)/python scripts/generate_saas_data.py --scale demo

build: install  ## dbt seed && dbt build on DuckDB (saas.duckdb or $$DBT_DUCKDB_PATH)
	$(BIN)/dbt seed
	$(BIN)/dbt build

setup: install data build  ## everything: install, demo data, seed and build on DuckDB

lint: install  ## ruff (lint + format check)
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests

pytest: install
	$(BIN)/pytest

test: install lint pytest  ## every test (what CI runs)

bench: install  ## benchmark generation, load and build
	$(BIN)/python scripts/bench_generate.py

clean:  ## remove build artefacts (keeps the venv)
	rm -rf target logs dbt_packages saas.duckdb .pytest_cache
