"""Projection of every service's integration events into analytics' inbox and read models.

One transaction per event: tracking position, the event into the inbox, the case's fact row
re-folded from all its inbox events, and the money rows the event books. Re-folding the
whole case makes the row independent of the order events arrived in across topics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.analytics.facts import PAYMENTS, case_fact, money_rows, payments_by_voucher
from services.analytics.store import (
    answered_requests,
    case_facts,
    dead_letters,
    inbox,
    metadata,
    money_facts,
    tracking,
)
from shared import clock, migrations
from shared.bus import Delivery
from shared.case_number import aggregate_id
from shared.contracts import CATALOG, intake, parse
from shared.deadletter import redrivable
from shared.envelope import IntegrationEvent
from shared.errors import Conflict, NotFound
from shared.sqlviews import advance_tracking, answer_once, tracked_position, upsert

#: Called with a registration's batch, region and time when it may complete a cluster.
#: Looks for a batch complained of in several regions, at each registration.
ClusterCheck = Callable[
    [AsyncConnection, IntegrationEvent, intake.ComplaintRegisteredV1], Awaitable[None]
]
#: The types a contract exists for: parsed and checked before they reach the inbox.
PUBLISHED_TYPES = frozenset(spec.type for spec in CATALOG)


class _AlreadyProcessed(Exception):
    """Rolls back a transaction whose tracking position was recorded before."""


class ProjectionHandler:
    def __init__(
        self,
        engine: AsyncEngine,
        business_timezone: str,
        on_registration: ClusterCheck | None = None,
    ) -> None:
        self.engine = engine
        self.zone = ZoneInfo(business_timezone)
        self.on_registration = on_registration

    async def is_processed(self, stream: str, position: int) -> bool:
        recorded = await self.position(stream)
        return recorded is not None and recorded >= position

    async def position(self, stream: str) -> int | None:
        async with self.engine.connect() as conn:
            return await tracked_position(conn, tracking, stream)

    async def handle(self, event: IntegrationEvent, stream: str) -> bool:
        """Check the event against its contract, then keep it in the inbox and fold its case.

        Every known type is parsed by (type, version) first: an unknown version or data that
        breaks the contract is dead-lettered, never folded into the figures. Types published
        after this code was written are kept in the inbox for a later fold to use.
        """
        payload = (
            parse(event.type, event.schema_version, event.data)
            if event.type in PUBLISHED_TYPES
            else None
        )
        if self.on_registration and isinstance(payload, intake.ComplaintRegisteredV1):
            async with self.engine.connect() as conn:
                await self.on_registration(conn, event, payload)
        try:
            async with self.engine.begin() as conn:
                if not await advance_tracking(conn, tracking, stream, event.position):
                    raise _AlreadyProcessed
                await self.project(conn, event.model_dump(mode="json"))
        except _AlreadyProcessed:
            return False
        return True

    async def project(self, conn: AsyncConnection, envelope: dict[str, Any]) -> None:
        statement = upsert(conn, inbox).values(
            event_id=str(envelope["event_id"]),
            case_number=envelope["case_number"],
            type=envelope["type"],
            producer=envelope["producer"],
            position=envelope["position"],
            occurred_at=datetime.fromisoformat(envelope["occurred_at"]),
            recorded_at=datetime.fromisoformat(envelope["recorded_at"]),
            envelope=envelope,
        )
        if (
            await conn.execute(statement.on_conflict_do_nothing().returning(inbox.c.event_id))
        ).first() is None:
            return  # the same event through another stream: already projected
        await refold(conn, envelope["case_number"], self.zone)
        rows = money_rows(envelope, self.zone, await _payments_of(conn, envelope))
        if rows:
            await conn.execute(upsert(conn, money_facts).values(rows).on_conflict_do_nothing())

    async def record_dead_letter(self, delivery: Delivery, reason: str) -> None:
        async with self.engine.begin() as conn:
            if delivery.event is not None and not await advance_tracking(
                conn, tracking, delivery.stream, delivery.event.position
            ):
                return
            statement = upsert(conn, dead_letters).values(
                source=delivery.source,
                stream=delivery.stream,
                position=delivery.event.position if delivery.event else None,
                reason=_storable(reason)[:4000],
                raw=_storable(delivery.raw.decode("utf-8", "replace"))[:100_000],
                recorded_at=clock.now(),
                letter_id=str(aggregate_id("deadletter", delivery.source)),
            )
            await conn.execute(statement.on_conflict_do_nothing())

    async def dead_letters(self, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Dead letters oldest first; `after` counts the letters already listed."""
        d = dead_letters.c
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(dead_letters)
                    .order_by(d.recorded_at, d.source)
                    .offset(after)
                    .limit(limit)
                )
            ).all()
        return [_letter(r._mapping) for r in rows], after + len(rows)

    async def redrive(self, letter_id: Any) -> dict[str, Any]:
        """Project the stored message now, marking the letter in the same transaction (with
        the answer, when the request carries an Idempotency-Key)."""
        return await answer_once(
            self.engine, answered_requests, lambda conn: self._redrive(conn, letter_id)
        )

    async def _redrive(self, conn: AsyncConnection, letter_id: Any) -> dict[str, Any]:
        row = (
            await conn.execute(
                select(dead_letters).where(dead_letters.c.letter_id == str(letter_id))
            )
        ).first()
        if row is None:
            raise NotFound(f"no dead letter {letter_id}")
        if row.redriven_at is not None:
            raise Conflict(
                f"dead letter {row.source} was re-driven already",
                field="dead_letter",
                rule="once",
            )
        event = redrivable(row.raw)
        await self.project(conn, event.model_dump(mode="json"))
        await conn.execute(
            update(dead_letters)
            .where(dead_letters.c.source == row.source)
            .values(redriven_at=clock.now())
        )
        row = (
            await conn.execute(select(dead_letters).where(dead_letters.c.source == row.source))
        ).one()
        return _letter(row._mapping)


