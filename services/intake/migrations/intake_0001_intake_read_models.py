"""intake read models

Revision ID: intake_0001
Revises:
Create Date: 2026-11-23 14:10:19.916479
"""

import sqlalchemy as sa
from alembic import op

from shared.platform import sqlviews

revision = "intake_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_index",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("received_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("nature", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("customer_key", sa.String(length=300), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("order_no", sa.String(length=100), nullable=True),
        sa.Column("part_no", sa.String(length=100), nullable=True),
        sa.Column("batch", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sqlviews.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("complaint_index", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_index_customer_key"), ["customer_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_index_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaint_index_status"), ["status"], unique=False)

    op.create_table(
        "intake_view_tracking",
        sa.Column("stream", sa.String(length=300), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream"),
    )


def downgrade() -> None:
    op.drop_table("intake_view_tracking")
    with op.batch_alter_table("complaint_index", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_index_status"))
        batch_op.drop_index(batch_op.f("ix_complaint_index_received_at"))
        batch_op.drop_index(batch_op.f("ix_complaint_index_customer_key"))

    op.drop_table("complaint_index")
