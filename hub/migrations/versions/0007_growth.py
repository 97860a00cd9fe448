"""growth: indexes so that the lists, the door-knock list and "today" stay flat as check-ins grow

Revision ID: 0007_growth
Revises: 0006_loops_data
"""

from __future__ import annotations

from alembic import op

revision = "0007_growth"
down_revision = "0006_loops_data"
branch_labels = None
depends_on = None

INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ix_checkins_created_at", "checkins", ("created_at", "address_key", "status")),
    ("ix_checkins_drill_created_at", "checkins", ("drill", "created_at", "address_key")),
    ("ix_checkins_household_reached", "checkins", ("household_id", "verified", "created_at")),
    ("ix_checkins_address_reached", "checkins", ("address_key", "household_id", "verified", "created_at")),
    ("ix_checkins_worklist", "checkins", ("status", "handled_at")),
    ("ix_tasks_household_created_at", "tasks", ("household_id", "created_at")),
    ("ix_mesh_messages_unhandled", "mesh_messages", ("handled", "kind")),
    ("ix_needs_board", "needs", ("status", "drill", "category")),
)


# The composite indexes start with these columns: the planner would pick the narrow ones and
# then read every row they point to.
REPLACED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ix_checkins_address_key", "checkins", ("address_key",)),
    ("ix_checkins_household_id", "checkins", ("household_id",)),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, list(columns))
    for name, table, _columns in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in REPLACED:
        op.create_index(name, table, list(columns))
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
