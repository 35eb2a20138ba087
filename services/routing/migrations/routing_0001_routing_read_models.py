"""routing read models

Revision ID: routing_0001
Revises:
Create Date: 2026-11-23 14:10:20.441363
"""

import sqlalchemy as sa
from alembic import op

from shared.platform import sqlviews

revision = "routing_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_index",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("escalation", sa.String(length=40), nullable=False),
        sa.Column("received_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("case_index", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_index_unit"), ["unit"], unique=False)

    op.create_table(
        "deadlines",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("clock", sa.String(length=40), nullable=False),
        sa.Column("due", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", "clock"),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadlines_due"), ["due"], unique=False)

    op.create_table(
        "routing_view_tracking",
        sa.Column("stream", sa.String(length=300), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream"),
    )
    op.create_table(
        "timers",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("clock", sa.String(length=40), nullable=False),
        sa.Column("timer", sa.String(length=20), nullable=False),
        sa.Column("due_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", "clock", "timer"),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("timers_by_due", ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("timers_by_due")

    op.drop_table("timers")
    op.drop_table("routing_view_tracking")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadlines_due"))

    op.drop_table("deadlines")
    with op.batch_alter_table("case_index", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_index_unit"))

    op.drop_table("case_index")