async def _payments_of(conn: AsyncConnection, envelope: dict[str, Any]) -> dict[str, Any]:
    """The case's payments by voucher, read only for a voucher that reverses another."""
    if envelope["type"] != "settlement.VoucherPosted" or not envelope["data"].get("reverses"):
        return {}
    rows = await conn.execute(
        select(inbox.c.envelope).where(
            inbox.c.case_number == envelope["case_number"], inbox.c.type.in_(PAYMENTS)
        )
    )
    return payments_by_voucher(rows.scalars().all())


async def refold(conn: AsyncConnection, case_number: str, zone: ZoneInfo) -> None:
    """Recompute one case's fact row from all of its inbox events."""
    envelopes = (
        (await conn.execute(select(inbox.c.envelope).where(inbox.c.case_number == case_number)))
        .scalars()
        .all()
    )
    fact = case_fact(envelopes, zone)
    await conn.execute(delete(case_facts).where(case_facts.c.case_number == case_number))
    if fact is not None:
        await conn.execute(case_facts.insert().values(**_row(fact)))


def _storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL. A message containing a raw NUL is not JSON, so it
    could never be re-driven anyway; replacing NUL keeps the rest of it as evidence."""
    return text.replace("\x00", "\ufffd")


def _letter(row: Any) -> dict[str, Any]:
    return {
        "id": row["letter_id"],
        "source": row["source"],
        "stream": row["stream"],
        "position": row["position"],
        "reason": row["reason"],
        "redriven": row["redriven_at"] is not None,
        "recorded_at": row["recorded_at"],
    }


def _row(fact: dict[str, Any]) -> dict[str, Any]:
    return {column.name: fact.get(column.name) for column in case_facts.columns}


async def cluster_regions(
    conn: AsyncConnection, batch: str, received_at: datetime, window: timedelta
) -> dict[str, list[str]]:
    """Regions (with their cases) where `batch` was complained of in the window up to now."""
    rows = (
        await conn.execute(
            select(case_facts.c.region, case_facts.c.case_number).where(
                case_facts.c.batch == batch,
                case_facts.c.region.is_not(None),
                case_facts.c.received_at > received_at - window,
                case_facts.c.received_at <= received_at,
            )
        )
    ).all()
    regions: dict[str, list[str]] = {}
    for region, number in rows:
        regions.setdefault(region, []).append(number)
    return regions


async def create_tables(engine: AsyncEngine) -> None:
    """Migrate the read models to the newest revision (services/analytics/migrations)."""
    await migrations.upgrade(engine, "analytics", metadata)
