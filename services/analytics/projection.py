"""Projection of every service's integration events into analytics' inbox and read models.

One transaction per page of a stream: the page's last tracking position, its events into
the inbox, one write of each case's fact row, the money rows the events book, and the batch
cluster check of its registrations. A case's row is folded further from where it stands
when the new events sort after the row's cursor, and folded again from all the case's
inbox events when one arrived late across topics (`facts.fold_further`): either way the row
is what the canonical fold of everything known gives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.analytics.domain.facts import (
    PAYMENTS,
    case_fact,
    fold_further,
    money_rows,
    payments_by_voucher,
)
from services.analytics.read_models import (
    answered_requests,
    case_facts,
    dead_letters,
    inbox,
    metadata,
    money_facts,
    tracking,
)
from shared.contracts import CATALOG, intake, parse
from shared.contracts.envelope import IntegrationEvent
from shared.kernel import clock
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict, NotFound
from shared.platform import migrations
from shared.platform.bus import Delivery
from shared.platform.consumer import unseen
from shared.platform.deadletter import redrivable
from shared.platform.sqlviews import (
    advance_tracking,
    answer_once,
    dialect_insert,
    tracked_position,
)

#: Called with a registration's batch, region and time when it may complete a cluster.
#: Looks for a batch complained of in several regions, at each registration.
ClusterCheck = Callable[
    [AsyncConnection, IntegrationEvent, intake.ComplaintRegisteredV1], Awaitable[None]
]
#: The types a contract exists for: parsed and checked before they reach the inbox.
PUBLISHED_TYPES = frozenset(spec.type for spec in CATALOG)


class ProjectionHandler:
    #: Every event: the inbox keeps them all, for rebuilds and "as known at" reports.
    reacts_to = None

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

    async def record_position(self, stream: str, position: int) -> None:
        """Everything up to `position` of `stream` counts as consumed (a transport switch)."""
        async with self.engine.begin() as conn:
            await advance_tracking(conn, tracking, stream, position)

    async def handle(self, event: IntegrationEvent, stream: str) -> bool:
        return await self.handle_page([event], stream) > 0

    async def handle_page(self, events: Sequence[IntegrationEvent], stream: str) -> int:
        """Check each event against its contract, then keep the page in the inbox and fold.

        Every known type is parsed by (type, version) first: an unknown version or data that
        breaks the contract is dead-lettered, never folded into the figures. Types published
        after this code was written are kept in the inbox for a later fold to use.
        """
        payloads = [
            parse(e.type, e.schema_version, e.data, e.case_number)
            if e.type in PUBLISHED_TYPES
            else None
            for e in events
        ]
        checked = {e.event_id: p for e, p in zip(events, payloads, strict=True)}
        async with self.engine.begin() as conn:
            fresh = unseen(events, await tracked_position(conn, tracking, stream))
            if not fresh:
                return 0
            if not await advance_tracking(conn, tracking, stream, fresh[-1].position):
                raise Conflict(f"{stream} moved past {fresh[-1].position} meanwhile")
            await self.project(conn, [e.model_dump(mode="json") for e in fresh])
            for event in fresh:
                payload = checked[event.event_id]
                if self.on_registration and isinstance(payload, intake.ComplaintRegisteredV1):
                    await self.on_registration(conn, event, payload)
        return len(fresh)

    async def project(self, conn: AsyncConnection, envelopes: list[dict[str, Any]]) -> None:
        """Into the inbox; then each case's row once, and the money the new events book."""
        inserted = await conn.execute(
            _statements(conn.dialect.name).into_inbox, [inbox_row(e) for e in envelopes]
        )
        kept = set(inserted.scalars())
        # An event already in the inbox came through another stream: projected already.
        new = [e for e in envelopes if str(e["event_id"]) in kept]
        by_case: dict[str, list[dict[str, Any]]] = {}
        for envelope in new:
            by_case.setdefault(envelope["case_number"], []).append(envelope)
        if by_case:
            await fold(conn, by_case, self.zone)
        money = [
            row
            for envelope in new
            for row in money_rows(envelope, self.zone, await _payments_of(conn, envelope))
        ]
        if money:
            await conn.execute(_statements(conn.dialect.name).book_money, money)

    async def record_dead_letter(self, delivery: Delivery, reason: str) -> None:
        async with self.engine.begin() as conn:
            if delivery.event is not None and not await advance_tracking(
                conn, tracking, delivery.stream, delivery.event.position
            ):
                return
            letter = {
                "source": delivery.source,
                "stream": delivery.stream,
                "position": delivery.event.position if delivery.event else None,
                "reason": _storable(reason)[:4000],
                "raw": _storable(delivery.raw.decode("utf-8", "replace"))[:100_000],
                "recorded_at": clock.now(),
                "letter_id": str(aggregate_id("deadletter", delivery.source)),
            }
            await conn.execute(_statements(conn.dialect.name).keep_letter, letter)

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
        await self.project(conn, [event.model_dump(mode="json")])
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


def inbox_row(envelope: dict[str, Any]) -> dict[str, Any]:
    """The inbox row of an envelope (as JSON): the envelope, and the columns looked up by."""
    return {
        "event_id": str(envelope["event_id"]),
        "case_number": envelope["case_number"],
        "type": envelope["type"],
        "producer": envelope["producer"],
        "position": envelope["position"],
        "occurred_at": datetime.fromisoformat(envelope["occurred_at"]),
        "recorded_at": datetime.fromisoformat(envelope["recorded_at"]),
        "envelope": envelope,
    }


async def fold(
    conn: AsyncConnection, new_by_case: dict[str, list[dict[str, Any]]], zone: ZoneInfo
) -> None:
    """Write each case's fact row with its `new` events (already in the inbox) folded in:
    the page's rows read in one query and written in one statement."""
    statements = _statements(conn.dialect.name)
    rows = await conn.execute(statements.read_facts, {"numbers": list(new_by_case)})
    standing = {row.case_number: dict(row._mapping) for row in rows}
    written = []
    for number, new in new_by_case.items():
        fact = fold_further(standing[number], new, zone) if number in standing else None
        if fact is None:
            envelopes = (await conn.execute(statements.read_inbox, {"number": number})).scalars()
            fact = case_fact(envelopes.all(), zone)
        if fact is not None:  # None: not registered yet; the registration's page folds it
            written.append(_row(fact))
    if written:
        await conn.execute(statements.write_facts, written)


@dataclass(frozen=True)
class _Statements:
    """The page's writes, built once per dialect and executed with each page's rows as
    parameters: built per page, SQLAlchemy spent more time keying and compiling the
    statements than running them (a fifth of analytics' CPU under load, issue #21)."""

    into_inbox: Any
    read_facts: Any
    read_inbox: Any
    write_facts: Any
    book_money: Any
    keep_letter: Any


@cache
def _statements(dialect: str) -> _Statements:
    insert = dialect_insert(dialect)
    facts = insert(case_facts)
    return _Statements(
        into_inbox=insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id),
        read_facts=select(case_facts).where(
            case_facts.c.case_number.in_(bindparam("numbers", expanding=True))
        ),
        read_inbox=select(inbox.c.envelope).where(inbox.c.case_number == bindparam("number")),
        write_facts=facts.on_conflict_do_update(
            index_elements=[case_facts.c.case_number],
            set_={c.name: facts.excluded[c.name] for c in case_facts.columns},
        ),
        book_money=insert(money_facts).on_conflict_do_nothing(),
        keep_letter=insert(dead_letters).on_conflict_do_nothing(),
    )


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
