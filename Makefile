# C2M Marketplace. `make run` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: lock help install run test lint typecheck migrations-check pytest browser-deps messages bench stop-embedded clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip uv

$(STAMP): $(BIN)/python requirements.lock
	$(UV) pip sync --python $(BIN)/python --quiet requirements.lock
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the locked dependencies

lock: $(BIN)/python ## Re-resolve requirements.lock after changing pyproject.toml
	$(UV) pip compile --quiet --upgrade --group dev --python-version 3.11 pyproject.toml -o requirements.lock

run: install ## Migrate, load demo data, start web + worker + beat on http://127.0.0.1:8000
	$(BIN)/python manage.py rundev

browser-deps: ## Debian's chromium for the browser tests, when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	    || { echo "could not install chromium (run as root?)"; exit 1; }; }

lint: install ## ruff check, ruff format --check, djlint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install ## mypy with django-stubs
	$(BIN)/mypy marketplace catalog factories customization orders finance iot_gateway

migrations-check: install ## No model change is missing its migration
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

pytest: install browser-deps ## The pytest suite (real Postgres, Redis, Celery worker, Chromium)
	$(BIN)/pytest

test: lint typecheck migrations-check pytest ## Everything CI runs

messages: install ## Extract and compile translations (English, Simplified Chinese)
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=.data
	$(BIN)/python scripts/compile_messages.py

bench: install ## The benchmarks under bench/
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

stop-embedded: install ## Stop the embedded Postgres and Redis started by `make run`
	$(BIN)/python -c "from marketplace.embedded import stop_embedded_services; stop_embedded_services()"

clean: ## Remove .venv (keeps .data)
	rm -rf $(VENV)
