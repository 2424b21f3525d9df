# C2M Marketplace. `make run` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: lock help install run run-dev test test-fast lint typecheck migrations-check deploy-check pytest pytest-dates browser-deps gettext-deps messages bench fuzz stop-embedded clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

# uv installs the lock; it is itself pinned in the lock, so `uv pip sync` keeps it.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "$$(grep -m1 '^uv==' requirements.lock)"

$(STAMP): $(BIN)/python requirements.lock
	$(UV) pip sync --python $(BIN)/python --quiet requirements.lock
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the locked dependencies

lock: $(BIN)/python ## Re-resolve requirements.lock (+ the image's requirements-prod.lock)
	$(UV) pip compile --quiet --upgrade --group dev --python-version 3.11 pyproject.toml -o requirements.lock
	$(UV) pip compile --quiet --python-version 3.11 --constraints requirements.lock pyproject.toml -o requirements-prod.lock

run: install ## Migrate, load demo data, serve web (gunicorn) + worker + beat on http://127.0.0.1:8000
	$(BIN)/python manage.py rundev

run-dev: install ## The same, with Django's autoreloading development server for web
	$(BIN)/python manage.py rundev --reload

browser-deps: ## Debian's chromium for the browser tests, when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	    || { echo "could not install chromium (run as root?)"; exit 1; }; }

lint: install ## ruff check, ruff format --check, djlint, the import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates $(wildcard */templates) --lint --quiet
	$(BIN)/lint-imports --no-cache

typecheck: install ## mypy with django-stubs
	$(BIN)/mypy marketplace catalog factories customization orders finance iot_gateway

migrations-check: install ## No model change is missing its migration
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

# One pytest process per core (pytest-xdist), each with its own test database, cache prefix
# and Celery queue (marketplace/settings/test.py). `loadgroup` keeps tests that share an
# `xdist_group` on one process (the thread races that each open up to 64 connections).
# --reuse-db keeps the test databases between runs; `PYTEST_ARGS=--create-db` rebuilds them.
# PYTEST_ARGS narrows a run (`make pytest PYTEST_ARGS=tests/orders`); a selection that holds no
# test (pytest's exit status 5) is not a failure.
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --reuse-db
# `make test-fast` runs `make test` with SLOW=no: the `slow` tests are left out.
SLOW ?= yes
FAST = $(filter no,$(SLOW))
# The date-sensitive tests run again with the clock moved (tests/conftest.py, --today): a
# Saturday at 06:30 (UTC is still on Friday; the 30-day window crosses the end of February)
# and a Wednesday afternoon (the window crosses the new year).
TODAYS ?= 2027-02-27T06:30 2026-12-30T14:00

pytest: install browser-deps ## The suite in parallel (real Postgres, Redis, Celery worker, Chromium)
	$(PYTEST) $(if $(FAST),-m "not slow") $(PYTEST_ARGS) || [ $$? -eq 5 ]

pytest-dates: install ## The `date_sensitive` tests again on each day of TODAYS
	for today in $(TODAYS); do \
	  $(PYTEST) -m "date_sensitive$(if $(FAST), and not slow)" --today=$$today $(PYTEST_ARGS) || [ $$? -eq 5 ] || exit 1; \
	done

# Production settings with throwaway values: proves `check --deploy` passes as deployed.
deploy-check: install ## manage.py check --deploy --fail-level WARNING with production settings
	DJANGO_SETTINGS_MODULE=marketplace.settings.production \
	SECRET_KEY="deploy-check-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	ALLOWED_HOSTS=c2m.example.com DATABASE_URL=postgres://c2m@db.invalid:5432/c2m \
	REDIS_URL=redis://redis.invalid:6379/0 EMAIL_URL=smtp://mail.invalid:587 \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

test: lint typecheck migrations-check deploy-check pytest pytest-dates ## Everything CI runs

test-fast: SLOW = no
test-fast: test ## `make test` without the `slow` tests

gettext-deps: ## Debian's gettext (xgettext, for makemessages), when it is missing
	@command -v xgettext >/dev/null 2>&1 || { \
	  echo "Installing Debian's gettext for makemessages"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext) >/dev/null \
	    || { echo "could not install gettext (run as root?)"; exit 1; }; }

messages: install gettext-deps ## Extract and compile translations (English, Simplified Chinese)
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=.data --ignore=tests --ignore=bench --ignore=staticfiles
	$(BIN)/python scripts/compile_messages.py

# Schemathesis over every API operation as each kind of organization and anonymous, against
# a live test server (tests/fuzz/). `make test` runs the same test briefly (it is `slow`).
FUZZ_SEED ?= 1414
FUZZ_EXAMPLES ?= 25
FUZZ_MAX_TIME ?= 300
FUZZ_WORKERS ?= 2
fuzz: install ## Schemathesis: no 5xx, no schema mismatch (fixed seed, bounded time per role)
	FUZZ_SEED=$(FUZZ_SEED) FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_MAX_TIME=$(FUZZ_MAX_TIME) \
	FUZZ_PHASES=examples,coverage,fuzzing,stateful \
	  $(BIN)/pytest -n $(FUZZ_WORKERS) --reuse-db tests/fuzz $(PYTEST_ARGS)

bench: install ## The benchmarks under bench/
	for script in bench/[a-z]*.py; do $(BIN)/python $$script || exit 1; done

stop-embedded: install ## Stop the embedded Postgres and Redis started by `make run`
	$(BIN)/python -c "from marketplace.embedded import stop_embedded_services; stop_embedded_services()"

clean: ## Remove .venv (keeps .data)
	rm -rf $(VENV)
