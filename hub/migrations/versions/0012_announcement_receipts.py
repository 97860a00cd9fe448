"""announcement receipts: when an announcement from upstream was first shown on the portal and
when it went on the mesh channel; which announcement a queued mesh packet is a part of

Revision ID: 0012_announcement_receipts
Revises: 0011_admin_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_announcement_receipts"
down_revision = "0011_admin_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("shown_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("meshed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("mesh_outbound") as batch:
        batch.add_column(sa.Column("announcement_id", sa.String(length=26), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mesh_outbound") as batch:
        batch.drop_column("announcement_id")
    with op.batch_alter_table("announcements") as batch:
        batch.drop_column("meshed_at")
        batch.drop_column("shown_at")
