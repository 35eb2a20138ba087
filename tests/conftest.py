"""Session fixtures: real PostgreSQL and Kafka, started only when a test asks for them."""

from __future__ import annotations

import pytest

from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.platform.settings import Settings
from tests.support.infra import Kafka, Postgres, start_kafka, start_postgres, unique_prefix
from tests.support.timing import RECEIVED, business_clock


@pytest.fixture(scope="session", autouse=True)
def business_day():
    """Every test lives on the same business day (see `tests.support.timing`)."""
    clock.install_clock(business_clock())


@pytest.fixture
def time_machine():
    """The business clock stopped at `RECEIVED`, moved by the story, given back after."""
    machine = ManualClock(RECEIVED)
    clock.install_clock(machine)
    yield machine
    clock.install_clock(business_clock())


@pytest.fixture(scope="session")
def postgres() -> Postgres:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka() -> Kafka:
    broker = start_kafka()
    yield broker
    broker.stop()


@pytest.fixture
def pg_prefix(postgres: Postgres) -> str:
    """Fresh databases `<prefix><service>` for this test."""
    prefix = unique_prefix()
    postgres.create_databases(prefix)
    return prefix


@pytest.fixture
def production_env(postgres: Postgres, kafka: Kafka, pg_prefix: str) -> dict[str, str]:
    """COMPLAINTS_* variables of a PostgreSQL + Kafka deployment isolated to this test."""
    return {
        "COMPLAINTS_STORE": "postgres",
        "COMPLAINTS_POSTGRES_URL": postgres.url,
        "COMPLAINTS_DATABASE_PREFIX": pg_prefix,
        "COMPLAINTS_TRANSPORT": "kafka",
        "COMPLAINTS_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "COMPLAINTS_KAFKA_TOPIC_PREFIX": pg_prefix.rstrip("_"),
        "COMPLAINTS_POLL_INTERVAL_SECONDS": "0.05",
    }


def settings_from(env: dict[str, str], service: str, **overrides) -> Settings:
    values = {k.removeprefix("COMPLAINTS_").lower(): v for k, v in env.items()}
    values.update(overrides)
    values["service"] = service
    return Settings(**values)
