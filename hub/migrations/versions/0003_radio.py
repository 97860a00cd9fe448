"""mesh_outbound.question: the question a reply answers (repeats are answered once per interval)

Revision ID: 0003_radio
Revises: 0002_web
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003_radio"
down_revision = "0002_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mesh_outbound", schema=None) as batch_op:
        batch_op.add_column(sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mesh_outbound", schema=None) as batch_op:
        batch_op.drop_column("question")
