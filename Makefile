# One entry point for developers and CI (.ci/run calls `make test`).
# Every target creates the virtualenv and installs what it needs itself.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export EMAIL
# The installs below do not byte-compile the virtualenvs (docs/BENCHMARKS.md, section 6):
# Python writes a module's bytecode on its first import (into __pycache__, ignored by
# git), even where the environment asks it not to, or every interpreter the tests start
# would compile SQLAlchemy and the rest again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: seed try test lint pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The runtime install is what the container has: SQLAlchemy and psycopg only.
$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# uv installs the test tools several times faster than pip (parallel downloads); the
# runtime install above stays plain pip, as in the image.
$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv>=0.5,<1'

$(VENV)/.test-installed: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	touch $@

## seed: create ./admin-tasks.db (role schema) and seed EMAIL as its admin
seed: $(VENV)/.runtime-installed
	@test -n "$$EMAIL" || { echo "usage: make seed EMAIL=you@example.com" >&2; exit 2; }
	$(BIN)/python -m tasks init-db --profile role
	$(BIN)/python -m tasks seed-admin --email "$$EMAIL"

## try: a whole run on this machine, no AWS or GitHub: the approval request, the launcher
## following the task live (moto, a local process for the container), the job summary and
## the audit row in ./admin-tasks-try.db (demo/whole_run.py)
try: $(VENV)/.test-installed
	$(BIN)/python demo/whole_run.py

# checkov pins many packages that would conflict with ours: it gets its own virtualenv
# (inside $(VENV), so `make clean` and .gitignore cover it).
CHECKOV := $(VENV)/checkov/bin/checkov
$(VENV)/checkov/.installed: | $(BIN)/uv
	$(BIN)/uv venv --quiet --python $(BIN)/python $(VENV)/checkov
	$(BIN)/uv pip install --quiet --python $(VENV)/checkov/bin/python 'checkov>=3.2,<4'
	touch $@

## lint: ruff and mypy on the code, the layer contracts (import-linter, [tool.importlinter] in
## pyproject.toml), hadolint on the task image, zizmor and checkov on the workflow
lint: $(VENV)/.test-installed $(VENV)/checkov/.installed
	$(BIN)/ruff check tasks infra tests benchmarks demo
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint tasks/Dockerfile
	$(BIN)/zizmor --offline .github/workflows
	BC_SKIP_MAPPING=TRUE $(CHECKOV) -d .github/workflows --framework github_actions --quiet --compact

## pytest: the test suite alone, in three worker processes on two cores: many tests wait on
## subprocesses and emulated ECS tasks, so a third worker fills the cores (each test has its own SQLite file
## or PostgreSQL schema); PostgreSQL tests need ADMIN_TASKS_TEST_POSTGRES_URL's server
PYTEST_WORKERS ?= 3
pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

## test: both installs side by side, then lint and pytest side by side (pytest's
## workers take the cores lint leaves); each one's output is printed whole
test:
	@$(MAKE) --no-print-directory -j2 $(VENV)/.test-installed $(VENV)/checkov/.installed
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint pytest

## bench: every benchmark, each one's machine and results written into its section of
## docs/BENCHMARKS.md (benchmarks/report.py); BENCH="tenants launcher" for some of them
## (seeding launcher program cold-start tenants); PostgreSQL for seeding and tenants
BENCH ?=
bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/report.py $(BENCH)

clean:
	rm -rf $(VENV) admin-tasks.db audit-trail-demo.db .pytest_cache .mypy_cache .ruff_cache
