# Case Review. `make run` starts everything; `make test` runs every suite CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := gateway/static/dist/app.js

.PHONY: lock run test lint unit integration e2e browser chaos bench-bus bench-gateway bench-audit bench-seal bench-lifecycle bench-notifications bench-chronology bench-analytics bench-report docs install assets clean

# constraints.txt pins every Python package at the versions CI last passed with; `make lock` refreshes it.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools<82" wheel
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip "setuptools<82" wheel
	.lock-venv/bin/pip install --quiet -e ".[dev]"
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^caserev' > constraints.txt
	rm -rf .lock-venv

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(ASSETS): node_modules/.package-lock.json $(wildcard gateway/assets/*)
	npm run --silent build

assets: $(ASSETS)

run: install assets
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/caserev run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy services gateway caserev
	$(BIN)/python scripts/generate_event_docs.py --check
	if [ -f ../shared/tools/check_boundaries.py ]; then $(BIN)/python ../shared/tools/check_boundaries.py .; else echo "boundary check skipped: ../shared/tools not beside this checkout"; fi

unit: install
	$(BIN)/pytest -q -n 2 tests/unit

integration: install
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/pytest -q tests/integration

e2e: install assets
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/pytest -q tests/e2e

browser: install assets
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/pytest -q tests/browser

test: lint unit integration e2e browser

# The whole system under a storm of 5,000 retried commands with SIGKILLs, broker and database restarts;
# prints its table of checks and fails on any loss or duplicate (docs/reliability.md). A short version of it
# runs in `make integration` (tests/integration/test_chaos_smoke.py). Options: CHAOS_ARGS="--commands 500".
chaos: install assets
	$(BIN)/python -m tests.chaos.storm $(CHAOS_ARGS)

bench-bus: install
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/python tests/perf/bench_bus.py

bench-gateway: install
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/python tests/perf/bench_gateway.py

bench-audit: install
	@scripts/ensure-infra.sh
	$(BIN)/python tests/perf/bench_audit.py

bench-seal: install
	$(BIN)/python tests/perf/bench_caller_seal.py

bench-lifecycle: install
	$(BIN)/python tests/perf/bench_lifecycle.py

bench-notifications: install
	@scripts/ensure-infra.sh
	$(BIN)/python tests/perf/bench_schedule.py

bench-chronology: install
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/python tests/perf/bench_chronology.py

bench-analytics: install assets
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/python tests/perf/bench_analytics.py

# Reports written together: 20 editors typing into one section of a 100-page report, beside a bare
# pycrdt-websocket server (docs/performance.md). Options: REPORT_ARGS="--seconds 10 --editors 4".
bench-report: install
	@NEED_RABBIT_MANAGEMENT=1 scripts/ensure-infra.sh
	$(BIN)/python tests/perf/bench_report.py $(REPORT_ARGS)

docs: install
	$(BIN)/python scripts/generate_event_docs.py

clean:
	rm -rf $(VENV) node_modules gateway/static/dist var
