# The two commands a newcomer needs: `make run` and `make test`. Both create the virtual
# environment and install exactly the locked versions first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium (not a downloaded one) through Playwright.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test lint lock bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[test]'
	touch $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

config.toml:
	$(BIN)/python -m app.devconfig

run: $(STAMP) config.toml
	$(BIN)/flask --app app migrate
	$(BIN)/flask --app app demo-setup
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho --procfile Procfile.dev start

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench.dispatch

# Refresh constraints.txt after changing dependencies in pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --upgrade pip
	.lockenv/bin/pip install --quiet '.[test]'
	.lockenv/bin/pip freeze --exclude aftercare > constraints.txt
	rm -rf .lockenv build

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
