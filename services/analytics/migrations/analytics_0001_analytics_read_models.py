"""analytics read models

Revision ID: analytics_0001
Revises:
Create Date: 2026-11-23 14:10:20.944752
"""

import sqlalchemy as sa
from alembic import op

from shared.platform import sqlviews

revision = "analytics_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_facts",
        sa.Column("case_number", sa.String(length=20), nullable=False),
        sa.Column("received_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_month", sa.String(length=7), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("nature", sa.String(length=40), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("fault_class", sa.String(length=20), nullable=True),
        sa.Column("online_level", sa.String(length=20), nullable=True),
        sa.Column("cause", sa.String(length=40), nullable=True),
        sa.Column("customer", sa.String(length=200), nullable=True),
        sa.Column("customer_type", sa.String(length=40), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("part_no", sa.String(length=100), nullable=True),
        sa.Column("batch", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("inspected", sa.BigInteger(), nullable=True),
        sa.Column("defective", sa.BigInteger(), nullable=True),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=True),
        sa.Column("acknowledged_at", sqlviews.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_on_time", sa.Boolean(), nullable=True),
        sa.Column("closed_at", sqlviews.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("repeat_links", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("clocks", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_number"),
    )
    with op.batch_alter_table("case_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_facts_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_facts_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_facts_received_month"), ["received_month"], unique=False
        )

    op.create_table(
        "dead_letters",
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("stream", sa.String(length=300), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("recorded_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.Column("letter_id", sa.String(length=36), nullable=False),
        sa.Column("redriven_at", sqlviews.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source"),
        sa.UniqueConstraint("letter_id"),
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("producer", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_case_number"), ["case_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_recorded_at"), ["recorded_at"], unique=False)

    op.create_table(
        "money_facts",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("case_number", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("share", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("event_id", "measure"),
    )
    with op.batch_alter_table("money_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_money_facts_month"), ["month"], unique=False)

    op.create_table(
        "report_versions",
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("period", "version"),
    )
    op.create_table(
        "tracking",
        sa.Column("stream", sa.String(length=300), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream"),
    )


def downgrade() -> None:
    op.drop_table("tracking")
    op.drop_table("report_versions")
    with op.batch_alter_table("money_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_money_facts_month"))

    op.drop_table("money_facts")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_inbox_case_number"))

    op.drop_table("inbox")
    op.drop_table("dead_letters")
    with op.batch_alter_table("case_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_facts_received_month"))
        batch_op.drop_index(batch_op.f("ix_case_facts_closed_at"))
        batch_op.drop_index(batch_op.f("ix_case_facts_batch"))

    op.drop_table("case_facts")
