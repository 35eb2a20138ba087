"""Routing's query side, projected from routing's own log: work queues and the timer index.

`timers` is the index of due times the scheduler reads: one row per running clock's timer,
removed when it fires or its clock stops, so a tick selects only what is due (an index range
scan) instead of loading every open case. Both tables can be dropped and rebuilt from the log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.routing.domain import Case
from shared.platform import migrations
from shared.platform.sqlviews import UTCDateTime, reading, tracking_table, upsert

metadata = MetaData()
tracking = tracking_table(metadata, "routing_view_tracking")

case_index = Table(
    "case_index",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("unit", String(100), index=True),
    Column("status", String(20), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("escalation", String(40), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

timers = Table(
    "timers",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("clock", String(40), primary_key=True),
    Column("timer", String(20), primary_key=True),
    Column("due_at", UTCDateTime, nullable=False),
    Index("timers_by_due", "due_at"),
)

#: The due time of every running clock: what work queues and the overdue list sort by.
deadlines = Table(
    "deadlines",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("clock", String(40), primary_key=True),
    Column("due", UTCDateTime, nullable=False, index=True),
)

OPEN = ("assigned", "investigated", "proposed", "approved", "settled")
MAX_PAGE_SIZE = 100


def _number(e: Any) -> str:
    return e.meta["case_number"]


async def _arm(
    conn: AsyncConnection, number: str, clock: str, due: datetime, times: dict[str, str]
) -> None:
    await conn.execute(delete(timers).where(timers.c.number == number, timers.c.clock == clock))
    if times:  # one statement for the clock's timers, not a round trip each
        await conn.execute(
            timers.insert(),
            [
                {
                    "number": number,
                    "clock": clock,
                    "timer": timer,
                    "due_at": datetime.fromisoformat(at),
                }
                for timer, at in times.items()
            ],
        )
    statement = upsert(conn, deadlines).values(number=number, clock=clock, due=due)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[deadlines.c.number, deadlines.c.clock], set_={"due": due}
        )
    )


async def _disarm(conn: AsyncConnection, number: str, clock: str | None = None) -> None:
    for table in (timers, deadlines):
        where = [table.c.number == number]
        if clock:
            where.append(table.c.clock == clock)
        await conn.execute(delete(table).where(*where))


async def _set(conn: AsyncConnection, number: str, **values: Any) -> None:
    await conn.execute(update(case_index).where(case_index.c.number == number).values(**values))


async def project(conn: AsyncConnection, e: Any) -> None:
    if isinstance(e, Case.Opened):
        statement = upsert(conn, case_index).values(
            number=e.number,
            unit=None,
            status="open",
            severity=e.severity,
            cycle=1,
            escalation="unit_handler",
            received_at=e.received_at,
        )
        await conn.execute(statement.on_conflict_do_nothing())
    elif isinstance(e, Case.Assigned):
        await _set(conn, _number(e), unit=e.unit, status="assigned")
    elif isinstance(e, Case.Reassigned):
        await _set(conn, _number(e), unit=e.unit)
    elif isinstance(e, Case.Escalated):
        await _set(conn, _number(e), escalation=e.level)
    elif isinstance(
        e, Case.ClockStarted | Case.ClockExtended | Case.ClockRebaselined | Case.ClockResumed
    ):
        await _arm(conn, _number(e), e.clock, e.due, e.timers)
    elif isinstance(e, Case.ClockPaused | Case.ClockStopped):
        await _disarm(conn, _number(e), e.clock)
    elif isinstance(e, Case.TimerFired):
        await conn.execute(
            delete(timers).where(
                timers.c.number == _number(e), timers.c.clock == e.clock, timers.c.timer == e.timer
            )
        )
    elif isinstance(e, Case.InvestigationRecorded):
        await _set(conn, _number(e), status="investigated")
    elif isinstance(e, Case.RemedyProposed):
        await _set(conn, _number(e), status="proposed")
    elif isinstance(e, Case.RemedyApproved):
        await _set(conn, _number(e), status="approved")
    elif isinstance(e, Case.Settled):
        await _set(conn, _number(e), status="settled")
    elif isinstance(e, Case.Reopened):
        await _set(conn, _number(e), status="assigned", cycle=e.cycle)
    elif isinstance(e, Case.Closed):
        await _set(conn, _number(e), status=e.outcome)
        await _disarm(conn, _number(e))


#: A case has at most a few dozen timers; reading this many due rows finds `limit` cases.
ROWS_PER_CASE = 16


async def due_cases(engine: AsyncEngine, now: datetime, limit: int) -> list[str]:
    """Cases with a timer due at `now`, earliest first.

    The inner query is a range scan of `timers_by_due` that stops after a bounded number of
    rows, so a tick costs the same with 100 or 100,000 open cases. (Grouping the whole table
    by case instead made the planners walk the primary key: a full scan on every tick.)
    """
    earliest = (
        select(timers.c.number, timers.c.due_at)
        .where(timers.c.due_at <= now)
        .order_by(timers.c.due_at)
        .limit(limit * ROWS_PER_CASE)
        .subquery()
    )
    query = (
        select(earliest.c.number, func.min(earliest.c.due_at).label("first"))
        .group_by(earliest.c.number)
        .order_by("first")
        .limit(limit)
    )
    async with reading(engine) as conn:
        return [row.number for row in (await conn.execute(query)).all()]


async def next_timer(engine: AsyncEngine) -> datetime | None:
    """When the earliest timer not fired yet falls due (None: no clock runs)."""
    async with reading(engine) as conn:
        return (await conn.execute(select(func.min(timers.c.due_at)))).scalar()


def _next_due():
    """Each case's earliest running deadline."""
    return (
        select(deadlines.c.number, func.min(deadlines.c.due).label("next_due"))
        .group_by(deadlines.c.number)
        .subquery()
    )


