"""signals: neighbours' concerns about a place or a person, and their triage by coordinators

A signal ("I have not seen number 12 for two days", "gas smell in the Molenweg") comes from the
portal or a volunteer's handset (``ZORG``/``CONCERN``) and is worked off the coordinators' list:
new → looked at → acted on (a task, a need, a door knock, a call to a partner: ``action``,
``routed_to``) → closed, or merged into another signal; each step with who and when (``steps``).

Revision ID: 0013_signals
Revises: 0012_announcement_receipts
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_signals"
down_revision = "0012_announcement_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "signals",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", text(length=26), nullable=False),
        sa.Column("category", text(length=16), nullable=False),
        sa.Column("life", sa.Boolean(), nullable=False),
        sa.Column("address", text(length=120), nullable=True),
        sa.Column("address_key", text(length=120), nullable=True),
        sa.Column("street_key", text(length=120), nullable=False),
        sa.Column("description", text(length=500), nullable=False),
        sa.Column("contact", text(length=80), nullable=True),
        sa.Column("source", text(length=16), nullable=False),
        sa.Column("reported_by", text(length=80), nullable=True),
        sa.Column("status", text(length=12), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("action", text(length=12), nullable=True),
        sa.Column("action_ref", text(length=26), nullable=True),
        sa.Column("routed_to", text(length=80), nullable=True),
        sa.Column("merged_into", text(length=26), nullable=True),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("pk"),
    )
    op.create_index("ix_signals_id", "signals", ["id"], unique=True)
    op.create_index("ix_signals_worklist", "signals", ["status", "drill"])
    op.create_index("ix_signals_same_place", "signals", ["address_key", "category", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_signals_same_place", table_name="signals")
    op.drop_index("ix_signals_worklist", table_name="signals")
    op.drop_index("ix_signals_id", table_name="signals")
    op.drop_table("signals")
