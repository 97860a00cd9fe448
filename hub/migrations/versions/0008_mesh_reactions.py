"""mesh reactions: a queued packet may be a reaction (tapback) to a handset's packet; a task's
note goes on the air only when a coordinator ticked it (``tasks.note_on_air``)

Revision ID: 0008_mesh_reactions
Revises: 0007_growth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_mesh_reactions"
down_revision = "0007_growth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mesh_outbound") as batch:
        batch.add_column(sa.Column("reply_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("note_on_air", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("note_on_air")
    with op.batch_alter_table("mesh_outbound") as batch:
        batch.drop_column("reply_id")
