# Relay — `make dev` runs the whole stack, `make test` the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint fmt install clean console console-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/relay dev

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP) console-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy definitions workflows activities storage api worker benchmarks runs

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The console (console/ → api/console_dist, committed): the typed client from the API's
# OpenAPI document, then the bundle and the fingerprint of its sources. Needs Node.js; `make dev`
# does not.
console: $(STAMP)
	cd console && npm ci --no-audit --no-fund
	PYTHONPATH=. $(BIN)/python console/scripts/openapi.py
	cd console && npm run --silent types && npm run --silent build
	$(BIN)/python console/scripts/stamp.py

# CI: the typed client matches the API as it is now, the console type-checks and lints, and the
# committed bundle is exactly what its sources build (the build is reproducible).
console-check: $(STAMP)
	cd console && npm ci --no-audit --no-fund
	PYTHONPATH=. $(BIN)/python console/scripts/openapi.py
	cd console && npx openapi-typescript openapi.json -o openapi.check.d.ts >/dev/null \
		&& cmp -s openapi.check.d.ts src/api/schema.d.ts \
		|| { echo "console/src/api/schema.d.ts is stale: run make console"; exit 1; }
	cd console && rm -f openapi.check.d.ts && npx tsc -b && npx eslint .
	rm -rf .relay/console-check
	cd console && RELAY_CONSOLE_OUT=../.relay/console-check npx vite build --logLevel warn
	$(BIN)/python console/scripts/stamp.py .relay/console-check/SOURCE
	diff -r .relay/console-check api/console_dist \
		|| { echo "api/console_dist is not what console/ builds: run make console"; exit 1; }

clean:
	rm -rf $(VENV) .relay
