# RM Desk. The two set-up commands for a newcomer: `make run` and `make test` (README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SIZE ?= small
DB ?= sqlite

.PHONY: run test lint install install-test serve migrate demo bench messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

## make run: install, migrate the SQLite database, load the demo bank, collect static files, then serve
## on 127.0.0.1:$(PORT) with the background worker and the periodic jobs in one process tree (Ctrl-C
## stops all). DEBUG stays off unless RMDESK_DEBUG=1.
run: demo
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py serve_embedded 127.0.0.1:$(PORT)

## make test: the whole suite on SQLite, or on the database DATABASE_URL points to
test: install-test
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

## make lint: ruff (lint and format check) and the import contract (pyproject.toml), as CI runs them
lint: install-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports

## make bench SIZE=small|branch DB=sqlite|postgres
bench: install-test
	$(PY) -m bench.run --size $(SIZE) --db $(DB) $(BENCH_ARGS)

## refresh and compile the English catalogues (needs GNU gettext)
messages: install
	PY=$(PY) scripts/messages.sh

clean:
	rm -rf $(VENV) var staticfiles
