"""money label: room for a cost party's kind and its name at their limits

An apportionment's label is `kind:name`, and a party's name may be 200 characters:
PostgreSQL (unlike SQLite) held the label to 200 and refused the page that booked it.

Revision ID: analytics_0004
Revises: analytics_0003
Create Date: 2026-12-05 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0004"
down_revision = "analytics_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("money_facts") as batch:
        batch.alter_column(
            "label", existing_type=sa.String(length=200), type_=sa.String(length=300)
        )


def downgrade() -> None:
    with op.batch_alter_table("money_facts") as batch:
        batch.alter_column(
            "label", existing_type=sa.String(length=300), type_=sa.String(length=200)
        )
