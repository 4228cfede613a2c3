# Continuum: `make run` to try it, `make test` to test it. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two install levels: `make run` needs only the app; tests, lint, fuzz and bench add the dev
# tools. Each stamp is keyed on pyproject.toml, so a dependency change reinstalls.
DEPS := $(shell cksum pyproject.toml | cut -d' ' -f1)
STAMP := $(VENV)/.installed-run-$(DEPS)
DEV_STAMP := $(VENV)/.installed-dev-$(DEPS)
HOST ?= 127.0.0.1:8000
ARGS ?=
# `make test` runs on two pytest-xdist workers, one per core; TEST_WORKERS=0 runs in one process
# (the identity-provider and replica stages do: they start servers of their own).
TEST_WORKERS ?= 2

.PHONY: run serve setup test lint fuzz worker beat bench load scale-demo clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

setup: $(STAMP)
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_frameworks
	$(BIN)/python manage.py seed_demo

run: setup
	@echo "Serving Continuum on http://$(HOST)/ (Ctrl-C to stop)"
	$(BIN)/python manage.py runserver $(HOST)

# Production: needs SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS (bin/serve says what is missing);
# BIND (default 127.0.0.1:8000) and WEB_CONCURRENCY choose the address and the worker count.
serve: $(STAMP)
	PYTHON=$(BIN)/python ./bin/serve

test: $(DEV_STAMP)
	@mkdir -p var
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

# Schemathesis against the served app as a learner and a director, on a throwaway database.
fuzz: $(DEV_STAMP)
	$(BIN)/python bin/fuzz.py $(ARGS)

worker: $(STAMP)
	$(BIN)/celery -A config worker --beat --loglevel INFO

bench: $(DEV_STAMP)
	$(BIN)/python -m bench $(ARGS)

# Locust against gunicorn on the benchmark's data, e.g. ARGS='--users 60 --duration 60s'.
load: $(DEV_STAMP)
	$(BIN)/python -m bench.load $(ARGS)

# PgBouncer, a streaming replica, two web nodes behind nginx and two Celery workers, all on
# loopback; runs the load test through nginx and stops it all (docs/deployment.md, Scale demo).
scale-demo: $(DEV_STAMP)
	PYTHON=$(BIN)/python ./bin/scale-demo $(ARGS)

clean:
	rm -rf $(VENV) var staticfiles test-artifacts .pytest_cache .mypy_cache .ruff_cache
