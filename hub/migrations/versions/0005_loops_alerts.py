"""alerts until acknowledged, offers of a task, tasks nobody accepted

Revision ID: 0005_loops_alerts
Revises: 0004_loops_drill
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005_loops_alerts"
down_revision = "0004_loops_drill"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True),
        sa.Column("node_id", sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column("volunteer_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True),
        sa.Column("volunteer_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("unknown_node", sa.Boolean(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("raised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_id"), ["id"], unique=True)
        batch_op.create_index(batch_op.f("ix_alerts_acknowledged_at"), ["acknowledged_at"], unique=False)

    op.create_table(
        "task_offers",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("volunteer_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("volunteer_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("offered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("task_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_offers_id"), ["id"], unique=True)
        batch_op.create_index(batch_op.f("ix_task_offers_task_id"), ["task_id"], unique=False)

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("nobody_accepted", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("nobody_accepted")
    with op.batch_alter_table("task_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_offers_task_id"))
        batch_op.drop_index(batch_op.f("ix_task_offers_id"))
    op.drop_table("task_offers")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_acknowledged_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_id"))
    op.drop_table("alerts")
