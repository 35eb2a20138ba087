# The two commands of a fresh machine: `make run` (embedded default) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run up test test-unit faults bench lint infra-up infra-down kafka-jars clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
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
	$(BIN)/pytest -q

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/contract

## The fault tests alone (kill -9, redelivery, graceful stop), verbose; also part of `make test`.
faults: $(STAMP)
	deploy/postgres/postgres.sh install
	deploy/kafka/kafka.sh fetch
	$(BIN)/pytest -v tests/faults

## Benchmarks: scripts that print their figures (see README, "Benchmarks").
bench: $(STAMP)
	deploy/postgres/postgres.sh install
	deploy/kafka/kafka.sh fetch
	$(BIN)/python -m bench.intake_registration
	$(BIN)/python -m bench.end_to_end
	$(BIN)/python -m bench.routing_scale
	$(BIN)/python -m bench.analytics_scale
	$(BIN)/python -m bench.audit_verify

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean: infra-down
	rm -rf var
