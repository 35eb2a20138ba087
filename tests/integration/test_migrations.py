"""Read-model schemas come from migrations, and the migrations match the models exactly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.analytics import read_models as analytics
from services.intake import read_models as intake
from services.notifications import read_models as notifications
from services.routing import read_models as routing
from shared.platform import migrations
from shared.platform.settings import Settings
from shared.platform.sqlviews import create_engine

pytestmark = pytest.mark.integration

READ_MODELS = [
    ("intake", intake.metadata),
    ("routing", routing.metadata),
    ("analytics", analytics.metadata),
    ("notifications", notifications.metadata),
]


def differences(connection, metadata):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        d
        for d in compare_metadata(context, metadata)
        if not (d[0] == "remove_table" and d[1].name.startswith(("alembic_version",)))
    ]


async def migrated(settings, service, metadata):
    engine = create_engine(settings.storage, f"{service}-migrated.sqlite")
    await migrations.upgrade(engine, service, metadata)
    await migrations.upgrade(engine, service, metadata)  # idempotent: already at head
    async with engine.connect() as conn:
        found = await conn.run_sync(lambda c: differences(c, metadata))
    await engine.dispose()
    return found


@pytest.mark.parametrize(("service", "metadata"), READ_MODELS, ids=[s for s, _ in READ_MODELS])
async def test_migrating_an_empty_sqlite_database_gives_exactly_the_models(
    tmp_path, service, metadata
):
    settings = Settings(service="analytics", data_dir=tmp_path)
    assert await migrated(settings, service, metadata) == []


@pytest.mark.parametrize(("service", "metadata"), READ_MODELS, ids=[s for s, _ in READ_MODELS])
async def test_migrating_an_empty_postgres_database_gives_exactly_the_models(
    postgres, pg_prefix, service, metadata
):
    settings = Settings(
        service=service, store="postgres", postgres_url=postgres.url, database_prefix=pg_prefix
    )
    found = await migrated(settings, service, metadata)
    # The event store's own tables live in the same database; they are not read models.
    assert [
        d for d in found if not (d[0] == "remove_table" and d[1].name.startswith(service))
    ] == []
