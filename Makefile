# The whole set-up on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

# apt needs root: sudo when not running as root.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BROWSER_PACKAGES := chromium fonts-wqy-microhei

.PHONY: run test test-fast lint browser pgbouncer fuzz bench load clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "marketplace needs Python 3.11 or newer, this is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $@ $(VENV)/.installed

## run: install, migrate, load the demo data into an empty database, serve on 127.0.0.1:5000
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed demo --if-empty
	$(FLASK) run --host $(HOST) --port $(PORT)

## lint: ruff (lint and format) and mypy
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## browser: Debian's chromium (and a Chinese font for its screenshots) for the browser tests;
## Playwright drives this system browser and never downloads one
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
		$(SUDO) apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $(BROWSER_PACKAGES); }; \
	fi

## pgbouncer: Debian's PgBouncer for the connection-pooling test (tests/test_pgbouncer.py starts
## its own, in transaction mode, in front of TEST_DATABASE_URL's server)
pgbouncer:
	@if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then \
		echo "installing pgbouncer for the connection-pooling test"; \
		$(SUDO) apt-get install -y --no-install-recommends pgbouncer \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends pgbouncer; }; \
	fi

## test: lint, then the suite on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set
## (screenshots of the browser tests land in test-artifacts/)
test: lint browser pgbouncer
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(BIN)/pytest; \
	fi

## test-fast: the quick loop while working: the suite on SQLite without the slow tests (gunicorn
## and other processes, the browser, fuzzing); `make test` still runs everything
test-fast: $(VENV)/.installed-dev
	env -u TEST_DATABASE_URL $(BIN)/pytest -m "not slow" -q

## fuzz: the fuzz tests far longer than make test runs them, drawing new inputs every run
fuzz: $(VENV)/.installed-dev
	FUZZ_MAX_EXAMPLES=200 HOSTILE_MAX_EXAMPLES=5000 FUZZ_RANDOM=1 \
		$(BIN)/pytest tests/test_fuzz_openapi.py tests/test_hostile_input.py

## bench: the benchmarks on SQLite and on the local PostgreSQL (results in bench/results/)
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench search
	$(BIN)/python -m bench evaluation

## load: gunicorn on the local PostgreSQL under a mix of requests vs bare health (needs wrk;
##       installs it with apt-get when root). Database: LOAD_DATABASE_URL, default marketplace_load
load: $(VENV)/.installed-dev
	$(BIN)/python -m bench load

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info
