# PROTECT LMS developer commands. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# PostgreSQL server for the second test run; each run creates (and drops) its own database there.
LMS_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export LMS_TEST_DATABASE_URL


.PHONY: screenshots setup run demo test lint format check-migrations test-sqlite test-postgresql translations translations-update clean

## setup: virtual environment with the app and its dev tools, compiled translations
setup: $(VENV)/.installed translations

## axe-core (from npm) for the browser tests' accessibility checks; the app never serves it
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d lms/translations

## translations-update: re-extract user-facing strings and merge them into every catalogue
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output --omit-header -o lms/translations/messages.pot .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --width 100 --ignore-obsolete --no-fuzzy-matching

## run: migrate the SQLite database in instance/, load the demo world, serve on http://127.0.0.1:5000
run: setup
	LMS_ENV=development $(FLASK) db upgrade
	LMS_ENV=development $(FLASK) lms demo
	LMS_ENV=development $(FLASK) run --host 127.0.0.1 --port $${PORT:-5000}

## test: lint, migrations check, the suite on SQLite, then on PostgreSQL with the browser tests
test: setup lint check-migrations test-sqlite test-postgresql

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-migrations: $(VENV)/.installed
	./scripts/check-migrations

test-sqlite: setup
	mkdir -p reports
	env -u LMS_TEST_DATABASE_URL $(BIN)/pytest -m "not e2e" --junitxml=reports/sqlite.xml

test-postgresql: setup node_modules/.installed
	mkdir -p reports
	$(BIN)/pytest --junitxml=reports/postgresql.xml

## screenshots: the key pages at 390 and 1280 px in English, Russian and Dari
screenshots: setup
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
