"""Schema migrations (Alembic) of the services' SQL read models.

The event stores' schemas are created by the eventsourcing library; everything else in SQL
(intake's complaint index, routing's queues and timers, analytics' inbox and read models) is
migrated here, each service with its own revisions and version table.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.platform.schema_lock import SCHEMA_LOCK

HERE = Path(__file__).parent
SERVICES = Path(__file__).resolve().parents[3] / "services"

#: Alembic keeps its migration context in module globals: one upgrade at a time per process.
_ONE_AT_A_TIME = threading.Lock()


def config(service: str, connection: Connection, metadata: MetaData) -> Config:
    cfg = Config()
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("version_locations", str(SERVICES / service / "migrations"))
    cfg.attributes.update(
        connection=connection, metadata=metadata, version_table=f"alembic_version_{service}"
    )
    return cfg


async def upgrade(engine: AsyncEngine, service: str, metadata: MetaData) -> None:
    """Bring the service's read-model schema to the newest revision (at start)."""

    def run(connection: Connection) -> None:
        with _ONE_AT_A_TIME:
            command.upgrade(config(service, connection, metadata), "head")

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas starting together take turns (see `shared.platform.schema_lock`);
            # the lock is the transaction's, so the upgrade's commit frees it.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        await conn.run_sync(run)
