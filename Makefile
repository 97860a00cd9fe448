# Buurtbaken task runner. The README names these targets; .ci/run runs `make test`, `make test-scale`, then `make test-deploy`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := mosquitto chromium poppler-utils postgresql
DEPLOY_PACKAGES := systemd dnsmasq nftables hostapd mosquitto mosquitto-clients debootstrap openssl git

.PHONY: run test lint bench test-deploy test-scale ci setup system-deps system-deps-deploy clean migration

run: $(STAMP) ## Run the hub with a simulated radio and sample data
	HUB_DATA_DIR=$${HUB_DATA_DIR:-./data} $(VENV)/bin/hub serve --demo

# Two workers: every test starts its own hub, broker and browser on free ports and in its own
# tmp_path, so they run side by side; the suite passed this way with the machine fully loaded.
TEST_WORKERS ?= 2

test: setup lint ## Lint, type-check and run the default test suite (TEST_WORKERS=0: in this process)
	$(PY) -m pytest -n $(TEST_WORKERS)

ci: test test-scale test-deploy ## Everything CI runs

lint: setup ## ruff (lint + format check), mypy and the import contracts
	$(VENV)/bin/ruff check hub tests
	$(VENV)/bin/ruff format --check hub tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

bench: setup ## Benchmarks: prints the figures and writes artifacts/bench/*.json (docs/reference/measurements.md has them, dated)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk; }
	$(PY) -m pytest -m bench -p no:randomly -s tests/bench

test-scale: setup ## The region's long proofs: 50 hubs × 1,000 events with a broker and a consumer killed; three hubs and the station over LoRa with MQTT cut
	$(PY) -m pytest -m scale -p no:randomly tests/sync

test-deploy: setup system-deps-deploy ## Slow deployment suite (debootstrap + ansible)
	$(PY) -m pytest -m deploy tests/deploy

AXE := tests/browser/axe/node_modules/axe-core/axe.min.js

setup: system-deps $(STAMP) $(AXE)

$(AXE): tests/browser/axe/package-lock.json
	npm ci --prefix tests/browser/axe --no-audit --no-fund --loglevel=error
	touch $(AXE)

$(STAMP): pyproject.toml
	@python3 -c 'import ensurepip' 2>/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; } || { echo "please install python3-venv"; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,deploy]'
	touch $(STAMP)

system-deps: ## Debian packages the tests use (installed when missing, as root)
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing (sudo apt-get install$$missing)"; exit 1; fi; fi
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; } || { echo "please install npm"; exit 1; }

system-deps-deploy:
	@missing=""; for p in $(DEPLOY_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing"; exit 1; fi; fi

migration: setup ## Generate a migration from model changes: make migration m="what changed"
	$(PY) -c "import sys; from hub.migrate import make_revision; make_revision('sqlite:///data/dev.sqlite3', sys.argv[1])" "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
