"""Analytics' SQL store: the inbox of integration events, the read models, report versions.

The inbox is analytics' own copy of every event it consumed (deduplicated by event id),
written with its tracking position in one transaction. Every read model is derived from it,
so dropping and rebuilding them gives the same figures, and a report can be computed as
known at any past time.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from shared.platform.sqlviews import UTCDateTime, answers_table, tracking_table

metadata = MetaData()

tracking = tracking_table(metadata)
answered_requests = answers_table(metadata)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("source", String(300), primary_key=True),
    Column("stream", String(300), nullable=False),
    Column("position", BigInteger),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("letter_id", String(36), nullable=False, unique=True),
    Column("redriven_at", UTCDateTime),
)

inbox = Table(
    "inbox",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("case_number", String(40), nullable=False, index=True),
    Column("type", String(80), nullable=False),
    Column("producer", String(40), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False, index=True),
    Column("envelope", JSON, nullable=False),
)

case_facts = Table(
    "case_facts",
    metadata,
    Column("case_number", String(20), primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("received_month", String(7), nullable=False, index=True),
    Column("channel", String(40)),
    Column("nature", String(40)),
    Column("severity", String(20)),
    Column("fault_class", String(20)),
    Column("online_level", String(20)),
    Column("cause", String(40)),
    Column("customer", String(200)),
    Column("customer_type", String(40)),
    Column("product", String(200)),
    Column("part_no", String(100)),
    Column("batch", String(100), index=True),
    Column("region", String(100)),
    Column("inspected", BigInteger),
    Column("defective", BigInteger),
    Column("unit", String(100)),
    Column("valid", Boolean),
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_on_time", Boolean),
    Column("closed_at", UTCDateTime, index=True),
    Column("status", String(20), nullable=False),
    Column("reopened", Integer, nullable=False),
    Column("repeat_links", Integer, nullable=False),
    Column("satisfaction", Integer),
    Column("clocks", JSON, nullable=False),
    #: The fold's cursor: the canonical key of the last event folded into the row.
    Column("folded_at", UTCDateTime),
    Column("folded_rank", Integer),
    Column("folded_position", BigInteger),
)

money_facts = Table(
    "money_facts",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("measure", String(40), primary_key=True),
    Column("case_number", String(20), nullable=False),
    Column("month", String(7), nullable=False, index=True),
    #: "kind:name" of a party (name up to 200), a cost item or a compensation kind.
    Column("label", String(300)),
    Column("currency", String(3), nullable=False),
    #: A decimal string, exact: SQLite has no decimal type and would round through floats.
    Column("amount", String(40), nullable=False),
    Column("share", String(20)),
)

report_versions = Table(
    "report_versions",
    metadata,
    Column("period", String(10), primary_key=True),  # "2026-11" or "2026-W47"
    Column("version", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),  # final | amended
    Column("created_at", UTCDateTime, nullable=False),
    Column("body", JSON, nullable=False),
)

#: Tables derived from the inbox: what a rebuild drops and recomputes.
DERIVED = (case_facts, money_facts)
