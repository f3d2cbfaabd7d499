# The two commands a newcomer needs: `make run` and `make test`. Both create the virtual
# environment and install exactly the locked versions first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium (not a downloaded one) through Playwright.
CHROMIUM := /usr/bin/chromium
# The benches load the app over real HTTP with wrk, from Debian's packages too.
WRK := /usr/bin/wrk
# apt waits for a dpkg lock another install holds instead of failing at once.
APT_GET := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -o DPkg::Lock::Timeout=600
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# pytest-xdist workers, each with its own databases. Tests wait on loopback servers, PostgreSQL and
# worker processes much of the time, so one worker more than the machine's 2 cores keeps both busy;
# loadgroup hands tests out one by one, longest first (see tests/conftest.py).
TEST_WORKERS ?= 3
PARALLEL := -n $(TEST_WORKERS) --dist loadgroup

.PHONY: run link test check lint lock bench bench-pages clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[test]'
	touch $(STAMP)

$(CHROMIUM):
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq --no-install-recommends chromium

$(WRK):
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq --no-install-recommends wrk

config.toml:
	$(BIN)/python -m app.devconfig

run: $(STAMP) config.toml
	$(BIN)/flask --app app migrate
	$(BIN)/flask --app app demo-setup
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho --procfile Procfile.dev start

# A new sign-in link to the sandbox store's pages (each works once), also kept in var/sign-in-link.txt.
link: $(STAMP)
	@$(BIN)/flask --app app login-link --sandbox

# Everything, on both databases, the 25 slowest named so a slow test is seen when it lands.
test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest $(PARALLEL) --durations=25

# The edit loop: SQLite only, without the browser, the month and the worker processes.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	AFTERCARE_TEST_BACKENDS=sqlite $(BIN)/pytest $(PARALLEL) -m "not slow and not processes and not browser"

# mypy checks the packages pyproject.toml's [tool.mypy] lists, strict on every signature.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Every figure the issues name; each bench prints its own as its last line (see the README).
bench: $(STAMP) $(WRK)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.replan
	$(BIN)/python -m bench.dispatch
	$(BIN)/python -m bench.settings

# Web Vitals and the accessibility audit of every merchant page in Chromium (needs axe-core, vendored).
bench-pages: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m bench.pages

# Refresh constraints.txt after changing dependencies in pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --upgrade pip
	.lockenv/bin/pip install --quiet '.[test]'
	.lockenv/bin/pip freeze --exclude aftercare > constraints.txt
	rm -rf .lockenv build

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
