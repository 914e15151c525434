# dangjian — the two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/dangjian/web/static/vendor
APT_PACKAGES := chromium fonts-wqy-zenhei poppler-utils postgresql-client-15 espeak-ng
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dangjian
PYTEST_ARGS ?=
# pytest-xdist workers: the suite runs on both cores (about 12 min on SQLite, 20 on PostgreSQL
# with 2 workers; one worker takes twice as long and CI allows 90 min for everything)
PYTEST_WORKERS ?= 2

.PHONY: setup system-packages python-deps assets demo serve test test-sqlite test-postgres lint bench clean

setup: system-packages python-deps assets
	@echo "set-up complete: $(BIN)/dangjian is ready"

# Debian packages: chromium (browser tests), fonts-wqy-zenhei (Chinese font embedded in PDFs),
# poppler-utils (PDF checks), espeak-ng (reading aloud without a speech server).
# Installed with apt-get when running as root; otherwise listed.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "NOTE: please install these Debian packages (as root):$$missing"; \
	  fi; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

python-deps: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.copied: node_modules/.installed
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons/fonts $(VENDOR)/htmx $(VENDOR)/echarts
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map $(VENDOR)/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map $(VENDOR)/bootstrap/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css $(VENDOR)/bootstrap-icons/
	cp node_modules/bootstrap-icons/font/fonts/* $(VENDOR)/bootstrap-icons/fonts/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	touch $@

assets: $(VENDOR)/.copied

# Start the platform with a seeded demo district on http://127.0.0.1:8000 (web + worker).
# The demo has no SMS operator: activation codes go to a local file (var/sms-outbox.log).
DEMO_ENV := DANGJIAN_DEMO=1 DANGJIAN_SMS_URL=$${DANGJIAN_SMS_URL:-file://$(CURDIR)/var/sms-outbox.log} DANGJIAN_SMS_KEY=$${DANGJIAN_SMS_KEY:-demo-only}
demo: setup
	$(DEMO_ENV) $(BIN)/dangjian migrate --noinput -v0
	$(DEMO_ENV) $(BIN)/dangjian seed --scale district --seed 1 --if-empty
	$(DEMO_ENV) $(BIN)/dangjian scan --as-of $$(date +%F)
	$(DEMO_ENV) $(BIN)/dangjian collectstatic --noinput -v0
	$(DEMO_ENV) $(BIN)/dangjian demo_logins
	$(DEMO_ENV) $(BIN)/dangjian serve

serve: setup
	$(BIN)/dangjian migrate --noinput -v0
	$(BIN)/dangjian collectstatic --noinput -v0
	$(BIN)/dangjian serve

# The whole suite on SQLite, then on PostgreSQL (TEST_DATABASE_URL; CI always has the server).
test: setup lint test-sqlite test-postgres

test-sqlite:
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest -q -p no:randomly -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_DATABASE_URL)'.rsplit('/',1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then \
	  echo "PostgreSQL at $(TEST_DATABASE_URL) is not reachable (required in CI)"; exit 1; \
	else \
	  echo "SKIPPED PostgreSQL run: $(TEST_DATABASE_URL) not reachable"; \
	fi

lint: python-deps
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy src/dangjian
	$(BIN)/dangjian makemigrations --check --dry-run -v0
	$(BIN)/bandit -r src/dangjian -q --severity-level medium
	$(BIN)/python tools/supply_chain.py

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var/test.sqlite3*
