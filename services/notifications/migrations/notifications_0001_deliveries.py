"""notifications: the deliveries view

Revision ID: notifications_0001
Revises:
Create Date: 2026-12-03 02:00:00
"""

import sqlalchemy as sa
from alembic import op

from shared.platform import sqlviews

revision = "notifications_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    instant = sqlviews.UTCDateTime(timezone=True)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("queued_at", instant, nullable=False),
        sa.Column("updated_at", instant, nullable=False),
        sa.Column("due_at", instant, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("deliveries_by_due", ["due_at"], unique=False)
        batch_op.create_index("deliveries_by_queue_time", ["queued_at", "id"], unique=False)
        batch_op.create_index("deliveries_by_recipient", ["recipient", "queued_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deliveries_case_number"), ["case_number"], unique=False
        )
    op.create_table(
        "notifications_view_tracking",
        sa.Column("stream", sa.String(length=300), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream"),
    )


def downgrade() -> None:
    op.drop_table("notifications_view_tracking")
    op.drop_table("deliveries")