async def queue(
    engine: AsyncEngine,
    unit: str | None,
    overdue_at: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Open cases by next deadline; for one unit, or only those overdue at a time."""
    nxt = _next_due()
    c = case_index.c
    query = (
        select(c.number, c.unit, c.status, c.severity, c.cycle, c.escalation, nxt.c.next_due)
        .join(nxt, nxt.c.number == c.number)
        .where(c.status.in_(OPEN))
    )
    if unit:
        query = query.where(c.unit == unit)
    if overdue_at:
        query = query.where(nxt.c.next_due < overdue_at)
    if after:
        query = query.where(
            (nxt.c.next_due > after[0]) | ((nxt.c.next_due == after[0]) & (c.number > after[1]))
        )
    query = query.order_by(nxt.c.next_due, c.number).limit(limit)
    async with reading(engine) as conn:
        return [dict(r._mapping) for r in (await conn.execute(query)).all()]


async def create_tables(engine: AsyncEngine) -> None:
    """Migrate the read models to the newest revision (services/routing/migrations)."""
    await migrations.upgrade(engine, "routing", metadata)


async def gauges(engine: AsyncEngine, now: datetime) -> dict[str, dict[tuple[str, ...], float]]:
    """Open cases per unit, and running deadlines missed or due within a day."""
    async with engine.connect() as conn:
        by_unit = (
            await conn.execute(
                select(case_index.c.unit, func.count())
                .where(case_index.c.status.in_(OPEN))
                .group_by(case_index.c.unit)
            )
        ).all()
        missed = (
            await conn.execute(select(func.count()).where(deadlines.c.due <= now))
        ).scalar_one()
        soon = (
            await conn.execute(
                select(func.count()).where(
                    deadlines.c.due > now, deadlines.c.due <= now + timedelta(days=1)
                )
            )
        ).scalar_one()
    return {
        "open_cases": {(unit or "unassigned",): count for unit, count in by_unit},
        "deadlines": {("missed",): missed, ("due_within_24h",): soon},
    }
