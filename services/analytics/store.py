"""Analytics' SQL store: read-model tables, the tracking table, dead letters.

Each projected event and its tracking position are written in one transaction; the tracking
row only moves forward, so a redelivered event fails the upsert and the transaction rolls
back with nothing written.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.settings import Settings

metadata = MetaData()

tracking = Table(
    "tracking",
    metadata,
    Column("stream", String(300), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("source", String(300), primary_key=True),
    Column("stream", String(300), nullable=False),
    Column("position", BigInteger),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

case_facts = Table(
    "case_facts",
    metadata,
    Column("case_number", String(20), primary_key=True),
    Column("received_at", DateTime(timezone=True)),
    Column("received_month", String(7), index=True),
    Column("channel", String(50)),
    Column("nature", String(50)),
    Column("unit", String(100)),
    Column("approved_amount", Numeric(20, 6)),
    Column("currency", String(3)),
    Column("approved_at", DateTime(timezone=True)),
    Column("settlement_opened_at", DateTime(timezone=True)),
)


def database_url(settings: Settings) -> str:
    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{settings.data_dir / 'analytics.sqlite'}"
    url = urlsplit(settings.postgres_url)
    return f"postgresql+asyncpg://{url.netloc}/{settings.database_name()}"


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.store == "sqlite":
        return create_async_engine(database_url(settings), connect_args={"timeout": 30})
    return create_async_engine(database_url(settings), pool_size=settings.postgres_pool_size)


def upsert(conn: AsyncConnection, table: Table):
    """The dialect's INSERT with ON CONFLICT support."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


async def advance_tracking(conn: AsyncConnection, stream: str, position: int) -> bool:
    """Move the stream's position forward; False when `position` was already recorded."""
    statement = upsert(conn, tracking).values(stream=stream, position=position)
    statement = statement.on_conflict_do_update(
        index_elements=[tracking.c.stream],
        set_={"position": statement.excluded.position},
        where=tracking.c.position < statement.excluded.position,
    ).returning(tracking.c.position)
    return (await conn.execute(statement)).first() is not None


async def tracked_position(conn: AsyncConnection, stream: str) -> int | None:
    return (
        await conn.execute(select(tracking.c.position).where(tracking.c.stream == stream))
    ).scalar_one_or_none()
