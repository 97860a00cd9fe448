"""region channel: one identity for an announcement's LoRa and MQTT copies; supply requests

``announcements.region_lora_id`` is the message id an announcement from the region goes by over
LoRa, so the copy that comes second is known as the same. ``supply_requests`` holds what the
coordinators ask the region for, with a household count (issue #14).

Revision ID: 0017_region_supplies
Revises: 0016_board
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017_region_supplies"
down_revision = "0016_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("region_lora_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_announcements_region_lora_id"), ["region_lora_id"], unique=False)
    op.create_table(
        "supply_requests",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("supply_requests") as batch:
        batch.create_index(batch.f("ix_supply_requests_id"), ["id"], unique=True)
        batch.create_index(batch.f("ix_supply_requests_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("supply_requests") as batch:
        batch.drop_index(batch.f("ix_supply_requests_status"))
        batch.drop_index(batch.f("ix_supply_requests_id"))
    op.drop_table("supply_requests")
    with op.batch_alter_table("announcements") as batch:
        batch.drop_index(batch.f("ix_announcements_region_lora_id"))
        batch.drop_column("region_lora_id")
