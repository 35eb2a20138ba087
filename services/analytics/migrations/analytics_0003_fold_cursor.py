"""fold cursor: the canonical key of the last event folded into a case's fact row

Rows written before have no cursor; the projection folds such a case again from all its
events the next time one arrives, which writes the cursor.

Revision ID: analytics_0003
Revises: analytics_0002
Create Date: 2026-12-02 23:30:00
"""

import sqlalchemy as sa
from alembic import op

from shared.platform import sqlviews

revision = "analytics_0003"
down_revision = "analytics_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_facts") as batch:
        batch.add_column(sa.Column("folded_at", sqlviews.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("folded_rank", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("folded_position", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_facts") as batch:
        batch.drop_column("folded_position")
        batch.drop_column("folded_rank")
        batch.drop_column("folded_at")
