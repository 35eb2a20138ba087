"""Intake's query side: the complaint index, projected from intake's own log.

Lists with filters and repeat-candidate searches read this index; single complaints are read
from the event store. The index lags commands by at most a poll interval.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.domain import Complaint
from shared.platform import migrations
from shared.platform.schemas import decode_cursor, encode_cursor
from shared.platform.sqlviews import (
    NewRow,
    RowChange,
    UTCDateTime,
    reading,
    row_per_stream,
    tracking_table,
)

metadata = MetaData()
#: Characters of a customer key (`customer_key`); the customer id is at most 100.
CUSTOMER_KEY_LENGTH = 300
tracking = tracking_table(metadata, "intake_view_tracking")

complaint_index = Table(
    "complaint_index",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("channel", String(40), nullable=False),
    Column("nature", String(40), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("customer_key", String(CUSTOMER_KEY_LENGTH), nullable=False, index=True),
    Column("customer_name", String(200), nullable=False),
    Column("order_no", String(100)),
    Column("part_no", String(100)),
    Column("batch", String(100)),
    Column("region", String(100)),
    Column("description", Text, nullable=False),
    Column("taken_by", String(200), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("acknowledged_at", UTCDateTime),
    Column("unit", String(100), index=True),
)

MAX_PAGE_SIZE = 100


def customer_key(complainant: dict[str, Any]) -> str:
    """Who the customer is, for repeat detection: the customer id, else name and contact.

    A name and a contact at their limits, case-folded (`ß` folds to `ss`), run past the
    column: such a key is a digest instead (`name#` + SHA-256, never equal to a readable
    key). Keys that fit stay readable, so the rows indexed before digests existed still
    match; PostgreSQL refused the longer ones, and stopped the index at them.
    """
    if complainant.get("customer_id"):
        return f"id:{complainant['customer_id']}"
    name = " ".join(str(complainant.get("name", "")).casefold().split())
    contact = "".join(str(complainant.get("contact") or "").casefold().split())
    key = f"name:{name}|{contact}"
    if len(key) <= CUSTOMER_KEY_LENGTH:
        return key
    return f"name#{hashlib.sha256(key.encode()).hexdigest()}"


def _step(e: Any) -> NewRow | RowChange | None:
    """What one of intake's events does to the complaint index."""
    if isinstance(e, Complaint.Registered):
        return NewRow(
            {
                "number": e.number,
                "received_at": e.received_at,
                "channel": e.channel,
                "nature": e.nature,
                "severity": e.severity,
                "status": "registered",
                "customer_key": customer_key(e.complainant),
                "customer_name": e.complainant.get("name", ""),
                "order_no": e.subject.get("order_no"),
                "part_no": e.subject.get("part_no"),
                "batch": e.subject.get("batch"),
                "region": e.subject.get("region"),
                "description": e.description,
                "taken_by": e.taken_by,
                "cycle": 1,
            }
        )
    changes = _changes(e)
    return RowChange(e.meta["case_number"], changes) if changes else None


def _changes(e: Any) -> dict[str, Any]:
    if isinstance(e, Complaint.Acknowledged):
        return {"acknowledged_at": e.acknowledged_at}
    if isinstance(e, Complaint.Judged):
        return {"status": "in_handling" if e.valid else "not_valid"}
    if isinstance(e, Complaint.Classified):
        return {k: v for k, v in e.changes.items() if k in ("nature", "severity")}
    if isinstance(e, Complaint.Settled):
        return {"status": "settled"}
    if isinstance(e, Complaint.OutcomeConfirmed):
        return {"status": "confirmed"}
    if isinstance(e, Complaint.Reopened):
        return {"status": "in_handling", "cycle": e.cycle}
    if isinstance(e, Complaint.Withdrawn):
        return {"status": "withdrawn"}
    if isinstance(e, Complaint.UnitNoted):
        return {"unit": e.unit}
    return {}


#: A page of the log into the complaint index.
project = row_per_stream(complaint_index, _step)


