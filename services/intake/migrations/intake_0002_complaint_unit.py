"""complaint index: the unit routing has the case with (handlers read their unit's only)

Revision ID: intake_0002
Revises: intake_0001
Create Date: 2026-12-02 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_index", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_complaint_index_unit"), ["unit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("complaint_index", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_index_unit"))
        batch_op.drop_column("unit")
