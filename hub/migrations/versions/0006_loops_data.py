"""loops-data: need status with duplicate_of, offer statuses, the help worklist on check-ins

Revision ID: 0006_loops_data
Revises: 0005_loops_alerts
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_loops_data"
down_revision = "0005_loops_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("needs") as batch:
        batch.add_column(sa.Column("duplicate_of", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True))
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("handled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("handled_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch.add_column(sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True))
    # Offers used to say "open"; they now say "available" (or used, withdrawn).
    op.execute("UPDATE offers SET status = 'available' WHERE status = 'open'")


def downgrade() -> None:
    op.execute("UPDATE offers SET status = 'open' WHERE status = 'available'")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("task_id")
        batch.drop_column("handled_by")
        batch.drop_column("handled_at")
    with op.batch_alter_table("needs") as batch:
        batch.drop_column("duplicate_of")
