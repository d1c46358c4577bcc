# One entry point for every developer task. `make run` and `make test` set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: WeasyPrint's text stack and the fonts that give every script its glyphs.
APT_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
	fonts-noto-core fonts-noto-cjk fonts-dejavu-core
# ... and what the tests drive and read back with (libical through its GObject binding).
APT_TEST := chromium poppler-utils gir1.2-ical-3.0 python3-gi

.PHONY: run test test-sqlite test-postgres lint format bench system-run system-test \
	venv venv-dev translations clean

define apt_install
	@missing="$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | tr '\n' ' ')"; \
	if [ -n "$${missing// /}" ]; then \
		echo "Installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

system-run:
	$(call apt_install,$(APT_RUN))

system-test: system-run
	$(call apt_install,$(APT_TEST))
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends npm; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

eventapp/translations/%/LC_MESSAGES/messages.mo: eventapp/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile -d eventapp/translations -l $*

MO_FILES := $(patsubst %.po,%.mo,$(wildcard eventapp/translations/*/LC_MESSAGES/messages.po))

venv: $(VENV)/.installed $(MO_FILES)
venv-dev: $(VENV)/.installed-dev $(MO_FILES)

run: system-run venv
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) run --host 127.0.0.1 --port 5000

test: system-test venv-dev node_modules/.installed
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "TEST_DATABASE_URL is not set: the suite ran on SQLite only."; fi

test-sqlite:
	@echo "== test suite on SQLite"
	env -u TEST_DATABASE_URL $(BIN)/pytest -q $(PYTEST_ARGS)

test-postgres:
	@echo "== test suite on $${TEST_DATABASE_URL%%@*}@…"
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: venv-dev
	$(BIN)/ruff check eventapp tests bench migrations wsgi.py
	$(BIN)/ruff format --check eventapp tests bench wsgi.py
	$(BIN)/mypy

format: venv-dev
	$(BIN)/ruff format eventapp tests bench wsgi.py
	$(BIN)/ruff check --fix eventapp tests bench wsgi.py

bench: system-run venv-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Extract marked strings and merge them into the French and Spanish catalogues.
translations: venv-dev
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o eventapp/translations/messages.pot .
	$(BIN)/pybabel -q update -N -i eventapp/translations/messages.pot -d eventapp/translations
	$(BIN)/pybabel -q compile -d eventapp/translations

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
