"""Routing's query side, projected from routing's own log: work queues and the timer index.

`timers` is the index of due times the scheduler reads: one row per running clock's timer,
removed when it fires or its clock stops, so a tick selects only what is due (an index range
scan) instead of loading every open case. Both tables can be dropped and rebuilt from the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.routing.domain import Case
from shared.platform import migrations
from shared.platform.sqlviews import UTCDateTime, dialect_insert, reading, tracking_table

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


#: A running clock's due time and its timers (name -> ISO time) as a page leaves them.
Armed = tuple[datetime, dict[str, str]]


@dataclass
class ViewChanges:
    """What a page of case events does to the views, netted in memory, then written in a
    handful of statements whatever the page's length.

    One statement per event cost routing a sixth of its CPU under load (a case starts five
    clocks, each a delete, an insert and an upsert, each several driver round trips). The
    net effect is the one-event-at-a-time effect: a clock's last arming wins, with the timers
    fired after it taken out; a stopped clock or a closed case removes what came before it in
    the page and in the tables (`tests/integration/test_routing_views.py` projects the same
    log one event per page and all in one page and compares the tables).
    """

    opened: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: (number, clock) -> its timers as the page leaves them; None: disarmed.
    clocks: dict[tuple[str, str], Armed | None] = field(default_factory=dict)
    #: Cases closed in the page: all their clocks' rows go before the page's own arming.
    closed: set[str] = field(default_factory=set)
    #: Timers fired of clocks the page does not otherwise touch.
    fired: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, e: Any) -> None:
        if isinstance(e, Case.Opened):
            self.opened[e.number] = {
                "number": e.number,
                "unit": None,
                "status": "open",
                "severity": e.severity,
                "cycle": 1,
                "escalation": "unit_handler",
                "received_at": e.received_at,
            }
        elif isinstance(
            e, Case.ClockStarted | Case.ClockExtended | Case.ClockRebaselined | Case.ClockResumed
        ):
            self.clocks[(_number(e), e.clock)] = (e.due, dict(e.timers))
        elif isinstance(e, Case.ClockPaused | Case.ClockStopped):
            self.clocks[(_number(e), e.clock)] = None
        elif isinstance(e, Case.TimerFired):
            self._fire(_number(e), e.clock, e.timer)
        elif isinstance(e, Case.Closed):
            self._set(_number(e), status=e.outcome)
            self._close(_number(e))
        elif (values := _index_changes(e)) is not None:
            self._set(_number(e), **values)

    def _set(self, number: str, **values: Any) -> None:
        self.updates.setdefault(number, {}).update(values)

    def _fire(self, number: str, clock: str, timer: str) -> None:
        key = (number, clock)
        if key not in self.clocks:
            self.fired.add((number, clock, timer))
        elif (armed := self.clocks[key]) is not None:
            armed[1].pop(timer, None)

    def _close(self, number: str) -> None:
        self.closed.add(number)
        for key in [key for key in self.clocks if key[0] == number]:
            del self.clocks[key]
        self.fired = {f for f in self.fired if f[0] != number}

    async def write(self, conn: AsyncConnection) -> None:
        statements = _statements(conn.dialect.name)
        if self.opened:
            await conn.execute(statements.open_case, list(self.opened.values()))
        for number, values in self.updates.items():
            await conn.execute(
                update(case_index).where(case_index.c.number == number).values(**values)
            )
        if self.closed:
            for table in (timers, deadlines):
                await conn.execute(delete(table).where(table.c.number.in_(sorted(self.closed))))
        if self.fired:
            await conn.execute(
                statements.fire_timer,
                [{"n": n, "c": c, "t": t} for n, c, t in self.fired],
            )
        if self.clocks:
            await self._rearm(conn, statements)

    async def _rearm(self, conn: AsyncConnection, statements: _Statements) -> None:
        keys = list(self.clocks)
        for table in (timers, deadlines):
            await conn.execute(delete(table).where(tuple_(table.c.number, table.c.clock).in_(keys)))
        armed = [(key, state) for key, state in self.clocks.items() if state is not None]
        rows = [
            {"number": n, "clock": c, "timer": t, "due_at": datetime.fromisoformat(at)}
            for (n, c), (_, times) in armed
            for t, at in times.items()
        ]
        if rows:
            await conn.execute(timers.insert(), rows)
        if armed:
            dues = [{"number": n, "clock": c, "due": due} for (n, c), (due, _) in armed]
            await conn.execute(deadlines.insert(), dues)


def _index_changes(e: Any) -> dict[str, Any] | None:
    """The work-queue columns an event changes (None: it changes none)."""
    if isinstance(e, Case.Assigned):
        return {"unit": e.unit, "status": "assigned"}
    if isinstance(e, Case.Reassigned):
        return {"unit": e.unit}
    if isinstance(e, Case.Escalated):
        return {"escalation": e.level}
    if isinstance(e, Case.Reopened):
        return {"status": "assigned", "cycle": e.cycle}
    status = _STATUS_AFTER.get(type(e))
    return {"status": status} if status else None


_STATUS_AFTER = {
    Case.InvestigationRecorded: "investigated",
    Case.RemedyProposed: "proposed",
    Case.RemedyApproved: "approved",
    Case.Settled: "settled",
}


@dataclass(frozen=True)
class _Statements:
    """Built once per dialect, executed with each page's rows as parameters."""

    open_case: Any
    fire_timer: Any


@cache
def _statements(dialect: str) -> _Statements:
    return _Statements(
        open_case=dialect_insert(dialect)(case_index).on_conflict_do_nothing(),
        fire_timer=delete(timers).where(
            timers.c.number == bindparam("n"),
            timers.c.clock == bindparam("c"),
            timers.c.timer == bindparam("t"),
        ),
    )


async def project(conn: AsyncConnection, events: Sequence[Any]) -> None:
    """A page of routing's events into the work queues and the timer index."""
    changes = ViewChanges()
    for e in events:
        changes.add(e)
    await changes.write(conn)


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
