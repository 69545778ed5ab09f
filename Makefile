# Two entry points: `make run` (the platform on embedded defaults with a demo project) and
# `make test` (the whole suite on the PostgreSQL and Redis at 127.0.0.1, after the import rules of
# pyproject.toml).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/vrplatform
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

CHROMIUM ?= /usr/bin/chromium
FRONTEND_SRC := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts frontend/tsconfig.json

.PHONY: run test lint install frontend

$(BIN)/.installed: requirements.txt requirements-dev.txt client/pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

install: $(BIN)/.installed
	@command -v ffmpeg >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg; \
	  else echo "ffmpeg is needed: install it with your package manager (e.g. sudo apt-get install ffmpeg)"; exit 1; fi; }

# The browser app: npm packages from the lock file, then a Vite build into frontend/dist.
frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else echo "Node.js 20+ and npm are needed to build frontend/ (e.g. sudo apt-get install nodejs npm)"; exit 1; fi; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SRC)
	cd frontend && npm run build --silent

frontend: frontend/dist/index.html

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "Chromium is needed for the browser tests: sudo apt-get install chromium (or set CHROMIUM=/path)"; exit 1; fi

# The embedded demo is the one place debug mode is on (a local-only secret key and hosts).
run: export DJANGO_DEBUG ?= 1
run: install frontend
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho -f Procfile start

test: install frontend $(CHROMIUM)
	cd frontend && npx vitest run
	$(BIN)/lint-imports --no-cache --no-logo
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed frontend/node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo
	cd frontend && npx tsc --noEmit
