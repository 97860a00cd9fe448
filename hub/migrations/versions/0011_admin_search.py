"""admin search and paging: address keys on tasks and offers, a walking key on households, indexes

The coordinators' lists are searched by address (``hub.domain.addresses.address_key``: "5a",
"5 A" and "5-A" find the same door) and page beyond 300 rows. Tasks and offers get the address key
the other records have; households a ``walk_key`` (``hub.domain.addresses.walking_key``), the
register's walking order as one indexed string. The upgrade computes both for the rows already
stored. Indexes bound each list's order and filter: check-ins of one status, open needs by
urgency, unfinished tasks by status and flag, volunteers by name, households in walking order.

Revision ID: 0011_admin_search
Revises: 0010_address_states
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.domain.addresses import address_key, walking_key

revision = "0011_admin_search"
down_revision = "0010_address_states"
branch_labels = None
depends_on = None

_KEY = sqlmodel.sql.sqltypes.AutoString(length=120)


def upgrade() -> None:
    op.add_column("tasks", sa.Column("address_key", _KEY, nullable=False, server_default=""))
    op.add_column("offers", sa.Column("address_key", _KEY, nullable=True))
    op.add_column("households", sa.Column("walk_key", _KEY, nullable=False, server_default=""))
    connection = op.get_bind()
    tasks = connection.execute(sa.text("SELECT pk, address FROM tasks")).all()
    if tasks:
        connection.execute(
            sa.text("UPDATE tasks SET address_key = :key WHERE pk = :pk"),
            [{"pk": pk, "key": address_key(a)} for pk, a in tasks],
        )
    offers = connection.execute(sa.text("SELECT pk, address FROM offers WHERE address IS NOT NULL")).all()
    if offers:
        connection.execute(
            sa.text("UPDATE offers SET address_key = :key WHERE pk = :pk"),
            [{"pk": pk, "key": address_key(a)} for pk, a in offers],
        )
    households = connection.execute(sa.text("SELECT pk, address FROM households")).all()
    if households:
        connection.execute(
            sa.text("UPDATE households SET walk_key = :key WHERE pk = :pk"),
            [{"pk": pk, "key": walking_key(a)} for pk, a in households],
        )
    op.create_index("ix_checkins_status", "checkins", ["status"])
    op.create_index("ix_needs_status_urgency", "needs", ["status", "urgency"])
    op.create_index("ix_tasks_status_flagged", "tasks", ["status", "flagged"])
    op.create_index("ix_volunteers_name", "volunteers", ["name"])
    op.create_index("ix_households_walk", "households", ["walk_key", "pk"])


def downgrade() -> None:
    op.drop_index("ix_households_walk", table_name="households")
    op.drop_index("ix_volunteers_name", table_name="volunteers")
    op.drop_index("ix_tasks_status_flagged", table_name="tasks")
    op.drop_index("ix_needs_status_urgency", table_name="needs")
    op.drop_index("ix_checkins_status", table_name="checkins")
    # SQLite drops a column in place (3.35+) unless an index or trigger names it; none does.
    op.drop_column("households", "walk_key")
    op.drop_column("offers", "address_key")
    op.drop_column("tasks", "address_key")
