"""SQL read models: tracking rows beside projected rows, and a projector of a local log.

A read model is a set of SQL tables plus a tracking table; every projected change is written
in the same transaction as its tracking position, and the position only moves forward, so a
crash or a redelivery can neither lose nor double a change. SQLite (aiosqlite) in the
embedded default, PostgreSQL (asyncpg) in production, through SQLAlchemy's async engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy
from fastapi.encoders import jsonable_encoder
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy import event as sqlalchemy_events
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

from shared.kernel import clock
from shared.kernel.errors import Conflict
from shared.platform import idempotency
from shared.platform.eventstore import ServiceApplication
from shared.platform.logwatch import RECHECK_SECONDS
from shared.platform.secrets import private_dir
from shared.platform.settings import StoreSettings
from shared.platform.threads import run_sync

log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator):
    """Aware UTC in, aware UTC out, on every backend.

    SQLite keeps no offset: without this, 10:00+08:00 would be stored as 10:00 and sort after
    03:00Z. Values are normalised to UTC before they are stored and marked UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@contextlib.asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for one read statement, outside any transaction.

    A plain `engine.connect()` begins a transaction and rolls it back at the end: on
    PostgreSQL two of a one-query read's three round trips. One statement is consistent on
    its own; reads of several statements that must agree keep `engine.connect()`.
    """
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def tracking_table(metadata: MetaData, name: str = "tracking") -> Table:
    return Table(
        name,
        metadata,
        Column("stream", String(300), primary_key=True),
        Column("position", BigInteger, nullable=False),
    )


def answers_table(metadata: MetaData) -> Table:
    """Answers of SQL-side commands that carried an Idempotency-Key (`answer_once`)."""
    return Table(
        "answered_requests",
        metadata,
        Column("scope", String(500), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("answer", JSON, nullable=False),
        Column("answered_at", UTCDateTime, nullable=False),
    )


async def answer_once(
    engine: AsyncEngine,
    answers: Table,
    command: Callable[[AsyncConnection], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Run a SQL-side command in one transaction with its answer, if the request carries an
    Idempotency-Key; a retry gets that answer back (see `shared.platform.idempotency`), and a
    concurrent twin that committed first is replayed."""
    request = idempotency.take()
    if request is None:
        async with engine.begin() as conn:
            return await command(conn)
    for _ in range(2):
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(answers).where(
                        answers.c.scope == request.scope, answers.c.key == request.key
                    )
                )
            ).first()
        if row is not None:
            request.check_same(row.fingerprint)
            request.replayed = True
            return dict(row.answer)
        try:
            async with engine.begin() as conn:
                answer = await command(conn)
                await conn.execute(
                    answers.insert().values(
                        scope=request.scope,
                        key=request.key,
                        fingerprint=request.fingerprint,
                        answer=jsonable_encoder(answer),
                        answered_at=clock.now(),
                    )
                )
            return answer
        except IntegrityError:
            continue  # a twin with the same key committed first: replay its answer
    raise Conflict("too many concurrent requests with this Idempotency-Key; retry")


def create_engine(store: StoreSettings, sqlite_file: str) -> AsyncEngine:
    """The service's SQL engine: `<data_dir>/<sqlite_file>`, or its PostgreSQL database."""
    url, options = _database(store, sqlite_file, "sqlite+aiosqlite", "postgresql+asyncpg")
    engine = create_async_engine(url, **options)
    _lower_as_postgresql(engine.sync_engine)
    return engine


def create_sync_engine(store: StoreSettings, sqlite_file: str) -> Engine:
    """The same database as `create_engine`, through the synchronous drivers (sqlite3,
    psycopg), for a read made on a worker thread just before a command there: a
    registration looks up its repeat candidates on the thread that then numbers and saves
    it. Done on the event loop first, that one query cost a quarter of a registration's
    CPU (a second hop, and the loop and the worker contending for the interpreter); on the
    worker it costs less than half of that (docs/benchmarks.md). Reads only, each in
    autocommit; on PostgreSQL at most `pool_size` connections (no overflow: the worker
    threads that use it are few), beside the store's and the async engine's pools.
    """
    url, options = _database(store, sqlite_file, "sqlite", "postgresql+psycopg")
    if store.postgres:
        options["max_overflow"] = 0
    engine = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT", **options)
    _lower_as_postgresql(engine)
    return engine


def _database(
    store: StoreSettings, sqlite_file: str, sqlite_driver: str, postgres_driver: str
) -> tuple[str, dict[str, Any]]:
    """The views' database for a driver of each kind: its URL, and the options it needs."""
    if not store.postgres:
        private_dir(store.data_dir)
        return f"{sqlite_driver}:///{store.data_dir / sqlite_file}", {
            "connect_args": {"timeout": 30}
        }
    url = urlsplit(store.postgres_url)
    return f"{postgres_driver}://{url.netloc}/{store.database_name()}", {
        "pool_size": store.pool_size
    }


