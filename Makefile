# The two commands of a fresh machine: `make run` (embedded default) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run up test test-unit faults bench lint lock infra-up infra-down kafka-jars clean

# Dependencies come from the hash-pinned lock (`make lock` regenerates it from pyproject.toml),
# the project itself is installed editable on top, without touching them.
$(STAMP): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements/dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Run all four services on the embedded default: SQLite under var/, HTTP-feed transport.
run: $(STAMP)
	$(BIN)/complaints run

## Run all four services against the local PostgreSQL and Kafka (started here).
up: $(STAMP) infra-up
	COMPLAINTS_STORE=postgres COMPLAINTS_TRANSPORT=kafka $(BIN)/complaints run

infra-up:
	deploy/postgres/postgres.sh start
	deploy/kafka/kafka.sh start

infra-down:
	-deploy/kafka/kafka.sh stop
	-deploy/postgres/postgres.sh stop

kafka-jars:
	deploy/kafka/kafka.sh fetch

## Every test: unit, contract, integration (real PostgreSQL and Kafka), e2e, faults.
test: $(STAMP)
	deploy/postgres/postgres.sh install
	deploy/kafka/kafka.sh fetch
	deploy/browser/chromium.sh
	$(BIN)/pytest -q --durations=15

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/contract

## The fault tests alone (kill -9, redelivery, graceful stop), verbose; also part of `make test`.
faults: $(STAMP)
	deploy/postgres/postgres.sh install
	deploy/kafka/kafka.sh fetch
	$(BIN)/pytest -v tests/faults

## Benchmarks: scripts that print their figures (see docs/benchmarks.md).
bench: $(STAMP)
	deploy/postgres/postgres.sh install
	deploy/kafka/kafka.sh fetch
	$(BIN)/python -m bench.intake_registration
	$(BIN)/python -m bench.end_to_end
	$(BIN)/python -m bench.routing_scale
	$(BIN)/python -m bench.analytics_scale
	$(BIN)/python -m bench.audit_verify
	$(BIN)/python -m bench.lifecycle
	$(BIN)/python -m bench.idle
	$(BIN)/python -m bench.replicas

## Ruff, the type check (mypy, configured in pyproject.toml) and the import boundaries.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Regenerate the locks after changing dependencies in pyproject.toml (pip-tools, with hashes).
lock: $(STAMP)
	$(BIN)/pip install -q 'pip-tools>=7.4,<8'
	$(BIN)/pip-compile -q --strip-extras --generate-hashes --allow-unsafe --no-emit-find-links \
		-o requirements/runtime.lock pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --generate-hashes --allow-unsafe --no-emit-find-links \
		--extra dev -o requirements/dev.lock pyproject.toml

clean: infra-down
	rm -rf var
