# Two commands for a newcomer: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test test-postgres bench bench-reminders clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Serves the line on the embedded SQLite database in development mode. Signatures are
# checked when TWILIO_AUTH_TOKEN is set, and not (with a warning) when it is not.
run: export TWILIO_VERIFY_SIGNATURES ?= $(if $(TWILIO_AUTH_TOKEN),1,0)
run: setup
	IVR_ENV=development $(BIN)/ivr init-db
	IVR_ENV=development $(BIN)/ivr slots seed-sample
	@IVR_ENV=development $(BIN)/ivr webhooks --base "$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}"
	@IVR_ENV=development $(BIN)/ivr staff dev-admin --base "$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}"
	IVR_ENV=development $(BIN)/flask --app app run --debug --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check --quiet ivr tests bench app.py
	$(BIN)/ivr validate --strict flows/
	$(BIN)/python -m pytest

# The whole suite again on a throwaway PostgreSQL server the tests start themselves.
test-postgres: setup
	IVR_TEST_DATABASE=postgresql $(BIN)/python -m pytest

# The load benchmark (bench/README.md): the production server on 127.0.0.1, a few minutes, bounded;
# it writes its results into bench/README.md. BENCH_ARGS passes options, e.g. BENCH_ARGS="--rounds 1".
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Sending at TWILIO_MPS=30 with two workers through a local fake of Twilio (bench/README.md): ~2 minutes.
bench-reminders: setup
	$(BIN)/python -m bench.reminders_bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
