"""partners: partner organisations, their accounts and tokens, consent per partner, paper volunteers

A neighbourhood's partner organisations (housing corporation, home-care team, GP practice,
pharmacy) get a table; an account (``users.partner_id``) or an API token
(``api_tokens.partner_id``) may belong to one; ``partner_consents`` holds each household's consent
to share with one partner (its contact only when ticked as well); a task may be routed to a
partner (``tasks.partner_id``); an offer of help remembers the volunteer it enrolled
(``offers.volunteer_id``).

The new columns are added with ``ALTER TABLE ... ADD COLUMN`` without a foreign-key constraint (SQLite
adds none that way; a batch rebuild of ``tasks`` is not worth it): the services clear them.

Revision ID: 0014_partners
Revises: 0013_signals
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_partners"
down_revision = "0013_signals"
branch_labels = None
depends_on = None


def _ref(name: str) -> sa.Column:  # type: ignore[type-arg]
    """An id column without a foreign-key constraint (SQLite adds none with ALTER TABLE; the
    services clear it when the row it names is deleted)."""
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True)


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_partners_id", "partners", ["id"], unique=True)
    op.create_table(
        "partner_consents",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("household_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("partner_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("contact", sa.Boolean(), nullable=False),
        sa.Column("given_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("given_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("household_id", "partner_id"),
    )
    op.create_index("ix_partner_consents_household_id", "partner_consents", ["household_id"])
    op.create_index("ix_partner_consents_partner_id", "partner_consents", ["partner_id"])
    op.add_column("users", _ref("partner_id"))
    op.create_index("ix_users_partner_id", "users", ["partner_id"])
    op.add_column("api_tokens", _ref("partner_id"))
    op.add_column("tasks", _ref("partner_id"))
    op.create_index("ix_tasks_partner_id", "tasks", ["partner_id"])
    op.add_column("offers", _ref("volunteer_id"))


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("volunteer_id")
    op.drop_index("ix_tasks_partner_id", "tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("partner_id")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("partner_id")
    op.drop_index("ix_users_partner_id", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("partner_id")
    op.drop_index("ix_partner_consents_partner_id", "partner_consents")
    op.drop_index("ix_partner_consents_household_id", "partner_consents")
    op.drop_table("partner_consents")
    op.drop_index("ix_partners_id", "partners")
    op.drop_table("partners")
