"""Replicas of a service start together on a fresh PostgreSQL database, and all of them come up.

A rollout starts every replica at once. Each creates the event store's tables and migrates
its read models at start; done side by side, one of them used to die with an
`IntegrityError` (the library records its own table migration in a row both inserted).
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.intake import read_models
from services.intake.application import IntakeApplication
from shared.platform import migrations
from shared.platform.eventstore import persistence_env
from shared.platform.settings import Settings
from shared.platform.sqlviews import create_engine

pytestmark = pytest.mark.integration

REPLICAS = 6


def start_a_replica(settings: Settings) -> str:
    """What a process does with its database before it serves."""
    app = IntakeApplication(persistence_env(settings), settings.business_timezone)

    async def migrate() -> None:
        engine = create_engine(settings.storage, "unused.sqlite")
        await migrations.upgrade(engine, "intake", read_models.metadata)
        await engine.dispose()

    asyncio.run(migrate())
    healthy = app.ping()
    app.close()
    return "up" if healthy else "not ready"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("rollout", range(3))
def test_replicas_starting_at_once_on_a_fresh_database_all_come_up(
    postgres, pg_prefix, tmp_path, rollout
):
    settings = Settings(
        service="intake",
        store="postgres",
        postgres_url=postgres.url,
        database_prefix=pg_prefix,
        data_dir=tmp_path,
    )
    with ThreadPoolExecutor(REPLICAS) as pool:
        started = list(pool.map(start_a_replica, [settings] * REPLICAS))
    assert started == ["up"] * REPLICAS
