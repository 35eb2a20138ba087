"""answered requests: answers of admin commands that carried an Idempotency-Key

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-02 15:00:00
"""

import sqlalchemy as sa
from alembic import op

from shared.platform import sqlviews

revision = "analytics_0002"
down_revision = "analytics_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answered_requests",
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("answered_at", sqlviews.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )


def downgrade() -> None:
    op.drop_table("answered_requests")
