"""outbox unsent: a partial index on the events no broker acknowledged yet

The admin sync page, ``/metrics`` and the sync link count the unsent events
(``WHERE sent_at IS NULL``) and look for the lowest one where a connection starts. Without an
index that is a pass over every event kept (confirmed events are kept until pruned). The index
holds only the unsent rows, so it costs nothing for the events already sent and SQLite's
planner uses it for both reads (``tests/test_outbox.py`` checks the plans).

Revision ID: 0015_outbox_unsent
Revises: 0014_partners
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_outbox_unsent"
down_revision = "0014_partners"
branch_labels = None
depends_on = None

UNSENT = sa.text("sent_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_outbox_unsent", "outbox", ["seq"], sqlite_where=UNSENT)


def downgrade() -> None:
    op.drop_index("ix_outbox_unsent", table_name="outbox")
