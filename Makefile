# Two commands for people: `make demo` and `make test`. Everything else is a step of them.
# Steps leave a stamp in .make/ so a second run only redoes what changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMPS := .make
# uv installs the lock (uv.lock) exactly; this pinned uv, in its own small venv, is the only
# thing installed before it. Pythons are never downloaded: the machine's own is used.
UV_VERSION := 0.13.10
UV := $(CURDIR)/$(STAMPS)/uv/bin/uv
export UV_PYTHON_DOWNLOADS := never
CHROMIUM := /usr/bin/chromium
SSH_KEYGEN := /usr/bin/ssh-keygen

export PATH := $(BIN):$(PATH)
# Playwright must never download a browser: tests use Debian's Chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

FRONTEND_SOURCES := $(shell find src style schema -type f -not -path '*/__tests__/*') \
	package.json tsconfig.json jupyterlab_airlock/profile.schema.json scripts/build-schema.js

.PHONY: install lock demo test lint format test-python test-js test-ui screenshots bench clean

install: $(STAMPS)/develop

demo: install
	$(BIN)/python -m demo

test: install $(STAMPS)/ui-tests $(CHROMIUM) $(SSH_KEYGEN)
	$(MAKE) lint
	$(MAKE) test-python
	$(MAKE) test-js
	$(MAKE) test-ui

lint: install
	ruff check .
	ruff format --check .
	mypy
	jlpm lint:check

format: install
	ruff format .
	ruff check --fix .
	jlpm lint

test-python: install $(SSH_KEYGEN)
	pytest

test-js: install
	jlpm test

test-ui: install $(STAMPS)/ui-tests $(CHROMIUM)
	cd ui-tests && jlpm playwright test

# The README's pictures (docs/airlock-*.png), written by the views' UI test on a fresh demo.
screenshots: install $(STAMPS)/ui-tests $(CHROMIUM)
	cd ui-tests && CI=1 AIRLOCK_DOCS_SCREENSHOTS=1 jlpm test:views

# Each benchmark against its baseline, on its own moto and Jupyter servers (about forty
# minutes: filling moto with 100,000 objects takes nine, rendering them in JupyterLab in
# Chromium, which needs the UI tests' packages, eight). `python -m bench --quick`: five.
bench: install $(STAMPS)/ui-tests $(CHROMIUM)
	$(BIN)/python -m bench

$(STAMPS):
	mkdir -p $@

$(UV): | $(STAMPS)
	$(PYTHON) -m venv $(STAMPS)/uv
	$(STAMPS)/uv/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# Resolve pyproject.toml's ranges afresh into uv.lock (commit the result).
lock: $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

# The virtual environment with JupyterLab, the server extension (editable) and the
# test and demo tools, exactly as uv.lock has them: --locked fails when pyproject.toml
# and the lock disagree (run `make lock`). The labextension is built by the steps below.
$(STAMPS)/python: pyproject.toml uv.lock $(UV)
	SKIP_JUPYTER_BUILDER=1 $(UV) sync --locked --python $(PYTHON) --extra dev --extra test
	touch $@

$(STAMPS)/js: package.json yarn.lock .yarnrc.yml $(STAMPS)/python
	jlpm install --immutable
	touch $@

$(STAMPS)/build: $(STAMPS)/js $(FRONTEND_SOURCES)
	jlpm build
	touch $@

$(STAMPS)/develop: $(STAMPS)/build
	jupyter-builder develop --overwrite .
	jupyter server extension enable --sys-prefix jupyterlab_airlock
	touch $@

$(STAMPS)/ui-tests: ui-tests/package.json ui-tests/yarn.lock $(STAMPS)/python
	cd ui-tests && jlpm install --immutable
	touch $@

# Debian packages a test needs: installed when missing (CI runs as root), else named.
apt_install = if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y $(1); \
	else echo "$(2): sudo apt-get install -y $(1)"; exit 1; fi

$(CHROMIUM):
	@$(call apt_install,chromium,Debian's Chromium is needed for the UI tests)

# Signed manifests are made and checked with OpenSSH's ssh-keygen, in tests as in real use.
$(SSH_KEYGEN):
	@$(call apt_install,openssh-client,OpenSSH's ssh-keygen checks signed manifests)

clean:
	rm -rf $(STAMPS) lib tsconfig.tsbuildinfo jupyterlab_airlock/labextension \
		ui-tests/test-results ui-tests/playwright-report
