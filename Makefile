# make run   - serve the product on the embedded default (SQLite under var/, eager Celery)
# make test  - run the whole test suite
# make bench - benchmarks (needs DATABASE_URL=postgres://..., CELERY_BROKER_URL=redis://...)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
HOST ?= 127.0.0.1
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# uv installs into $(VENV) and never downloads an interpreter of its own.
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never

.PHONY: install lock lock-check run test lint format bench worker beat

# Installs exactly uv.lock (the whole tree, each file hash-checked) into $(VENV), this project
# editable. --locked fails when pyproject.toml and uv.lock disagree: run `make lock`, commit uv.lock.
install: $(VENV)/.installed

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --extra dev --python $(PY)
	touch $@

# uv itself, from PyPI, at the version and wheel hashes in requirements/bootstrap.txt.
$(UV): requirements/bootstrap.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --only-binary=:all: -r requirements/bootstrap.txt
	touch $@

# Re-resolves uv.lock after a change to pyproject.toml. Upgrades: LOCK_ARGS=--upgrade (all),
# LOCK_ARGS="--upgrade-package django" (one).
lock: $(UV)
	$(UV) lock $(LOCK_ARGS)

# Fails when uv.lock is not what pyproject.toml resolves to.
lock-check: $(UV)
	$(UV) lock --check

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy config epcis trace recalls

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install
	$(VENV)/bin/celery -A config worker --loglevel INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel INFO

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)
