"""Notifications' query side, projected from its own log: one row per delivery.

The dispatcher reads what is due from it (an index range scan on `due_at`), and the API lists
a subscription's delivery log or a case's messages from it. It can be dropped and rebuilt
from the log; the deliveries themselves decide (a row that is late to say "sent" only makes
the dispatcher load the delivery and find nothing to do).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.domain import Delivery, Status
from services.notifications.messages import SUBJECT_LENGTH
from shared.platform import migrations
from shared.platform.sqlviews import (
    NewRow,
    RowChange,
    UTCDateTime,
    reading,
    row_per_stream,
    tracking_table,
)

metadata = MetaData()
tracking = tracking_table(metadata, "notifications_view_tracking")

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("audience", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("case_number", String(40), nullable=False, index=True),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("subject", String(SUBJECT_LENGTH), nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=True),
    Index("deliveries_by_due", "due_at"),
    Index("deliveries_by_queue_time", "queued_at", "id"),
    Index("deliveries_by_recipient", "recipient", "queued_at"),
)

MAX_PAGE_SIZE = 100


def _step(e: Any) -> NewRow | RowChange | None:
    """What one delivery event does to its row."""
    if isinstance(e, Delivery.Queued):
        return NewRow(
            {
                "id": str(e.originator_id),
                "channel": e.channel,
                "audience": e.audience,
                "recipient": e.recipient,
                "case_number": e.meta["case_number"],
                "event_id": e.event_id,
                "event_type": e.event_type,
                "subject": e.content.get("subject"),
                "status": Status.queued.value,
                "attempts": 0,
                "queued_at": e.timestamp,
                "updated_at": e.timestamp,
                "due_at": e.not_before,
            }
        )
    values: dict[str, Any] | None = None
    if isinstance(e, Delivery.Sent):
        values = {"status": Status.sent, "attempts": e.attempt, "due_at": None}
        values |= {"last_status_code": e.status_code, "last_error": None}
    elif isinstance(e, Delivery.AttemptFailed):
        values = {"status": Status.retrying, "attempts": e.attempt, "due_at": e.retry_at}
        values |= {"last_status_code": e.status_code, "last_error": e.error}
    elif isinstance(e, Delivery.Parked):
        values = {"status": Status.parked, "attempts": e.attempt, "due_at": None}
        values |= {"last_status_code": e.status_code, "last_error": e.reason}
    elif isinstance(e, Delivery.Requeued):
        values = {"status": Status.queued, "due_at": e.not_before}
    if values is None:
        return None
    return RowChange(str(e.originator_id), {**values, "updated_at": e.timestamp})


#: A page of the log into the delivery index.
project = row_per_stream(deliveries, _step)


async def create_tables(engine: AsyncEngine) -> None:
    await migrations.upgrade(engine, "notifications", metadata)


async def due(
    engine: AsyncEngine, now: datetime, limit: int, per_recipient: int, busy: set[str]
) -> list[dict[str, Any]]:
    """Deliveries due by `now`, the longest waiting first, at most `per_recipient` of each
    recipient and none of the `busy` ones: a recipient with a long backlog (a receiver that
    is down) cannot fill the page and hold back everyone queued after it."""
    rank = (
        func.row_number()
        .over(partition_by=deliveries.c.recipient, order_by=(deliveries.c.due_at, deliveries.c.id))
        .label("rank")
    )
    candidates = select(
        deliveries.c.id, deliveries.c.recipient, deliveries.c.channel, deliveries.c.due_at, rank
    ).where(deliveries.c.due_at <= now)
    if busy:
        candidates = candidates.where(deliveries.c.recipient.not_in(sorted(busy)))
    ranked = candidates.subquery()
    query = (
        select(ranked.c.id, ranked.c.recipient, ranked.c.channel)
        .where(ranked.c.rank <= per_recipient)
        .order_by(ranked.c.due_at, ranked.c.id)
        .limit(limit)
    )
    async with reading(engine) as conn:
        return [dict(row._mapping) for row in await conn.execute(query)]


async def next_due(engine: AsyncEngine) -> datetime | None:
    query = select(deliveries.c.due_at).where(deliveries.c.due_at.is_not(None))
    async with reading(engine) as conn:
        return (await conn.execute(query.order_by(deliveries.c.due_at).limit(1))).scalar()


async def page(
    engine: AsyncEngine,
    *,
    recipient: str | None = None,
    case_number: str | None = None,
    status: str | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int = MAX_PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Deliveries in the order they were queued, after the cursor's (queued_at, id)."""
    query = select(deliveries)
    if after is not None:
        at, key = after
        query = query.where(
            or_(
                deliveries.c.queued_at > at,
                (deliveries.c.queued_at == at) & (deliveries.c.id > key),
            )
        )
    if recipient is not None:
        query = query.where(deliveries.c.recipient == recipient)
    if case_number is not None:
        query = query.where(deliveries.c.case_number == case_number)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    query = query.order_by(deliveries.c.queued_at, deliveries.c.id).limit(limit)
    async with engine.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(query)]


async def counts(engine: AsyncEngine) -> dict[str, int]:
    """Deliveries per status, for the metrics (queued, retrying, sent, parked)."""
    query = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
    async with engine.connect() as conn:
        found = {row[0]: row[1] for row in await conn.execute(query)}
    return {status.value: found.get(status.value, 0) for status in Status}
