"""Analytics' SQL store: read-model tables, the tracking table, dead letters.

Each projected event and its tracking position are written in one transaction; the tracking
row only moves forward, so a redelivered event fails the upsert and the transaction rolls
back with nothing written.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

from shared.sqlviews import UTCDateTime, tracking_table

metadata = MetaData()

tracking = tracking_table(metadata)
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("source", String(300), primary_key=True),
    Column("stream", String(300), nullable=False),
    Column("position", BigInteger),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

case_facts = Table(
    "case_facts",
    metadata,
    Column("case_number", String(20), primary_key=True),
    Column("received_at", UTCDateTime),
    Column("received_month", String(7), index=True),
    Column("channel", String(50)),
    Column("nature", String(50)),
    Column("unit", String(100)),
    Column("approved_amount", Numeric(20, 6)),
    Column("currency", String(3)),
    Column("approved_at", UTCDateTime),
    Column("settlement_opened_at", UTCDateTime),
)