@dataclass(frozen=True)
class ListFilter:
    status: str | None = None
    channel: str | None = None
    severity: str | None = None
    customer: str | None = None  # customer id
    unit: str | None = None  # a handler sees its unit's complaints only
    received_from: datetime | None = None
    received_to: datetime | None = None
    text: str | None = None


async def list_complaints(
    engine: AsyncEngine, where: ListFilter, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; the cursor continues after the last row of the previous page."""
    c = complaint_index.c
    clauses = []
    for column, value in (
        (c.status, where.status),
        (c.channel, where.channel),
        (c.severity, where.severity),
    ):
        if value is not None:
            clauses.append(column == value)
    if where.customer:
        clauses.append(c.customer_key == f"id:{where.customer}")
    if where.unit:
        clauses.append(c.unit == where.unit)
    if where.received_from:
        clauses.append(c.received_at >= where.received_from)
    if where.received_to:
        clauses.append(c.received_at < where.received_to)
    if where.text:
        # `lower`, as the stores' `lower` (SQLite's too: `sqlviews.create_engine`); `casefold`
        # would turn `ß` into `ss`, which no store's text does.
        needle = where.text.lower()
        clauses.append(
            or_(
                c.description.icontains(needle, autoescape=True),
                c.customer_name.icontains(needle, autoescape=True),
                c.number == where.text,
            )
        )
    if cursor:
        received_at, number = decode_cursor(cursor)
        clauses.append(
            or_(c.received_at < received_at, and_(c.received_at == received_at, c.number < number))
        )
    query = (
        select(complaint_index)
        .where(*clauses)
        .order_by(c.received_at.desc(), c.number.desc())
        .limit(limit + 1)
    )
    async with reading(engine) as conn:
        rows = (await conn.execute(query)).all()
    page, more = rows[:limit], len(rows) > limit
    cursor_out = encode_cursor(page[-1].received_at, page[-1].number) if more else None
    return [dict(r._mapping) for r in page], cursor_out


#: The fields a repeat can match on: the same customer on the same order, part or batch.
REPEAT_FIELDS = ("order_no", "part_no", "batch")


@cache
def _repeat_query(fields: tuple[str, ...], excluding: bool) -> Select[Any]:
    """The repeat search for complaints that name `fields`, built once per combination.

    Registration runs it every time; building and cache-keying a fresh SQLAlchemy statement
    per request cost about a tenth of a registration's CPU (py-spy). Values go in as bound
    parameters.
    """
    c = complaint_index.c
    query = (
        select(c.number, c.order_no, c.part_no, c.batch, c.received_at)
        .where(
            c.customer_key == bindparam("customer_key"),
            c.received_at >= bindparam("since", type_=UTCDateTime),
            or_(*(c[name] == bindparam(name) for name in fields)),
        )
        .order_by(c.received_at)
        .limit(MAX_PAGE_SIZE)
    )
    return query.where(c.number != bindparam("exclude")) if excluding else query


def repeat_candidates(
    engine: Engine,
    complainant: dict[str, Any],
    subject: dict[str, Any],
    since: datetime,
    exclude: str | None = None,
) -> list[dict[str, Any]]:
    """Earlier complaints of the same customer on the same order, part or batch.

    Blocking, on the synchronous engine (`sqlviews.create_sync_engine`): a registration
    runs it on the worker thread that then numbers and saves the complaint."""
    named = {name: subject[name] for name in REPEAT_FIELDS if subject.get(name)}
    if not named:
        return []
    query = _repeat_query(tuple(named), exclude is not None)
    values = {"customer_key": customer_key(complainant), "since": since, **named}
    if exclude is not None:
        values["exclude"] = exclude
    with engine.connect() as conn:
        rows = conn.execute(query, values).all()
    return [
        {
            "number": r.number,
            "received_at": r.received_at,
            "matched_on": [name for name, value in named.items() if r._mapping[name] == value],
        }
        for r in rows
    ]


async def create_tables(engine: AsyncEngine) -> None:
    """Migrate the read models to the newest revision (services/intake/migrations)."""
    await migrations.upgrade(engine, "intake", metadata)
