"""revocable credentials: disabled users, session ids and clients, token expiry and last use

Revision ID: 0002_web
Revises: 0001

Sessions that exist at the upgrade end with it (they have no id to be listed and revoked by):
coordinators log in once more.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002_web"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.execute("DELETE FROM admin_sessions")
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False))
        batch_op.add_column(sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_admin_sessions_id"), ["id"], unique=True)

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")

    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_sessions_id"))
        batch_op.drop_column("client")
        batch_op.drop_column("id")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled")
