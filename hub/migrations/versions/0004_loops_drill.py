"""household codes and verified check-ins

A special-attention household counts as reached only when someone verified it: its own code
(printed on its card), a volunteer's handset or a coordinator. Existing households get a code;
existing check-ins from handsets count as verified, those from the portal and the API do not.

Revision ID: 0004_loops_drill
Revises: 0003_radio
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_loops_drill"
down_revision = "0003_radio"
branch_labels = None
depends_on = None

ALPHABET = "ACDEFGHJKMNPRTUVWXY34679"  # hub.domain.household_codes.ALPHABET, frozen here


def upgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("verified_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
        )
    connection = op.get_bind()
    for (pk,) in connection.execute(sa.text("SELECT pk FROM households WHERE code IS NULL")).all():
        code = "".join(secrets.choice(ALPHABET) for _ in range(6))
        connection.execute(sa.text("UPDATE households SET code = :code WHERE pk = :pk"), {"code": code, "pk": pk})
    connection.execute(
        sa.text(
            "UPDATE checkins SET verified = 1, verified_by = 'volunteer' "
            "WHERE source = 'mesh' AND volunteer_id IS NOT NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("verified_by")
        batch_op.drop_column("verified")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_column("code")