def _lower_as_postgresql(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        sqlalchemy_events.listen(engine, "connect", _unicode_lower)


def _unicode_lower(connection: Any, _: Any) -> None:
    """SQLite's `lower` folds ASCII letters only (`Ä` stays `Ä`); PostgreSQL's folds every
    script. Case-insensitive searches (`icontains`) must find the same rows on both."""
    connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def dialect_insert(dialect: str) -> Callable[[Table], Any]:
    """The INSERT with ON CONFLICT support of the dialect named `dialect`, for a statement
    built once and executed with parameters each time."""
    return (postgresql if dialect == "postgresql" else sqlite).insert


@dataclass(frozen=True)
class _TrackingStatements:
    advance: Any
    position: Any


@cache
def _tracking_statements(dialect: str, table: Table) -> _TrackingStatements:
    """Built once per dialect and table: every consumed page runs both, and building and
    cache-keying them per page cost 5-7% of a projecting service's CPU (py-spy)."""
    insert = dialect_insert(dialect)(table)
    return _TrackingStatements(
        advance=insert.on_conflict_do_update(
            index_elements=[table.c.stream],
            set_={"position": insert.excluded.position},
            where=table.c.position < insert.excluded.position,
        ).returning(table.c.position),
        position=select(table.c.position).where(table.c.stream == bindparam("stream")),
    )


async def advance_tracking(conn: AsyncConnection, table: Table, stream: str, position: int) -> bool:
    """Move the stream's position forward; False when `position` was already recorded."""
    statement = _tracking_statements(conn.dialect.name, table).advance
    moved = await conn.execute(statement, {"stream": stream, "position": position})
    return moved.first() is not None


async def tracked_position(conn: AsyncConnection, table: Table, stream: str) -> int | None:
    statement = _tracking_statements(conn.dialect.name, table).position
    return (await conn.execute(statement, {"stream": stream})).scalar_one_or_none()


#: Projects a page of domain events, in log order, inside the page's transaction.
Project = Callable[[AsyncConnection, Sequence[Any]], Awaitable[None]]


@dataclass(frozen=True)
class NewRow:
    """A stream's first event: its row in the index."""

    row: dict[str, Any]


@dataclass(frozen=True)
class RowChange:
    """A later event: new values for some columns of the row keyed `key`."""

    key: str
    values: dict[str, Any]


@cache
def _row_statements(dialect: str, table: Table) -> tuple[Any, Any]:
    """A row-per-stream index's insert and update, built once per dialect and table."""
    [key] = table.primary_key.columns
    insert = dialect_insert(dialect)(table).on_conflict_do_nothing()
    # No values: the SET clause is the columns each execution names.
    change = update(table).where(key == bindparam("row_key"))
    return insert, change


def row_per_stream(table: Table, step: Callable[[Any], NewRow | RowChange | None]) -> Project:
    """A page projection for an index of one row per stream, keyed by the table's primary
    key (intake's complaints, notifications' deliveries): `step` says what each event does.

    A page's new rows go in as one multi-row insert, written before any change, which may
    be to one of them; changes are updates by key, in log order. Both statements are built
    once per dialect and executed with parameters: built per event, building and
    cache-keying them was most of a projector's CPU (py-spy, issue #21).
    """

    async def project(conn: AsyncConnection, events: Sequence[Any]) -> None:
        insert, change = _row_statements(conn.dialect.name, table)
        new_rows: list[dict[str, Any]] = []
        for event in events:
            effect = step(event)
            if isinstance(effect, NewRow):
                new_rows.append(effect.row)
            elif isinstance(effect, RowChange):
                if new_rows:
                    await conn.execute(insert, new_rows)
                    new_rows = []
                await conn.execute(change, {"row_key": effect.key, **effect.values})
        if new_rows:
            await conn.execute(insert, new_rows)

    return project


#: The longest an idle projector waits before reading the log again anyway.
IDLE_SECONDS = 5.0


class LocalProjector:
    """Follows a service's own notification log into SQL tables (its query side).

    Each page of the log is projected in one transaction with the tracking position, so the
    view is always a prefix of the log: a list can lag behind a command, never disagree.
    """

    def __init__(
        self,
        app: ServiceApplication,
        engine: AsyncEngine,
        tracking: Table,
        project: Project,
        poll_interval: float,
        page_size: int = 500,
    ) -> None:
        self.app = app
        self.engine = engine
        self.tracking = tracking
        self.project = project
        self.poll_interval = poll_interval
        self.page_size = page_size
        self.stream = f"{app.name}#log"
        #: Why the last page failed, until a page succeeds: `/ready` and `/metrics` say so.
        self.failure: str | None = None

    async def position(self) -> int:
        async with self.engine.connect() as conn:
            return await tracked_position(conn, self.tracking, self.stream) or 0

    async def run_once(self) -> int:
        """Project the next page, whoever drives it (its own loop, the scheduler, the
        dispatcher); a failure is kept for `/ready` and `/metrics` until a page succeeds."""
        try:
            projected = await self._next_page()
        except Exception as error:
            self.failure = f"{type(error).__name__}: {error}"[:500]
            raise
        self.failure = None
        return projected

    async def behind(self) -> int:
        """Log positions not yet in the view."""
        return max(0, await self._head() - await self.position())

    async def _next_page(self) -> int:
        after = await self.position()
        notifications = await run_sync(
            self.app.recorder.select_notifications,
            after,
            self.page_size,
            None,
            (),
            inclusive_of_start=False,
        )
        if not notifications:
            return 0
        events = [self.app.mapper.to_domain_event(n) for n in notifications]
        async with self.engine.begin() as conn:
            if not await advance_tracking(conn, self.tracking, self.stream, notifications[-1].id):
                return 0  # another projector instance got there first
            await self.project(conn, events)
        return len(notifications)

    async def catch_up(self) -> None:
        while await self.run_once():
            pass

    async def run(self) -> None:
        """Project pages while there are any; then wait for this process to record (or for
        the head to move, looked at every second: an API-only replica's views follow what
        the worker records within that)."""
        while True:
            since = self.app.watch.generation
            try:
                projected = await self.run_once()
            except Exception:
                log.exception("projector %s failed; retrying", self.stream)
                await asyncio.sleep(self.poll_interval * 5)
                continue
            if not projected:
                await self.app.watch.wait(since, IDLE_SECONDS, RECHECK_SECONDS, self._head)

    async def _head(self) -> int:
        return await run_sync(self.app.recorder.max_notification_id) or 0
